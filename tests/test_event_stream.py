"""GET /_emulator/events (README "Live events"): one server-sent event per change, resumable, and
never in the way of stopping the server."""

from __future__ import annotations

import json
import signal
import threading

import requests
from twilio.base.exceptions import TwilioRestException

from emulator.api.control.live import Live
from emulator.domain.error_log import ErrorLog
from emulator.domain.events import EventBus
from emulator.testing import EmulatorServer, WebhookReceiver, twilio_client

NUMBER = "+15557650001"
HANDSET = "+15551230001"
ACCOUNT, TOKEN = "AC" + "e1" * 16, "e" * 32


def events(response, until: str):
    """(id, name, data) of each event until one named `until` (inclusive)."""
    found, current = [], {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "event" in current:
                found.append((int(current["id"]), current["event"], json.loads(current["data"])))
                if current["event"] == until:
                    return found
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value
    raise AssertionError(f"the stream ended before {until!r}: {found}")


def open_stream(url: str, **headers: str) -> requests.Response:
    response = requests.get(f"{url}/_emulator/events", stream=True, timeout=(5, 10), headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return response


def test_every_change_is_one_event_in_order_and_a_reconnect_resumes():
    with EmulatorServer() as server, WebhookReceiver() as hooks:
        hooks.respond("/sms", "<Response/>")
        fixtures = {"accounts": [{"sid": ACCOUNT, "auth_token": TOKEN,
                                  "numbers": [{"phone_number": NUMBER, "sms_url": hooks.url("/sms")}]}]}
        assert requests.post(f"{server.url}/_emulator/fixtures", json=fixtures, timeout=5).status_code == 204
        stream = open_stream(server.url)
        client = twilio_client(server.url, ACCOUNT, TOKEN)
        sent = client.messages.create(to=HANDSET, from_=NUMBER, body="Hello")
        server.control.inbound(HANDSET, NUMBER, "STOP")
        try:
            client.messages.create(to=HANDSET, from_=NUMBER, body="Again")
        except TwilioRestException as exc:
            assert exc.code == 21610
        server.control.wait_for_webhooks()
        server.control.reset(ACCOUNT)
        seen = events(stream, until="reset")
        stream.close()

        names = [name for _, name, _ in seen]
        assert [n for n in names if n != "webhook_attempted"] == [
            "message_created", "status_changed", "status_changed", "status_changed",  # sending, sent, delivered
            "message_created", "opt_out_recorded", "auto_reply",  # the STOP
            "send_refused",
            "reset",
        ]
        assert names.count("webhook_attempted") == 1
        by_name = {name: data for _, name, data in seen}
        created = next(d for _, n, d in seen if n == "message_created")
        assert created["message"]["sid"] == sent.sid and created["message"]["body"] == "Hello"
        assert created["conversation"] == {"account_sid": ACCOUNT, "party": NUMBER, "handset": HANDSET,
                                           "path": f"{ACCOUNT}/{NUMBER}/{HANDSET}"}
        changes = [d for _, n, d in seen if n == "status_changed"]
        assert [(d["message"]["status"], d["reason"]) for d in changes][-1] == ("delivered", None)
        assert by_name["opt_out_recorded"]["opt_out"]["recipient"] == HANDSET
        assert by_name["auto_reply"]["auto_reply"]["opt_out_type"] == "STOP"
        assert by_name["send_refused"]["refusal"]["error_code"] == 21610
        assert by_name["webhook_attempted"]["webhook"]["url"] == hooks.url("/sms")
        assert by_name["webhook_attempted"]["webhook"]["params"]["Body"] == "STOP"
        assert by_name["reset"] == {"account_sid": ACCOUNT}
        assert [i for i, _, _ in seen] == sorted(i for i, _, _ in seen)

        # A client that reconnects with Last-Event-ID gets what it missed, then goes on live.
        first_id = seen[0][0]
        resumed = open_stream(server.url, **{"Last-Event-ID": str(first_id)})
        again = events(resumed, until="reset")
        resumed.close()
        assert again == seen[1:]


def test_stopping_the_server_ends_open_streams_instead_of_waiting_for_them():
    server = EmulatorServer().start()
    stream = open_stream(server.url)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(timeout=5)  # the gate would wait 10 s for a request still in flight
    assert not stopper.is_alive(), "stop() waited for the open event stream"
    assert [line for line in stream.iter_lines(decode_unicode=True) if line.startswith("event")] == []
    stream.close()


def test_serve_stops_on_sigterm_with_a_browser_listening(serve):
    served = serve()
    stream = open_stream(served.url)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=8) == 0
    stream.close()


# -- the hub on its own ---------------------------------------------------------------------------------
def read(stream, count: int) -> list[str]:
    return [next(stream) for _ in range(count)]


def test_a_client_too_far_behind_is_told_to_resync_and_a_quiet_stream_sends_keep_alives():
    bus = EventBus(ErrorLog())
    live = Live(bus, keepalive=0.01, keep=2)
    for account in ("AC1", "AC2", "AC3"):
        bus.publish("reset", {"account_sid": account})
    behind = live.stream(after=0)  # events 1..3 happened; only 2 and 3 are kept
    hello, resync = read(behind, 2)
    assert hello.startswith("retry: ")
    assert resync == "id: 3\nevent: resync\ndata: {}\n\n"  # reload, then go on after event 3
    assert read(behind, 1) == [": keep-alive\n\n"]  # nothing new: a comment finds a client that left
    bus.publish("reset", {"account_sid": None})
    assert read(behind, 1) == ['id: 4\nevent: reset\ndata: {"account_sid":null}\n\n']
    live.close()
    assert list(behind) == []


def test_a_client_ahead_of_the_stream_is_told_to_resync():
    """A Last-Event-ID above the newest id comes from before a restart: the client reloads."""
    bus = EventBus(ErrorLog())
    live = Live(bus, keepalive=0.01)
    bus.publish("reset", {"account_sid": "AC1"})
    ahead = live.stream(after=500)
    assert read(ahead, 2)[1] == "id: 1\nevent: resync\ndata: {}\n\n"
    live.close()
