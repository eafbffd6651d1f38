"""Twilio SIDs: a two-letter prefix and 32 hex digits. Seedable so runs can be reproduced."""

from __future__ import annotations

import random
import threading


class SidFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{self._random.getrandbits(128):032x}"
