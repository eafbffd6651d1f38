"""Timed work: scheduled sends and timed status progression.

A heap of (due, task), run when due by a ticker thread, and at once when the clock is advanced
through the control API. Each task runs in its own unit of work (the task opens it), so one that
fails is undone and recorded without stopping the clock. The ticker is started on first use and
joined on close.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .error_log import ErrorLog

TICK_SECONDS = 0.05


class Scheduler:
    def __init__(self, clock: Any, errors: ErrorLog) -> None:
        self.clock = clock
        self._errors = errors
        self._tasks: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._heap_lock = threading.Lock()
        # One runner at a time: a clock advance returns only after every task it made due has run
        # (the ticker may be running one of them).
        self._run_lock = threading.RLock()
        self._ticker: threading.Thread | None = None
        self._closed = threading.Event()

    def schedule(self, due: datetime, task: Callable[[], None]) -> None:
        with self._heap_lock:
            heapq.heappush(self._tasks, (due, next(self._order), task))
            if self._ticker is None and not self._closed.is_set():
                self._ticker = threading.Thread(target=self._tick, name="twilio-emulator-clock", daemon=True)
                self._ticker.start()

    def clear(self) -> list[tuple[datetime, int, Callable[[], None]]]:
        """Drop every task; returns them (for `restore`, when what cleared them is undone)."""
        with self._heap_lock:
            tasks, self._tasks = self._tasks, []
            return tasks

    def restore(self, tasks: list[tuple[datetime, int, Callable[[], None]]]) -> None:
        with self._heap_lock:
            for task in tasks:
                heapq.heappush(self._tasks, task)

    def run_due(self) -> int:
        """Run every task whose time has come (including those that running tasks make due)."""
        ran = 0
        with self._run_lock:
            while True:
                with self._heap_lock:
                    if not self._tasks or self._tasks[0][0] > self.clock.now():
                        return ran
                    _, _, task = heapq.heappop(self._tasks)
                try:
                    task()
                except Exception as exc:  # noqa: BLE001 - recorded; the clock goes on
                    self._errors.record("a scheduled task", exc)
                ran += 1

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and run what fell due."""
        self.clock.advance(seconds)
        self.run_due()
        return self.clock.now()

    def _tick(self) -> None:
        while not self._closed.wait(TICK_SECONDS):
            self.run_due()

    def close(self) -> None:
        self._closed.set()
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout=5)
