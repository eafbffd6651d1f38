"""The README's runnable examples, executed as written, so the documentation cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def example_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no python block after {heading!r}"
    return match.group(1)


def test_webhook_example_runs_end_to_end():
    code = example_after("### Example: a Flask app of yours, end to end")
    namespace: dict = {}
    exec(compile(code, "README.md (webhook example)", "exec"), namespace)
    # The example asserts the reply itself; check it really reached that assertion.
    assert namespace["reply"].body == "You said: hello"


def test_the_pytest_example_in_the_readme_is_the_file_we_run():
    example = (Path(__file__).parent / "examples" / "test_howto_pytest_plugin.py").read_text(encoding="utf-8")
    assert example in README.read_text(encoding="utf-8")


def test_the_scenario_example_in_the_readme_parses_and_passes(tmp_path, base_url, control):
    # control: a reset emulator, where no account owns the numbers the scenario declares
    from emulator import scenarios
    from emulator.testing import WebhookReceiver

    text = README.read_text(encoding="utf-8")
    start = text.index("## Scenario harness")
    block = re.compile(r"```toml\n(.*?)```", re.S).search(text, start).group(1)
    path = tmp_path / "readme_example.toml"
    path.write_text(block, encoding="utf-8")
    with WebhookReceiver() as receiver:
        result = scenarios.run(scenarios.load(path), base_url, receiver=receiver)
    assert result.passed, result.report()


def test_patch_example_runs():
    code = example_after("### patch(): every client of the process")
    namespace: dict = {}
    exec(compile(code, "README.md (patch example)", "exec"), namespace)
    assert "README.md (patch example):" in namespace["message"]  # the call site is the README's line


def test_the_unmodified_programs_in_the_readme_are_the_ones_we_run():
    examples = Path(__file__).parent / "examples"
    text = README.read_text(encoding="utf-8")
    for name in ("send_sms.py", "send_sms.js"):
        assert (examples / name).read_text(encoding="utf-8") in text, name


def test_the_consent_api_example_runs(client, control, account):
    code = example_after("### The Consent Management API")
    namespace: dict = {"client": client}
    exec(compile(code, "README.md (consent example)", "exec"), namespace)
    assert namespace["result"].items == [
        {"correlation_id": "ad388b5a46b33b874b0d41f7226db2ef", "error_code": 0, "error_messages": []}
    ]
    [record] = control.opt_outs(account_sid=account[0])
    assert (record["sender"], record["source"], record["consent_source"]) == ("+15557650001", "consent_api", "website")


def test_the_fidelity_table_names_scenarios_and_tests_that_exist():
    """Every scenario and test the Fidelity notes cite as pinning a behaviour exists, and every
    shipped scenario is cited, so the table cannot drift from what runs."""
    root = README.parent
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Fidelity notes"):text.index("## Development")]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| §")]
    cited = {name for row in rows for name in re.findall(r"`([a-z0-9_]+)`", row.split(" | ")[-1])}
    shipped = {p.stem for p in (root / "fixtures" / "scenarios").glob("*.toml")}
    assert cited - shipped == set()
    tests = set(re.findall(r"`((?:client_tests|tests)/[\w/]+\.py)::(\w+)`", table))
    assert tests, "the table cites pytest tests too"
    for path, name in tests:
        assert f"def {name}(" in (root / path).read_text(encoding="utf-8"), f"{path}::{name}"
    assert shipped - cited == set(), f"scenarios no row cites: {sorted(shipped - cited)}"
