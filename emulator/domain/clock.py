"""Time source. The domain never calls datetime.now() directly, so tests can move time forward
(`advance`) and scheduled sends or timed status progressions fire deterministically."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class SystemClock:
    """Wall-clock time plus an offset that the control API can advance."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._now = self._start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def reset(self) -> None:
        with self._lock:
            self._now = self._start
