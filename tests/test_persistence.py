"""The SQLite store: state survives restarts (even SIGKILL), resets clear it, migrations apply."""

from __future__ import annotations

import json
import signal
import sqlite3

import pytest
import requests

from emulator.domain.emulator import Emulator
from emulator.domain.messages import CreateMessage
from emulator.settings import Settings
from emulator.storage import SqliteStore
from emulator.storage.sqlite import _migrations

AC = "AC" + "1" * 32
HANDSET, NUMBER = "+15551230001", "+15557650001"


def test_everything_comes_back_after_a_restart(tmp_path):
    db = str(tmp_path / "state.db")
    first = Emulator(Settings(db=db)).start()
    account = first.accounts.authenticate(AC, "token")
    sent = first.messages.create(account, CreateMessage(to=HANDSET, from_=NUMBER, body="hi"))
    service = first.services.create(account, friendly_name="alerts")
    first.services.add_sender(account, service.sid, "alpha_senders", "ACME", "/")
    first.inbound.receive(HANDSET, NUMBER, "STOP")
    first.close()

    second = Emulator(Settings(db=db)).start()
    restored = second.state.accounts[AC]
    assert restored.settings.auth_token == "token"
    assert restored.messages[sent.sid].status.value == "delivered"
    assert [m.direction.value for m in restored.messages.values()] == ["outbound-api", "inbound"]
    assert restored.services[service.sid].friendly_name == "alerts"
    assert restored.alpha_senders["ACME"].service_sid == service.sid
    assert [r.body for r in restored.auto_replies.values()][0].startswith("You have successfully been unsubscribed")
    assert second.optouts.blocking_record(AC, HANDSET, NUMBER) is not None
    with pytest.raises(Exception, match="unsubscribed"):
        second.messages.create(restored, CreateMessage(to=HANDSET, from_=NUMBER, body="again"))
    # A wrong token is still refused: the account kept its token.
    with pytest.raises(Exception, match="Authenticate"):
        second.accounts.authenticate(AC, "other")
    second.close()


def test_reset_clears_the_store_too(tmp_path):
    db = str(tmp_path / "state.db")
    emulator = Emulator(Settings(db=db)).start()
    emulator.accounts.authenticate(AC, "token")
    emulator.reset()
    emulator.close()
    assert Emulator(Settings(db=db)).start().state.accounts == {}


def test_start_START_removes_the_stored_record(tmp_path):
    db = str(tmp_path / "state.db")
    emulator = Emulator(Settings(db=db)).start()
    account = emulator.accounts.authenticate(AC, "token")
    emulator.messages.create(account, CreateMessage(to=HANDSET, from_=NUMBER, body="hi"))
    emulator.inbound.receive(HANDSET, NUMBER, "STOP")
    emulator.inbound.receive(HANDSET, NUMBER, "START")
    emulator.close()
    assert Emulator(Settings(db=db)).start().optouts.list_() == []


