"""Domain records. Plain dataclasses; the API's serializers shape them into Twilio's JSON.

Records are changed only through a unit of work (`tx.update(record, field=value)`), by assigning
whole values: a container field is replaced, never changed in place, so the unit of work's
before-image of a record (a shallow copy of its fields) is enough to undo any change."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from .phone import SenderType


class Status(str, enum.Enum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVING = "receiving"
    RECEIVED = "received"
    CANCELED = "canceled"
    READ = "read"


FINAL_STATUSES = frozenset(
    {Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.RECEIVED, Status.CANCELED, Status.READ}
)


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND_API = "outbound-api"
    OUTBOUND_REPLY = "outbound-reply"


@dataclass
class AccountSettings:
    """Per-account switches (see the README's control API). Defaults are Twilio's documented behaviour."""

    auth_token: str | None = None
    stop_filtering: bool = True
    messaging_service_opt_out: str = "async"  # async | sync
    legacy_error_text: bool = False
    lenient_punctuation: bool = False
    auto_replies_in_message_log: bool = False
    strict_senders: bool = False
    progression: str = "immediate"  # immediate | manual | timed (one step per progression_delay seconds)
    progression_delay: float = 1.0
    test_credentials: bool = False  # behave as Twilio's test credentials (only the test resources answer)
    consent_rate_limit: bool = False  # the Consent Management API's 100 requests a minute (429 above)

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "messaging_service_opt_out": ("async", "sync"),
        "progression": ("immediate", "manual", "timed"),
    }


@dataclass(frozen=True)
class Fault:
    """An injected delivery failure: `failed` at sending, or `undelivered` after sent."""

    status: Status
    error_code: int
    to: str | None = None  # exact recipient
    pattern: str | None = None  # or a regular expression on the recipient
    account_sid: str | None = None
    reason: str | None = None  # why it strikes, for the request log (else: an injected fault)

    def matches(self, account_sid: str, to: str) -> bool:
        if self.account_sid is not None and self.account_sid != account_sid:
            return False
        if self.to is not None:
            return self.to == to
        return self.pattern is not None and re.search(self.pattern, to) is not None


@dataclass(slots=True)  # millions may be stored: no per-instance __dict__
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: Status
    direction: Direction
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    messaging_service_sid: str | None = None
    num_segments: int = 1
    media_urls: tuple[str, ...] = ()
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str = "USD"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    channel: str = "sms"
    seq: int = 0  # insertion order: the tie-breaker of "newest first"
    send_at: datetime | None = None  # scheduled messages
    pool_sender_sid: str | None = None  # the Messaging Service pool sender picked for it
    fault: Fault | None = None  # an injected delivery failure, applied when it is reached
    smart_encoded: bool = False  # segments are counted after Smart Encoding

    def __copy__(self) -> Message:
        # A snapshot per status event: copy.copy's generic path for slotted classes is ~8x slower.
        return _copy_message(self)


def _message_copier() -> Callable[[Message], Message]:
    # One assignment per field, written out (as dataclasses writes __init__): no per-field lookup.
    lines = ["def copy_message(m):", "    c = new(Message)"]
    lines += [f"    c.{name} = m.{name}" for name in Message.__slots__]
    namespace: dict[str, Any] = {"new": object.__new__, "Message": Message}
    exec("\n".join([*lines, "    return c"]), namespace)
    return namespace["copy_message"]


_copy_message = _message_copier()


@dataclass
class Sender:
    """A sender an account owns: phone number (PN…), short code (SC…) or alphanumeric ID (AI…)."""

    sid: str
    account_sid: str
    address: str
    type: SenderType
    date_created: datetime
    date_updated: datetime
    friendly_name: str = ""
    sms_url: str = ""
    sms_method: str = "POST"
    sms_fallback_url: str = ""
    sms_fallback_method: str = "POST"
    status_callback: str = ""
    service_sid: str | None = None  # the Messaging Service whose pool holds it
    country: str | None = None  # a short code's country (ISO 3166 alpha-2); None: US
    registration: str | None = None  # A2P 10DLC / toll-free verification state; None: the default

    @property
    def short_code_country(self) -> str:
        return self.country or "US"


@dataclass
class AdvancedOptOut:
    """Advanced Opt-Out of one Messaging Service: extra keywords and custom reply texts."""

    enabled: bool = False
    opt_out_keywords: tuple[str, ...] = ()
    opt_in_keywords: tuple[str, ...] = ()
    help_keywords: tuple[str, ...] = ()
    removed_keywords: tuple[str, ...] = ()  # Twilio defaults to drop (STOP, START, HELP always stay)
    opt_out_reply: str | None = None
    opt_in_reply: str | None = None
    help_reply: str | None = None


@dataclass
class MessagingService:
    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime
    inbound_request_url: str | None = None
    inbound_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    sticky_sender: bool = True
    mms_converter: bool = True
    smart_encoding: bool = True
    scan_message_content: str = "inherit"
    fallback_to_long_code: bool = True
    area_code_geomatch: bool = True
    validity_period: int = 14400
    synchronous_validation: bool = True
    usecase: str = "undeclared"
    use_inbound_webhook_on_number: bool = False
    sender_sids: tuple[str, ...] = ()  # pool order
    advanced_opt_out: AdvancedOptOut = field(default_factory=AdvancedOptOut)
    # recipient -> its sticky sender: records of their own (stored one row each), placed here
    sticky: dict[str, StickySender] = field(default_factory=dict)


@dataclass
class StickySender:
    """The pool sender a Messaging Service keeps using for one recipient (Sticky Sender)."""

    account_sid: str
    service_sid: str
    recipient: str
    sender_sid: str


@dataclass
class AutoReply:
    id: str
    account_sid: str
    from_: str
    to: str
    body: str
    opt_out_type: str
    date_created: datetime
    seq: int = 0
    message_sid: str | None = None
    messaging_service_sid: str | None = None  # the service of the number that answered (its conversation)


@dataclass
class Contact:
    """A contact of the Consent Management API's Contacts (used by Twilio for quiet-hours checks)."""

    account_sid: str
    contact_id: str  # E.164
    correlation_id: str
    date_updated: datetime
    country_iso_code: str | None = None
    zip_code: str | None = None


@dataclass
class ApiKey:
    """An API key (SK…) of one account: issued through the Keys API, or declared by the user
    (--api-key, fixtures). It authenticates with its own secret, for its own account only."""

    sid: str
    account_sid: str
    secret: str
    date_created: datetime
    date_updated: datetime
    friendly_name: str = ""
    # main: may manage keys (Twilio creates these in its Console only); standard and restricted may not.
    type: str = "standard"
    policy: dict | None = None  # a restricted key's Policy: kept and shown, not enforced

    TYPES: ClassVar[tuple[str, ...]] = ("main", "standard", "restricted")


@dataclass
class Account:
    sid: str
    settings: AccountSettings
    date_created: datetime
    api_keys: dict[str, ApiKey] = field(default_factory=dict)  # sid -> key, oldest first
    messages: MessageLog = field(default_factory=lambda: MessageLog())
    senders: dict[str, Sender] = field(default_factory=dict)  # sid -> sender
    alpha_senders: dict[str, Sender] = field(default_factory=dict)  # alphanumeric ID -> sender
    services: dict[str, MessagingService] = field(default_factory=dict)
    auto_replies: dict[str, AutoReply] = field(default_factory=dict)  # id -> reply, oldest first
    contacts: dict[str, Contact] = field(default_factory=dict)  # contact_id -> contact


from .message_log import MessageLog  # noqa: E402 - it needs Message, defined above
