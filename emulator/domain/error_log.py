"""Errors raised inside the server (a handler, a webhook worker, a scheduled task, a commit): kept
for GET /_emulator/errors, so a test can fail when the emulator hit one (pytest-httpserver's
check_handler_errors). A test must never pass while the emulator logged a traceback."""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("emulator")
KEEP = 200


@dataclass(frozen=True)
class ServerError:
    id: int
    where: str
    error: str  # "TypeName: message"
    traceback: str
    time: datetime


class ErrorLog:
    def __init__(self, keep: int = KEEP) -> None:
        self._entries: deque[ServerError] = deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, where: str, exc: BaseException) -> ServerError:
        log.error("error in %s: %s", where, exc, exc_info=exc)
        with self._lock:
            entry = ServerError(
                id=next(self._ids),
                where=where,
                error=f"{type(exc).__name__}: {exc}",
                traceback="".join(traceback.format_exception(exc)),
                time=datetime.now(UTC),
            )
            self._entries.append(entry)
        return entry

    def since(self, after_id: int = 0) -> list[ServerError]:
        with self._lock:
            return [e for e in self._entries if e.id > after_id]

    @property
    def last_id(self) -> int:
        with self._lock:
            return self._entries[-1].id if self._entries else 0
