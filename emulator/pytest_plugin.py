"""pytest plugin (entry point `pytest11`): thin fixtures over emulator.testing.

- `twilio_emulator_settings` (session, override it to configure the in-process emulator)
- `twilio_emulator_server` (session): one emulator per test process on 127.0.0.1 and a free port,
  or the one at --twilio-emulator-url / TWILIO_EMULATOR_URL
- `twilio_emulator` (function): state reset before the test; returns the ControlClient
- `twilio_client` (function): the official twilio.rest.Client with an account of its own
- `twilio_patch` (function): emulator.testing.patch() around the test: every twilio.rest.Client
  goes to the emulator, any other request to a real Twilio host fails; --twilio-patch (or the ini
  option twilio_patch = true) turns it on for the whole suite
- scenario files (*.toml) in the directories of the `twilio_scenario_dirs` ini option are collected
  as tests; a failing test's report shows what the emulator saw.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .settings import Settings
from .testing import ControlClient, EmulatorServer, patch
from .testing import twilio_client as make_client

URL_OPTION = "--twilio-emulator-url"
URL_ENV = "TWILIO_EMULATOR_URL"
PATCH_OPTION = "--twilio-patch"
# The control client and the last error id when the test's emulator was reset.
ERRORS_SEEN = pytest.StashKey[tuple[ControlClient, int]]()
# The emulator collected scenario files run against (one per test process).
SCENARIO_SERVER = pytest.StashKey["EmulatorServer | _External"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("twilio-emulator")
    group.addoption(
        URL_OPTION,
        default=None,
        help=f"use the emulator at this URL instead of starting one in-process (env {URL_ENV})",
    )
    group.addoption(
        PATCH_OPTION,
        action="store_true",
        default=None,
        help="for every test, send every twilio.rest.Client to the emulator and fail any request to a real "
        "Twilio host (emulator.testing.patch); also the ini option twilio_patch = true",
    )
    parser.addini("twilio_scenario_dirs", "directories whose *.toml scenario files are collected", type="paths")
    parser.addini(
        "twilio_patch", "emulator.testing.patch() around every test (as --twilio-patch)", type="bool", default=False
    )


class _External:
    """An emulator that someone else runs (a container, `make run`)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.control = ControlClient(self.url)

    def stop(self) -> None:
        pass


@pytest.fixture(scope="session")
def twilio_emulator_settings() -> Settings:
    """Settings of the in-process emulator; override this fixture to change them."""
    return Settings()


@pytest.fixture(scope="session")
def twilio_emulator_server(
    request: pytest.FixtureRequest, twilio_emulator_settings: Settings
) -> Iterator[EmulatorServer | _External]:
    url = request.config.getoption(URL_OPTION) or os.environ.get(URL_ENV)
    server = _External(url) if url else EmulatorServer(twilio_emulator_settings).start()
    yield server
    server.stop()


@pytest.fixture
def twilio_emulator(
    request: pytest.FixtureRequest, twilio_emulator_server: EmulatorServer | _External
) -> ControlClient:
    """The control API of a freshly reset emulator: inbound(), messages(), opt_outs(), auto_replies(),
    settings(), webhooks(), wait_for_webhooks(), advance(), advance_clock(), faults(), errors(),
    load_fixtures(), senders(), sender() (registration, country), contacts().

    A test during which the emulator raised an error inside itself (a handler, a webhook worker, a
    scheduled task) fails, with the traceback, even if the test's own assertions passed."""
    control = twilio_emulator_server.control
    control.reset()
    request.node.stash[ERRORS_SEEN] = (control, control.last_error_id())
    return control


@pytest.fixture
def twilio_account(twilio_emulator: ControlClient) -> tuple[str, str]:
    """A fresh (AccountSid, AuthToken) of its own, created on first use."""
    return "AC" + secrets.token_hex(16), secrets.token_hex(16)


