"""The emulator's state: every record, keyed by account, and where each kind of record lives.

State holds data and nothing else (moto's BaseBackend keeps its dicts the same way). Records are
placed and unplaced only by the unit of work (`tx.add`, `tx.delete`), by the restore from a store,
and by an undo: `place`/`unplace` are the one place that knows the indexes of each kind of record.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import AuthenticationFailed
from ..optout.engine import OptOutRecord, record_key
from .models import Account, ApiKey, AutoReply, Contact, Fault, Message, MessagingService, Sender, StickySender
from .phone import SenderType


class State:
    def __init__(self, max_messages: int | None = None, max_auto_replies: int | None = None) -> None:
        self.accounts: dict[str, Account] = {}
        self.owners: dict[str, Sender] = {}  # phone number / short code -> the sender that owns it
        self.api_keys: dict[str, ApiKey] = {}  # every account's keys, by SK… (authentication looks here)
        self.optouts: dict[tuple, OptOutRecord] = {}  # the opt-out engine's records, by record_key
        self.faults: list[Fault] = []  # injected delivery failures, first match wins
        self.seq = 0  # insertion counter of messages and auto-replies: "newest first" order
        # The retention caps (opt-out records have none: they are never evicted).
        self.kept_messages = Retention(max_messages, lambda account, sid: account.messages.get(sid))
        self.kept_replies = Retention(max_auto_replies, lambda account, key: account.auto_replies.get(key))
        self._caps = (self.kept_messages, self.kept_replies)
        self._place: dict[type, Callable[[Any], None]] = {
            Account: self._place_account,
            ApiKey: self._place_api_key,
            Sender: self._place_sender,
            MessagingService: self._place_service,
            StickySender: self._place_sticky,
            Message: self._place_message,
            AutoReply: self._place_auto_reply,
            OptOutRecord: self._place_opt_out,
            Contact: self._place_contact,
        }
        self._unplace: dict[type, Callable[[Any], None]] = {
            Account: self._unplace_account,
            ApiKey: self._unplace_api_key,
            Sender: self._unplace_sender,
            MessagingService: self._unplace_service,
            StickySender: self._unplace_sticky,
            Message: self._unplace_message,
            AutoReply: self._unplace_auto_reply,
            OptOutRecord: self._unplace_opt_out,
            Contact: self._unplace_contact,
        }

    def clear(self) -> None:
        """Forget everything (in place: the parts hold references to these containers)."""
        self.accounts.clear()
        self.owners.clear()
        self.api_keys.clear()
        self.optouts.clear()
        self.faults = []
        for cap in self._caps:
            cap.clear()
        self.seq = 0

    def snapshot(self) -> tuple:
        """What `restore` needs to undo a clear (the records themselves are left untouched by it)."""
        return (dict(self.accounts), dict(self.owners), dict(self.api_keys), dict(self.optouts), self.faults,
                [cap.snapshot() for cap in self._caps], self.seq)

    def restore(self, snapshot: tuple) -> None:
        accounts, owners, api_keys, optouts, faults, caps, seq = snapshot
        self.clear()
        self.accounts.update(accounts)
        self.owners.update(owners)
        self.api_keys.update(api_keys)
        self.optouts.update(optouts)
        self.faults = faults
        for cap, kept in zip(self._caps, caps, strict=True):
            cap.restore(kept)
        self.seq = seq

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def live(self, account: Account) -> Account:
        """The account, if it is still part of the state: a request (or a webhook's TwiML) that began
        before a reset must not write into the discarded state."""
        if self.accounts.get(account.sid) is not account:
            raise AuthenticationFailed(reason=f"account {account.sid} was reset while this request was in flight")
        return account

    # -- where records live ---------------------------------------------------------------------
    def place(self, record: Any) -> None:
        self._place[type(record)](record)

    def unplace(self, record: Any) -> None:
        self._unplace[type(record)](record)

    def moved(self, record: Any, old: dict[str, Any]) -> None:
        """A record's fields changed from `old`: fix the indexes that depend on them."""
        if type(record) is Message and "from_" in old and old["from_"] != record.from_:
            self.accounts[record.account_sid].messages.reindex_from(record, old["from_"])

    def load(self, records: Iterable[Any]) -> None:
        """Rebuild from what a store kept (parents before children, messages in seq order)."""
        self.clear()
        for record in records:
            self.place(record)
            if type(record) in (Message, AutoReply):
                self.seq = max(self.seq, record.seq)

    def _place_account(self, account: Account) -> None:
        self.accounts[account.sid] = account

    def _unplace_account(self, account: Account) -> None:
        del self.accounts[account.sid]

    def _place_api_key(self, key: ApiKey) -> None:
        self.accounts[key.account_sid].api_keys[key.sid] = key
        self.api_keys[key.sid] = key

    def _unplace_api_key(self, key: ApiKey) -> None:
        del self.accounts[key.account_sid].api_keys[key.sid]
        del self.api_keys[key.sid]

    def _place_sender(self, sender: Sender) -> None:
        account = self.accounts[sender.account_sid]
        account.senders[sender.sid] = sender
        if sender.type is SenderType.ALPHANUMERIC:
            account.alpha_senders[sender.address] = sender
        else:
            self.owners[sender.address] = sender

    def _unplace_sender(self, sender: Sender) -> None:
        account = self.accounts[sender.account_sid]
        del account.senders[sender.sid]
        if sender.type is SenderType.ALPHANUMERIC:
            del account.alpha_senders[sender.address]
        else:
            del self.owners[sender.address]

    def _place_service(self, service: MessagingService) -> None:
        self.accounts[service.account_sid].services[service.sid] = service

    def _unplace_service(self, service: MessagingService) -> None:
        del self.accounts[service.account_sid].services[service.sid]

    def _place_sticky(self, sticky: StickySender) -> None:
        self.accounts[sticky.account_sid].services[sticky.service_sid].sticky[sticky.recipient] = sticky

    def _unplace_sticky(self, sticky: StickySender) -> None:
        del self.accounts[sticky.account_sid].services[sticky.service_sid].sticky[sticky.recipient]

    def _place_message(self, message: Message) -> None:
        self.accounts[message.account_sid].messages.add(message)
        self.kept_messages.placed(message.seq, message.account_sid, message.sid)

    def _unplace_message(self, message: Message) -> None:
        self.accounts[message.account_sid].messages.remove(message.sid)
        self.kept_messages.unplaced()

    def _place_auto_reply(self, reply: AutoReply) -> None:
        self.accounts[reply.account_sid].auto_replies[reply.id] = reply
        self.kept_replies.placed(reply.seq, reply.account_sid, reply.id)

    def _unplace_auto_reply(self, reply: AutoReply) -> None:
        del self.accounts[reply.account_sid].auto_replies[reply.id]
        self.kept_replies.unplaced()

    def _place_opt_out(self, record: OptOutRecord) -> None:
        key = record_key(record)
        if self.optouts.get(key, record) is not record:  # an undo could not bring the old one back
            raise RuntimeError(f"opt-out record {key} is taken: delete it before adding another")
        self.optouts[key] = record

    def _unplace_opt_out(self, record: OptOutRecord) -> None:
        del self.optouts[record_key(record)]

    def _place_contact(self, contact: Contact) -> None:
        self.accounts[contact.account_sid].contacts[contact.contact_id] = contact

    def _unplace_contact(self, contact: Contact) -> None:
        del self.accounts[contact.account_sid].contacts[contact.contact_id]

    # -- the retention caps ---------------------------------------------------------------------
    def over_caps(self) -> list[Any]:
        """The records to evict so that every cap holds, oldest first."""
        return [record for cap in self._caps for record in cap.over(self.accounts)]

    def drop_stale_retained(self) -> None:
        for cap in self._caps:
            cap.drop_stale(self.accounts)


class Retention:
    """The cap on one kind of record, across accounts: the (seq, account, key) of every stored
    record, oldest first. A record that goes (deleted, evicted, undone) leaves its entry behind;
    entries are matched to records by seq and dropped once they reach the front."""

    def __init__(self, cap: int | None, find: Callable[[Account, str], Any]) -> None:
        self.cap = cap
        self._find = find
        self._queue: deque[tuple[int, str, str]] = deque()
        self.count = 0

    def clear(self) -> None:
        self._queue.clear()
        self.count = 0

    def snapshot(self) -> tuple[deque, int]:
        return deque(self._queue), self.count

    def restore(self, kept: tuple[deque, int]) -> None:
        self._queue, self.count = deque(kept[0]), kept[1]

    def placed(self, seq: int, account_sid: str, key: str) -> None:
        self.count += 1
        if self.cap is not None:
            entry = (seq, account_sid, key)
            if not self._queue or self._queue[-1][0] < seq:
                self._queue.append(entry)
            else:  # put back by an undo: keep the queue in seq order
                bisect.insort(self._queue, entry)

    def unplaced(self) -> None:
        self.count -= 1

    def _alive(self, accounts: dict[str, Account], entry: tuple[int, str, str]) -> Any:
        seq, account_sid, key = entry
        account = accounts.get(account_sid)
        record = self._find(account, key) if account is not None else None
        return record if record is not None and record.seq == seq else None

    def over(self, accounts: dict[str, Account]) -> list[Any]:
        if self.cap is None or self.count <= self.cap:
            return []
        over, found = self.count - self.cap, []
        for entry in self._queue:
            record = self._alive(accounts, entry)
            if record is not None:
                found.append(record)
                if len(found) == over:
                    break
        return found

    def drop_stale(self, accounts: dict[str, Account]) -> None:
        while self._queue and self._alive(accounts, self._queue[0]) is None:
            self._queue.popleft()
        # Entries of records gone from behind a long-lived one pile up (deletes, account resets):
        # once they outnumber the live ones, sweep them all (amortised: a sweep per that many).
        if len(self._queue) > 2 * self.count + 64:
            self._queue = deque(entry for entry in self._queue if self._alive(accounts, entry) is not None)


def evict_over_caps(tx: Any, state: State) -> None:
    """Delete (through the operation's unit of work, so a --db file stays bounded too) whatever the
    retention caps no longer keep."""
    for record in state.over_caps():
        tx.delete(record)
    state.drop_stale_retained()
