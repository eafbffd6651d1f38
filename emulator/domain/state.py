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
from .models import Account, AutoReply, Contact, Fault, Message, MessagingService, Sender, StickySender
from .phone import SenderType


class State:
    def __init__(self, max_messages: int | None = None) -> None:
        self.max_messages = max_messages
        self.accounts: dict[str, Account] = {}
        self.owners: dict[str, Sender] = {}  # phone number / short code -> the sender that owns it
        self.optouts: dict[tuple, OptOutRecord] = {}  # the opt-out engine's records, by record_key
        self.faults: list[Fault] = []  # injected delivery failures, first match wins
        # (seq, account, sid) of every stored message, oldest first: the retention cap's queue.
        self.retained: deque[tuple[int, str, str]] = deque()
        self.message_count = 0
        self.seq = 0  # insertion counter of messages and auto-replies: "newest first" order
        self._place: dict[type, Callable[[Any], None]] = {
            Account: self._place_account,
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
        self.optouts.clear()
        self.faults = []
        self.retained.clear()
        self.message_count = 0
        self.seq = 0

    def snapshot(self) -> tuple:
        """What `restore` needs to undo a clear (the records themselves are left untouched by it)."""
        return (dict(self.accounts), dict(self.owners), dict(self.optouts), self.faults, deque(self.retained),
                self.message_count, self.seq)

    def restore(self, snapshot: tuple) -> None:
        accounts, owners, optouts, faults, retained, count, seq = snapshot
        self.clear()
        self.accounts.update(accounts)
        self.owners.update(owners)
        self.optouts.update(optouts)
        self.faults = faults
        self.retained.extend(retained)
        self.message_count, self.seq = count, seq

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
        self.message_count += 1
        if self.max_messages is not None:
            entry = (message.seq, message.account_sid, message.sid)
            if not self.retained or self.retained[-1][0] < message.seq:
                self.retained.append(entry)
            else:  # put back by an undo: keep the queue in seq order
                bisect.insort(self.retained, entry)

    def _unplace_message(self, message: Message) -> None:
        # Its retention entry stays behind; the eviction skips entries whose message is gone.
        self.accounts[message.account_sid].messages.remove(message.sid)
        self.message_count -= 1

    def _place_auto_reply(self, reply: AutoReply) -> None:
        self.accounts[reply.account_sid].auto_replies[reply.id] = reply

    def _unplace_auto_reply(self, reply: AutoReply) -> None:
        del self.accounts[reply.account_sid].auto_replies[reply.id]

    def _place_opt_out(self, record: OptOutRecord) -> None:
        self.optouts[record_key(record)] = record

    def _unplace_opt_out(self, record: OptOutRecord) -> None:
        del self.optouts[record_key(record)]

    def _place_contact(self, contact: Contact) -> None:
        self.accounts[contact.account_sid].contacts[contact.contact_id] = contact

    def _unplace_contact(self, contact: Contact) -> None:
        del self.accounts[contact.account_sid].contacts[contact.contact_id]

    # -- the retention cap ----------------------------------------------------------------------
    def oldest_messages_over_cap(self) -> list[Message]:
        """The messages to evict so that at most max_messages remain, oldest first."""
        cap = self.max_messages
        if cap is None or self.message_count <= cap:
            return []
        over, found = self.message_count - cap, []
        for seq, account_sid, sid in self.retained:
            account = self.accounts.get(account_sid)
            message = account.messages.get(sid) if account is not None else None
            if message is not None and message.seq == seq:
                found.append(message)
                if len(found) == over:
                    break
        return found

    def drop_stale_retained(self) -> None:
        """Pop queue entries of messages that are gone (evicted, deleted or undone)."""
        retained = self.retained
        while retained:
            seq, account_sid, sid = retained[0]
            account = self.accounts.get(account_sid)
            message = account.messages.get(sid) if account is not None else None
            if message is not None and message.seq == seq:
                return
            retained.popleft()
