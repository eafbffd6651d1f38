"""`twilio-emulator serve` as a real process, as a user (or `docker stop`) meets it: it stops on
SIGTERM/SIGINT, every URL its banner prints answers, a 401 says why (in the request log and the
server log), and a log that is not a terminal carries no colour codes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import threading
import time

import pytest
import requests

from emulator.testing import ControlClient

AC = "AC" + "3" * 32
HANDSET, NUMBER = "+15551230001", "+15557650001"


def stop(served, signum=signal.SIGTERM) -> tuple[str, str]:
    """Signal the server and wait at most 2 s for it to exit; its stdout and stderr."""
    served.process.send_signal(signum)
    served.process.wait(timeout=2)  # TimeoutExpired: it did not stop in time
    out, err = served.process.communicate()
    assert served.process.returncode == 0, err
    return out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_serve_within_2_s_after_the_requests_in_flight_and_keeps_their_state(serve, tmp_path, signum):
    db = tmp_path / "emulator.db"
    served = serve("--db", str(db))
    answered: list[str] = []
    refused: list[tuple[int, int]] = []
    halt = threading.Event()

    def send_until_stopped() -> None:
        session = requests.Session()
        session.auth = (AC, "token")
        while not halt.is_set():
            try:
                response = session.post(f"{served.url}/2010-04-01/Accounts/{AC}/Messages.json", timeout=5,
                                        data={"To": HANDSET, "From": NUMBER, "Body": "in flight"})
            except requests.ConnectionError:
                return  # the server no longer accepts: what stopping means
            if response.status_code != 201:  # a kept-alive connection's next request, once stopping began
                refused.append((response.status_code, response.json()["code"]))
                return
            answered.append(response.json()["sid"])

    senders = [threading.Thread(target=send_until_stopped) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        deadline = time.monotonic() + 20
        while len(answered) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(answered) >= 40, "the senders did not get going"
        _, err = stop(served, signum)
    finally:
        halt.set()
        for sender in senders:
            sender.join(timeout=10)
    assert set(refused) <= {(503, 20503)} and "Traceback" not in err
    # Every send that was answered 201 is in the store the next start reads.
    restarted = serve("--db", str(db))
    stored = {m["sid"] for m in ControlClient(restarted.url).messages(AC)}
    assert set(answered) <= stored


def banner_of(served) -> str:
    """What serve printed before it answered (all of it is in the pipe by then)."""
    os.set_blocking(served.process.stdout.fileno(), False)
    return served.process.stdout.read() or ""


def tls_get(port: int, ca_file: str, path: str) -> bytes:
    """GET over the TLS port, verified against our CA under a Twilio name (its certificates are for
    twilio.com names, never for an IP address)."""
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="api.twilio.com") as tls:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: api.twilio.com\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_every_url_the_banner_prints_answers(serve, tmp_path, free_port):
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps({"accounts": [{"sid": AC, "auth_token": "token", "numbers": [{"phone_number": NUMBER}]}]}))
    served = serve("--proxy", "--proxy-port", str(free_port()), "--tls", "--tls-port", str(free_port()),
                   "--ca-dir", str(tmp_path / "ca"), "--fixtures", str(fixtures), "--db", str(tmp_path / "emulator.db"))
    banner = banner_of(served)
    assert f"fixtures: loaded from {fixtures}" in banner and "state: new, kept in" in banner
    urls = re.findall(r"(https?)://127\.0\.0\.1:(\d+)(\S*)", banner)
    assert {scheme for scheme, _, _ in urls} == {"http", "https"} and len(urls) >= 4, banner
    for scheme, port, path in urls:
        path = path.rstrip(").,") or "/"
        if scheme == "https":
            answer = tls_get(int(port), str(tmp_path / "ca" / "ca.pem"), path)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            continue
        response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        if response.headers["Content-Type"].startswith("text/plain"):  # the proxy: a plain GET is not for it
            assert response.status_code == 400 and "use it as HTTPS_PROXY" in response.text
        else:
            assert response.status_code == 200, (path, response.text)
            assert response.json()  # an index an API client can read
    index = requests.get(f"{served.url}/_emulator", timeout=5).json()
    assert "GET /_emulator/requests" in index["endpoints"]
    assert requests.get(served.url, timeout=5).json()["control_api"] == "/_emulator"


def test_a_restart_on_the_same_db_says_state_was_restored_and_fixture_edits_wait(serve, tmp_path):
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps({"accounts": [{"sid": AC, "auth_token": "token"}]}))
    stop(serve("--fixtures", str(fixtures), "--db", str(tmp_path / "e.db")))
    banner = banner_of(serve("--fixtures", str(fixtures), "--db", str(tmp_path / "e.db")))
    assert "state: restored from" in banner and "fixture edits are ignored while it holds state" in banner
    assert "fixtures: loaded" not in banner


def unauthorized(url: str, path_sid: str, auth: tuple[str, str]) -> dict:
    response = requests.post(f"{url}/2010-04-01/Accounts/{path_sid}/Messages.json", auth=auth, timeout=5,
                             data={"To": HANDSET, "From": NUMBER, "Body": "hi"})
    assert response.status_code == 401
    # Twilio's body, unchanged: the why is for the developer, in the request log and the server log.
    assert response.json() == {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003",
                               "status": 401, "detail": "Your AccountSid or AuthToken was incorrect."}
    [entry] = [e for e in ControlClient(url).requests() if e["status"] == 401][-1:]
    assert entry["error_code"] == 20003
    return entry


def test_each_401_says_why_in_the_request_log_and_the_server_log(serve):
    served = serve("--log-level", "INFO")
    requests.get(f"{served.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "first"), timeout=5).raise_for_status()
    other_token = unauthorized(served.url, AC, (AC, "second"))
    assert other_token["account_sid"] == AC
    assert f"the auth token is not the one account {AC} accepts" in other_token["reason"]
    assert "first used with" in other_token["reason"]
    malformed = unauthorized(served.url, "ACnot-a-sid", ("ACnot-a-sid", "token"))
    assert "is neither an AccountSid (AC + 32 hex digits) nor an API key" in malformed["reason"]

    strict = serve("--strict-accounts", "--account", f"{'AC' + '4' * 32}:token", "--log-level", "INFO")
    undeclared = unauthorized(strict.url, AC, (AC, "token"))
    assert undeclared["reason"].startswith(f"account {AC} is not declared and --strict-accounts is on")

    _, log = stop(served)
    assert other_token["reason"] in log and malformed["reason"] in log
    _, log = stop(strict)
    assert undeclared["reason"] in log


def test_the_log_has_no_colour_codes_when_it_is_not_a_terminal_nor_a_control_token(serve):
    served = serve("--log-level", "INFO", "--control-token", "s3cret-in-a-query")
    requests.get(f"{served.url}/no-such-path", timeout=5)
    requests.post(f"{served.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5, data={})
    # EventSource sends the token in the query: the access line keeps the request, not the token.
    listed = requests.get(f"{served.url}/_emulator/clock?token=s3cret-in-a-query&x=1", timeout=5)
    assert listed.status_code == 200
    _, log = stop(served)
    assert '"GET /no-such-path HTTP/1.1" 404' in log
    assert f'"POST /2010-04-01/Accounts/{AC}/Messages.json HTTP/1.1" 400' in log
    assert '"GET /_emulator/clock?token=…&x=1 HTTP/1.1" 200' in log and "s3cret" not in log
    assert "\x1b[" not in log
