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
