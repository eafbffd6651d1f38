"""Messages: create (with Twilio's order of checks and opt-out rules), list, fetch, update, delete."""

from __future__ import annotations

import re
import sys
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from .. import errors
from .models import FINAL_STATUSES, Account, Direction, Message, MessagingService, Sender, Status
from .paging import Page
from .phone import SenderType, is_e164, is_nanp, sender_type
from .segments import count_segments, smart_encode
from .services import SERVICE_SID

if TYPE_CHECKING:
    from .emulator import Emulator

MAX_BODY = 1600
MAX_MEDIA = 10
# Twilio's test-credential magic numbers (reference section 5), honoured in every account.
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
# After a sender is assigned: status -> (the next status, the injected failure that replaces it).
# A `failed` fault strikes while sending, an `undelivered` one after the carrier took the message.
DELIVERY_STEPS = {
    Status.QUEUED: (Status.SENDING, None),
    Status.SENDING: (Status.SENT, Status.FAILED),
    Status.SENT: (Status.DELIVERED, Status.UNDELIVERED),
}
# Scheduling window (error 35114): more than 5 minutes and at most 35 days ahead.
SCHEDULE_MIN_LEAD = 300
SCHEDULE_MAX_LEAD = 35 * 24 * 3600
# Channel prefixes Twilio accepts in To/From (whatsapp:+1…, rcs:…); the address after it is checked.
CHANNEL = re.compile(r"^(whatsapp|rcs|messenger):(.+)\Z")


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
class ListFilter:
    to: str | None = None
    from_: str | None = None
    date_sent: date | None = None
    date_sent_before: date | None = None  # DateSent< : on or before
    date_sent_after: date | None = None  # DateSent> : on or after

    def matches(self, m: Message) -> bool:
        if self.to is not None and m.to != self.to:
            return False
        if self.from_ is not None and m.from_ != self.from_:
            return False
        if self.date_sent or self.date_sent_before or self.date_sent_after:
            if m.date_sent is None:
                return False
            day = m.date_sent.date()
            if self.date_sent is not None and day != self.date_sent:
                return False
            if self.date_sent_before is not None and day > self.date_sent_before:
                return False
            if self.date_sent_after is not None and day < self.date_sent_after:
                return False
        return True


def _address(value: str) -> str:
    match = CHANNEL.match(value)
    return match.group(2) if match else value


