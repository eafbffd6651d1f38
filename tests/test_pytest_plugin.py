"""The pytest plugin, driven as a user's suite would drive it (pytester runs inner sessions)."""

from __future__ import annotations

import json
import textwrap

import pytest
import requests

from emulator.testing import ControlClient, EmulatorServer


@pytest.fixture
def run(pytester):
    def run_suite(code: str, *args: str):
        pytester.makepyfile(test_user=textwrap.dedent(code))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    return run_suite


def test_fixtures_give_an_sdk_client_and_a_reset_control_client(run):
    result = run(
        """
        from twilio.base.exceptions import TwilioRestException

        def test_first(twilio_client, twilio_emulator):
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            twilio_emulator.inbound(from_="+15551230001", to="+15557650001", body="STOP")
            try:
                twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="again")
            except TwilioRestException as exc:
                assert exc.code == 21610
            else:
                raise AssertionError("not blocked")

        def test_second_starts_clean(twilio_emulator):
            assert twilio_emulator.opt_outs() == []
            assert twilio_emulator.messages() == []
        """
    )
    result.assert_outcomes(passed=2)


def test_twilio_region_and_edge_in_the_environment_are_safe(run, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    result = run(
        """
        def test_send(twilio_client, twilio_emulator):
            message = twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            assert message.status == "queued"
            assert [m["sid"] for m in twilio_emulator.messages()] == [message.sid]
            assert twilio_client.messaging.v1.services.list() == []
        """
    )
    result.assert_outcomes(passed=1)


def test_xdist_workers_each_get_their_own_emulator(run):
    result = run(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(n, twilio_client, twilio_emulator, twilio_emulator_server):
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body=str(n))
            assert len(twilio_emulator.messages()) == 1
            assert twilio_emulator_server.url.startswith("http://127.0.0.1:")
        """,
        "-n",
        "2",
    )
    result.assert_outcomes(passed=6)


def test_a_failing_test_shows_what_the_emulator_saw(run):
    result = run(
        """
        def test_fails(twilio_client, twilio_emulator):
            try:
                twilio_client.messages.create(to="+15551230001", body="no sender")
            except Exception:
                pass
            assert False, "the user's assertion"
        """
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*what the Twilio emulator saw*", "POST /2010-04-01/Accounts/AC*/Messages.json -> 400 ?21603? A 'From' phone number is required."]
    )


def test_the_report_shows_an_accepted_message_that_failed_later(run):
    result = run(
        """
        def test_fails(twilio_client, twilio_emulator):
            twilio_client.incoming_phone_numbers.create(phone_number="+15557650001")
            twilio_emulator.sender("+15557650001", registration="unregistered")
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            assert False, "the user's assertion"
        """
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "POST /2010-04-01/Accounts/AC*/Messages.json -> 201, then SM* undelivered ?30034? (why: A2P 10DLC "
        "registration of sender +15557650001 is 'unregistered'*"
    ])


# A user's file of STOP/START tests, each on the same numbers (as the user had them).
STOP_START_SUITE = """
    import pytest
    from twilio.base.exceptions import TwilioRestException

    @pytest.mark.parametrize("n", range(8))
    def test_stop_then_start(n, twilio_client, twilio_emulator):
        twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        twilio_emulator.inbound(from_="+15551230001", to="+15557650001", body="STOP")
        with pytest.raises(TwilioRestException) as refused:
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="again")
        assert refused.value.code == 21610
        twilio_emulator.inbound(from_="+15551230001", to="+15557650001", body="START")
        twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="back")
        assert [m["body"] for m in twilio_emulator.messages() if m["direction"] != "inbound"] == [
            "back", "hi"]
"""

SANDBOX = "AC" + "5" * 32


@pytest.fixture
def sandbox():
    """A running emulator with someone's work in it (a message of another account)."""
    with EmulatorServer() as server:
        sent = requests.post(f"{server.url}/2010-04-01/Accounts/{SANDBOX}/Messages.json", auth=(SANDBOX, "t"),
                             data={"To": "+15551239999", "From": "+15557659999", "Body": "mine"}, timeout=5)
        assert sent.status_code == 201
        yield server


