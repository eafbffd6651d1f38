"""The Emulator: the one object that owns all state, keyed by account, and can reset it.

Every mutation runs under one re-entrant lock, so a STOP acknowledged by the control API is seen by
every send that starts after it (no send slips through after the acknowledgement).
"""

from __future__ import annotations

import heapq
from collections import deque
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..optout import OptOutEngine
from ..settings import Settings
from .clock import SystemClock
from ..errors import AuthenticationFailed
from ..storage import MemoryStore, SqliteStore, Store
from .models import Account, Fault, Message, Sender
from .phone import SenderType
from .sids import SidFactory

log = logging.getLogger("emulator")
TICK_SECONDS = 0.05


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)
    owners: dict[str, Sender] = field(default_factory=dict)  # phone number / short code -> its sender
    faults: list[Fault] = field(default_factory=list)  # injected delivery failures, first match wins
    retained: deque[tuple[str, str]] = field(default_factory=deque)  # (account, sid), oldest first
    seq: int = 0  # message insertion counter

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


class ChangeLock:
    """The emulator's re-entrant lock. When the outermost holder releases it, what it changed is
    turned into a store batch (still under the lock, so batches are in lock order), and once the
    lock is released the holder waits until that batch is committed. The caller answers only after
    its changes are durable, and the lock is never held during disk I/O."""

    def __init__(self, prepare: Callable[[], int | None], commit: Callable[[int], None]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._prepare = prepare
        self._commit = commit

    def __enter__(self) -> ChangeLock:
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        batch = None
        try:
            if self._depth == 0:
                batch = self._prepare()
        finally:
            self._lock.release()
        if batch is not None:
            self._commit(batch)


class Emulator:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Any = None,
        sids: SidFactory | None = None,
        store: Store | None = None,
    ) -> None:
        from .accounts import Accounts
        from .inbound import Inbound
        from .messages import Messages
        from .numbers import Numbers
        from .services import Services

        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.sids = sids or SidFactory()
        self.store: Store = store or (SqliteStore(self.settings.db) if self.settings.db else MemoryStore())
        self._persist = not isinstance(self.store, MemoryStore)
        self._changed: dict[int, Any] = {}
        self._deleted: list[Any] = []
        # Group commit: batches queue in lock order; whoever commits takes every queued batch.
        self._batches: deque[tuple[int, Any]] = deque()
        self._batch_seq = 0
        self._committed = 0
        self._commit_lock = threading.Lock()
        self.lock = ChangeLock(self._prepare_batch, self._commit_until)
        self.optouts = OptOutEngine(on_change=self._record_changed)
        self._subscribers: dict[str, list[Callable[..., None]]] = {}
        # Timed work (scheduled sends, timed progression): a heap run when due by a ticker thread,
        # and at once when the clock is advanced through the control API.
        self._tasks: list[tuple[datetime, int, Callable[[], None]]] = []
        self._task_seq = itertools.count()
        self._ticker: threading.Thread | None = None
        self._closed = threading.Event()
        self.accounts = Accounts(self)
        self.numbers = Numbers(self)
        self.services = Services(self)
        self.messages = Messages(self)
        self.inbound = Inbound(self)
        self.state = State()
        with self.lock:
            stored = self.store.load()
            if any(stored.values()):
                self._restore(stored)
            else:
                self._seed()

    def now(self):  # noqa: ANN201 - a datetime
        return self.clock.now()

    def reset(self) -> None:
        """All state back to what the settings declare (accounts, fixtures), in memory and store."""
        with self.lock:
            self.state = State()
            self.optouts.reset()
            self._tasks.clear()
            self._changed.clear()
            self._deleted.clear()
            self._commit_until(self._batch_seq)  # batches prepared before the reset land before it
            if hasattr(self.clock, "reset"):
                self.clock.reset()
            self.store.clear()
            self.emit("reset")
            self._seed()

    def _seed(self) -> None:
        from .fixtures import load_fixtures

        for sid, token in self.settings.accounts:
            self.accounts.declare(sid, token)
        if self.settings.fixtures:
            load_fixtures(self, self.settings.fixtures)

    def _restore(self, stored: dict[str, list[Any]]) -> None:
        """Rebuild the state a store kept, and resume what was in flight."""
        state = self.state
        for account in stored["accounts"]:
            state.accounts[account.sid] = account
        for sender in stored["senders"]:
            account = state.accounts[sender.account_sid]
            account.senders[sender.sid] = sender
            if sender.type is SenderType.ALPHANUMERIC:
                account.alpha_senders[sender.address] = sender
            else:
                state.owners[sender.address] = sender
        for service in stored["services"]:
            state.accounts[service.account_sid].services[service.sid] = service
        for message in stored["messages"]:
            state.accounts[message.account_sid].messages.add(message)
            if self.settings.max_messages is not None:
                state.retained.append((message.account_sid, message.sid))
            state.seq = max(state.seq, message.seq)
        for reply in stored["auto_replies"]:
            state.accounts[reply.account_sid].auto_replies.append(reply)
        self.optouts.restore(stored["opt_outs"])
        self._evict()  # the cap may be lower than when the messages were stored
        self.messages.resume()

    def live(self, account: Account) -> Account:
        """The account, if it is still part of the state: a request (or a webhook's TwiML) that began
        before a reset must not write into the discarded state. Call under the lock."""
        if self.state.accounts.get(account.sid) is not account:
            raise AuthenticationFailed()
        return account

    def retain(self, account: Account, message: Message) -> None:
        """Keep at most settings.max_messages messages: the oldest go first. Opt-out records are
        never evicted; only messages are."""
        if self.settings.max_messages is None:
            return
        self.state.retained.append((account.sid, message.sid))
        self._evict()

    def _evict(self) -> None:
        cap, retained = self.settings.max_messages, self.state.retained
        while cap is not None and len(retained) > cap:
            account_sid, sid = retained.popleft()
            owner = self.state.accounts.get(account_sid)
            evicted = owner.messages.remove(sid) if owner is not None else None
            if evicted is not None:
                self.forget(evicted)

    # -- persistence: domain code touches what it changes; the lock's release writes it -----------
    def touch(self, *records: Any) -> None:
        if self._persist:
            for record in records:
                self._changed[id(record)] = record

    def forget(self, record: Any) -> None:
        if self._persist:
            self._changed.pop(id(record), None)
            self._deleted.append(record)

    def _record_changed(self, record: Any, present: bool) -> None:
        if present:
            self.touch(record)
        else:
            self.forget(record)

    def _prepare_batch(self) -> int | None:
        if not (self._changed or self._deleted):
            return None
        batch = self.store.prepare(list(self._changed.values()), self._deleted)
        self._changed, self._deleted = {}, []
        self._batch_seq += 1
        self._batches.append((self._batch_seq, batch))
        return self._batch_seq

    def _commit_until(self, seq: int) -> None:
        with self._commit_lock:
            if self._committed >= seq:
                return  # another thread's group commit took ours too
            ops, last = [], self._committed
            while self._batches:
                last, batch = self._batches.popleft()
                ops.extend(batch)
            self.store.commit(ops)
            self._committed = last

    # -- timed work -----------------------------------------------------------------------------
    def schedule(self, due: datetime, task: Callable[[], None]) -> None:
        with self.lock:
            heapq.heappush(self._tasks, (due, next(self._task_seq), task))
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="twilio-emulator-clock", daemon=True)
                self._ticker.start()

    def run_due(self) -> int:
        """Run every task whose time has come; returns how many ran."""
        ran = 0
        with self.lock:
            while self._tasks and self._tasks[0][0] <= self.now():
                _, _, task = heapq.heappop(self._tasks)
                try:
                    task()
                except Exception:  # one bad task must not stop the clock
                    log.exception("scheduled task failed")
                ran += 1
        return ran

    def advance_clock(self, seconds: float) -> datetime:
        self.clock.advance(seconds)
        self.run_due()
        return self.now()

    def _tick(self) -> None:
        while not self._closed.wait(TICK_SECONDS):
            self.run_due()

    def close(self) -> None:
        """Stop background threads (the clock ticker and any subscribers' workers)."""
        self._closed.set()
        self.emit("close")
        self.store.close()

    # A tiny event bus: the domain announces, subsystems such as webhooks listen.
    def subscribe(self, event: str, handler: Callable[..., None]) -> None:
        self._subscribers.setdefault(event, []).append(handler)

    def emit(self, event: str, **payload: Any) -> None:
        for handler in self._subscribers.get(event, ()):
            handler(**payload)
