"""The Emulator: the composition root of the domain ("the backend").

It builds the parts, each with one job, and wires them; it does no work of its own beyond starting
(seed or restore), resetting and closing:

- State (state.py): every record, keyed by account.
- UnitOfWork (unit_of_work.py): validate -> change -> commit, group commit with the store.
- Scheduler (scheduler.py): timed work and the ticker thread.
- EventBus (events.py): what changed, published after the commit.
- ErrorLog (error_log.py): errors raised inside the server.
- The opt-out engine (emulator.optout), the only writer of opt-out records.
- Refusals (refusals.py): the last refused sends (not state: a refusal changes nothing).
- Accounts, ApiKeys, Numbers, Services, SendChecks, Lifecycle, Messages, Inbound, Consents,
  Conversations, OptOutLedger: the operations.

Construction does no I/O and emits nothing: attach subscribers, then `start()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..optout import OptOutEngine, OptOutRecord
from ..optout.engine import record_key
from ..settings import Settings
from ..storage import MemoryStore, SqliteStore, Store
from . import events
from .accounts import Accounts
from .api_keys import ApiKeys
from .clock import SystemClock
from .consents import Consents
from .conversations import Conversations
from .error_log import ErrorLog
from .events import EventBus
from .fixtures import load_fixture_data, read_fixtures
from .inbound import Inbound
from .lifecycle import Lifecycle
from .messages import Messages
from .models import Fault
from .numbers import Numbers
from .opt_out_ledger import OptOutLedger
from .refusals import Refusals
from .scheduler import Scheduler
from .send_checks import SendChecks
from .services import Services
from .sids import SidFactory
from .state import State, evict_over_caps
from .unit_of_work import UnitOfWork


class _TransactionWriter:
    """How the opt-out engine writes: through the current unit of work, announcing each change."""

    def __init__(self, uow: UnitOfWork, records: dict[tuple, OptOutRecord]) -> None:
        self._uow = uow
        self._records = records

    def put(self, record: OptOutRecord) -> None:
        with self._uow.transaction() as tx:
            existing = self._records.get(record_key(record))
            if existing is not None:  # an upsert: the new record takes the old one's place (undone too)
                tx.delete(existing)
            tx.add(record)
            tx.emit(events.OPT_OUT_RECORDED, record=record)

    def remove(self, record: OptOutRecord) -> None:
        with self._uow.transaction() as tx:
            tx.delete(record)
            tx.emit(events.OPT_OUT_LIFTED, record=record)


class Emulator:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Any = None,
        sids: SidFactory | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.sids = sids or SidFactory()
        self.store: Store = store or (SqliteStore(settings.db) if settings.db else MemoryStore())
        self.errors = ErrorLog()
        self.events = EventBus(self.errors)
        self.state = State(settings.max_messages, settings.max_messages)
        self.uow = UnitOfWork(self.state, self.store, self.events, self.errors, reload=self._reload)
        self.scheduler = Scheduler(self.clock, self.errors)
        self.optouts = OptOutEngine(self.state.optouts, _TransactionWriter(self.uow, self.state.optouts))
        self.accounts = Accounts(self.state, self.uow, self.clock, settings)
        self.api_keys = ApiKeys(self.state, self.uow, self.clock, self.sids)
        self.numbers = Numbers(self.state, self.uow, self.clock, self.sids)
        self.services = Services(self.state, self.uow, self.clock, self.sids, self.numbers)
        self.checks = SendChecks(self.clock, self.optouts, self.numbers, self.services)
        self.lifecycle = Lifecycle(self.state, self.uow, self.clock, self.scheduler, self.checks)
        self.refusals = Refusals(self.events)
        self.messages = Messages(
            self.state,
            self.uow,
            self.clock,
            self.sids,
            self.checks,
            self.lifecycle,
            self.numbers,
            self.services,
            self.refusals,
        )
        self.inbound = Inbound(self.state, self.uow, self.clock, self.optouts, self.numbers, self.messages)
        self.consents = Consents(self.state, self.uow, self.clock, self.optouts)
        self.conversations = Conversations(self.state, self.uow, self.optouts, self.refusals)
        self.ledger = OptOutLedger(self.state, self.uow, self.clock, self.optouts, self.refusals)
        self.restored = False  # whether start() found state in the store (fixtures are then not loaded)

    def now(self) -> datetime:
        return self.clock.now()

    # -- lifetime -------------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Rebuild the state the store kept (and carry on what was in flight), or seed a new one."""
        stored = self.store.load()
        fixtures = None if stored else self._read_fixtures()
        with self.uow.transaction() as tx:
            if stored:
                self.state.load(stored)
                self.restored = True
                evict_over_caps(tx, self.state)  # the caps may be lower than when they were stored
                self.lifecycle.resume()
            else:
                self._seed(fixtures)
        self.scheduler.run_due()
        return self

    def reset(self, account_sid: str | None = None) -> None:
        """Everything (or one account) back to what the settings and fixtures declare."""
        fixtures = self._read_fixtures()  # disk I/O, before the lock
        with self.uow.transaction() as tx:
            if account_sid is None:
                snapshot, tasks = self.state.snapshot(), self.scheduler.clear()
                self._set_faults(tx, [])
                self.state.clear()
                tx.clear(lambda: self.state.restore(snapshot))
                tx.on_undo(lambda: self.scheduler.restore(tasks))
                if hasattr(self.clock, "reset"):
                    offset = self.clock.reset()

                    def rewind() -> None:
                        self.clock.reset(offset)

                    tx.on_undo(rewind)
                    tx.on_abort(rewind)  # the clock is not in the store: a failed commit rewinds it too
            else:
                self._forget_account(tx, account_sid)
            self.consents.forget(account_sid)
            self._seed(fixtures, account_sid)
            tx.emit(events.RESET, account_sid=account_sid)

    def _forget_account(self, tx: Any, account_sid: str) -> None:
        account = self.state.accounts.get(account_sid)
        if account is None:
            return
        for record in [r for r in self.state.optouts.values() if r.account_sid == account_sid]:
            tx.delete(record)
        for message in account.messages.values():
            tx.delete(message)
        for reply in list(account.auto_replies.values()):
            tx.delete(reply)
        for contact in list(account.contacts.values()):
            tx.delete(contact)
        for service in list(account.services.values()):
            for sticky in list(service.sticky.values()):
                tx.delete(sticky)
            tx.delete(service)
        for sender in list(account.senders.values()):
            tx.delete(sender)
        for key in list(account.api_keys.values()):
            tx.delete(key)
        tx.delete(account)
        self.state.drop_stale_retained()
        self._set_faults(tx, [f for f in self.state.faults if f.account_sid != account_sid])

    def _read_fixtures(self) -> Any:
        return read_fixtures(self.settings.fixtures) if self.settings.fixtures else None

    def _seed(self, fixtures: Any, account_sid: str | None = None) -> None:
        for sid, token in self.settings.accounts:
            if account_sid in (None, sid):
                self.accounts.declare(sid, token)
        for key, secret, sid in self.settings.api_keys:
            if account_sid in (None, sid):
                self.api_keys.declare(self.accounts.get(sid) or self.accounts.declare(sid), key, secret)
        if fixtures is not None:
            load_fixture_data(self, fixtures, str(self.settings.fixtures), account_sid)

    def _reload(self, stored: list[Any]) -> None:
        """After a failed commit (under the lock): memory becomes what the store holds again. What
        the store does not keep stays: the injected faults, and the seq counter (it only grows)."""
        faults, seq = self.state.faults, self.state.seq
        self.state.load(stored)
        self.state.faults, self.state.seq = faults, max(seq, self.state.seq)
        self.scheduler.clear()
        self.lifecycle.resume()
        self.events.publish(events.RELOADED, {})

    def set_faults(self, faults: list[Fault]) -> list[Fault]:
        with self.uow.transaction() as tx:
            self._set_faults(tx, list(faults))
            return self.state.faults

    def _set_faults(self, tx: Any, faults: list[Fault]) -> None:
        # Faults are not in the store: a failed commit must put them back as well as an undo.
        old = self.state.faults
        self.state.faults = faults

        def put_back() -> None:
            self.state.faults = old

        tx.on_undo(put_back)
        tx.on_abort(put_back)

    def advance_clock(self, seconds: float) -> datetime:
        return self.scheduler.advance(seconds)

    def close(self) -> None:
        """Stop the ticker, then close the store (the HTTP server and webhooks stopped before)."""
        self.scheduler.close()
        self.store.close()
