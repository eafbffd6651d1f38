"""Messages: create (checks, then change), list, fetch, update, delete, and record (inbound traffic
and auto-replies). Reads return snapshots taken under the lock, so a reader never sees a message
half-way through a change."""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass
from datetime import date
from itertools import islice
from operator import attrgetter
from typing import Any

from .. import errors
from . import events, registration
from .lifecycle import Lifecycle, segments
from .models import FINAL_STATUSES, Account, Direction, Message, Status
from .numbers import Numbers
from .paging import Page
from .refusals import Refusals
from .send_checks import MAGIC_FROM_OK, CreateMessage, SendChecks, SendPlan
from .services import Services
from .sids import SidFactory
from .state import State, evict_over_caps
from .unit_of_work import Transaction, UnitOfWork

__all__ = ["CreateMessage", "ListFilter", "Messages"]


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


class Messages:
    def __init__(
        self,
        state: State,
        uow: UnitOfWork,
        clock: Any,
        sids: SidFactory,
        checks: SendChecks,
        lifecycle: Lifecycle,
        numbers: Numbers,
        services: Services,
        refusals: Refusals,
    ) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.sids = sids
        self.checks = checks
        self.lifecycle = lifecycle
        self.numbers = numbers
        self.services = services
        self.refusals = refusals

    # -- create ---------------------------------------------------------------------------------
    def create(self, account: Account, req: CreateMessage) -> Message:
        """Check in Twilio's order (changing nothing), then store and start the lifecycle.

        Returns the message as it was at creation (what Twilio's 201 shows); the stored one moves on.
        """
        with self.uow.transaction() as tx:
            self.state.live(account)
            try:
                plan = self.checks.check(account, req)
            except errors.TwilioError as exc:
                self.refusals.record(account.sid, req, exc, self.state.next_seq(), self.clock.now())
                raise
            if plan.provision_from is not None:
                self.numbers.provision(account, plan.provision_from)
            if plan.pool_sender is not None and plan.service is not None:
                self.services.stick(account, plan.service, plan.to, plan.pool_sender)
            message = self._new(account, req, plan)
            self._store(tx, message)
            created = copy(message)
            tx.emit(events.MESSAGE_CREATED, message=created)
            if plan.send_at is not None:
                self.lifecycle.schedule_send(account, message)
            else:
                self.lifecycle.start(account, message)
            return created

    def _new(self, account: Account, req: CreateMessage, plan: SendPlan) -> Message:
        now = self.clock.now()
        service, sender, pool_sender = plan.service, plan.sender, plan.pool_sender
        smart = req.smart_encoded if req.smart_encoded is not None else bool(service and service.smart_encoding)
        # Twilio's status guide: created with a Messaging Service (with or without From) -> accepted.
        status = Status.ACCEPTED if service is not None else Status.QUEUED
        if plan.send_at is not None:
            status = Status.SCHEDULED
        return Message(
            sid=self.sids.new("MM" if req.media_urls else "SM"),
            account_sid=account.sid,
            to=plan.to,
            from_=req.from_,
            body=plan.body,
            status=status,
            direction=req.direction,
            date_created=now,
            date_updated=now,
            messaging_service_sid=service.sid if service is not None else None,
            smart_encoded=smart,
            # Through a service Twilio reports "0" segments at create (counted once the service
            # takes the message on), whether or not a From was given.
            num_segments=0 if service is not None else segments(plan.body, req.media_urls, smart),
            media_urls=req.media_urls,
            # Test credentials (and their number) never trigger status callbacks (Twilio's test
            # credentials page).
            status_callback=None
            if req.from_ == MAGIC_FROM_OK or account.settings.test_credentials
            else req.status_callback
            or (service.status_callback if service is not None else None)
            or next((s.status_callback for s in (sender, pool_sender) if s is not None), None)
            or None,
            status_callback_method=req.status_callback_method,
            seq=self.state.next_seq(),
            send_at=plan.send_at,
            pool_sender_sid=pool_sender.sid if pool_sender is not None else None,
            # Carriers block an unregistered sender whatever else would happen to the message.
            fault=registration.block(sender, plan.to)
            or next((f for f in self.state.faults if f.matches(account.sid, plan.to)), None),
        )

    def _store(self, tx: Transaction, message: Message) -> None:
        tx.add(message)
        evict_over_caps(tx, self.state)

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
        with self.uow.transaction() as tx:
            now = self.clock.now()
            message = Message(
                sid=self.sids.new("MM" if media_urls else "SM"),
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
                num_segments=segments(body, media_urls),
                media_urls=media_urls,
                channel=channel,
                seq=self.state.next_seq(),
            )
            self._store(tx, message)
            tx.emit(events.MESSAGE_CREATED, message=copy(message))
            return message

    # -- list, fetch, update, delete ------------------------------------------------------------
    def page(
        self, account: Account, filters: ListFilter, page: int, page_size: int, page_token: str | None
    ) -> Page[Message]:
        """Newest first. A PageToken ("PA<sid>": after it, "PB<sid>": before it) is found by the
        message's seq, so a page costs its own length, not the number of stored messages."""
        with self.uow.lock:
            log = account.messages
            source = log.source(filters.to, filters.from_)
            anchor = log.get(page_token[2:]) if page_token and page_token[:2] in ("PA", "PB") else None
            if anchor is not None and page_token is not None and page_token.startswith("PB"):
                newer = islice((m for m in log.newer_than(source, anchor.seq) if filters.matches(m)), page_size)
                return Page([copy(m) for m in newer][::-1], page, page_size, has_next=True)
            older: Iterator[Message] = (
                m for m in log.older_than(source, anchor.seq if anchor else None) if filters.matches(m)
            )
            if anchor is None:
                older = islice(older, min(page * page_size, sys.maxsize), None)
            items = [copy(m) for m in islice(older, page_size + 1)]
            return Page(items[:page_size], page, page_size, has_next=len(items) > page_size)

    def page_all(self, account_sid: str | None, page_size: int, before_seq: int | None) -> Page[Message]:
        """Every account's messages (or one account's), newest first, from just below `before_seq`
        (the keyset of the control API's pages): the accounts' logs are merged, so a page costs
        its own length and the number of accounts, never the number of stored messages."""
        with self.uow.lock:
            logs = [a.messages for a in self.state.accounts.values() if account_sid in (None, a.sid)]
            newest = heapq.merge(
                *(log.older_than(log.source(), before_seq) for log in logs), key=attrgetter("seq"), reverse=True
            )
            items = [copy(m) for m in islice(newest, page_size + 1)]
        return Page(items[:page_size], 0, page_size, has_next=len(items) > page_size)

    def fetch(self, account: Account, sid: str, path: str) -> Message:
        with self.uow.lock:
            return copy(self._get(account, sid, path))

    def _get(self, account: Account, sid: str, path: str) -> Message:
        message = account.messages.get(sid)
        if message is None:
            raise errors.NotFound(path=path)
        return message

    def update(self, account: Account, sid: str, path: str, body: str | None, status: str | None) -> Message:
        with self.uow.transaction() as tx:
            self.state.live(account)
            message = self._get(account, sid, path)
            if body is not None and status is not None:
                raise errors.InvalidUpdate(
                    "Attempted to cancel the message and redact the message body at the same time"
                )
            if body is not None:
                if body != "":
                    raise errors.InvalidUpdate("The message body can only be redacted (set to an empty string)")
                tx.update(message, body="", date_updated=self.clock.now())
            elif status is not None:
                if status != Status.CANCELED.value:
                    raise errors.InvalidUpdate(f"Invalid Status '{status}': only 'canceled' is allowed")
                if message.status is not Status.SCHEDULED:
                    raise errors.InvalidUpdate("Only a message with status 'scheduled' can be canceled")
                self.lifecycle.cancel(tx, message)
            else:
                raise errors.InvalidUpdate("Body or Status is required")
            return copy(message)

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.uow.transaction() as tx:
            self.state.live(account)
            message = self._get(account, sid, path)
            if message.status not in FINAL_STATUSES and message.status is not Status.SCHEDULED:
                raise errors.MessageInFlight()
            tx.delete(message)
