"""SQLite store (WAL): every change is committed before the operation that made it returns, so an
opt-out the API acknowledged survives a SIGKILL. Schema changes go through numbered migrations."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from importlib import resources
from typing import Any

from ..domain.models import Account, AutoReply, Message, MessagingService, Sender
from ..optout.engine import OptOutRecord, record_key
from .base import from_data, to_data

# record type -> (table, key columns from the record)
TABLES: dict[type, tuple[str, Any]] = {
    Account: ("accounts", lambda r: {"sid": r.sid}),
    Sender: ("senders", lambda r: {"sid": r.sid, "account_sid": r.account_sid}),
    MessagingService: ("services", lambda r: {"sid": r.sid, "account_sid": r.account_sid}),
    Message: ("messages", lambda r: {"sid": r.sid, "account_sid": r.account_sid, "seq": r.seq}),
    OptOutRecord: ("opt_outs", lambda r: {"key": "|".join(map(str, record_key(r)))}),
}
# Account rows keep only the account's own fields: its messages, senders and services have tables.
ACCOUNT_CHILDREN = ("messages", "senders", "alpha_senders", "services", "auto_replies")


INSERT_AUTO_REPLY = "INSERT INTO auto_replies (account_sid, data) VALUES (?, ?)"


@functools.cache
def _upsert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("emulator.storage") / "migrations"
    found = [(int(f.name.split("_", 1)[0]), f.read_text()) for f in folder.iterdir() if f.name.endswith(".sql")]
    return sorted(found)


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (the OS has the pages); only power loss can
        # drop the last transactions, which an emulator need not survive.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self.migrate()

    def migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, sql in _migrations():
                if number > version:
                    self._db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def prepare(self, changed: list[Any], deleted: list[Any]) -> list[tuple[str, tuple]]:
        """The SQL for a batch of changes, built while the records cannot change (under the lock)."""
        ops: list[tuple[str, tuple]] = []
        for record in changed:
            if isinstance(record, AutoReply):
                ops.append((INSERT_AUTO_REPLY, (record.account_sid, json.dumps(to_data(record)))))
                continue
            table, keys = TABLES[type(record)]
            data = to_data(record)
            if isinstance(record, Account):
                data = {k: v for k, v in data.items() if k not in ACCOUNT_CHILDREN}
            columns = {**keys(record), "data": json.dumps(data)}
            ops.append((_upsert(table, tuple(columns)), tuple(columns.values())))
        for record in deleted:
            table, keys = TABLES[type(record)]
            key_name, key_value = next(iter(keys(record).items()))
            ops.append((f"DELETE FROM {table} WHERE {key_name} = ?", (key_value,)))
        return ops

    def commit(self, ops: list[tuple[str, tuple]]) -> None:
        """Run prepared batches in one transaction (group commit: one COMMIT for many requests)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                for sql, values in ops:
                    db.execute(sql, values)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def write(self, changed: list[Any], deleted: list[Any]) -> None:
        self.commit(self.prepare(changed, deleted))

    def load(self) -> dict[str, list[Any]]:
        with self._lock:
            rows = {
                "accounts": [from_data(Account, json.loads(d)) for (d,) in self._db.execute("SELECT data FROM accounts")],
                "senders": [from_data(Sender, json.loads(d)) for (d,) in self._db.execute("SELECT data FROM senders")],
                "services": [
                    from_data(MessagingService, json.loads(d)) for (d,) in self._db.execute("SELECT data FROM services")
                ],
                "messages": [
                    from_data(Message, json.loads(d))
                    for (d,) in self._db.execute("SELECT data FROM messages ORDER BY seq")
                ],
                "opt_outs": [
                    from_data(OptOutRecord, json.loads(d)) for (d,) in self._db.execute("SELECT data FROM opt_outs")
                ],
                "auto_replies": [
                    from_data(AutoReply, json.loads(d)) for (d,) in self._db.execute("SELECT data FROM auto_replies ORDER BY id")
                ],
            }
        return rows

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for table in ("accounts", "senders", "services", "messages", "opt_outs", "auto_replies"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
