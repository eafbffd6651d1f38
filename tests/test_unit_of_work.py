"""One unit of work per operation: a refused or failed request changes nothing, an acknowledged one
is never lost. Each test here reproduces a defect found in review (issue 9) against real parts: a
real SQLite file held by a second connection, real servers and processes, SIGKILL."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from emulator import Settings
from emulator.app import create_app, shutdown
from emulator.domain.emulator import Emulator
from emulator.domain.messages import CreateMessage
from emulator.domain.models import Fault, Message, Status
from emulator.errors import BodyRequired, ServiceUnavailable, UnsubscribedRecipient
from emulator.optout import OptOutRecord
from emulator.server import ThreadedServer
from emulator.storage import SqliteStore
from emulator.testing import ControlClient, EmulatorServer, WebhookReceiver, twilio_client

AC = "AC" + "1" * 32
OTHER = "AC" + "2" * 32
TOKEN = "token"
NUMBER = "+15557650001"
HANDSETS = [f"+1555123{i:04d}" for i in range(20)]


def send(base: str, to: str, body: str = "hi", **extra: str) -> requests.Response:
    return requests.post(
        f"{base}/2010-04-01/Accounts/{AC}/Messages.json",
        data={"To": to, "From": NUMBER, "Body": body, **extra},
        auth=(AC, TOKEN),
        timeout=30,
    )


def stop(base: str, handset: str) -> requests.Response:
    return requests.post(f"{base}/_emulator/inbound", json={"From": handset, "To": NUMBER, "Body": "STOP"}, timeout=30)


def state_of(base: str) -> tuple[set[str], set[str]]:
    """(message bodies, opted-out handsets) the emulator reports."""
    messages = ControlClient(base).messages()
    records = requests.get(f"{base}/_emulator/opt-outs", timeout=10).json()["opt_outs"]
    return {m["body"] for m in messages if m["direction"] == "outbound-api"}, {r["recipient"] for r in records}


class HeldLock:
    """A second connection holding a write transaction on the emulator's file, as another process
    (or a full disk, or an I/O error) would make every commit fail."""

    def __init__(self, db: str) -> None:
        self._db = sqlite3.connect(db, isolation_level=None, timeout=0)
        self._db.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self._db.execute("ROLLBACK")
        self._db.close()


def test_a_failed_commit_acknowledges_nothing_and_memory_follows_the_file(tmp_path, serve):
    db = str(tmp_path / "held.db")
    first = serve("--db", db)
    assert send(first.url, HANDSETS[0], "before").status_code == 201
    assert stop(first.url, HANDSETS[1]).status_code == 201

    lock = HeldLock(db)
    try:
        refused = send(first.url, HANDSETS[2], "while held")
        assert refused.status_code == 503 and refused.json()["code"] == 20503
        with ThreadPoolExecutor(8) as pool:  # many writers at once: none may be acknowledged
            answers = list(pool.map(lambda h: stop(first.url, h).status_code, HANDSETS[3:11]))
        assert answers == [503] * 8
        # Memory was brought back in line with the file: nothing of the failed writes is visible.
        assert state_of(first.url) == ({"before"}, {HANDSETS[1]})
        errors = requests.get(f"{first.url}/_emulator/errors", timeout=10).json()["errors"]
        assert errors and "database is locked" in errors[-1]["error"]
    finally:
        lock.release()

    assert send(first.url, HANDSETS[3], "after").status_code == 201  # HANDSETS[3]'s STOP never happened
    first.kill()

    second = serve("--db", db)
    assert state_of(second.url) == ({"before", "after"}, {HANDSETS[1]})
    assert send(second.url, HANDSETS[1]).json()["code"] == 21610
    assert send(second.url, HANDSETS[4]).status_code == 201


class PoisonStore(SqliteStore):
    """A store that cannot serialise one particular message."""

    def prepare(self, writes):
        if any(isinstance(r, Message) and r.body == "poison" for _, r in writes):
            raise TypeError("cannot serialise this record")
        return super().prepare(writes)


def test_a_failed_prepare_changes_nothing_and_blocks_no_later_write(tmp_path):
    db = str(tmp_path / "poison.db")
    emu = Emulator(Settings(db=db), store=PoisonStore(db)).start()
    account = emu.accounts.declare(AC, TOKEN)
    with pytest.raises(TypeError):
        emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body="poison"))
    assert len(account.messages) == 0 and emu.numbers.owner_of(NUMBER) is None
    fine = emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body="fine"))
    emu.close()
    restored = Emulator(Settings(db=db)).start()
    assert [m.sid for m in restored.state.accounts[AC].messages.values()] == [fine.sid]
    restored.close()


def test_a_refused_send_does_not_provision_its_from():
    with EmulatorServer() as server:
        client = twilio_client(server.url, AC, TOKEN)
        with pytest.raises(Exception) as refused:
            client.messages.create(to=HANDSETS[0], from_=NUMBER, body="")
        assert getattr(refused.value, "code", None) == BodyRequired.code
        # Another account can still have the number: the refused send did not take it.
        other = twilio_client(server.url, OTHER, TOKEN)
        assert other.incoming_phone_numbers.create(phone_number=NUMBER).phone_number == NUMBER


def test_a_refused_service_send_records_no_sticky_sender():
    emu = Emulator(Settings()).start()
    account = emu.accounts.declare(AC, TOKEN)
    emu.accounts.update_settings(AC, {"messaging_service_opt_out": "sync"})
    service = emu.services.create(account, friendly_name="s")
    sender = emu.numbers.provision(account, NUMBER)
    emu.services.add_sender(account, service.sid, "phone_numbers", sender.sid, "/")
    emu.inbound.receive(HANDSETS[0], NUMBER, "STOP")
    with pytest.raises(UnsubscribedRecipient):
        emu.messages.create(account, CreateMessage(to=HANDSETS[0], messaging_service_sid=service.sid, body="x"))
    assert service.sticky == {}
    emu.messages.create(account, CreateMessage(to=HANDSETS[1], messaging_service_sid=service.sid, body="x"))
    assert set(service.sticky) == {HANDSETS[1]}
    emu.close()


def test_a_refused_fixture_document_loads_nothing_of_it():
    with EmulatorServer() as server:
        document = {"accounts": [
            {"sid": AC, "numbers": [{"phone_number": NUMBER}]},
            {"sid": OTHER, "numbers": [{"phone_number": "not a number"}]},
        ]}
        response = requests.post(f"{server.url}/_emulator/fixtures", json=document, timeout=10)
        assert response.status_code == 400 and "accounts[1].numbers[0]" in response.json()["error"]
        inbound = requests.post(f"{server.url}/_emulator/inbound",
                                json={"From": HANDSETS[0], "To": NUMBER, "Body": "hi"}, timeout=10)
        assert inbound.status_code == 404  # accounts[0] and its number are not there either


def test_shutdown_answers_every_request_it_admitted_and_loses_none(tmp_path):
    """Stopping while 8 threads post: every request is answered 201 (and stored) or refused
    without a change, never 500 "Cannot operate on a closed database"."""
    db = str(tmp_path / "stopping.db")
    app = create_app(Settings(db=db))
    server = ThreadedServer(app).start()
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()
    go = threading.Event()

    def post(i: int) -> None:
        session = requests.Session()
        n = 0
        while not go.is_set() or n < 5:
            n += 1
            try:
                response = session.post(f"{server.url}/2010-04-01/Accounts/{AC}/Messages.json",
                                        data={"To": HANDSETS[i], "From": NUMBER, "Body": f"{i}-{n}"},
                                        auth=(AC, TOKEN), timeout=10)
            except requests.ConnectionError:
                return
            sid = response.json().get("sid") if response.status_code == 201 else None
            with lock:
                results.append((response.status_code, sid))
            if response.status_code != 201:
                return

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    go.set()
    server.stop()
    for t in threads:
        t.join(timeout=20)
    codes = {code for code, _ in results}
    assert 500 not in codes and codes <= {201, 503}, codes
    acknowledged = {sid for code, sid in results if code == 201}
    assert acknowledged
    restored = Emulator(Settings(db=db)).start()
    stored = {m.sid for m in restored.state.accounts[AC].messages.values()}
    restored.close()
    assert acknowledged == stored


def test_close_joins_the_ticker():
    emu = Emulator(Settings()).start()
    account = emu.accounts.declare(AC, TOKEN)
    emu.accounts.update_settings(AC, {"progression": "timed"})
    emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body="x"))
    ticker = emu.scheduler._ticker
    assert ticker is not None and ticker.is_alive()
    emu.close()
    assert not ticker.is_alive()


def test_status_callbacks_of_messages_resumed_at_restart_are_delivered(tmp_path):
    """A message left in flight carries on after a restart, and its status callbacks go out: the
    webhook dispatcher is subscribed before the state is restored."""
    db = str(tmp_path / "resume.db")
    with WebhookReceiver() as hooks:
        with EmulatorServer(Settings(db=db)) as first:
            first.control.settings(AC, progression="manual", auth_token=TOKEN)
            client = twilio_client(first.url, AC, TOKEN)
            sid = client.messages.create(to=HANDSETS[0], from_=NUMBER, body="x", status_callback=hooks.url("/cb")).sid
            first.control.settings(AC, progression="immediate")  # resumed at the next start
        with EmulatorServer(Settings(db=db)) as second:
            second.control.wait_for_webhooks()
            statuses = [r.form["MessageStatus"] for r in hooks.received("/cb") if r.form["MessageSid"] == sid]
            assert statuses == ["sending", "sent", "delivered"]
            assert twilio_client(second.url, AC, TOKEN).messages(sid).fetch().status == "delivered"


def test_readers_never_see_a_message_half_way_through_a_change():
    """Fetches race the ticker moving messages through their statuses: a sent or delivered message
    always has its date_sent, a queued or sending one never does."""
    with EmulatorServer() as server:
        server.control.settings(AC, progression="timed", progression_delay=0, auth_token=TOKEN)
        client = twilio_client(server.url, AC, TOKEN)
        sids = [client.messages.create(to=h, from_=NUMBER, body="x").sid for h in HANDSETS[:10]]
        seen = []
        deadline = time.monotonic() + 1.5
        session = requests.Session()
        while time.monotonic() < deadline:
            for sid in sids:
                body = session.get(f"{server.url}/2010-04-01/Accounts/{AC}/Messages/{sid}.json",
                                   auth=(AC, TOKEN), timeout=10).json()
                seen.append((body["status"], body["date_sent"]))
        assert {status for status, _ in seen} >= {"delivered"}
        for status, date_sent in seen:
            assert (date_sent is not None) == (status in ("sent", "delivered")), (status, date_sent)


def test_a_sticky_sender_is_one_row_and_a_new_recipient_writes_only_it(tmp_path):
    db = str(tmp_path / "sticky.db")
    emu = Emulator(Settings(db=db)).start()
    account = emu.accounts.declare(AC, TOKEN)
    service = emu.services.create(account, friendly_name="s")
    for n in ("+15557650001", "+15557650002"):
        emu.services.add_sender(account, service.sid, "phone_numbers", emu.numbers.provision(account, n).sid, "/")
    written: list[list] = []
    original = emu.store.prepare
    emu.store.prepare = lambda writes: (written.append(list(writes)), original(writes))[1]  # type: ignore[method-assign]
    for handset in HANDSETS[:5]:
        emu.messages.create(account, CreateMessage(to=handset, messaging_service_sid=service.sid, body="x"))
    kinds = [{type(record).__name__ for _, record in batch} for batch in written]
    assert all("MessagingService" not in k for k in kinds), kinds  # the service row is not rewritten
    emu.close()
    with sqlite3.connect(db) as file:
        assert file.execute("SELECT count(*) FROM sticky_senders").fetchone()[0] == 5
        assert all('"sticky"' not in data for (data,) in file.execute("SELECT data FROM services"))
    restored = Emulator(Settings(db=db)).start()
    assert set(restored.state.accounts[AC].services[service.sid].sticky) == set(HANDSETS[:5])
    restored.close()


def test_an_account_reset_leaves_other_accounts_alone(tmp_path):
    db = str(tmp_path / "accounts.db")
    with EmulatorServer(Settings(db=db)) as server:
        mine, theirs = twilio_client(server.url, AC, TOKEN), twilio_client(server.url, OTHER, TOKEN)
        mine.messages.create(to=HANDSETS[0], from_=NUMBER, body="mine")
        theirs.messages.create(to=HANDSETS[0], from_="+15557650002", body="theirs")
        server.control.inbound(from_=HANDSETS[0], to=NUMBER, body="STOP")
        server.control.inbound(from_=HANDSETS[0], to="+15557650002", body="STOP")
        server.control.reset(AC)
        assert {(m["account_sid"], m["body"]) for m in server.control.messages()} == {(OTHER, "theirs"), (OTHER, "STOP")}
        assert [r["account_sid"] for r in server.control.opt_outs()] == [OTHER]
        # The number is free again, and the reset account starts over with a new token.
        assert twilio_client(server.url, AC, "new").messages.create(to=HANDSETS[1], from_=NUMBER, body="x").sid
    restored = Emulator(Settings(db=db)).start()
    assert {r.account_sid for r in restored.state.optouts.values()} == {OTHER}
    assert [m.body for m in restored.state.accounts[AC].messages.values()] == ["x"]
    restored.close()


def test_migration_2_moves_sticky_maps_into_rows_and_keys_auto_replies(tmp_path):
    db = str(tmp_path / "v1.db")
    with sqlite3.connect(db) as file:
        file.executescript(_v1_schema() + "PRAGMA user_version = 1;")
        file.execute("INSERT INTO services VALUES (?, ?, ?)", ("MG" + "1" * 32, AC, (
            '{"sid": "MG' + "1" * 32 + '", "account_sid": "' + AC + '", "friendly_name": "s", '
            '"date_created": "2026-01-01T00:00:00+00:00", "date_updated": "2026-01-01T00:00:00+00:00", '
            '"sender_sids": [], "sticky": {"+15551230001": "PN' + "2" * 32 + '"}}')))
        file.execute("INSERT INTO accounts VALUES (?, ?)", (AC, (
            '{"sid": "' + AC + '", "settings": {}, "date_created": "2026-01-01T00:00:00+00:00", "api_keys": {}}')))
        file.execute("INSERT INTO auto_replies (account_sid, data) VALUES (?, ?)", (AC, (
            '{"account_sid": "' + AC + '", "from_": "+15557650001", "to": "+15551230001", "body": "bye", '
            '"opt_out_type": "STOP", "date_created": "2026-01-01T00:00:00+00:00", "message_sid": null}')))
        file.execute("INSERT INTO messages VALUES (?, ?, ?, ?)", ("SM" + "3" * 32, AC, 7, (
            '{"sid": "SM' + "3" * 32 + '", "account_sid": "' + AC + '", "to": "+15551230001", '
            '"from_": "+15557650001", "body": "hello", "status": "delivered", "direction": "outbound-api", '
            '"date_created": "2026-01-01T00:00:00+00:00", "date_updated": "2026-01-01T00:00:00+00:00", "seq": 7}')))
    emu = Emulator(Settings(db=db)).start()
    service = emu.state.accounts[AC].services["MG" + "1" * 32]
    assert service.sticky["+15551230001"].sender_sid == "PN" + "2" * 32
    replies = list(emu.state.accounts[AC].auto_replies.values())
    assert [r.body for r in replies] == ["bye"]
    # One seq counter for messages and auto-replies: the old reply comes after every kept message.
    assert replies[0].seq > 7 and emu.state.seq >= replies[0].seq
    emu.close()


def _v1_schema() -> str:
    from emulator.storage.sqlite import _migrations

    return dict(_migrations())[1]


def test_an_opt_out_record_written_by_a_failed_operation_is_undone():
    """The engine writes through the unit of work: when the operation fails after the engine
    recorded a STOP, the record goes with it."""
    emu = Emulator(Settings()).start()
    account = emu.accounts.declare(AC, TOKEN)
    emu.numbers.provision(account, NUMBER)
    with pytest.raises(RuntimeError), emu.uow.transaction():
        emu.inbound.receive(HANDSETS[0], NUMBER, "STOP")
        assert emu.optouts.blocking_record(AC, HANDSETS[0], NUMBER) is not None
        raise RuntimeError("a later step of the same operation failed")
    assert emu.optouts.list_() == [] and len(account.messages) == 0
    emu.close()


def test_events_are_published_only_for_committed_changes():
    emu = Emulator(Settings()).start()
    seen: list[OptOutRecord] = []
    emu.events.subscribe("opt_out_recorded", lambda record: seen.append(record))
    account = emu.accounts.declare(AC, TOKEN)
    emu.numbers.provision(account, NUMBER)
    with pytest.raises(RuntimeError), emu.uow.transaction():
        emu.inbound.receive(HANDSETS[0], NUMBER, "STOP")
        raise RuntimeError("undone")
    assert seen == []
    emu.inbound.receive(HANDSETS[0], NUMBER, "STOP")
    assert [r.recipient for r in seen] == [HANDSETS[0]]
    emu.close()


def test_a_control_client_sees_errors_raised_inside_the_emulator():
    app = create_app(Settings())
    with ThreadedServer(app) as server:
        control = ControlClient(server.url)
        mark = control.last_error_id()
        app.extensions["twilio_emulator"].messages.fetch = lambda *a: 1 / 0  # as a bug would
        response = requests.get(f"{server.url}/2010-04-01/Accounts/{AC}/Messages/SM{'0' * 32}.json",
                                auth=(AC, TOKEN), timeout=10)
        assert response.status_code == 500 and response.json()["code"] == 20500
        errors = control.errors(since=mark)
        assert len(errors) == 1 and errors[0]["error"] == "ZeroDivisionError: division by zero"
        assert "Traceback" in errors[0]["traceback"] and "GET /2010-04-01" in errors[0]["where"]


def test_a_request_after_shutdown_began_is_refused_in_its_paths_error_shape():
    app = create_app(Settings())
    client = app.test_client()
    shutdown(app)
    twilio = client.get(f"/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, TOKEN))
    assert twilio.status_code == 503 and twilio.get_json() == {
        "code": 20503, "message": "The emulator is shutting down",
        "more_info": "https://www.twilio.com/docs/errors/20503", "status": 503}
    control = client.get("/_emulator/health")
    assert control.status_code == 503 and control.get_json() == {"error": "the emulator is shutting down"}


def test_a_failed_commit_keeps_the_faults_and_the_clock(tmp_path):
    """Faults and the clock are not in the store: rebuilding the state from it after a failed
    commit (a reset here) keeps them as they were."""
    db = str(tmp_path / "faults.db")
    emu = Emulator(Settings(db=db)).start()
    account = emu.accounts.declare(AC, TOKEN)
    emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body="x"))
    emu.set_faults([Fault(Status.FAILED, 30003, to=HANDSETS[1])])
    emu.advance_clock(3600)
    moved = emu.now()
    lock = HeldLock(db)
    try:
        with pytest.raises(ServiceUnavailable):
            emu.reset()
    finally:
        lock.release()
    assert [f.to for f in emu.state.faults] == [HANDSETS[1]]
    assert abs((emu.now() - moved).total_seconds()) < 60  # not rewound to the wall clock
    assert len(emu.state.accounts[AC].messages) == 1  # and the state is what the file holds
    emu.close()


def test_a_consent_upsert_undone_puts_the_stop_back():
    """An opt-out consent for a pair that texted STOP replaces its record; if the request then
    fails, the STOP's record must be back (and block the next send)."""
    emu = Emulator(Settings()).start()
    account = emu.accounts.declare(AC, TOKEN)
    emu.numbers.provision(account, NUMBER)
    emu.inbound.receive(HANDSETS[0], NUMBER, "STOP")
    item = json.dumps({"contact_id": HANDSETS[0], "correlation_id": "c" * 32, "sender_id": NUMBER,
                       "status": "opt-out", "source": "website"})
    with pytest.raises(RuntimeError), emu.uow.transaction():
        emu.consents.upsert_consents(account, [item])
        assert emu.optouts.blocking_record(AC, HANDSETS[0], NUMBER).source == "consent_api"
        raise RuntimeError("a later part of the request failed")
    record = emu.optouts.blocking_record(AC, HANDSETS[0], NUMBER)
    assert record is not None and record.source == "keyword"
    with pytest.raises(UnsubscribedRecipient):
        emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body="x"))
    emu.close()


def test_an_undone_account_reset_leaves_every_index_as_it_was(tmp_path):
    """Undoing an account's reset puts its messages back newest first: each index must still be in
    creation order, so a delete then finds them."""
    fixture = tmp_path / "f.json"
    fixture.write_text(json.dumps({"accounts": [{"sid": AC, "auth_token": TOKEN}]}))
    emu = Emulator(Settings(fixtures=str(fixture))).start()
    account = emu.accounts.get(AC)
    sids = [emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBER, body=f"m{i}")).sid
            for i in range(3)]
    fixture.write_text("not json")
    with pytest.raises(Exception, match="not valid JSON"):
        emu.reset(AC)
    assert [m.body for m in account.messages.values()] == ["m0", "m1", "m2"]
    emu.messages.delete(account, sids[1], "/")
    assert [m.sid for m in account.messages.older_than(account.messages.source(to=HANDSETS[0]), None)] == [
        sids[2], sids[0]]
    emu.close()
