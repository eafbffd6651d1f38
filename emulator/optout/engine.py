"""The opt-out engine: the only code that writes opt-out records.

Records are keyed by (account, sender, recipient) and, for a number in a Messaging Service, also by
(account, service, recipient): two records per STOP (Twilio's "Opt-out keywords support"). Lookups
are dict hits. The engine reads the records from the dict it is given and writes them only through
its writer: in the emulator, the current unit of work (so a write is undone if the operation
fails, and persisted if it succeeds). Callers serialise access; the engine itself keeps no lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.phone import SenderType, sender_type
from ..errors import InvalidInput
from .keywords import DEFAULT_TABLE, KeywordTable, OptOutType, normalise
from .replies import DEFAULT_REPLIES, TOLL_FREE_OPT_IN_WORDS, TOLL_FREE_STOP, toll_free_opt_in
from .rules import SENDER_RULES, Handling, Replies


@dataclass(frozen=True)
class OptOutRecord:
    account_sid: str
    sender: str | None  # None on a service record
    messaging_service_sid: str | None  # None on a sender record
    recipient: str
    created_at: datetime
    origin_sender: str | None = None  # on a service record: the pool sender the STOP went to
    source: str = "keyword"  # what wrote it: keyword | fixture | consent_api | sandbox (the operator)
    # An opt-out of the Consent Management API (or a fixture saying so) also keeps the consent's
    # own source (website, offline, ...), date and correlation_id.
    consent_source: str | None = None
    date_of_consent: datetime | None = None
    correlation_id: str | None = None
    message_sid: str | None = None  # the inbound keyword message that wrote it


SOURCES = ("keyword", "fixture", "consent_api", "sandbox")
KEPT_KEYWORDS = frozenset({"STOP", "START", "HELP"})


@dataclass(frozen=True)
class Consent:
    """One item of the Consent Management API, validated: opt-in or opt-out of (sender or Messaging
    Service, recipient)."""

    account_sid: str
    recipient: str
    sender: str | None
    service_sid: str | None
    opt_in: bool
    source: str  # the consent's source: website | offline | opt-in-message | opt-out-message | others
    correlation_id: str
    date_of_consent: datetime | None = None
    pool_service_sid: str | None = None  # the Messaging Service whose pool holds `sender`, if any


@dataclass(frozen=True)
class CustomKeywords:
    """A Messaging Service's Advanced Opt-Out: keywords added to Twilio's lists, default keywords
    removed from them (never STOP, START or HELP), and custom reply texts."""

    opt_out: tuple[str, ...] = ()
    opt_in: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    replies: dict[OptOutType, str | None] | None = None

    def table(self) -> KeywordTable:
        # "remove most default keywords, except for STOP, HELP, and START" (Advanced Opt-Out doc).
        removed = {normalise(w) for w in self.removed} - KEPT_KEYWORDS

        def merge(defaults: frozenset[str], extra: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(w for w in (*defaults, *extra) if normalise(w) not in removed)

        return KeywordTable.build(
            merge(DEFAULT_TABLE.opt_out, self.opt_out),
            merge(DEFAULT_TABLE.opt_in, self.opt_in),
            merge(DEFAULT_TABLE.help, self.help),
        )


@dataclass(frozen=True)
class Inbound:
    """What the engine needs to know about one inbound message."""

    account_sid: str
    sender: str  # the account's number or short code that received it
    sender_type: SenderType
    recipient: str  # the handset that sent it
    body: str
    service_sid: str | None = None
    advanced_opt_out: CustomKeywords | None = None  # set when the service has Advanced Opt-Out on
    lenient_punctuation: bool = False
    message_sid: str | None = None  # the inbound message (recorded on the records it writes)


@dataclass(frozen=True)
class InboundOutcome:
    opt_out_type: OptOutType | None  # the keyword class Twilio acted on
    reply: str | None  # the auto-reply text, if one is sent
    changed: bool = False  # whether the block list changed


NOTHING = InboundOutcome(None, None)


def _sender_key(account_sid: str, sender: str, recipient: str) -> tuple:
    return ("sender", account_sid, sender, recipient)


def _service_key(account_sid: str, service_sid: str, recipient: str) -> tuple:
    return ("service", account_sid, service_sid, recipient)


def _carrier_held(record: OptOutRecord) -> bool:
    """A STOP to a US toll-free number: the carrier network's block, not only Twilio's."""
    if record.source != "keyword" or record.sender is None:
        return False
    return sender_type(record.sender) is SenderType.TOLL_FREE


def record_key(record: OptOutRecord) -> tuple:
    """A record's key: (sender, recipient) for a sender record, (service, recipient) otherwise."""
    if record.sender is not None:
        return _sender_key(record.account_sid, record.sender, record.recipient)
    return _service_key(record.account_sid, record.messaging_service_sid, record.recipient)  # type: ignore[arg-type]