@pytest.fixture
def twilio_client(twilio_emulator_server: EmulatorServer | _External, twilio_account: tuple[str, str]) -> Any:
    """The official twilio.rest.Client, pointed at the emulator for every Twilio domain."""
    return make_client(twilio_emulator_server.url, *twilio_account)


@pytest.fixture
def twilio_patch(
    twilio_emulator_server: EmulatorServer | _External, twilio_emulator: ControlClient
) -> Iterator[ControlClient]:
    """emulator.testing.patch() for this test: every twilio.rest.Client, built anywhere, talks to the
    freshly reset emulator; any other request to a real Twilio host raises RealTwilioRequestError."""
    with patch(twilio_emulator_server.url):
        yield twilio_emulator


@pytest.fixture(scope="session", autouse=True)
def _twilio_patch_suite(request: pytest.FixtureRequest) -> Iterator[None]:
    """--twilio-patch / twilio_patch = true: patch() for the whole session (no emulator otherwise)."""
    config = request.config
    if not (config.getoption(PATCH_OPTION) or config.getini("twilio_patch")):
        yield
        return
    server = request.getfixturevalue("twilio_emulator_server")
    with patch(server.url):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call" and report.passed and ERRORS_SEEN in item.stash:
        control, mark = item.stash[ERRORS_SEEN]
        raised = control.errors(since=mark)
        if raised:
            report.outcome = "failed"
            report.longrepr = _errors_report(raised)
    if report.when == "call" and report.failed:
        server = getattr(item, "funcargs", {}).get("twilio_emulator_server")
        if server is not None:
            report.sections.append(("what the Twilio emulator saw", _recent(server.control)))
    return report


def _errors_report(raised: list[dict]) -> str:
    lines = [f"the Twilio emulator raised {len(raised)} error(s) inside itself during this test:"]
    for error in raised:
        lines += [f"- in {error['where']}: {error['error']}", error["traceback"].rstrip()]
    return "\n".join(lines)


def _recent(control: ControlClient) -> str:
    try:
        requests_seen = control.requests()
    except Exception as exc:  # noqa: BLE001 - the emulator may be what broke: say so in the report
        return f"(could not ask the emulator: {exc})"
    if not requests_seen:
        return "(no requests since the reset)"
    lines = []
    for r in requests_seen:
        line = f"{r['method']} {r['path']} -> {r['status']}"
        if r["error_code"]:
            line += f" [{r['error_code']}] {r['error_message']}" + (
                f" (why: {r['reason']})" if r.get("reason") not in (None, r["error_message"]) else ""
            )
        elif r.get("message_error_code"):  # accepted, then the message failed
            line += f", then {r['message_sid']} {r['message_status']} [{r['message_error_code']}] (why: {r['reason']})"
        lines.append(line)
    return "\n".join(lines)


# -- scenario files as tests ----------------------------------------------------------------------
def pytest_collect_file(parent: pytest.Collector, file_path: Path):  # noqa: ANN201
    if file_path.suffix != ".toml":
        return None
    dirs = parent.config.getini("twilio_scenario_dirs")
    if any(file_path.parent == Path(d) for d in dirs):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):  # noqa: ANN201
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        from . import scenarios
        from .testing import WebhookReceiver

        server = self.config.stash.get(SCENARIO_SERVER, None)
        if server is None:
            server = self.config.stash[SCENARIO_SERVER] = _session_server(self.config)
        scenario = scenarios.load(self.path)
        with WebhookReceiver() as receiver:
            result = scenarios.run(scenario, server.url, receiver=receiver)
        if not result.passed:
            raise ScenarioFailed(result.report())

    def repr_failure(self, excinfo, style=None):  # noqa: ANN001, ANN201
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):  # noqa: ANN201
        return self.path, 0, f"scenario: {self.name}"


class ScenarioFailed(AssertionError):
    pass


def _session_server(config: pytest.Config):  # noqa: ANN202
    url = config.getoption(URL_OPTION) or os.environ.get(URL_ENV)
    if url:
        return _External(url)
    server = EmulatorServer().start()
    config.add_cleanup(server.stop)
    return server
