"""An account's messages: by SID, in creation order, and indexed by To, From and conversation, so a
filtered, newest-first page costs the page (not the number of stored messages)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator

from .models import Direction, Message
from .phone import address

Conversation = tuple[str, str]  # (party, handset)


def _seq(message: Message) -> int:
    return message.seq


def _place(entries: list[Message], message: Message) -> None:
    if entries and entries[-1].seq > message.seq:
        insort(entries, message, key=_seq)
    else:
        entries.append(message)


def conversation_key(message: Message) -> Conversation:
    """The thread a message belongs to: (our side, the handset). Our side is the Messaging Service
    when the message has one (all of its pool numbers), else our number, short code or sender ID."""
    inbound = message.direction is Direction.INBOUND
    ours = message.to if inbound else message.from_
    handset = message.from_ if inbound else message.to
    return message.messaging_service_sid or address(ours or ""), handset or ""


class MessageLog:
    __slots__ = ("_by_conversation", "_by_from", "_by_sid", "_by_to", "_ordered", "_recent")

    def __init__(self) -> None:
        self._by_sid: dict[str, Message] = {}
        self._ordered: list[Message] = []  # ascending seq
        self._by_to: dict[str, list[Message]] = {}
        self._by_from: dict[str | None, list[Message]] = {}
        self._by_conversation: dict[Conversation, list[Message]] = {}
        # (seq of its newest message, conversation), ascending: conversations by latest activity.
        self._recent: list[tuple[int, Conversation]] = []

    # -- mapping-like access ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_sid)

    def __contains__(self, sid: object) -> bool:
        return sid in self._by_sid

    def __getitem__(self, sid: str) -> Message:
        return self._by_sid[sid]

    def get(self, sid: str) -> Message | None:
        return self._by_sid.get(sid)

    def values(self) -> list[Message]:
        """Oldest first (a copy: callers may change the log while iterating)."""
        return list(self._ordered)

    # -- changes ------------------------------------------------------------------------------------
    def add(self, message: Message) -> None:
        """New messages come in seq order (appended); one put back by an undo goes to its place."""
        self._by_sid[message.sid] = message
        _place(self._ordered, message)
        _place(self._by_to.setdefault(message.to, []), message)
        _place(self._by_from.setdefault(message.from_, []), message)
        key = conversation_key(message)
        thread = self._by_conversation.setdefault(key, [])
        if thread:
            self._unrank(thread[-1].seq, key)
        insort(thread, message, key=_seq)
        insort(self._recent, (thread[-1].seq, key))

    def _unrank(self, seq: int, key: Conversation) -> None:
        del self._recent[bisect_left(self._recent, (seq, key))]

    def remove(self, sid: str) -> Message | None:
        message = self._by_sid.pop(sid, None)
        if message is None:
            return None
        self._drop(self._ordered, message)
        self._unindex(self._by_to, message.to, message)
        # `from` can change after creation (a pool sender is assigned): find it where it is.
        for sender in (message.from_, None):
            if self._unindex(self._by_from, sender, message):
                break
        key = conversation_key(message)  # never changes: a late `from` only comes with a service
        thread = self._by_conversation[key]
        self._unrank(thread[-1].seq, key)
        self._drop(thread, message)
        if thread:
            insort(self._recent, (thread[-1].seq, key))
        else:
            del self._by_conversation[key]
        return message

    def reindex_from(self, message: Message, old_from: str | None) -> None:
        """A message got its sender (Messaging Service sends start with from = null)."""
        if self._unindex(self._by_from, old_from, message):
            entries = self._by_from.setdefault(message.from_, [])
            entries.insert(bisect_left(entries, message.seq, key=_seq), message)

    @classmethod
    def _unindex(cls, index: dict, key: str | None, message: Message) -> bool:
        """Take a message out of one index entry; an emptied entry goes too (a long-running sandbox
        sees millions of recipients come and go under a retention cap)."""
        entries = index.get(key)
        if entries is None or not cls._drop(entries, message):
            return False
        if not entries:
            del index[key]
        return True

    @staticmethod
    def _drop(entries: list[Message], message: Message) -> bool:
        index = bisect_left(entries, message.seq, key=_seq)
        if index < len(entries) and entries[index] is message:
            del entries[index]
            return True
        return False

    # -- reading ------------------------------------------------------------------------------------
    def source(self, to: str | None = None, from_: str | None = None) -> list[Message]:
        """The smallest list that holds every message matching these exact filters (ascending seq)."""
        candidates = [self._ordered]
        if to is not None:
            candidates.append(self._by_to.get(to, []))
        if from_ is not None:
            candidates.append(self._by_from.get(from_, []))
        return min(candidates, key=len)

    def conversations(self, before: int | None = None) -> Iterator[tuple[int, Conversation]]:
        """(seq of the newest message, conversation), most recent first, starting below `before`."""
        recent = self._recent
        start = len(recent) if before is None else bisect_left(recent, (before,))
        for index in range(start - 1, -1, -1):
            yield recent[index]

    def conversation(self, key: Conversation) -> list[Message]:
        """A conversation's messages, oldest first (the live list: copy what you keep)."""
        return self._by_conversation.get(key, [])

    @staticmethod
    def older_than(entries: list[Message], seq: int | None) -> Iterator[Message]:
        """Newest first, starting just below `seq` (or at the newest)."""
        start = len(entries) if seq is None else bisect_left(entries, seq, key=_seq)
        for index in range(start - 1, -1, -1):
            yield entries[index]

    @staticmethod
    def newer_than(entries: list[Message], seq: int) -> Iterator[Message]:
        """Oldest first, starting just above `seq`."""
        for index in range(bisect_right(entries, seq, key=_seq), len(entries)):
            yield entries[index]
