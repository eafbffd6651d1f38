"""Refused sends: the create requests (API or TwiML <Message>) that Twilio's checks turned down.

A refusal changes no state, so it is not a record of the store: the last ones are kept in memory
(since the last reset) for the sandbox, which shows each in its conversation, and the opt-out
ledger, which counts the sends each record refused. Each takes the next insertion number (`seq`)
of the messages, so a refusal sits where it happened among them.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from ..errors import TwilioError
from ..optout import OptOutRecord
from . import events
from .events import EventBus
from .phone import address
from .send_checks import CreateMessage

KEEP = 1000


@dataclass(frozen=True)
class Refusal:
    seq: int
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    direction: str  # outbound-api | outbound-reply (a TwiML <Message>)
    error_code: int
    error_message: str  # Twilio's message, as the client saw it
    status: int
    reason: str  # the emulator's explanation
    date_created: datetime
    opt_out: OptOutRecord | None = None  # the record behind a 21610

    @property
    def party(self) -> str:
        """Our side of its conversation (domain.message_log.conversation_key)."""
        return self.messaging_service_sid or address(self.from_ or "")


class Refusals:
    def __init__(self, bus: EventBus, keep: int = KEEP) -> None:
        self._entries: deque[Refusal] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._bus = bus
        bus.subscribe(events.RESET, self._forget)

    def record(self, account_sid: str, req: CreateMessage, error: TwilioError, seq: int, now: datetime) -> Refusal:
        record = getattr(error, "opt_out", None)
        opt_out = record if isinstance(record, OptOutRecord) else None
        refusal = Refusal(
            seq=seq,
            account_sid=account_sid,
            to=req.to or "",
            from_=req.from_,
            messaging_service_sid=req.messaging_service_sid,
            body=req.body or "",
            direction=req.direction.value,
            error_code=error.code,
            error_message=error.text,
            status=error.status,
            reason=error.reason,
            date_created=now,
            opt_out=opt_out,
        )
        with self._lock:
            self._entries.append(refusal)
        self._bus.publish(events.SEND_REFUSED, {"refusal": refusal})
        return refusal

    def list_(self, account_sid: str | None = None) -> list[Refusal]:
        """Oldest first."""
        with self._lock:
            return [r for r in self._entries if account_sid in (None, r.account_sid)]

    def _forget(self, account_sid: str | None) -> None:
        with self._lock:
            kept = [r for r in self._entries if account_sid is not None and r.account_sid != account_sid]
            self._entries.clear()
            self._entries.extend(kept)
