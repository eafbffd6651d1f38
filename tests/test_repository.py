"""The repository carries everything its tests need: a clone with nothing beside it passes `make
test` (.ci/run proves it on a fresh clone). Here: no file the suite or the emulator uses points
outside the repository at the maintainers' notes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["emulator", "tests", "client_tests", "fixtures", ".ci", "Makefile", "conftest.py", "Dockerfile"]
OUTSIDE = "../" + "shared"  # spelled in two parts so this file does not match itself


def files() -> list[Path]:
    found = []
    for name in CHECKED:
        path = ROOT / name
        candidates = path.rglob("*") if path.is_dir() else [path]
        found += [p for p in candidates if p.is_file() and "__pycache__" not in p.parts]
    return found


def test_nothing_refers_to_a_folder_beside_the_repository():
    offenders = [str(p.relative_to(ROOT)) for p in files() if OUTSIDE.encode() in p.read_bytes()]
    assert len(files()) > 100  # the walk found the repository
    assert offenders == [], f"these refer to {OUTSIDE}, which a user's clone does not have"


def test_ci_runs_the_readme_test_command_in_a_fresh_clone():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8").split("```")[1]
    assert commands[-1] == "make test"
    assert any(c.startswith("git clone") for c in commands) and any(c.startswith('cd "$workdir') for c in commands)
