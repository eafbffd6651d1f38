"""Twilio's create-time checks of a send, in Twilio's order, and the test credentials' magic numbers.

`SendChecks.check` validates a request completely and returns a SendPlan: what the send will do
(its sender, or the sender to provision on first use, the pool sender, the schedule). It changes
nothing, so a refused request leaves the state as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import errors
from ..optout import OptOutEngine, OptOutRecord
from .models import Account, Direction, MessagingService, Sender
from .numbers import Numbers
from .phone import SenderType, address, in_country, is_e164, is_nanp, sender_type
from .services import SERVICE_SID, Services
from .urls import is_valid_url

MAX_BODY = 1600
MAX_MEDIA = 10
# Twilio's test-credential magic numbers (Twilio's "Test credentials" page), honoured in every account.
MAGIC_FROM_OK = "+15005550006"
MAGIC_FROM = {
    "+15005550001": errors.InvalidFrom,
    "+15005550007": errors.FromNotOwned,
}
MAGIC_FROM_QUEUE_FULL = "+15005550008"
MAGIC_TO_INVALID = "+15005550001"
MAGIC_TO = {
    "+15005550002": errors.NotReachable,
    "+15005550003": errors.RegionNotEnabled,
    "+15005550009": errors.NotMobile,
}
MAGIC_TO_OPTED_OUT = "+15005550004"
# Scheduling window (error 35114): more than 5 minutes and at most 35 days ahead.
SCHEDULE_MIN_LEAD = 300
SCHEDULE_MAX_LEAD = 35 * 24 * 3600


@dataclass(frozen=True)
class CreateMessage:
    to: str | None
    from_: str | None = None
    messaging_service_sid: str | None = None
    body: str | None = None
    media_urls: tuple[str, ...] = ()
    content_sid: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    smart_encoded: bool | None = None  # None: the Messaging Service's smart_encoding decides
    schedule_type: str | None = None
    send_at: str | None = None
    direction: Direction = Direction.OUTBOUND_API


@dataclass(frozen=True)
class SendPlan:
    """A send that passed every check: what creating it will do."""

    to: str
    body: str
    sender: Sender | None  # the account's sender named by From (None: by service, or a magic From)
    provision_from: str | None  # a From the account will own from this send on (first use)
    service: MessagingService | None
    pool_sender: Sender | None  # chosen from the service's pool when no From is given
    send_at: datetime | None


class SendChecks:
    def __init__(self, clock: Any, optouts: OptOutEngine, numbers: Numbers, services: Services) -> None:
        self.clock = clock
        self.optouts = optouts
        self.numbers = numbers
        self.services = services

    def check(self, account: Account, req: CreateMessage) -> SendPlan:
        """Every check Twilio makes at create, in Twilio's order; raises the first that fails."""
        to = self._to(req.to)
        service = self._service(account, req.messaging_service_sid)
        sender, provision_from = self._from(account, req.from_, service)
        body = req.body or ""
        if not body and not req.media_urls and not req.content_sid:
            raise errors.BodyRequired()
        if len(body) > MAX_BODY:
            raise errors.BodyTooLong()
        if len(req.media_urls) > MAX_MEDIA:
            raise errors.TooManyMedia()
        self._urls(req)
        if req.from_ and address(req.from_) == address(to):
            raise errors.ToFromSame()
        self._short_code_country(req.from_, sender, to)
        channel = "MMS" if req.media_urls else "SMS"
        if to in MAGIC_TO:
            raise MAGIC_TO[to](to=to, from_=req.from_, channel=channel)
        if req.from_ and sender_type(address(req.from_)) is SenderType.ALPHANUMERIC and is_nanp(to):
            # US and Canada carriers accept no alphanumeric sender IDs.
            raise errors.NotReachable(to=to, from_=address(req.from_), channel=channel)
        send_at = self._schedule(req, service)
        pool_sender = None
        if req.from_ is None and service is not None:
            pool_sender = self.services.choose_sender(account, service, to)
        if send_at is None:
            self._opt_out(account, req, to, service, pool_sender)
        if req.from_ == MAGIC_FROM_QUEUE_FULL:
            raise errors.QueueFull()
        return SendPlan(to, body, sender, provision_from, service, pool_sender, send_at)

    def _to(self, to: str | None) -> str:
        if not to:
            raise errors.ToRequired()
        if to == MAGIC_TO_INVALID or not is_e164(address(to)):
            raise errors.InvalidTo(to=to)
        return to

    def _service(self, account: Account, sid: str | None) -> MessagingService | None:
        if not sid:
            return None
        if not SERVICE_SID.match(sid):
            raise errors.ServiceInvalid()
        service = account.services.get(sid)
        if service is None:
            raise errors.ServiceNotFound(reason=f"account {account.sid} has no Messaging Service {sid}")
        return service

    def _from(
        self, account: Account, from_: str | None, service: MessagingService | None
    ) -> tuple[Sender | None, str | None]:
        if not from_:
            if service is None:
                raise errors.FromRequired()
            return None, None
        if from_ in MAGIC_FROM:
            raise MAGIC_FROM[from_](from_=from_)
        plain = address(from_)
        if sender_type(plain) is None:
            raise errors.InvalidFrom(from_=from_)
        if from_ in (MAGIC_FROM_OK, MAGIC_FROM_QUEUE_FULL):
            return None, None  # test credentials' number: valid in every account, owned by none
        if account.settings.test_credentials:
            # "you can't use phone numbers from your real account as the 'From' number" (21606).
            raise errors.FromNotOwned(
                from_=from_, reason=f"account {account.sid} has test_credentials on: From must be +15005550006"
            )
        sender = self.numbers.check_from(account, plain)
        return sender, None if sender is not None else plain

    @staticmethod
    def _urls(req: CreateMessage) -> None:
        invalid = [url for url in req.media_urls if not is_valid_url(url)]
        if invalid:
            # Twilio echoes the value (captures show one URL, or a list of them).
            raise errors.InvalidMediaUrl(urls=invalid[0] if len(invalid) == 1 else json.dumps(invalid))
        if req.status_callback and not is_valid_url(req.status_callback):
            raise errors.InvalidStatusCallback(url=req.status_callback)

    @staticmethod
    def _short_code_country(from_: str | None, sender: Sender | None, to: str) -> None:
        """A short code reaches only numbers of its own country (21659)."""
        if not from_ or sender_type(address(from_)) is not SenderType.SHORT_CODE:
            return
        country = sender.short_code_country if sender is not None else "US"
        if not in_country(address(to), country):
            raise errors.ShortCodeCountryMismatch(
                from_=address(from_), reason=f"short code {address(from_)} is in {country}; {to} is not"
            )

    def _schedule(self, req: CreateMessage, service: MessagingService | None) -> datetime | None:
        if req.schedule_type is None:
            return None
        if req.schedule_type != "fixed":
            raise errors.ScheduleTypeInvalid()
        if service is None:
            raise errors.ScheduleNeedsService()
        if not req.send_at:
            raise errors.SendAtMissing()
        try:
            send_at = datetime.fromisoformat(req.send_at.replace("Z", "+00:00"))
        except ValueError:
            raise errors.SendAtInvalid() from None
        if send_at.tzinfo is None:
            raise errors.SendAtInvalid()
        lead = (send_at - self.clock.now()).total_seconds()
        if not SCHEDULE_MIN_LEAD <= lead <= SCHEDULE_MAX_LEAD:
            raise errors.SendAtOutOfWindow()
        return send_at

    def _opt_out(
        self,
        account: Account,
        req: CreateMessage,
        to: str,
        service: MessagingService | None,
        pool_sender: Sender | None,
    ) -> None:
        """Raise 21610 where Twilio refuses at create: a From send, or any send in `sync` mode.
        A blocked Messaging Service send in `async` mode is accepted and fails in its first step."""
        if to == MAGIC_TO_OPTED_OUT:
            raise unsubscribed(account, None)
        if req.from_ is None and account.settings.messaging_service_opt_out != "sync":
            return
        if req.from_:
            record = self.blocking_record(account, to, address(req.from_), None)
        else:
            record = self.blocking_record(account, to, pool_sender.address if pool_sender else None, service)
        if record is not None:
            raise unsubscribed(account, record)

    def blocking_record(
        self, account: Account, to: str, sender: str | None, service: MessagingService | None
    ) -> OptOutRecord | None:
        """The opt-out record that forbids this send: the sender's record, or the record of `service`,
        given only when the service picks the sender (Sender Selection): with a `From`, the service's
        record does not apply ("Opt-out keywords support": only "in place of a Sender")."""
        if not account.settings.stop_filtering or to.startswith("whatsapp:"):
            # WhatsApp has its own opt-outs (63014/63033), which SMS keywords do not set.
            return None
        return self.optouts.blocking_record(
            account.sid, address(to), sender, service.sid if service is not None else None
        )


def unsubscribed(account: Account, record: OptOutRecord | None) -> errors.UnsubscribedRecipient:
    """21610, with the record that caused it as the reason (the request log shows it)."""
    legacy = account.settings.legacy_error_text
    if record is None:
        reason = "the test credentials' magic To +15005550004 is always opted out"
    else:
        scope = record.sender or f"Messaging Service {record.messaging_service_sid}"
        when = record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        reason = f"{record.recipient} is opted out of {scope} ({record.source}, since {when})"
    error = errors.UnsubscribedRecipient(errors.UnsubscribedRecipient.legacy_message if legacy else None, reason=reason)
    error.opt_out = record
    return error
