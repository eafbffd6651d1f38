"""pytest plugin (entry point `pytest11`): thin fixtures over emulator.testing.

- `twilio_emulator_settings` (session, override it to configure the in-process emulator)
- `twilio_emulator_server` (session): one emulator per test process (so per pytest-xdist worker)
  on 127.0.0.1 and a free port; or, only when asked with --twilio-emulator-url or the ini option
  twilio_emulator_url, a running one (TWILIO_EMULATOR_URL is the CLI's and is not read here),
  with its --control-token from --twilio-emulator-control-token or $TWILIO_EMULATOR_CONTROL_TOKEN
- `twilio_emulator` (function): state reset before the test; returns the ControlClient. With a
  running emulator nothing is reset: the test's account is its own, and is reset after the test
- `twilio_client` (function): the official twilio.rest.Client with an account of its own
- `twilio_client_for` (function): a factory, twilio_client_for(account_sid, auth_token), for a
  declared or fixture account (the ControlClient's for_account(account_sid) sees its records)
- `twilio_patch` (function): emulator.testing.patch() around the test: every twilio.rest.Client
  goes to the emulator, any other request to a real Twilio host fails; --twilio-patch (or the ini
  option twilio_patch = true) turns it on for the whole suite
- scenario files (*.toml) in the directories of the `twilio_scenario_dirs` ini option are collected
  as tests; a failing test's report shows what the emulator saw.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .settings import Settings
from .testing import ControlClient, EmulatorServer, patch
from .testing import twilio_client as make_client

URL_OPTION = "--twilio-emulator-url"
URL_INI = "twilio_emulator_url"
CLI_URL_ENV = "TWILIO_EMULATOR_URL"  # the CLI's: named in the report header, never read here
TOKEN_OPTION = "--twilio-emulator-control-token"
PATCH_OPTION = "--twilio-patch"
# The control client and the last error id when the test's emulator was reset.
ERRORS_SEEN = pytest.StashKey[tuple[ControlClient, int]]()
# The accounts a test used on a running emulator: its failure report shows their requests only.
TEST_ACCOUNTS = pytest.StashKey[list[str]]()
# The emulator collected scenario files run against (one per test process).
SCENARIO_SERVER = pytest.StashKey["EmulatorServer | _External"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("twilio-emulator")
    group.addoption(
        URL_OPTION,
        default=None,
        metavar="URL",
        help="test against the running emulator at URL instead of one per test process: each test uses an "
        f"account of its own and resets only that (also the ini option {URL_INI}; not with pytest-xdist -n)",
    )
    group.addoption(
        TOKEN_OPTION,
        default=None,
        help="the --control-token of the emulator at --twilio-emulator-url (env TWILIO_EMULATOR_CONTROL_TOKEN)",
    )
    group.addoption(
        PATCH_OPTION,
        action="store_true",
        default=None,
        help="for every test, send every twilio.rest.Client to the emulator and fail any request to a real "
        "Twilio host (emulator.testing.patch); also the ini option twilio_patch = true",
    )
    parser.addini(URL_INI, f"the running emulator to test against (as {URL_OPTION})", default=None)
    parser.addini("twilio_scenario_dirs", "directories whose *.toml scenario files are collected", type="paths")
    parser.addini(
        "twilio_patch", "emulator.testing.patch() around every test (as --twilio-patch)", type="bool", default=False
    )


def external_url(config: pytest.Config) -> str | None:
    """The running emulator the user asked for in pytest's own terms, if any."""
    return config.getoption(URL_OPTION) or config.getini(URL_INI) or None


def pytest_configure(config: pytest.Config) -> None:
    url = external_url(config)
    workers = len(config.getoption("tx", None) or []) if config.getoption("dist", "no") != "no" else 0
    if url and workers > 1 and not hasattr(config, "workerinput"):
        # Accounts of their own keep the workers' records apart, but not their phone numbers: a
        # number belongs to one account at a time, so two tests sending from +15557650001 at once
        # would fail each other with 21606.
        raise pytest.UsageError(
            f"{URL_OPTION} ({url}) with pytest-xdist: {workers} workers would share one emulator and its "
            "phone numbers, and fail each other's sends with 21606. Drop the URL (each worker then starts "
            "an emulator of its own, the default) or run without -n."
        )


def pytest_report_header(config: pytest.Config) -> str:
    url = external_url(config)
    if url:
        return f"twilio-emulator: the running emulator at {url} (each test uses an account of its own)"
    ignored = os.environ.get(CLI_URL_ENV)
    note = f" ({CLI_URL_ENV}={ignored} is the CLI's; {URL_OPTION} tests against it)" if ignored else ""
    return f"twilio-emulator: an emulator per test process{note}"


