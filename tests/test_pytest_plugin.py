"""The pytest plugin, driven as a user's suite would drive it (pytester runs inner sessions)."""

from __future__ import annotations

import textwrap

import pytest

from emulator.testing import EmulatorServer


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


def test_an_external_emulator_is_used_when_given(run):
    with EmulatorServer() as server:
        result = run(
            """
            def test_uses_it(twilio_emulator_server, twilio_client):
                twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            """,
            f"--twilio-emulator-url={server.url}",
        )
        result.assert_outcomes(passed=1)
        # The message went to the external emulator, not to one the plugin started.
        assert [m["body"] for m in server.control.messages()] == ["hi"]


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
