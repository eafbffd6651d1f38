"""One unit of work per operation: validate, change, commit; on any exception nothing changed.

Every change to the state goes through a Transaction (`tx.add`, `tx.delete`, `tx.update`), which
keeps an undo log and the list of records to persist, and buffers the operation's events:

- An exception inside a transaction undoes its changes (a nested transaction is a savepoint: an
  inner failure that the outer code catches undoes the inner changes only) and publishes nothing.
- On success the changes become a store batch, prepared under the lock (records cannot change
  meanwhile) and committed outside it, grouped with other threads' batches (group commit). The
  lock is never held during disk I/O.
- A failed commit fails every request whose batch it took, and every batch queued behind them
  (they were built on the same memory): none is acknowledged. The state is then rebuilt from what
  the store holds, so memory and file agree again.
- Events and after-commit work (timers) run only once the batch is durable.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import ServiceUnavailable
from .error_log import ErrorLog
from .events import EventBus
from .state import State

log = logging.getLogger("emulator")

PUT, DELETE, CLEAR = "put", "delete", "clear"
_UNPLACE, _PLACE, _RESTORE, _CALL = range(4)


class Transaction:
    __slots__ = ("_aborts", "_after", "_events", "_persist", "_state", "_undo", "writes")

    def __init__(self, state: State, persist: bool) -> None:
        self._state = state
        self._persist = persist
        self._undo: list[tuple] = []
        self.writes: list[tuple[str, Any]] = []
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._after: list[Callable[[], None]] = []
        self._aborts: list[Callable[[], None]] = []

    # -- changes --------------------------------------------------------------------------------
    def add(self, record: Any) -> Any:
        """Put a new record into the state."""
        self._state.place(record)
        self._undo.append((_UNPLACE, record))
        if self._persist:
            self.writes.append((PUT, record))
        return record

    def delete(self, record: Any) -> None:
        """Take a record out of the state."""
        self._state.unplace(record)
        self._undo.append((_PLACE, record))
        if self._persist:
            self.writes.append((DELETE, record))

    def update(self, record: Any, **changes: Any) -> None:
        """Change fields of a record (whole values: see domain.models)."""
        old = {name: getattr(record, name) for name in changes}
        for name, value in changes.items():
            setattr(record, name, value)
        self._undo.append((_RESTORE, record, old))
        self._state.moved(record, old)
        if self._persist:
            self.writes.append((PUT, record))

    def clear(self, restore: Callable[[], None]) -> None:
        """Everything is being forgotten (a reset); `restore` puts the old state back on undo."""
        self._undo.append((_CALL, restore))
        if self._persist:
            self.writes.append((CLEAR, None))

    def on_undo(self, undo: Callable[[], None]) -> None:
        """Undo a change made outside the helpers above (a container of the state itself)."""
        self._undo.append((_CALL, undo))

    def on_abort(self, undo: Callable[[], None]) -> None:
        """Undo a change the store does not keep (the clock) if the commit fails: the state itself
        is then rebuilt from the store, but this is not in it."""
        self._aborts.append(undo)

    # -- what happens once the change is durable -------------------------------------------------
    def emit(self, event: str, **payload: Any) -> None:
        self._events.append((event, payload))

    def after_commit(self, work: Callable[[], None]) -> None:
        self._after.append(work)

    # -- savepoints -----------------------------------------------------------------------------
    def mark(self) -> tuple[int, int, int, int, int]:
        return len(self._undo), len(self.writes), len(self._events), len(self._after), len(self._aborts)

    def rollback_to(self, mark: tuple[int, int, int, int, int]) -> None:
        undo_at, writes_at, events_at, after_at, aborts_at = mark
        state = self._state
        while len(self._undo) > undo_at:
            entry = self._undo.pop()
            op, record = entry[0], entry[1]
            if op == _UNPLACE:
                state.unplace(record)
            elif op == _PLACE:
                state.place(record)
            elif op == _RESTORE:
                old = entry[2]
                now = {name: getattr(record, name) for name in old}
                for name, value in old.items():
                    setattr(record, name, value)
                state.moved(record, now)
            else:
                record()
        del self.writes[writes_at:]
        del self._events[events_at:]
        del self._after[after_at:]
        del self._aborts[aborts_at:]


class _Scope:
    """`with uow.transaction() as tx:` — the outermost scope of a thread owns the transaction."""

    __slots__ = ("_mark", "_outer", "_tx", "_uow")

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __enter__(self) -> Transaction:
        uow = self._uow
        uow.lock.acquire()
        tx = uow.current
        self._outer = tx is None
        if tx is None:
            tx = uow.current = Transaction(uow.state, uow.persist)
        self._tx = tx
        self._mark = tx.mark()
        return tx

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        uow, tx = self._uow, self._tx
        if kind is not None:
            try:
                tx.rollback_to(self._mark)
            finally:
                if self._outer:
                    uow.current = None
                uow.lock.release()
            return
        if not self._outer:
            uow.lock.release()
            return
        try:
            seq = uow.prepare(tx)
        except BaseException:
            tx.rollback_to((0, 0, 0, 0, 0))
            raise
        finally:
            uow.current = None
            uow.lock.release()
        if seq is not None:
            try:
                uow.commit_until(seq)
            except ServiceUnavailable:
                uow.abort(tx)
                raise
        uow.finish(tx)


class UnitOfWork:
    def __init__(
        self,
        state: State,
        store: Any,
        events: EventBus,
        errors: ErrorLog,
        reload: Callable[[Any], None],
    ) -> None:
        self.state = state
        self.store = store
        self.persist = bool(getattr(store, "persistent", False))
        self.events = events
        self.errors = errors
        self._reload = reload  # rebuilds the state from store.load() output (called under the lock)
        self.lock = threading.RLock()
        self.current: Transaction | None = None
        self._batches: deque[tuple[int, Any]] = deque()
        self._batch_seq = 0
        self._outcomes: dict[int, bool] = {}  # batch -> committed? (until its waiter reads it)
        self._commit_lock = threading.Lock()

    def transaction(self) -> _Scope:
        return _Scope(self)

    # -- commit -------------------------------------------------------------------------------------
    def prepare(self, tx: Transaction) -> int | None:
        """Turn a transaction's writes into a queued store batch (under the lock)."""
        if not tx.writes:
            return None
        batch = self.store.prepare(tx.writes)
        self._batch_seq += 1
        self._batches.append((self._batch_seq, batch))
        return self._batch_seq

    def commit_until(self, seq: int) -> None:
        """Make batch `seq` durable: commit it with everything queued before and with it."""
        with self._commit_lock:
            if seq not in self._outcomes:
                taken: list[int] = []
                ops: list[Any] = []
                while self._batches:
                    number, batch = self._batches.popleft()
                    taken.append(number)
                    ops.extend(batch)
                try:
                    self.store.commit(ops)
                except Exception as exc:  # noqa: BLE001 - any failure of the store: recorded, nothing acknowledged
                    self._recover(taken, exc)
                else:
                    for number in taken:
                        self._outcomes[number] = True
            committed = self._outcomes.pop(seq)
        if not committed:
            raise ServiceUnavailable(
                reason="the emulator could not write this change to its --db file, so it was not made; "
                "see GET /_emulator/errors"
            )

    def _recover(self, taken: list[int], exc: Exception) -> None:
        """A commit failed: fail its batches and all queued behind them, and rebuild the state from
        the store (read outside the lock; nothing else can commit meanwhile)."""
        self.errors.record("committing to the store (the changes were not made)", exc)
        for number in taken:
            self._outcomes[number] = False
        try:
            stored = self.store.load()
        except Exception as load_exc:  # noqa: BLE001 - the store is unusable: keep memory, refuse the queue
            self.errors.record("reloading the state from the store", load_exc)
            stored = None
        with self.lock:
            while self._batches:
                number, _ = self._batches.popleft()
                self._outcomes[number] = False
            if stored is not None:
                self._reload(stored)

    def abort(self, tx: Transaction) -> None:
        """The commit failed: undo what the store does not keep (the state was rebuilt from it)."""
        for undo in reversed(tx._aborts):
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - recorded; the others still run
                self.errors.record("undoing after a failed commit", exc)

    def finish(self, tx: Transaction) -> None:
        """After the commit: run after-commit work, then publish the events in order."""
        for work in tx._after:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - recorded; the change itself is durable
                self.errors.record("after-commit work", exc)
        for event, payload in tx._events:
            self.events.publish(event, payload)
