"""Bounded resources: with a cap, every log the emulator keeps stays at or under it (in memory and
in the --db file), the oldest entries go first, and opt-out records are never evicted."""

from __future__ import annotations

import sqlite3

import requests

from emulator import Settings
from emulator.testing import EmulatorServer, WebhookReceiver

AC = "AC" + "5" * 32
NUMBER = "+15557650001"


def test_every_log_stays_at_or_under_its_cap(tmp_path):
    db = tmp_path / "capped.db"
    with WebhookReceiver() as hooks, EmulatorServer(Settings(max_messages=5, db=str(db))) as server:
        http = requests.Session()
        http.auth = (AC, "token")
        messages = f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json"
        for i in range(30):
            sent = http.post(messages, data={"To": f"+1555123{i:04d}", "From": NUMBER, "Body": f"n{i}",
                                             "StatusCallback": hooks.url("/status")}, timeout=5)
            assert sent.status_code == 201
        for i in range(30):
            server.control.inbound(from_=f"+1555123{i:04d}", to=NUMBER, body="HELP")
        server.control.inbound(from_="+15551230000", to=NUMBER, body="STOP")
        for _ in range(220):  # the request log keeps the newest 200
            http.get(f"{messages}?PageSize=1", timeout=5)
        server.control.wait_for_webhooks()

        kept = server.control.messages()
        assert len(kept) == 5
        assert kept[0]["from"] == "+15551230000"  # the newest are kept
        deliveries = server.control.webhooks()
        assert 0 < len(deliveries) <= 20  # 4 x --max-messages by default
        replies = server.control.auto_replies()
        assert len(replies) == 5 and replies[-1]["opt_out_type"] == "STOP"
        assert len(server.control.requests()) == 200
        assert len(server.control.opt_outs()) == 1  # never evicted
        refused = http.post(messages, data={"To": "+15551230000", "From": NUMBER, "Body": "x"}, timeout=5)
        assert refused.json()["code"] == 21610
    with sqlite3.connect(db) as file:
        assert file.execute("SELECT count(*) FROM messages").fetchone()[0] == 5
        assert file.execute("SELECT count(*) FROM auto_replies").fetchone()[0] == 5
        assert file.execute("SELECT count(*) FROM opt_outs").fetchone()[0] == 1


def test_max_webhooks_sets_the_webhook_log_cap_on_its_own():
    with WebhookReceiver() as hooks, EmulatorServer(Settings(max_webhooks=3, webhook_workers=1)) as server:
        for i in range(10):
            requests.post(
                f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5,
                data={"To": f"+1555123{i:04d}", "From": NUMBER, "Body": "x", "StatusCallback": hooks.url("/s")},
            )
        server.control.wait_for_webhooks()
        assert len(hooks.received("/s")) > 3
        assert [d["message_sid"] for d in server.control.webhooks()] == [r.form["MessageSid"]
                                                                          for r in hooks.received("/s")[-3:]]
        assert len(server.control.messages()) == 10  # no message cap


def test_the_control_message_list_is_paged_by_key_across_accounts():
    accounts = ["AC" + c * 32 for c in "abc"]
    with EmulatorServer() as server:
        sids = []
        for i in range(8):
            account = accounts[i % 3]
            sent = requests.post(f"{server.url}/2010-04-01/Accounts/{account}/Messages.json", auth=(account, "t"),
                                 data={"To": f"+1555123{i:04d}", "From": f"+1555765{i % 3:04d}", "Body": "x"},
                                 timeout=5)
            sids.append(sent.json()["sid"])
        seen, url, pages = [], f"{server.url}/_emulator/messages?PageSize=3", 0
        while url:
            page = requests.get(url, timeout=5).json()
            assert len(page["messages"]) <= 3 and page["page_size"] == 3
            seen += [m["sid"] for m in page["messages"]]
            url = page["next_page_uri"] and server.url + page["next_page_uri"]
            pages += 1
        assert seen == sids[::-1] and pages == 3
        first = requests.get(f"{server.url}/_emulator/messages", params={"AccountSid": accounts[1]}, timeout=5).json()
        assert [m["sid"] for m in first["messages"]] == sids[1::3][::-1] and first["next_page_uri"] is None
        assert [m["sid"] for m in server.control.messages()] == sids[::-1]
        assert [m["sid"] for m in server.control.messages(limit=2)] == sids[:-3:-1]
        for bad in ({"PageToken": "PA" + sids[0]}, {"PageSize": "0"}, {"PageSize": "1001"}):
            refused = requests.get(f"{server.url}/_emulator/messages", params=bad, timeout=5)
            assert refused.status_code == 400 and "error" in refused.json()


def test_a_dead_target_whose_time_runs_out_mid_callback_is_not_sent_from_the_request_thread(monkeypatch):
    """The request thread records a dead target's callback without sending it; if the target's
    second is up a moment later, that must not make the request thread send it (it has no HTTP
    session: the callback was lost and an error recorded)."""
    from emulator.api.context import EXTENSION, WEBHOOKS
    from emulator.app import create_app, shutdown

    app = create_app(Settings())
    webhooks = app.extensions[WEBHOOKS]
    dead = "http://127.0.0.1:9/status"
    webhooks._mark_unreachable("http://127.0.0.1:9", "ConnectionError")
    looks = iter(["ConnectionError"])  # dead at the first look, alive at any later one
    monkeypatch.setattr(webhooks, "_dead", lambda url: next(looks, None))
    try:
        created = app.test_client().post(f"/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"),
                                         data={"To": "+15551230001", "From": NUMBER, "Body": "hi",
                                               "StatusCallback": dead})
        created.close()  # the request is done: shutdown need not wait for it
        assert created.status_code == 201
        first = webhooks.list_(message_sid=created.get_json()["sid"])[0]
        assert first.error_code == 11200 and "not tried again" in first.error_message
        assert app.extensions[EXTENSION].errors.since(0) == []
    finally:
        shutdown(app)
