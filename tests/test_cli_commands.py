"""The CLI's client commands against a running emulator: tables for people, --json for scripts,
exit 1 with a clear message when the emulator is unreachable or refuses."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap

import pytest
import requests

from emulator.cli import main
from emulator.testing import EmulatorServer

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
    code, _, _ = run(capsys, "reset", "--url", url)
    assert code == 0
    code, out, _ = run(capsys, "messages", "--url", url)
    assert code == 0 and out.strip() == "(none)"


def test_a_refusal_is_a_clear_message_and_exit_1(capsys, url):
    code, out, err = run(capsys, "inbound", "--url", url, "--from", HANDSET, "--to", "+15550009999", "hi")
    assert code == 1 and out == ""
    assert "refused" in err and "no account owns +15550009999" in err


@pytest.mark.parametrize("command", [["reset"], ["messages"], ["opt-outs"], ["inbound", "--from", HANDSET, "--to", NUMBER, "x"]])
def test_an_unreachable_emulator_is_a_clear_message_and_exit_1(capsys, command):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    code, out, err = run(capsys, command[0], "--url", closed, *command[1:])
    assert code == 1 and out == ""
    assert f"no emulator at {closed}" in err


def test_scenarios_prints_a_line_per_scenario_and_fails_on_a_failure(capsys, tmp_path, url):
    (tmp_path / "good.toml").write_text(textwrap.dedent("""
        [[steps]]
        send = { from = "+15557650001", to = "+15551230001", body = "hi" }
        expect = { http_status = 201 }
        """))
    (tmp_path / "bad.toml").write_text(textwrap.dedent("""
        [[steps]]
        send = { from = "+15557650001", to = "+15551230001", body = "hi" }
        expect = { http_status = 400 }
        """))
    code, out, _ = run(capsys, "scenarios", str(tmp_path / "good.toml"), "--url", url)
    assert code == 0 and out.splitlines() == ["PASS good", "1 passed, 0 failed"]
    code, out, _ = run(capsys, "scenarios", str(tmp_path), "--url", url)
    assert code == 1
    assert out.splitlines()[0].startswith("FAIL bad")
    assert "step 1 (send): expected http_status = 400, got 201" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


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
