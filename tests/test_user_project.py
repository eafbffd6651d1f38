"""A newcomer's first hour, as the README tells it: the Quick start against a real `serve`
process (twice in a row), and a project of the user's own set up from "Use it in your project"
running its parallel suite with TWILIO_EMULATOR_URL exported."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from emulator.testing import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUICKSTART = ROOT / "client_tests" / "examples" / "quickstart.py"
HOWTO = ROOT / "client_tests" / "examples" / "test_howto_pytest_plugin.py"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of the outer pytest's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TWILIO_"))}
    return {**env, **extra}


def section(heading: str) -> str:
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def test_the_quick_start_is_the_file_we_run_and_make_run_installs_what_it_imports():
    quick_start = section("Quick start")
    assert QUICKSTART.read_text(encoding="utf-8") in quick_start
    assert "`.venv/bin/python quickstart.py`" in quick_start
    # It imports the twilio SDK: `make run` installs the emulator with the extra that brings it.
    run_install = re.search(r"^\$\(VENV\)/\.installed: .*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert run_install and "-e '.[testing]'" in run_install.group(1)


def test_the_quick_start_runs_twice_in_a_row(serve):
    served = serve()
    for _ in range(2):  # the first run leaves the handset opted out: the second must not mind
        result = subprocess.run([sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=60,
                                env=clean_env(TWILIO_EMULATOR_URL=served.url))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "refused, as by Twilio: HTTP 400, error 21610\n"


def readme_files() -> dict[str, str]:
    """The files "Use it in your project" and "In your pytest suite" tell a user to write, by the
    path each one's first line names."""
    text = section("Use it in your project") + section("In your pytest suite")
    files = {m.group(1): m.group(0) for m in re.finditer(r"(?<=```python\n)# (tests/\S+): .*?(?=```)", text, re.S)}
    fixtures = re.search(r"`tests/twilio\.json`:\n\n```json\n(.*?)```", text, re.S)
    assert fixtures, "the fixture file of the pytest section"
    files["tests/twilio.json"] = fixtures.group(1)
    return files


def test_the_install_line_names_the_sdk_extra_and_xdist():
    install = re.search(r"```sh\n(python -m pip install .*)\n```", section("Use it in your project"))
    assert install and '[testing]"' in install.group(1) and "pytest-xdist" in install.group(1)


def test_a_project_set_up_from_the_readme_runs_in_parallel_with_the_cli_variable_exported(tmp_path):
    files = readme_files()
    assert set(files) == {"tests/test_opt_out.py", "tests/conftest.py", "tests/test_alerts.py", "tests/twilio.json"}
    project = tmp_path / "my-app"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    # More of the README's tests, on the same numbers, as a user's file of STOP/START tests would be.
    for n in range(2, 5):
        (project / "tests" / f"test_opt_out_{n}.py").write_text(files["tests/test_opt_out.py"], encoding="utf-8")
    (project / "tests" / HOWTO.name).write_text(HOWTO.read_text(encoding="utf-8"), encoding="utf-8")
    with EmulatorServer() as sandbox:  # the user's sandbox, with their work in it
        mine = ("AC" + "5" * 32, "token")
        requests.post(f"{sandbox.url}/2010-04-01/Accounts/{mine[0]}/Messages.json", auth=mine, timeout=5,
                      data={"To": "+15551239999", "From": "+15557659999", "Body": "mine"}).raise_for_status()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider"], cwd=project, capture_output=True,
            text=True, timeout=240, env=clean_env(TWILIO_EMULATOR_URL=sandbox.url),
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert re.search(r"\b7 passed\b", result.stdout), result.stdout[-2000:]
        assert f"TWILIO_EMULATOR_URL={sandbox.url} is the CLI's" in result.stdout
        # The sandbox the variable names was not touched.
        assert [m["body"] for m in sandbox.control.messages()] == ["mine"]

