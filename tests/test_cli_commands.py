"""The CLI's client commands against a running emulator: tables for people, --json for scripts,
exit 1 with a clear message when the emulator is unreachable or refuses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
import requests

from emulator.cli import main
from emulator.testing import EmulatorServer, WebhookReceiver

AC = "AC" + "7" * 32
HANDSET, NUMBER = "+15551230001", "+15557650001"


@pytest.fixture(scope="module")
def server():
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def url(server) -> str:
    server.control.reset()
    sent = requests.post(
        f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json",
        data={"To": HANDSET, "From": NUMBER, "Body": "hello"},
        auth=(AC, "token"),
        timeout=5,
    )
    assert sent.status_code == 201
    return server.url


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_inbound_prints_the_classification_and_the_reply(capsys, url):
    code, out, _ = run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "STOP")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["sid", "opt_out_type", "auto_reply"]
    assert " STOP " in row and "You have successfully been unsubscribed." in row


def test_inbound_json_is_the_control_api_answer(capsys, url):
    code, out, _ = run(capsys, "inbound", "--url", url, "--json", "--from", HANDSET, "--to", NUMBER, "HELP")
    assert code == 0
    body = json.loads(out)
    assert body["opt_out_type"] == "HELP"
    assert body["auto_replies"][0]["body"] == "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def test_opt_outs_table_and_json(capsys, url):
    run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "STOP")
    code, out, _ = run(capsys, "opt-outs", "--url", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "account_sid", "sender", "messaging_service_sid", "recipient", "source", "consent_source", "created_at"
    ]
    assert AC in lines[1] and NUMBER in lines[1] and HANDSET in lines[1] and " keyword " in lines[1]
    code, out, _ = run(capsys, "opt-outs", "--url", url, "--json", "--recipient", "+15550000000")
    assert code == 0 and json.loads(out) == []


def test_messages_lists_newest_first(capsys, url):
    run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "thanks")
    code, out, _ = run(capsys, "messages", "--url", url, "--json", "--account", AC)
    assert code == 0
    assert [(m["direction"], m["body"]) for m in json.loads(out)] == [("inbound", "thanks"), ("outbound-api", "hello")]
    code, out, _ = run(capsys, "messages", "--url", url, "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 2 and "thanks" in out


def test_reset_empties_the_emulator(capsys, url):
    code, out, _ = run(capsys, "reset", "--url", url)
    assert code == 0 and out.splitlines() == ["reset every account to what the emulator declares (--account, --fixtures)"]
    code, out, _ = run(capsys, "messages", "--url", url)
    assert code == 0 and out.strip() == "(none)"


def test_reset_of_one_account_leaves_the_others(capsys, url):
    other = "AC" + "8" * 32
    requests.post(f"{url}/2010-04-01/Accounts/{other}/Messages.json", auth=(other, "t"), timeout=5,
                  data={"To": HANDSET, "From": "+15557650002", "Body": "other"}).raise_for_status()
    code, out, _ = run(capsys, "reset", "--url", url, "--account", other, "--json")
    assert code == 0 and json.loads(out) == {"reset": other}
    code, out, _ = run(capsys, "messages", "--url", url, "--json")
    assert [m["body"] for m in json.loads(out)] == ["hello"]


def test_a_mistyped_command_says_which_it_meant(capsys):
    code, out, err = run(capsys, "optouts")
    assert code == 2 and out == ""
    assert err.strip() == "twilio-emulator: unknown command 'optouts', did you mean opt-outs?"
    code, _, err = run(capsys, "frobnicate", "--port", "0")
    assert code == 2 and "unknown command 'frobnicate'; the commands are: serve, healthcheck," in err


def refuse_a_send(url: str) -> None:
    refused = requests.post(f"{url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5,
                            data={"To": HANDSET, "From": NUMBER, "Body": "after STOP"})
    assert refused.status_code == 400


def test_requests_lists_what_the_emulator_answered_and_why(capsys, url):
    run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "STOP")
    refuse_a_send(url)
    code, out, _ = run(capsys, "requests", "--url", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["method", "path", "status", "error_code", "reason"]
    assert f"POST    /2010-04-01/Accounts/{AC}/Messages.json  201" in lines[1]
    assert " 400     21610 " in lines[2] and f"{HANDSET} is opted out of {NUMBER}" in lines[2]
    code, out, _ = run(capsys, "requests", "--url", url, "--errors", "--json", "--account", AC)
    [entry] = json.loads(out)
    assert (entry["status"], entry["error_code"], entry["account_sid"]) == (400, 21610, AC)


def test_messages_refused_shows_the_sends_that_created_no_message(capsys, url):
    run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "STOP")
    refuse_a_send(url)
    code, out, _ = run(capsys, "messages", "--url", url, "--refused")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["account_sid", "From", "To", "status", "error_code", "Body", "reason"]
    assert all(word in row for word in (AC, NUMBER, HANDSET, "400", "21610", "after STOP"))
    code, out, _ = run(capsys, "messages", "--url", url, "--refused", "--json")
    assert [r["Body"] for r in json.loads(out)] == ["after STOP"]


def test_auto_replies_and_webhooks_tables(capsys, url, server):
    run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", NUMBER, "HELP")
    code, out, _ = run(capsys, "auto-replies", "--url", url)
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["date_created", "account_sid", "from", "to", "opt_out_type", "body"]
    assert "HELP" in row and "Reply STOP to unsubscribe." in row
    with WebhookReceiver() as hooks:
        sent = requests.post(f"{url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5,
                             data={"To": "+15551230002", "From": NUMBER, "Body": "hi",
                                   "StatusCallback": hooks.url("/status")}).json()
        server.control.wait_for_webhooks()
        code, out, _ = run(capsys, "webhooks", "--url", url, "--message", sent["sid"])
        assert code == 0
        lines = out.splitlines()
        assert lines[0].split() == ["attempted_at", "kind", "message_sid", "method", "url", "status_code", "error_code"]
        assert len(lines) > 1 and all(sent["sid"] in line and "/status" in line for line in lines[1:])
        code, out, _ = run(capsys, "webhooks", "--url", url, "--json", "--account", "AC" + "9" * 32)
        assert json.loads(out) == []


def test_a_refusal_is_a_clear_message_and_exit_1(capsys, url):
    code, out, err = run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", "+15550009999", "hi")
    assert code == 1 and out == ""
    assert "refused" in err and "no account owns +15550009999" in err


@pytest.mark.parametrize("command", [["reset"], ["messages"], ["opt-outs"], ["requests"], ["webhooks"], ["auto-replies"],
                                     ["messages", "--refused"], ["inbound", "--from", HANDSET, "--to", NUMBER, "x"]])
def test_an_unreachable_emulator_is_a_clear_message_and_exit_1(capsys, command, dead_url):
    code, out, err = run(capsys, command[0], "--url", dead_url, *command[1:])
    assert code == 1 and out == ""
    assert f"no emulator at {dead_url}" in err


def test_scenarios_prints_a_line_per_scenario_and_fails_on_a_failure(capsys, tmp_path, url):
    (tmp_path / "good.toml").write_text(textwrap.dedent("""
        [[steps]]
        send = { from = "+15557650002", to = "+15551230001", body = "hi" }
        expect = { http_status = 201 }
        """))
    (tmp_path / "bad.toml").write_text(textwrap.dedent("""
        [[steps]]
        send = { from = "+15557650002", to = "+15551230001", body = "hi" }
        expect = { http_status = 400 }
        """))
    code, out, _ = run(capsys, "scenarios", str(tmp_path / "good.toml"), "--url", url)
    assert code == 0 and out.splitlines() == ["PASS good", "1 passed, 0 failed"]
    code, out, _ = run(capsys, "scenarios", str(tmp_path), "--url", url)
    assert code == 1
    assert out.splitlines()[0].startswith("FAIL bad")
    assert "step 1 (send): expected http_status = 400, got 201" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


def test_scenarios_leave_a_running_emulator_as_they_found_it(capsys, tmp_path, url, server):
    """Each scenario runs in an account of its own, removed at its end: the sandbox's own account,
    its number and message are untouched, and the scenarios' numbers are free again."""
    (tmp_path / "stop.toml").write_text(textwrap.dedent("""
        [account]
        numbers = [{ phone_number = "+15557650002" }]
        [[steps]]
        inbound = { from = "+15551230001", to = "+15557650002", body = "STOP" }
        expect = { opt_out_type = "STOP" }
        """))
    before = server.control.messages()
    code, out, _ = run(capsys, "scenarios", str(tmp_path), "--url", url)
    assert code == 0, out
    assert server.control.messages() == before and server.control.opt_outs() == []
    assert [r["account_sid"] for r in server.control.requests()] == [AC]
    sent = requests.post(f"{url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5,
                         data={"To": HANDSET, "From": "+15557650002", "Body": "the number is free again"})
    assert sent.status_code == 201


