"""The Emulator: the one object that owns all state, keyed by account, and can reset it.

Every mutation runs under one re-entrant lock, so a STOP acknowledged by the control API is seen by
every send that starts after it (no send slips through after the acknowledgement).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..optout import OptOutEngine
from ..settings import Settings
from .clock import SystemClock
from .models import Account, Sender
from .sids import SidFactory


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)
    owners: dict[str, Sender] = field(default_factory=dict)  # phone number / short code -> its sender
    seq: int = 0  # message insertion counter

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


class Emulator:
    def __init__(self, settings: Settings | None = None, *, clock: Any = None, sids: SidFactory | None = None) -> None:
        from .accounts import Accounts
        from .inbound import Inbound
        from .messages import Messages
        from .numbers import Numbers
        from .services import Services

        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.sids = sids or SidFactory()
        self.lock = threading.RLock()
        self.optouts = OptOutEngine()
        self._subscribers: dict[str, list[Callable[..., None]]] = {}
        self.accounts = Accounts(self)
        self.numbers = Numbers(self)
        self.services = Services(self)
        self.messages = Messages(self)
        self.inbound = Inbound(self)
        self.state = State()
        self.reset()

    def now(self):  # noqa: ANN201 - a datetime
        return self.clock.now()

    def reset(self) -> None:
        """All state back to what the settings declare (accounts, fixtures)."""
        from .fixtures import load_fixtures

        with self.lock:
            self.state = State()
            self.optouts.reset()
            for sid, token in self.settings.accounts:
                self.accounts.declare(sid, token)
            if self.settings.fixtures:
                load_fixtures(self, self.settings.fixtures)

    # A tiny event bus: the domain announces, subsystems such as webhooks listen.
    def subscribe(self, event: str, handler: Callable[..., None]) -> None:
        self._subscribers.setdefault(event, []).append(handler)

    def emit(self, event: str, **payload: Any) -> None:
        for handler in self._subscribers.get(event, ()):
            handler(**payload)
