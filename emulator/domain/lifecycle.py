"""The message lifecycle: status steps, progression modes, scheduled sends, resume after restart.

Progression per account (moto's ManagedState): `immediate` runs every step inside the create,
`timed` runs one step per `progression_delay` seconds of the emulator's clock, `manual` moves only
when the control API says so. Every step is its own change in a unit of work; status events carry
a snapshot of the message at that status.
"""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from .. import errors
from . import events, registration
from .models import FINAL_STATUSES, Account, Message, Status
from .phone import address
from .scheduler import Scheduler
from .segments import count_segments, smart_encode
from .send_checks import MAGIC_TO_OPTED_OUT, SendChecks, unsubscribed
from .state import State
from .unit_of_work import UnitOfWork

# After a sender is assigned: status -> (the next status, the injected failure that replaces it).
# A `failed` fault strikes while sending, an `undelivered` one after the carrier took the message.
DELIVERY_STEPS = {
    Status.QUEUED: (Status.SENDING, None),
    Status.SENDING: (Status.SENT, Status.FAILED),
    Status.SENT: (Status.DELIVERED, Status.UNDELIVERED),
}
MAX_MANUAL_STEPS = 100


class Lifecycle:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, scheduler: Scheduler, checks: SendChecks) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.scheduler = scheduler
        self.checks = checks

    def start(self, account: Account, message: Message) -> None:
        """Progress a new message per the account's mode: all at once, on a timer, or on request."""
        mode = account.settings.progression
        if mode == "immediate":
            with self.uow.transaction() as tx:  # one scope for every step (the hot path)
                while self._step(tx, account, message):
                    pass
        elif mode == "timed":
            self._schedule_step(account, message)

    def schedule_send(self, account: Account, message: Message) -> None:
        """Arm a scheduled send once the transaction that created it is committed."""
        assert message.send_at is not None
        due = message.send_at
        with self.uow.transaction() as tx:
            tx.after_commit(lambda: self.scheduler.schedule(due, partial(self._fire_scheduled, account, message)))

    def resume(self) -> None:
        """After a restart from a store (or a reload): re-arm scheduled sends and carry on unfinished
        messages. Only timers are set here; the scheduler runs what is due."""
        now = self.clock.now()
        for account in self.state.accounts.values():
            for message in account.messages.values():
                if message.status is Status.SCHEDULED and message.send_at is not None:
                    self.scheduler.schedule(message.send_at, partial(self._fire_scheduled, account, message))
                elif message.status not in FINAL_STATUSES:
                    self.scheduler.schedule(now, partial(self._resume_one, account, message))

    def _resume_one(self, account: Account, message: Message) -> None:
        with self.uow.transaction():
            if self._current(account, message):
                self.start(account, message)

    def _schedule_step(self, account: Account, message: Message, after: datetime | None = None) -> None:
        # Each step is due one delay after the previous step was due (not after it ran), so one
        # big clock jump runs every step that fell due.
        due = (after or self.clock.now()) + timedelta(seconds=account.settings.progression_delay)

        def fire() -> None:
            with self.uow.transaction():
                if self.step(account, message):
                    self._schedule_step(account, message, due)

        with self.uow.transaction() as tx:
            tx.after_commit(lambda: self.scheduler.schedule(due, fire))

    def _fire_scheduled(self, account: Account, message: Message) -> None:
        with self.uow.transaction():
            if message.status is Status.SCHEDULED and self._current(account, message):
                self.step(account, message)
                self.start(account, message)

    def _current(self, account: Account, message: Message) -> bool:
        """Whether the message is still stored (not deleted, evicted, reset or reloaded away)."""
        return self.state.accounts.get(account.sid) is account and account.messages.get(message.sid) is message

    def step(self, account: Account, message: Message) -> bool:
        """Move one outbound message one status further; False when it is already final."""
        with self.uow.transaction() as tx:
            return self._step(tx, account, message)

    def _step(self, tx: Any, account: Account, message: Message) -> bool:
        if not self._current(account, message):
            return False  # deleted or evicted meanwhile: it moves no further
        if account.settings.test_credentials:
            return False  # test credentials "connect to no real phone numbers": it stays as created
        status = message.status
        if status in (Status.ACCEPTED, Status.SCHEDULED):
            service = account.services.get(message.messaging_service_sid or "")
            pool_sender = account.senders.get(message.pool_sender_sid or "")
            changes: dict[str, Any] = {}
            if pool_sender is not None and message.from_ != pool_sender.address:
                changes["from_"] = pool_sender.address
            blocked = registration.block(pool_sender, message.to)
            if blocked is not None:  # carriers block the sender the service picked
                changes["fault"] = blocked
            from_ = changes.get("from_", message.from_)
            changes["num_segments"] = segments(message.body, message.media_urls, message.smart_encoded)
            # The opt-out check of a service send happens now, when its sender is assigned.
            record = None
            if message.to != MAGIC_TO_OPTED_OUT:
                sender = address(from_) if from_ else None
                selected = message.pool_sender_sid is not None  # the service picked the sender
                record = self.checks.blocking_record(account, message.to, sender, service if selected else None)
            if message.to == MAGIC_TO_OPTED_OUT or record is not None:
                self._set_status(tx, message, Status.FAILED, unsubscribed(account, record), **changes)
            else:
                self._set_status(tx, message, Status.QUEUED, **changes)
        elif status in DELIVERY_STEPS:
            following, fault_status = DELIVERY_STEPS[status]
            fault = message.fault
            if fault is not None and fault.status is fault_status:
                reason = fault.reason or "an injected fault (PUT /_emulator/faults)"
                self._set_status(tx, message, fault.status, errors.DeliveryFault(fault.error_code, reason))
            else:
                self._set_status(tx, message, following)
        else:
            return False
        return True

    def _set_status(
        self, tx: Any, message: Message, status: Status, error: errors.TwilioError | None = None, **changes: Any
    ) -> None:
        now = self.clock.now()
        changes.update(status=status, date_updated=now)
        if status is Status.SENT:
            changes["date_sent"] = now
        if error is not None:
            changes.update(error_code=error.code, error_message=error.text)
        tx.update(message, **changes)  # all fields at once: no reader sees a half-updated message
        tx.emit(events.STATUS_CHANGED, message=copy(message), reason=error.reason if error is not None else None)

    def cancel(self, tx: Any, message: Message) -> None:
        self._set_status(tx, message, Status.CANCELED)

    # -- manual progression (the control API) ---------------------------------------------------
    def advance(
        self, account_sid: str | None, message_sid: str | None, steps: int, until_final: bool
    ) -> list[Message]:
        """Move outbound messages `steps` statuses further (or to the end): one message, one
        account's, or all. Returns snapshots of the messages moved."""
        with self.uow.transaction():
            targets = [
                (account, message)
                for account in self.state.accounts.values()
                if account_sid in (None, account.sid)
                for message in account.messages.values()
                if message_sid in (None, message.sid)
                and message.status not in FINAL_STATUSES
                and message.status is not Status.SCHEDULED
            ]
            if message_sid is not None and not targets:
                raise errors.UnknownResource(f"no message {message_sid} that can move on")
            moved = []
            for account, message in targets:
                for _ in range(MAX_MANUAL_STEPS if until_final else steps):
                    if not self.step(account, message):
                        break
                moved.append(copy(message))
            return moved


def segments(body: str, media_urls: tuple[str, ...], smart_encoded: bool = False) -> int:
    # An MMS is billed as one message whatever its text.
    if media_urls:
        return 1
    return max(count_segments(smart_encode(body) if smart_encoded else body), 1)