def sandbox_is_as_found(server) -> None:
    assert [(m["account_sid"], m["body"]) for m in server.control.messages()] == [(SANDBOX, "mine")]
    assert server.control.opt_outs() == []


def test_a_running_emulator_is_used_when_asked_and_left_as_found(run, sandbox):
    result = run(
        STOP_START_SUITE + """
    def test_sees_only_its_own_account(twilio_client, twilio_emulator, twilio_account):
        twilio_client.messages.create(to="+15551230001", from_="+15557650002", body="own")
        assert [m["account_sid"] for m in twilio_emulator.messages()] == [twilio_account[0]]
        assert [r["account_sid"] for r in twilio_emulator.requests()] == [twilio_account[0]]

    def test_fails_and_shows_only_its_requests(twilio_client, twilio_emulator):
        twilio_client.messages.create(to="+15551230001", from_="+15557650002", body="own")
        assert False
    """,
        f"--twilio-emulator-url={sandbox.url}",
    )
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines([f"twilio-emulator: the running emulator at {sandbox.url}*"])
    section = result.stdout.str().split("what the Twilio emulator saw")[1]
    assert "-> 201" in section and SANDBOX not in section
    sandbox_is_as_found(sandbox)


def test_the_ini_option_names_a_running_emulator(run, pytester, sandbox):
    pytester.makeini(f"[pytest]\ntwilio_emulator_url = {sandbox.url}\n")
    result = run(
        f"""
        def test_uses_it(twilio_client, twilio_emulator_server):
            assert twilio_emulator_server.url == {sandbox.url!r}
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        """
    )
    result.assert_outcomes(passed=1)
    sandbox_is_as_found(sandbox)


def test_a_running_emulator_with_xdist_workers_is_refused_with_what_to_do(run, sandbox):
    result = run(STOP_START_SUITE, "-n", "2", f"--twilio-emulator-url={sandbox.url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--twilio-emulator-url ({sandbox.url}) with pytest-xdist: 2 workers would share one emulator*"
         "Drop the URL (each worker then starts an emulator of its own, the default) or run without -n."]
    )
    sandbox_is_as_found(sandbox)


FIXTURE_ACCOUNT = "AC" + "f" * 32


@pytest.fixture
def fixtures_file(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({"accounts": [{"sid": FIXTURE_ACCOUNT, "auth_token": "secret",
                                              "numbers": [{"phone_number": "+15557650001"}]}]}))
    return path


def test_a_fixture_account_has_a_client_and_the_21606_report_names_the_owner(run, fixtures_file):
    result = run(
        f"""
        import pytest
        from emulator import Settings
        from twilio.base.exceptions import TwilioRestException

        @pytest.fixture(scope="session")
        def twilio_emulator_settings():
            return Settings(fixtures={str(fixtures_file)!r})

        def test_the_fixture_account_sends_from_its_number(twilio_client_for, twilio_emulator):
            client = twilio_client_for("{FIXTURE_ACCOUNT}", "secret")
            client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            mine = twilio_emulator.for_account("{FIXTURE_ACCOUNT}")
            assert [m["body"] for m in mine.messages()] == ["hi"]

        def test_another_account_cannot_use_it(twilio_client):
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        """
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*what the Twilio emulator saw*",
         f"POST /2010-04-01/Accounts/AC*/Messages.json -> 400 [[]21606[]] *(why: +15557650001 belongs to account "
         f"{FIXTURE_ACCOUNT}, not AC*)"]
    )


def test_a_declared_account_on_a_running_emulator_is_reset_around_the_test(run, fixtures_file, serve):
    served = serve("--fixtures", str(fixtures_file))
    result = run(
        f"""
        def test_first(twilio_client_for, twilio_emulator):
            client = twilio_client_for("{FIXTURE_ACCOUNT}", "secret")
            client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            twilio_emulator.inbound(from_="+15551230001", to="+15557650001", body="STOP")

        def test_second_finds_it_as_declared(twilio_client_for, twilio_emulator):
            client = twilio_client_for("{FIXTURE_ACCOUNT}", "secret")
            assert client.messages.list() == []
            assert twilio_emulator.for_account("{FIXTURE_ACCOUNT}").opt_outs() == []
        """,
        f"--twilio-emulator-url={served.url}",
    )
    result.assert_outcomes(passed=2)
    control = ControlClient(served.url)
    assert control.messages() == [] and control.opt_outs() == []
    assert [n["phone_number"] for n in requests.get(
        f"{served.url}/2010-04-01/Accounts/{FIXTURE_ACCOUNT}/IncomingPhoneNumbers.json", auth=(FIXTURE_ACCOUNT, "secret"),
        timeout=5).json()["incoming_phone_numbers"]] == ["+15557650001"]