class _External:
    """An emulator that someone else runs (a container, `make run`)."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.control = ControlClient(self.url, token=token)
        try:  # one clear line for the whole session, not a connection traceback per test
            self.control.last_error_id()
            answered = True
        except requests.ConnectionError:
            answered = False
        if not answered:
            pytest.fail(
                f"no emulator answers at {self.url} (--twilio-emulator-url): start one with "
                "`twilio-emulator serve`, or leave the option out and the plugin starts one per test process",
                pytrace=False,
            )

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
    url = external_url(request.config)
    token = request.config.getoption(TOKEN_OPTION)
    server = _External(url, token) if url else EmulatorServer(twilio_emulator_settings).start()
    yield server
    server.stop()


@pytest.fixture
def _twilio_new_account() -> tuple[str, str]:
    return "AC" + secrets.token_hex(16), secrets.token_hex(16)


@pytest.fixture
def twilio_emulator(
    request: pytest.FixtureRequest,
    twilio_emulator_server: EmulatorServer | _External,
    _twilio_new_account: tuple[str, str],
) -> Iterator[ControlClient]:
    """The control API of a freshly reset emulator: inbound(), messages(), opt_outs(), auto_replies(),
    settings(), webhooks(), wait_for_webhooks(), advance(), advance_clock(), faults(), errors(),
    load_fixtures(), senders(), sender() (registration, country), contacts().

    On a running emulator (--twilio-emulator-url) nothing is reset: the client is scoped to the
    test's own account (twilio_account), which is reset after the test, leaving the emulator as it
    was found.

    A test during which the emulator raised an error inside itself (a handler, a webhook worker, a
    scheduled task) fails, with the traceback, even if the test's own assertions passed."""
    control = twilio_emulator_server.control
    if isinstance(twilio_emulator_server, _External):
        control = control.for_account(_twilio_new_account[0])
        request.node.stash[TEST_ACCOUNTS] = [_twilio_new_account[0]]
    else:
        control.reset()
    request.node.stash[ERRORS_SEEN] = (control, control.last_error_id())
    yield control
    if isinstance(twilio_emulator_server, _External):
        control.reset()


@pytest.fixture
def twilio_account(twilio_emulator: ControlClient, _twilio_new_account: tuple[str, str]) -> tuple[str, str]:
    """A fresh (AccountSid, AuthToken) of its own, created on first use."""
    return _twilio_new_account


@pytest.fixture
def twilio_client(twilio_emulator_server: EmulatorServer | _External, twilio_account: tuple[str, str]) -> Any:
    """The official twilio.rest.Client, pointed at the emulator for every Twilio domain."""
    return make_client(twilio_emulator_server.url, *twilio_account)


@pytest.fixture
def twilio_client_for(
    request: pytest.FixtureRequest, twilio_emulator_server: EmulatorServer | _External, twilio_emulator: ControlClient
) -> Callable[[str, str], Any]:
    """A factory: twilio_client_for(account_sid, auth_token) is the official twilio.rest.Client for
    that account, e.g. one your twilio_emulator_settings declare with the numbers their fixtures
    give it (twilio_client's account owns none). twilio_emulator.for_account(account_sid) sees its
    records. On a running emulator the account is reset to what it declares before its first use
    and after the test."""
    server = twilio_emulator_server
    used = request.node.stash.get(TEST_ACCOUNTS, None)

    def client_for(account_sid: str, auth_token: str) -> Any:
        if used is not None and account_sid not in used:
            control = server.control.for_account(account_sid)
            control.reset()
            request.addfinalizer(control.reset)
            used.append(account_sid)
        return make_client(server.url, account_sid, auth_token)

    return client_for


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
            accounts = item.stash.get(TEST_ACCOUNTS, [None])
            report.sections.append(("what the Twilio emulator saw", _recent(server.control, accounts)))
    return report


def _errors_report(raised: list[dict]) -> str:
    lines = [f"the Twilio emulator raised {len(raised)} error(s) inside itself during this test:"]
    for error in raised:
        lines += [f"- in {error['where']}: {error['error']}", error["traceback"].rstrip()]
    return "\n".join(lines)


def _recent(control: ControlClient, accounts: list[str] | list[None]) -> str:
    """The requests of the test's accounts (None: every account, on the test's own emulator)."""
    try:
        requests_seen = [r for account in accounts for r in control.requests(account)]
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
            result = scenarios.run(scenario, server.url, receiver=receiver, control_token=server.control.token or "")
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
    url = external_url(config)
    if url:
        return _External(url, config.getoption(TOKEN_OPTION))
    server = EmulatorServer().start()
    config.add_cleanup(server.stop)
    return server
