"""Time source. The domain never calls datetime.now() directly, so time can be moved forward
(`advance`) and scheduled sends or timed status progressions fire deterministically."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from ..errors import InvalidInput

LAST_YEAR = 9000  # far from datetime's year 9999 limit, so date arithmetic never overflows


class SystemClock:
    """Wall-clock time plus an offset that the control API can advance."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            offset = self._offset + timedelta(seconds=seconds)
            if (datetime.now(UTC) + offset).year > LAST_YEAR:
                raise InvalidInput(f"the clock cannot go past the year {LAST_YEAR} (reset the emulator to rewind it)")
            self._offset = offset
        return self.now()

    def reset(self, offset: timedelta | None = None) -> timedelta:
        """Back to wall-clock time (or to a saved offset); returns the offset it had."""
        with self._lock:
            old, self._offset = self._offset, offset or timedelta()
            return old