def test_scenario_files_are_collected_and_failures_show_a_diff(pytester):
    pytester.makeini("[pytest]\ntwilio_scenario_dirs = scenarios\n")
    scenarios = pytester.mkdir("scenarios")
    (scenarios / "blocked.toml").write_text(
        textwrap.dedent(
            """
            description = "a wrong expectation, to see the diff"
            [[steps]]
            send = { from = "+15557650001", to = "+15551230001", body = "hi" }
            expect = { http_status = 400 }
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "scenarios")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*step 1 (send): expected http_status = 400, got 201*"])


def test_a_test_fails_when_the_emulator_raised_inside_itself(run):
    """pytest-httpserver's check_handler_errors: an error inside the emulator (here a handler bug,
    which the client only sees as a 500 it may well ignore) fails the test that caused it."""
    result = run(
        """
        import requests
        from emulator.domain.messages import Messages

        def test_ignores_the_500(twilio_client, twilio_emulator, monkeypatch):
            message = twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            def broken(self, *args):
                raise RuntimeError("a bug in the emulator")
            monkeypatch.setattr(Messages, "fetch", broken)
            try:
                twilio_client.messages(message.sid).fetch()
            except Exception:
                pass  # the application under test swallowed the error

        def test_next_test_is_not_blamed(twilio_client, twilio_emulator):
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
        """
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*the Twilio emulator raised 1 error(s) inside itself during this test*",
         "*RuntimeError: a bug in the emulator*"]
    )


APP_THAT_BUILDS_ITS_OWN_CLIENT = """
    import requests
    from twilio.rest import Client

    def notify(to):  # the user's code: it knows only the SDK
        return Client("AC" + "1" * 32, "token").messages.create(to=to, from_="+15557650001", body="hi").status
"""


def test_twilio_patch_option_patches_the_whole_suite(run):
    result = run(
        APP_THAT_BUILDS_ITS_OWN_CLIENT + """
    def test_sends_to_the_emulator(twilio_emulator):
        assert notify("+15551230001") == "queued"
        assert len(twilio_emulator.messages()) == 1

    def test_without_any_fixture():
        assert notify("+15551230002") == "queued"

    def test_a_hand_made_call_to_twilio_fails():
        requests.get("https://api.twilio.com/2010-04-01/Accounts.json")
    """,
        "--twilio-patch",
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(  # line 15 is requests.get (pytester drops the leading blank line)
        ["*RealTwilioRequestError: blocked a request to the real Twilio (api.twilio.com) from *test_user.py:15 in "
         "test_a_hand_made_call_to_twilio_fails*"]
    )


def test_twilio_patch_fixture_and_ini_option(run, pytester):
    result = run(
        APP_THAT_BUILDS_ITS_OWN_CLIENT + """
    def test_fixture(twilio_patch):
        assert notify("+15551230001") == "queued"
        assert [m["to"] for m in twilio_patch.messages()] == ["+15551230001"]
    """
    )
    result.assert_outcomes(passed=1)
    pytester.makeini("[pytest]\ntwilio_patch = true\n")
    result = run(APP_THAT_BUILDS_ITS_OWN_CLIENT + """
    def test_ini():
        assert notify("+15551230001") == "queued"
    """)
    result.assert_outcomes(passed=1)


def test_a_running_emulator_that_does_not_answer_is_one_line_per_test(run, dead_url):
    result = run(
        """
        def test_uses_it(twilio_emulator):
            pass
        """,
        f"--twilio-emulator-url={dead_url}",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"no emulator answers at {dead_url} (--twilio-emulator-url)*"])
    assert "Traceback" not in result.stdout.str() and "Max retries" not in result.stdout.str()