class Messages:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    # -- create ---------------------------------------------------------------------------------
    def create(self, account: Account, req: CreateMessage) -> Message:
        """Validate in Twilio's order of checks, apply opt-out rules, store, and start the lifecycle.

        Returns the message as it was at creation (what Twilio's 201 shows); the stored one moves on.
        """
        with self.emu.lock:
            self.emu.live(account)
            to = self._check_to(req.to)
            service = self._check_service(account, req.messaging_service_sid)
            sender = self._check_from(account, req.from_, service)
            body = req.body or ""
            if not body and not req.media_urls and not req.content_sid:
                raise errors.BodyRequired()
            if len(body) > MAX_BODY:
                raise errors.BodyTooLong()
            if len(req.media_urls) > MAX_MEDIA:
                raise errors.TooManyMedia()
            channel = "MMS" if req.media_urls else "SMS"
            if to in MAGIC_TO:
                raise MAGIC_TO[to](to=to, from_=req.from_, channel=channel)
            if sender is not None and sender.type is SenderType.ALPHANUMERIC and is_nanp(to):
                # US and Canada carriers accept no alphanumeric sender IDs.
                raise errors.NotReachable(to=to, from_=sender.address, channel=channel)
            send_at = self._check_schedule(req, service)
            pool_sender = None
            if sender is None and service is not None:
                pool_sender = self.emu.services.pick_sender(account, service, to)
            if send_at is None:
                self._check_opt_out(account, to, sender, service, pool_sender)
            if req.from_ == MAGIC_FROM_QUEUE_FULL:
                raise errors.QueueFull()
            message = self._new(account, req, to, body, sender, service, pool_sender)
            message.send_at = send_at
            message.pool_sender_sid = pool_sender.sid if pool_sender is not None else None
            message.fault = next((f for f in self.emu.state.faults if f.matches(account.sid, to)), None)
            created = copy(message)  # the 201 shows the message as created; the stored one moves on
            if send_at is not None:
                self.emu.schedule(send_at, lambda: self._fire_scheduled(account, message))
            else:
                self._start(account, message)
            return created

    def _check_to(self, to: str | None) -> str:
        if not to:
            raise errors.ToRequired()
        if to == MAGIC_TO_INVALID or not is_e164(_address(to)):
            raise errors.InvalidTo(to=to)
        return to

    def _check_service(self, account: Account, sid: str | None) -> MessagingService | None:
        if not sid:
            return None
        if not SERVICE_SID.match(sid):
            raise errors.ServiceInvalid()
        service = account.services.get(sid)
        if service is None:
            raise errors.ServiceNotFound()
        return service

    def _check_from(self, account: Account, from_: str | None, service: MessagingService | None) -> Sender | None:
        if not from_:
            if service is None:
                raise errors.FromRequired()
            return None
        if from_ in MAGIC_FROM:
            raise MAGIC_FROM[from_](from_=from_)
        if sender_type(_address(from_)) is None:
            raise errors.InvalidFrom(from_=from_)
        if from_ in (MAGIC_FROM_OK, MAGIC_FROM_QUEUE_FULL):
            return None  # test credentials' number: valid in every account, owned by none
        return self.emu.numbers.resolve_from(account, _address(from_))

    def _check_schedule(self, req: CreateMessage, service: MessagingService | None) -> datetime | None:
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
        lead = (send_at - self.emu.now()).total_seconds()
        if not SCHEDULE_MIN_LEAD <= lead <= SCHEDULE_MAX_LEAD:
            raise errors.SendAtOutOfWindow()
        return send_at

    def _check_opt_out(
        self,
        account: Account,
        to: str,
        sender: Sender | None,
        service: MessagingService | None,
        pool_sender: Sender | None,
    ) -> None:
        """Raise 21610 where Twilio refuses at create: a From send, or any send in `sync` mode.
        A blocked Messaging Service send in `async` mode is accepted and fails in its first step."""
        if to == MAGIC_TO_OPTED_OUT:
            raise _unsubscribed(account)
        if sender is None and account.settings.messaging_service_opt_out != "sync":
            return
        sending = sender or pool_sender
        if self._blocked(account, to, sending.address if sending else None, service):
            raise _unsubscribed(account)

    def _blocked(self, account: Account, to: str, sender: str | None, service: MessagingService | None) -> bool:
        """Whether an opt-out record forbids this send: the sender's record, or (when the send names a
        MessagingServiceSid, with or without a From: reference 3.1's rule) the service's record."""
        if not account.settings.stop_filtering or to.startswith("whatsapp:"):
            # WhatsApp has its own opt-outs (63014/63033), which SMS keywords do not set.
            return False
        record = self.emu.optouts.blocking_record(
            account.sid, _address(to), sender, service.sid if service is not None else None
        )
        return record is not None

    def _new(
        self,
        account: Account,
        req: CreateMessage,
        to: str,
        body: str,
        sender: Sender | None,
        service: MessagingService | None,
        pool_sender: Sender | None = None,
    ) -> Message:
        now = self.emu.now()
        by_service = sender is None and service is not None
        smart = req.smart_encoded if req.smart_encoded is not None else bool(service and service.smart_encoding)
        if req.schedule_type is not None:
            status = Status.SCHEDULED
        else:
            status = Status.ACCEPTED if by_service else Status.QUEUED
        message = Message(
            sid=self.emu.sids.new("MM" if req.media_urls else "SM"),
            account_sid=account.sid,
            to=to,
            from_=None if by_service else req.from_,
            body=body,
            status=status,
            direction=req.direction,
            date_created=now,
            date_updated=now,
            messaging_service_sid=service.sid if service is not None else None,
            smart_encoded=smart,
            # Through a service no sender is assigned yet, so Twilio reports "0" segments.
            num_segments=0 if by_service else _segments(body, req.media_urls, smart),
            media_urls=req.media_urls,
            # Test credentials' number never triggers status callbacks (reference section 5).
            status_callback=None
            if req.from_ == MAGIC_FROM_OK
            else req.status_callback
            or (service.status_callback if service is not None else None)
            or next((s.status_callback for s in (sender, pool_sender) if s is not None), None)
            or None,
            status_callback_method=req.status_callback_method,
            seq=self.emu.state.next_seq(),
        )
        self._store(account, message)
        return message

    def _store(self, account: Account, message: Message) -> None:
        account.messages.add(message)
        self.emu.touch(message)
        self.emu.retain(account, message)

    # -- lifecycle ------------------------------------------------------------------------------
    def _start(self, account: Account, message: Message) -> None:
        """Progress a new message per the account's mode: all at once, on a timer, or on request."""
        mode = account.settings.progression
        if mode == "immediate":
            while self.step(account, message):
                pass
        elif mode == "timed":
            self._schedule_step(account, message)

    def resume(self) -> None:
        """After a restart from a store: re-arm scheduled sends and carry on unfinished messages."""
        for account in self.emu.state.accounts.values():
            for message in account.messages.values():
                if message.status is Status.SCHEDULED and message.send_at is not None:
                    self.emu.schedule(message.send_at, lambda a=account, m=message: self._fire_scheduled(a, m))
                elif message.status not in FINAL_STATUSES:
                    self._start(account, message)

    def _schedule_step(self, account: Account, message: Message, after: datetime | None = None) -> None:
        # Each step is due one delay after the previous step was due (not after it ran), so one
        # big clock jump runs every step that fell due.
        due = (after or self.emu.now()) + timedelta(seconds=account.settings.progression_delay)

        def fire() -> None:
            if self.step(account, message):
                self._schedule_step(account, message, due)

        self.emu.schedule(due, fire)

    def _fire_scheduled(self, account: Account, message: Message) -> None:
        if message.status is Status.SCHEDULED and message.sid in account.messages:
            self.step(account, message)
            self._start(account, message)

    def step(self, account: Account, message: Message) -> bool:
        """Move one outbound message one status further; False when it is already final."""
        with self.emu.lock:
            if account.messages.get(message.sid) is not message:
                return False  # deleted or evicted meanwhile: it moves no further
            status = message.status
            if status in (Status.ACCEPTED, Status.SCHEDULED):
                service = account.services.get(message.messaging_service_sid or "")
                pool_sender = account.senders.get(message.pool_sender_sid or "")
                if pool_sender is not None and message.from_ != pool_sender.address:
                    old_from, message.from_ = message.from_, pool_sender.address
                    account.messages.reindex_from(message, old_from)
                sender = _address(message.from_) if message.from_ else None
                message.num_segments = _segments(message.body, message.media_urls, message.smart_encoded)
                # The opt-out check of a service send happens now, when its sender is assigned.
                if message.to == MAGIC_TO_OPTED_OUT or self._blocked(account, message.to, sender, service):
                    self._set_status(message, Status.FAILED, _unsubscribed(account))
                else:
                    self._set_status(message, Status.QUEUED)
            elif status in DELIVERY_STEPS:
                following, fault_status = DELIVERY_STEPS[status]
                fault = message.fault
                if fault is not None and fault.status is fault_status:
                    self._set_status(message, fault.status, errors.DeliveryFault(fault.error_code))
                else:
                    self._set_status(message, following)
            else:
                return False
            return True

    def _set_status(self, message: Message, status: Status, error: errors.TwilioError | None = None) -> None:
        now = self.emu.now()
        message.status = status
        message.date_updated = now
        self.emu.touch(message)
        if status is Status.SENT:
            message.date_sent = now
        if error is not None:
            message.error_code = error.code
            message.error_message = error.text
        self.emu.emit("status_changed", message=message)

    # -- inbound and replies (used by domain.inbound) ---------------------------------------------
    def record(
        self,
        account: Account,
        *,
        to: str,
        from_: str,
        body: str,
        direction: Direction,
        status: Status,
        service_sid: str | None = None,
        media_urls: tuple[str, ...] = (),
        channel: str = "sms",
    ) -> Message:
        """Store a message that is already where it ends (an inbound one, or an auto-reply)."""
        with self.emu.lock:
            now = self.emu.now()
            message = Message(
                sid=self.emu.sids.new("MM" if media_urls else "SM"),
                account_sid=account.sid,
                to=to,
                from_=from_,
                body=body,
                status=status,
                direction=direction,
                date_created=now,
                date_updated=now,
                date_sent=now,
                messaging_service_sid=service_sid,
                num_segments=_segments(body, media_urls),
                media_urls=media_urls,
                channel=channel,
                seq=self.emu.state.next_seq(),
            )
            self._store(account, message)
            return message

    # -- list, fetch, update, delete ------------------------------------------------------------
    def list(
        self, account: Account, filters: ListFilter, page: int, page_size: int, page_token: str | None
    ) -> Page[Message]:
        """Newest first. A PageToken ("PA<sid>": after it, "PB<sid>": before it) is found by the
        message's seq, so a page costs its own length, not the number of stored messages."""
        with self.emu.lock:
            log = account.messages
            source = log.source(filters.to, filters.from_)
            anchor = log.get(page_token[2:]) if page_token and page_token[:2] in ("PA", "PB") else None
            if anchor is not None and page_token.startswith("PB"):
                newer = islice((m for m in log.newer_than(source, anchor.seq) if filters.matches(m)), page_size)
                return Page(list(newer)[::-1], page, page_size, has_next=True)
            older = (m for m in log.older_than(source, anchor.seq if anchor else None) if filters.matches(m))
            if anchor is None:
                older = islice(older, min(page * page_size, sys.maxsize), None)
            items = list(islice(older, page_size + 1))
            return Page(items[:page_size], page, page_size, has_next=len(items) > page_size)

    def fetch(self, account: Account, sid: str, path: str) -> Message:
        message = account.messages.get(sid)
        if message is None:
            raise errors.NotFound(path=path)
        return message

    def update(self, account: Account, sid: str, path: str, body: str | None, status: str | None) -> Message:
        with self.emu.lock:
            self.emu.live(account)
            message = self.fetch(account, sid, path)
            if body is not None and status is not None:
                raise errors.InvalidUpdate(
                    reason="Attempted to cancel the message and redact the message body at the same time"
                )
            if body is not None:
                if body != "":
                    raise errors.InvalidUpdate(reason="The message body can only be redacted (set to an empty string)")
                message.body = ""
            elif status is not None:
                if status != Status.CANCELED.value:
                    raise errors.InvalidUpdate(reason=f"Invalid Status '{status}': only 'canceled' is allowed")
                if message.status is not Status.SCHEDULED:
                    raise errors.InvalidUpdate(reason="Only a message with status 'scheduled' can be canceled")
                self._set_status(message, Status.CANCELED)
            else:
                raise errors.InvalidUpdate(reason="Body or Status is required")
            message.date_updated = self.emu.now()
            self.emu.touch(message)
            return message

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.emu.lock:
            self.emu.live(account)
            message = self.fetch(account, sid, path)
            if message.status not in FINAL_STATUSES and message.status is not Status.SCHEDULED:
                raise errors.MessageInFlight()
            account.messages.remove(sid)
            self.emu.forget(message)


def _segments(body: str, media_urls: tuple[str, ...], smart_encoded: bool = False) -> int:
    # An MMS is billed as one message whatever its text.
    if media_urls:
        return 1
    return max(count_segments(smart_encode(body) if smart_encoded else body), 1)


def _unsubscribed(account: Account) -> errors.UnsubscribedRecipient:
    legacy = account.settings.legacy_error_text
    return errors.UnsubscribedRecipient(errors.UnsubscribedRecipient.legacy_message if legacy else None)
