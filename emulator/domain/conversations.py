"""Conversations: the threads between our side (a number, short code, sender ID or Messaging
Service) and one handset, for the sandbox page and GET /_emulator/conversations.

Messages are indexed by conversation (message_log), so the most recent conversations and the newest
page of one thread cost the page, not the number of stored messages (keyset paging on `seq`).
Refused sends (refusals.py) take part as well: a conversation may have nothing else.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass, field

from ..errors import UnknownResource
from ..optout import OptOutEngine, OptOutRecord
from .message_log import Conversation, conversation_key
from .models import Account, AutoReply, Direction, Message
from .phone import address
from .refusals import Refusal, Refusals
from .services import SERVICE_SID
from .state import State
from .unit_of_work import UnitOfWork

UNSUBSCRIBED = 21610
NUMBER_PUNCTUATION = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Summary:
    account_sid: str
    party: str  # our side: a number, short code, sender ID, or a Messaging Service SID
    handset: str
    seq: int  # of its latest message or refusal: the keyset of the list
    last: Message | Refusal
    messages: int
    opt_outs: tuple[OptOutRecord, ...]  # the records that block sends in it now


@dataclass(frozen=True)
class Stop:
    """Where the keyword message behind a 21610 is: its SID and its conversation."""

    account_sid: str
    message_sid: str
    party: str
    handset: str


@dataclass(frozen=True)
class Item:
    seq: int
    message: Message | None = None
    auto_reply: AutoReply | None = None  # with a message too when auto-replies are in the message log
    refusal: Refusal | None = None
    stop: Stop | None = None  # on a 21610 (a refusal, or a Messaging Service send that failed)


@dataclass(frozen=True)
class Thread:
    account_sid: str
    party: str
    handset: str
    items: list[Item]  # oldest first
    older: int | None  # the `before` of the previous page, None when this is the first
    opt_outs: tuple[OptOutRecord, ...]
    our_numbers: tuple[str, ...] = field(default=())  # our addresses in it (where a handset replies)


def is_service(party: str) -> bool:
    return bool(SERVICE_SID.match(party))


class Conversations:
    def __init__(self, state: State, uow: UnitOfWork, optouts: OptOutEngine, refusals: Refusals) -> None:
        self.state = state
        self.uow = uow
        self.optouts = optouts
        self.refusals = refusals

    def list_(
        self, account_sid: str | None = None, query: str = "", before: int | None = None, limit: int = 50
    ) -> tuple[list[Summary], int | None]:
        """Most recent activity first; the second value is the `before` of the next page (None: last)."""
        with self.uow.lock:
            accounts = [a for a in self.state.accounts.values() if account_sid in (None, a.sid)]
            refused: dict[tuple[str, str, str], int] = {}
            for r in self.refusals.list_(account_sid):
                if r.party and r.to:  # a create without From or To belongs to no conversation
                    refused[(r.account_sid, r.party, r.to)] = r.seq
            streams: list[Iterator[tuple[int, tuple[str, str, str]]]] = [
                ((seq, (a.sid, *key)) for seq, key in a.messages.conversations(before)) for a in accounts
            ]
            streams.append(iter(sorted(((s, k) for k, s in refused.items() if before is None or s < before),
                                       reverse=True)))
            found: list[Summary] = []
            for seq, (sid, party, handset) in heapq.merge(*streams, key=lambda e: e[0], reverse=True):
                account = self.state.accounts.get(sid)
                if account is None:  # refusals of an account a reset is forgetting
                    continue
                messages = account.messages.conversation((party, handset))
                latest = max(messages[-1].seq if messages else 0, refused.get((sid, party, handset), 0))
                if seq != latest:
                    continue  # listed at its latest activity (the other stream has it)
                if query and not self._matches(account, (party, handset), query):
                    continue
                if len(found) == limit:
                    return found, found[-1].seq
                found.append(self._summary(account, party, handset, seq, messages))
            return found, None

    def thread(
        self, account_sid: str, party: str, handset: str, before: int | None = None, limit: int = 100
    ) -> Thread:
        """One conversation's newest page (or the page before `before`), oldest first."""
        with self.uow.lock:
            account = self.state.accounts.get(account_sid)
            if account is None:
                raise UnknownResource(f"no account {account_sid}")
            messages = account.messages.conversation((party, handset))
            end = len(messages) if before is None else bisect_left(messages, before, key=lambda m: m.seq)
            start = max(end - limit, 0)
            low = messages[start].seq if start > 0 else 0  # older items belong to older pages
            high = before if before is not None else self.state.seq + 1
            items = {m.seq: Item(m.seq, message=copy(m), stop=self._stop(account, m)) for m in messages[start:end]}
            logged = {m.sid: m.seq for m in messages[start:end]}
            for reply in account.auto_replies.values():
                if reply.to == handset and (reply.messaging_service_sid or reply.from_) == party:
                    if reply.message_sid in logged:
                        seq = logged[reply.message_sid]
                        items[seq] = Item(seq, message=items[seq].message, auto_reply=copy(reply))
                    elif low < reply.seq < high:
                        items[reply.seq] = Item(reply.seq, auto_reply=copy(reply))
            for refusal in self.refusals.list_(account_sid):
                if (refusal.party, refusal.to) == (party, handset) and low < refusal.seq < high:
                    items[refusal.seq] = Item(refusal.seq, refusal=refusal, stop=self._stop_of(refusal.opt_out))
            ours = tuple(dict.fromkeys(a for m in messages[start:end] if (a := _our_address(m))))
            return Thread(
                account_sid,
                party,
                handset,
                [items[seq] for seq in sorted(items)],
                low if start > 0 else None,
                self._opt_outs(account_sid, party, handset, messages),
                ours,
            )

    # -- helpers ------------------------------------------------------------------------------------
    def _summary(self, account: Account, party: str, handset: str, seq: int, messages: list[Message]) -> Summary:
        last: Message | Refusal
        if messages and messages[-1].seq == seq:
            last = copy(messages[-1])
        else:
            last = next(r for r in reversed(self.refusals.list_(account.sid)) if r.seq == seq)
        opt_outs = self._opt_outs(account.sid, party, handset, messages)
        return Summary(account.sid, party, handset, seq, last, len(messages), opt_outs)

    def _opt_outs(self, account_sid: str, party: str, handset: str, messages: list[Message]) -> tuple:
        """The records that block sends in this conversation now: the service's, and the sender's
        (for a service, the pool number it used last)."""
        recipient = address(handset)
        found = []
        if is_service(party):
            found.append(self.optouts.blocking_record(account_sid, recipient, service_sid=party))
            sender = next((a for m in reversed(messages) if (a := _our_address(m))), None)
        else:
            sender = party
        if sender is not None:
            record = self.optouts.blocking_record(account_sid, recipient, sender=sender)
            found.append(record if record is not None and record.sender is not None else None)
        return tuple(r for r in found if r is not None)

    def _matches(self, account: Account, key: Conversation, query: str) -> bool:
        number = NUMBER_PUNCTUATION.sub("", query).casefold()
        party, handset = key
        if number and (number in party.casefold() or number in handset.casefold()):
            return True
        text = query.casefold()
        return any(text in m.body.casefold() for m in account.messages.conversation(key)) or any(
            text in r.body.casefold() for r in self.refusals.list_(account.sid) if (r.party, r.to) == key
        )

    def _stop(self, account: Account, message: Message) -> Stop | None:
        """For a send that failed with 21610 (a Messaging Service send in async mode): the STOP
        behind the record that blocks it now."""
        if message.error_code != UNSUBSCRIBED:
            return None
        recipient = address(message.to)
        return self._stop_of(
            self.optouts.blocking_record(account.sid, recipient, message.from_, message.messaging_service_sid)
        )

    def _stop_of(self, record: OptOutRecord | None) -> Stop | None:
        if record is None or record.message_sid is None:
            return None
        account = self.state.accounts.get(record.account_sid)
        message = account.messages.get(record.message_sid) if account is not None else None
        if message is None:
            return None
        party, handset = conversation_key(message)
        return Stop(message.account_sid, message.sid, party, handset)


def _our_address(message: Message) -> str | None:
    return message.to if message.direction is Direction.INBOUND else message.from_
