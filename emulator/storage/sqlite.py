"""SQLite store (WAL): every change is committed before the operation that made it is answered, so
an opt-out the API acknowledged survives a SIGKILL. Schema changes go through numbered migrations.

`--db` is a file path, never an SQLite URI."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from ..domain.models import Account, ApiKey, AutoReply, Contact, Message, MessagingService, Sender, StickySender
from ..optout.engine import OptOutRecord, record_key
from .base import from_data, to_data

# Busy waits on a file another connection holds: short, so a stuck writer fails requests quickly
# (and they change nothing) instead of hanging them.
BUSY_TIMEOUT = 2.0


@functools.cache
def _record_fields(cls: Any, exclude: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in exclude)


class Table:
    """How one kind of record is kept: its table, key columns and the fields its JSON leaves out
    (an account's or service's children have tables of their own)."""

    def __init__(self, name: str, keys: Callable[[Any], dict[str, Any]], exclude: tuple[str, ...] = (),
                 order: str = "rowid") -> None:
        self.name = name
        self.keys = keys
        self.exclude = exclude
        self.order = order

    def data(self, record: Any) -> str:
        if not self.exclude:
            return json.dumps(to_data(record))
        kind: Any = type(record)
        names = _record_fields(kind, self.exclude)
        return json.dumps({name: to_data(getattr(record, name)) for name in names})


# Parents before children: the order `load` returns records in.
TABLES: dict[type, Table] = {
    Account: Table(
        "accounts", lambda r: {"sid": r.sid},
        exclude=("api_keys", "messages", "senders", "alpha_senders", "services", "auto_replies", "contacts"),
    ),
    ApiKey: Table("api_keys", lambda r: {"sid": r.sid, "account_sid": r.account_sid}),
    Sender: Table("senders", lambda r: {"sid": r.sid, "account_sid": r.account_sid}),
    MessagingService: Table("services", lambda r: {"sid": r.sid, "account_sid": r.account_sid}, exclude=("sticky",)),
    StickySender: Table(
        "sticky_senders",
        lambda r: {"service_sid": r.service_sid, "recipient": r.recipient, "account_sid": r.account_sid},
    ),
    Message: Table("messages", lambda r: {"sid": r.sid, "account_sid": r.account_sid, "seq": r.seq}, order="seq"),
    AutoReply: Table("auto_replies", lambda r: {"id": r.id, "account_sid": r.account_sid, "seq": r.seq}, order="seq"),
    OptOutRecord: Table("opt_outs", lambda r: {"key": "|".join(map(str, record_key(r)))}),
    Contact: Table("contacts", lambda r: {"account_sid": r.account_sid, "contact_id": r.contact_id}),
}
# The primary key columns of each table (what a delete names).
PRIMARY_KEYS = {
    "accounts": ("sid",),
    "api_keys": ("sid",),
    "senders": ("sid",),
    "services": ("sid",),
    "sticky_senders": ("service_sid", "recipient"),
    "messages": ("sid",),
    "auto_replies": ("id",),
    "opt_outs": ("key",),
    "contacts": ("account_sid", "contact_id"),
}


@functools.cache
def _upsert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


@functools.cache
def _delete(table: str) -> str:
    return f"DELETE FROM {table} WHERE " + " AND ".join(f"{k} = ?" for k in PRIMARY_KEYS[table])


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("emulator.storage") / "migrations"
    found = [(int(f.name.split("_", 1)[0]), f.read_text()) for f in folder.iterdir() if f.name.endswith(".sql")]
    return sorted(found)


class SqliteStore:
    persistent = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        # uri=False is not enough: an SQLite built with SQLITE_USE_URI (Debian's is) still reads
        # "file:…?mode=memory" as a URI. An absolute path never starts with "file:".
        try:
            self._db = sqlite3.connect(
                os.path.abspath(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
            )
        except sqlite3.OperationalError as exc:
            raise sqlite3.OperationalError(f"cannot open --db {path!r} ({exc}): does its directory exist?") from None
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

    def prepare(self, writes: list[tuple[str, Any]]) -> list[tuple[str, tuple]]:
        """The SQL for one unit of work's writes, built while the records cannot change. A record
        written several times is stored once, as it is now."""
        ops: list[tuple[str, tuple]] = []
        last: dict[int, int] = {}  # id(record) -> index of its latest write
        for index, (_, record) in enumerate(writes):
            last[id(record)] = index
        for index, (op, record) in enumerate(writes):
            if op == "clear":
                ops.extend((f"DELETE FROM {table}", ()) for table in PRIMARY_KEYS)
                continue
            if last[id(record)] != index:
                continue
            table = TABLES[type(record)]
            keys = table.keys(record)
            if op == "put":
                columns = {**keys, "data": table.data(record)}
                ops.append((_upsert(table.name, tuple(columns)), tuple(columns.values())))
            else:
                ops.append((_delete(table.name), tuple(keys[k] for k in PRIMARY_KEYS[table.name])))
        return ops

    def commit(self, ops: list[tuple[str, tuple]]) -> None:
        """Run prepared batches in one transaction (group commit: one COMMIT for many requests)."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, values in ops:
                    db.execute(sql, values)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def has_state(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    def load(self) -> list[Any]:
        with self._lock:
            return [
                from_data(cls, json.loads(data))
                for cls, table in TABLES.items()
                for (data,) in self._db.execute(f"SELECT data FROM {table.name} ORDER BY {table.order}")
            ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