def test_migrations_bring_a_new_file_to_the_latest_version(tmp_path):
    path = str(tmp_path / "m.db")
    store = SqliteStore(path)
    latest = max(number for number, _ in _migrations())
    assert store.schema_version == latest
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"accounts", "messages", "opt_outs", "senders", "services", "auto_replies"} <= tables
    # Opening again applies nothing twice.
    assert SqliteStore(path).schema_version == latest


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_an_acknowledged_opt_out_survives_sigkill(tmp_path, serve):
    db = str(tmp_path / "killed.db")
    first = serve("--db", db)
    base = first.url
    sent = requests.post(
        f"{base}/2010-04-01/Accounts/{AC}/Messages.json",
        data={"To": HANDSET, "From": NUMBER, "Body": "hi"},
        auth=(AC, "token"),
        timeout=5,
    )
    assert sent.status_code == 201
    stop = requests.post(f"{base}/_emulator/inbound", json={"From": HANDSET, "To": NUMBER, "Body": "STOP"}, timeout=5)
    assert stop.status_code == 201 and stop.json()["opt_out_type"] == "STOP"
    first.kill()  # right after the acknowledgement: no clean shutdown
    base = serve("--db", db).url
    records = requests.get(f"{base}/_emulator/opt-outs", params={"Recipient": HANDSET}, timeout=5).json()
    assert [(r["sender"], r["recipient"]) for r in records["opt_outs"]] == [(NUMBER, HANDSET)]
    refused = requests.post(
        f"{base}/2010-04-01/Accounts/{AC}/Messages.json",
        data={"To": HANDSET, "From": NUMBER, "Body": "again"},
        auth=(AC, "token"),
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["code"] == 21610


def test_a_db_named_like_an_sqlite_uri_is_a_plain_file_that_survives_a_restart(tmp_path, serve):
    # Debian's SQLite reads "file:" names as URIs even with uri=False: mode=memory would keep
    # nothing across a restart, and mode=ro would refuse every write.
    (tmp_path / "file:").mkdir()
    for name in ("file:/x.db?mode=memory", "file:/y.db?mode=ro"):
        first = serve("--db", name, cwd=str(tmp_path))
        created = requests.post(
            f"{first.url}/2010-04-01/Accounts/{AC}/Messages.json",
            data={"To": HANDSET, "From": NUMBER, "Body": "kept"}, auth=(AC, "token"), timeout=5,
        )
        assert created.status_code == 201
        first.kill()
        assert (tmp_path / "file:" / name.split("/", 1)[1]).stat().st_size > 0
        second = serve("--db", name, cwd=str(tmp_path))
        listed = requests.get(f"{second.url}/2010-04-01/Accounts/{AC}/Messages.json", auth=(AC, "token"), timeout=5)
        assert [m["body"] for m in listed.json()["messages"]] == ["kept"]
        second.kill()


def test_a_db_in_a_missing_directory_is_refused_with_its_name(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match=r"cannot open --db .*nowhere"):
        SqliteStore(str(tmp_path / "nowhere" / "x.db"))


def test_api_keys_survive_a_restart_and_keys_bound_by_old_versions_are_dropped(tmp_path):
    db = str(tmp_path / "keys.db")
    first = Emulator(Settings(db=db)).start()
    account = first.accounts.authenticate(AC, "token")
    key = first.api_keys.create(account, "kept")
    first.close()
    second = Emulator(Settings(db=db)).start()
    assert second.accounts.authenticate(key.sid, key.secret, AC).sid == AC
    assert [k.friendly_name for k in second.api_keys.list_(second.state.accounts[AC])] == ["kept"]
    second.close()

    old = str(tmp_path / "v2.db")
    with sqlite3.connect(old) as file:  # a file of the previous schema, with a key bound on first use
        for number, sql in _migrations():
            if number <= 2:
                file.executescript(sql)
        file.execute("PRAGMA user_version = 2")
        data = {"sid": AC, "settings": {"auth_token": "token"}, "date_created": "2026-01-01T00:00:00+00:00",
                "api_keys": {"SK" + "9" * 32: "anything"}}
        file.execute("INSERT INTO accounts (sid, data) VALUES (?, ?)", (AC, json.dumps(data)))
    migrated = Emulator(Settings(db=old)).start()
    assert migrated.state.accounts[AC].api_keys == {}
    with pytest.raises(Exception, match="Authenticate"):
        migrated.accounts.authenticate("SK" + "9" * 32, "anything", AC)
    migrated.close()


def test_rows_written_before_new_fields_existed_still_load(tmp_path):
    """Sender.country and .registration, Fault.reason, OptOutRecord's consent fields came later:
    rows stored without them load with the defaults."""
    db = str(tmp_path / "old.db")
    first = Emulator(Settings(db=db)).start()
    account = first.accounts.authenticate(AC, "token")
    first.messages.create(account, CreateMessage(to=HANDSET, from_=NUMBER, body="hi"))
    first.inbound.receive(HANDSET, NUMBER, "STOP")
    first.close()
    new_fields = {"senders": ("country", "registration"), "opt_outs": ("consent_source", "date_of_consent",
                                                                        "correlation_id")}
    with sqlite3.connect(db) as raw:
        for table, names in new_fields.items():
            for name in names:
                raw.execute(f"UPDATE {table} SET data = json_remove(data, '$.{name}')")
        assert raw.execute("SELECT count(*) FROM senders WHERE json_extract(data, '$.registration') IS NULL "
                           "AND data NOT LIKE '%registration%'").fetchone()[0] == 1

    second = Emulator(Settings(db=db)).start()
    sender = second.numbers.find(second.state.accounts[AC], NUMBER)
    assert sender is not None and (sender.country, sender.registration) == (None, None)
    [record] = second.optouts.list_(AC)
    assert (record.source, record.recipient) == ("keyword", HANDSET)
    second.close()


def test_a_sender_registration_survives_a_restart(tmp_path):
    db = str(tmp_path / "state.db")
    first = Emulator(Settings(db=db)).start()
    account = first.accounts.authenticate(AC, "token")
    first.numbers.create(account, NUMBER)
    first.numbers.configure(NUMBER, {"registration": "unregistered"})
    first.close()
    second = Emulator(Settings(db=db)).start()
    restored = second.state.accounts[AC]
    assert second.numbers.find(restored, NUMBER).registration == "unregistered"
    sent = second.messages.create(restored, CreateMessage(to=HANDSET, from_=NUMBER, body="hi"))
    assert (restored.messages[sent.sid].status.value, restored.messages[sent.sid].error_code) == ("undelivered", 30034)
    second.close()