def test_a_scenario_on_a_number_the_sandbox_owns_says_which_account_owns_it(capsys, tmp_path, url):
    (tmp_path / "taken.toml").write_text(textwrap.dedent(f"""
        [[steps]]
        send = {{ from = "{NUMBER}", to = "+15551230001", body = "hi" }}
        expect = {{ http_status = 201 }}
        """))
    code, out, _ = run(capsys, "scenarios", str(tmp_path), "--url", url)
    assert code == 1
    assert f"expected http_status = 201, got 400 (why: {NUMBER} belongs to account {AC}, not AC" in out


def test_serve_with_port_0_prints_the_port_it_bound_and_log_level_quiets_requests(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "WARNING"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", first)
        assert match and match.group(1) != "0", first
        url = f"http://127.0.0.1:{match.group(1)}"
        assert requests.get(f"{url}/_emulator/health", timeout=5).json() == {"status": "ok"}
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "GET /_emulator/health" not in err  # werkzeug's INFO request lines follow --log-level


def _serve(*args: str) -> subprocess.CompletedProcess:
    # A subprocess with a timeout: if the refusal regressed, the server would run forever.
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30
    )


def test_serve_with_an_unusable_db_path_is_one_clear_line(tmp_path):
    result = _serve("--db", str(tmp_path / "missing" / "dir" / "x.db"))
    assert result.returncode == 2
    err = result.stderr
    assert err.startswith("twilio-emulator: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_fixture_sms_method_other_than_get_or_post_is_refused(tmp_path):
    fixture = tmp_path / "bad.json"
    fixture.write_text(json.dumps({"accounts": [{"sid": AC, "numbers": [{"phone_number": NUMBER, "sms_method": "DELETE"}]}]}))
    result = _serve("--fixtures", str(fixture))
    assert result.returncode == 2 and "accounts[0].numbers[0].sms_method: must be GET or POST" in result.stderr


@pytest.mark.parametrize("content", ["steps = [1]\n", '[[steps]]\ninbound = "STOP"\n', '[[steps]]\ncheck = {}\nexpect = 5\n'])
def test_a_malformed_scenario_is_a_fail_line_not_a_traceback(capsys, tmp_path, url, content):
    (tmp_path / "broken.toml").write_text(content)
    code, out, err = run(capsys, "scenarios", str(tmp_path / "broken.toml"), "--url", url)
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[0].startswith("FAIL broken") and "must be" in out


@pytest.mark.parametrize("argv", [["messages", "--url", "127.0.0.1:4010"], ["messages", "--limit", "0"]])
def test_a_bad_option_value_is_a_usage_error_that_says_what_to_write(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "write http://127.0.0.1:4010" in err or "0 is not a positive number" in err


def test_scenarios_against_nothing_or_a_missing_path_say_so_in_one_line(capsys, tmp_path, dead_url):
    code, _, err = run(capsys, "scenarios", "fixtures/scenarios", "--url", dead_url)
    assert code == 1 and err.count("\n") == 1 and "no emulator at" in err
    code, _, err = run(capsys, "scenarios", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err


def test_a_scenario_on_a_number_the_sandbox_owns_names_the_owner_and_what_to_do(capsys, url, tmp_path):
    (tmp_path / "s.toml").write_text(textwrap.dedent(f"""
        [account]
        numbers = [{{ phone_number = "{NUMBER}" }}]
        [[steps]]
        check = {{}}
    """))
    code, out, _ = run(capsys, "scenarios", str(tmp_path / "s.toml"), "--url", url)
    assert code == 1
    assert f"{NUMBER} belongs to account {AC}" in out and "twilio-emulator reset --account" in out
