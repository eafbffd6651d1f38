"""Time source. The domain never calls datetime.now() directly, so time can be moved forward
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