class RecordWriter(Protocol):
    def put(self, record: OptOutRecord) -> None: ...

    def remove(self, record: OptOutRecord) -> None: ...


class DictWriter:
    """Writes straight into the records dict (the engine on its own, as in unit tests)."""

    def __init__(self, records: dict[tuple, OptOutRecord]) -> None:
        self._records = records

    def put(self, record: OptOutRecord) -> None:
        self._records[record_key(record)] = record

    def remove(self, record: OptOutRecord) -> None:
        del self._records[record_key(record)]


class OptOutEngine:
    def __init__(self, records: dict[tuple, OptOutRecord] | None = None, writer: RecordWriter | None = None) -> None:
        self._records: dict[tuple, OptOutRecord] = {} if records is None else records
        self._writer = writer or DictWriter(self._records)

    def _remove(self, key: tuple) -> OptOutRecord | None:
        record = self._records.get(key)
        if record is not None:
            self._writer.remove(record)
        return record

    def __len__(self) -> int:
        return len(self._records)

    # -- outbound -------------------------------------------------------------------------------
    def blocking_record(
        self, account_sid: str, recipient: str, sender: str | None = None, service_sid: str | None = None
    ) -> OptOutRecord | None:
        """The record that forbids this send, if any: the sender's own record, or (for a send by
        MessagingServiceSid) the service's record."""
        if sender is not None:
            record = self._records.get(_sender_key(account_sid, sender, recipient))
            if record is not None:
                return record
        if service_sid is not None:
            return self._records.get(_service_key(account_sid, service_sid, recipient))
        return None

    # -- inbound --------------------------------------------------------------------------------
    def receive(self, inbound: Inbound, now: datetime) -> InboundOutcome:
        """Apply Twilio's keyword handling to one inbound message (the account's STOP filtering is on)."""
        rule = SENDER_RULES[inbound.sender_type]
        aoo = inbound.advanced_opt_out
        if rule.handling is Handling.NEVER or (rule.handling is Handling.ADVANCED_OPT_OUT_ONLY and aoo is None):
            return NOTHING
        table = aoo.table() if aoo is not None else DEFAULT_TABLE
        if rule.only_opt_in is not None:
            table = table.with_opt_in(rule.only_opt_in)
        word = normalise(inbound.body, inbound.lenient_punctuation)
        kind = table.classify(word)
        if kind is None:
            return NOTHING
        if kind is OptOutType.STOP:
            changed = self._opt_out(inbound, now)
        elif kind is OptOutType.START:
            changed = self._opt_in(inbound)
        else:
            changed = False
            opted_out = _sender_key(inbound.account_sid, inbound.sender, inbound.recipient) in self._records
            if opted_out and not rule.help_while_opted_out:
                return InboundOutcome(kind, None)
        return InboundOutcome(kind, self._reply(rule.replies, kind, word, aoo), changed)

    def import_record(
        self,
        account_sid: str,
        recipient: str,
        sender: str | None,
        service_sid: str | None,
        now: datetime,
        source: str = "fixture",
        consent_source: str | None = None,
    ) -> OptOutRecord:
        """Add one record of an imported suppression list (fixtures): a sender or a service record.
        `source` may say what it stands for (a STOP keyword, the consent API), "fixture" otherwise."""
        if (sender is None) == (service_sid is None):
            raise InvalidInput("an opt-out record names exactly one of sender and messaging_service_sid")
        if source not in SOURCES:
            raise InvalidInput(f"source {source!r} must be one of {', '.join(SOURCES)}")
        record = OptOutRecord(
            account_sid, sender, service_sid, recipient, now, source=source, consent_source=consent_source
        )
        key = record_key(record)
        if key not in self._records:
            self._writer.put(record)
        return self._records[key]

    def lift(
        self, account_sid: str, recipient: str, sender: str | None, service_sid: str | None
    ) -> OptOutRecord | None:
        """Remove one record (the operator's opt-in): a sender record, or a service record."""
        if sender is not None:
            return self._remove(_sender_key(account_sid, sender, recipient))
        return self._remove(_service_key(account_sid, service_sid or "", recipient))

    def record_consent(self, consent: Consent, now: datetime) -> None:
        """Apply one consent of the Consent Management API to the block list.

        opt-out: upsert the sender's or the service's record (an existing block keeps its start).
        opt-in: "overrides STOP", as a START to that sender does: its record goes, and with it the
        other record the same STOP made (a number's and its service's). Except on US toll-free
        numbers, whose STOP is held by the carrier network ("Toll-free opt out handling is managed
        at the network level in the US"): that keyword record stays.
        """
        sender, service_sid = consent.sender, consent.service_sid
        if (sender is None) == (service_sid is None):
            raise InvalidInput("a consent names exactly one of sender and messaging_service_sid")
        key = (_sender_key(consent.account_sid, sender, consent.recipient) if sender is not None
               else _service_key(consent.account_sid, service_sid, consent.recipient))  # type: ignore[arg-type]
        existing = self._records.get(key)
        if not consent.opt_in:
            if existing is not None and _carrier_held(existing):
                return  # blocked by the carrier already; Twilio's consent cannot change that
            self._writer.put(OptOutRecord(
                consent.account_sid, sender, service_sid, consent.recipient,
                existing.created_at if existing is not None else now,
                origin_sender=existing.origin_sender if existing is not None else None,
                source="consent_api", consent_source=consent.source, date_of_consent=consent.date_of_consent,
                correlation_id=consent.correlation_id,
            ))
            return
        if sender is not None:
            service_record = None
            if consent.pool_service_sid is not None:
                service_record = self._records.get(
                    _service_key(consent.account_sid, consent.pool_service_sid, consent.recipient)
                )
            lifted = [existing]
            # As a START to the number: its service's record goes too (if this number's STOP made it).
            if service_record is not None and (existing is not None or service_record.origin_sender in (None, sender)):
                lifted.append(service_record)
        else:
            origin = existing.origin_sender if existing is not None else None
            lifted = [existing, self._records.get(_sender_key(consent.account_sid, origin, consent.recipient))
                      if origin is not None else None]
        for record in lifted:
            if record is not None and not _carrier_held(record):
                self._writer.remove(record)

    def list_(self, account_sid: str | None = None, recipient: str | None = None) -> list[OptOutRecord]:
        return [
            r
            for r in self._records.values()
            if (account_sid is None or r.account_sid == account_sid) and (recipient is None or r.recipient == recipient)
        ]

    # -- writers --------------------------------------------------------------------------------
    def _opt_out(self, inbound: Inbound, now: datetime) -> bool:
        added = False
        key = _sender_key(inbound.account_sid, inbound.sender, inbound.recipient)
        if key not in self._records:
            record = OptOutRecord(
                inbound.account_sid, inbound.sender, None, inbound.recipient, now, message_sid=inbound.message_sid
            )
            self._writer.put(record)
            added = True
        if inbound.service_sid is not None:
            key = _service_key(inbound.account_sid, inbound.service_sid, inbound.recipient)
            if key not in self._records:
                record = OptOutRecord(
                    inbound.account_sid,
                    None,
                    inbound.service_sid,
                    inbound.recipient,
                    now,
                    inbound.sender,
                    message_sid=inbound.message_sid,
                )
                self._writer.put(record)
                added = True
        return added

    def _opt_in(self, inbound: Inbound) -> bool:
        # Only the sender the STOP went to can lift it; that lifts its service record too.
        had_sender_record = self._remove(_sender_key(inbound.account_sid, inbound.sender, inbound.recipient))
        if inbound.service_sid is None:
            return had_sender_record is not None
        service_key = _service_key(inbound.account_sid, inbound.service_sid, inbound.recipient)
        service_record = self._records.get(service_key)
        if service_record is not None and (
            had_sender_record is not None or service_record.origin_sender in (None, inbound.sender)
        ):
            self._remove(service_key)
            return True
        return had_sender_record is not None

    @staticmethod
    def _reply(replies: Replies, kind: OptOutType, word: str, aoo: CustomKeywords | None) -> str:
        if replies is Replies.TOLL_FREE:
            if kind is OptOutType.STOP and word == "STOP":
                return TOLL_FREE_STOP
            if kind is OptOutType.START and word in TOLL_FREE_OPT_IN_WORDS:
                return toll_free_opt_in(word)
        custom = (aoo.replies or {}).get(kind) if aoo is not None else None
        return custom or DEFAULT_REPLIES[kind]
