"""Shared helpers of the unit tests: an emulator in a real subprocess, always stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port():
    """A port nothing listens on (yet): call it for each port needed."""
    return _free_port


@pytest.fixture
def dead_url() -> str:
    """A URL on a port nothing listens on (connection refused)."""
    return f"http://127.0.0.1:{_free_port()}"


class Served:
    """`twilio-emulator serve` in a subprocess on a free port."""

    def __init__(self, *args: str, cwd: str | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(self.port), "--log-level", "WARNING", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/_emulator/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.process.kill()
        raise AssertionError(f"the emulator did not start: {self.process.communicate()[1]}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or `docker kill` would do."""
        self.process.kill()
        self.process.communicate()


@pytest.fixture
def serve() -> Iterator:
    """Start emulators as `serve(*args, cwd=None)`; every one is stopped when the test ends."""
    started: list[Served] = []

    def start(*args: str, cwd: str | None = None) -> Served:
        started.append(Served(*args, cwd=cwd))
        return started[-1]

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
        served.process.communicate()
