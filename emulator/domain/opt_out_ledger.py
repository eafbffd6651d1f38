"""The opt-out ledger: every record with the sends it refused since it was written, and the
operator's own changes (the sandbox page's add and remove), made through the opt-out engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, UnknownResource
from ..optout import OptOutEngine, OptOutRecord
from ..optout.engine import record_key
from .models import Message
from .phone import is_e164, sender_type
from .refusals import Refusal, Refusals
from .services import SERVICE_SID
from .state import State
from .unit_of_work import UnitOfWork

SOURCE = "sandbox"  # what the records the operator adds are marked with
UNSUBSCRIBED = 21610


@dataclass(frozen=True)
class Entry:
    record: OptOutRecord
    refused: list[Refusal]  # create requests it turned down
    failed: list[Message]  # Messaging Service sends it failed (async mode: accepted, then 21610)


def spec_problem(recipient: Any, sender: Any, service_sid: Any) -> str | None:
    """What is wrong with an opt-out record's description (None: nothing)."""
    if not isinstance(recipient, str) or not is_e164(recipient):
        return f"recipient {recipient!r} must be an E.164 number"
    if sender is not None and (not isinstance(sender, str) or sender_type(sender) is None):
        return f"sender {sender!r} is not a phone number, short code or alphanumeric ID"
    if service_sid is not None and (not isinstance(service_sid, str) or not SERVICE_SID.match(service_sid)):
        return f"messaging_service_sid {service_sid!r} must be MG followed by 32 hex digits"
    if (sender is None) == (service_sid is None):
        return "an opt-out record names exactly one of sender and messaging_service_sid"
    return None


class OptOutLedger:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, optouts: OptOutEngine, refusals: Refusals) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.optouts = optouts
        self.refusals = refusals

    def entries(self, account_sid: str | None = None, recipient: str | None = None) -> list[Entry]:
        """Newest record first."""
        refusals = self.refusals.list_(account_sid)
        with self.uow.lock:
            records = sorted(self.optouts.list_(account_sid, recipient), key=lambda r: r.created_at, reverse=True)
            return [Entry(r, [x for x in refusals if _same(x.opt_out, r)], self._failed(r)) for r in records]

    def add(self, account_sid: str, recipient: str, sender: str | None, service_sid: str | None) -> OptOutRecord:
        """Opt a handset out as the operator (source "sandbox"); an existing record stays as it is."""
        with self.uow.transaction():
            self._check(account_sid, recipient, sender, service_sid)
            return self.optouts.import_record(account_sid, recipient, sender, service_sid, self.clock.now(), SOURCE)

    def remove(self, account_sid: str, recipient: str, sender: str | None, service_sid: str | None) -> OptOutRecord:
        """Lift one record as the operator, whatever wrote it (as if the handset opted in to it)."""
        with self.uow.transaction():
            self._check(account_sid, recipient, sender, service_sid)
            removed = self.optouts.lift(account_sid, recipient, sender, service_sid)
            if removed is None:
                scope = sender or f"Messaging Service {service_sid}"
                raise UnknownResource(f"{recipient} is not opted out of {scope}")
            return removed

    def _check(self, account_sid: str, recipient: str, sender: str | None, service_sid: str | None) -> None:
        problem = spec_problem(recipient, sender, service_sid)
        if problem:
            raise InvalidInput(problem)
        if account_sid not in self.state.accounts:
            raise UnknownResource(f"no account {account_sid}")

    def _failed(self, record: OptOutRecord) -> list[Message]:
        account = self.state.accounts.get(record.account_sid)
        if account is None:
            return []
        return [
            m
            for m in account.messages.source(to=record.recipient)
            if m.error_code == UNSUBSCRIBED
            and m.date_created >= record.created_at
            and (m.from_ == record.sender if record.sender else m.messaging_service_sid == record.messaging_service_sid)
        ]


def _same(blocking: OptOutRecord | None, record: OptOutRecord) -> bool:
    """The very record (not an earlier one for the same pair that was lifted since)."""
    if blocking is None:
        return False
    return record_key(blocking) == record_key(record) and blocking.created_at == record.created_at
