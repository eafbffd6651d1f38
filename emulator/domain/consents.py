"""The Consent Management API (accounts.twilio.com/v1): bulk upserts of consents and contacts.

Each item is validated on its own: a failing item is reported against its own correlation_id
(30646 for a consent, 30647 for a contact, with the reason strings of Twilio's error pages) while
the others still apply, all in one unit of work. Consents change the block list only through the
opt-out engine, so every send rule applies to them unchanged.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import errors
from ..optout import Consent, OptOutEngine
from .models import Account, Contact
from .phone import SenderType, is_e164, sender_type
from .services import SERVICE_SID
from .state import State
from .unit_of_work import UnitOfWork

MAX_ITEMS = 25  # "Creates up to 25 consents for an authenticated account"
CONSENT_SOURCES = ("website", "offline", "opt-in-message", "opt-out-message", "others")
STATUSES = {"opt-in": True, "opt-out": False}
# "100 requests per minute. Once you reach this limit, the API returns an HTTP 429", per API.
RATE_LIMIT = 100
RATE_WINDOW = timedelta(minutes=1)
CONSENT_FAILED = 30646
CONTACT_FAILED = 30647
COUNTRY_ISO = re.compile(r"^[A-Z]{2}\Z")
# Postal code forms of the countries where a mistake is easy to tell; other countries: any short code.
ZIP_CODES = {
    "US": re.compile(r"^\d{5}(?:-\d{4})?\Z"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d\Z"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\Z"),
}
ANY_ZIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{0,9}\Z")


@dataclass(frozen=True)
class ItemResult:
    correlation_id: str | None
    error_code: int = 0
    error_messages: tuple[str, ...] = ()


class Consents:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, optouts: OptOutEngine) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.optouts = optouts
        self._requests: dict[tuple[str, str], deque[datetime]] = {}  # (account, API) -> recent requests
        self._rate_lock = threading.Lock()

    # -- the two operations ---------------------------------------------------------------------
    def upsert_consents(self, account: Account, items: list[str]) -> list[ItemResult]:
        self._admit(account, "consents")
        parsed = _items(items)
        with self.uow.transaction():
            self.state.live(account)
            results, seen = [], set[str]()
            for item in parsed:
                consent, result = self._consent(account, item, seen)
                if consent is not None:
                    self.optouts.record_consent(consent, self.clock.now())
                results.append(result)
            return results

    def upsert_contacts(self, account: Account, items: list[str]) -> list[ItemResult]:
        self._admit(account, "contacts")
        parsed = _items(items)
        with self.uow.transaction() as tx:
            self.state.live(account)
            results, seen = [], set[str]()
            for item in parsed:
                contact, result = self._contact(account, item, seen)
                if contact is not None:
                    existing = account.contacts.get(contact.contact_id)
                    if existing is not None:  # upsert: the new one replaces it
                        tx.delete(existing)
                    tx.add(contact)
                results.append(result)
            return results

    def forget(self, account_sid: str | None = None) -> None:
        """A reset starts the rate limit's window afresh."""
        with self._rate_lock:
            for key in [k for k in self._requests if account_sid in (None, k[0])]:
                del self._requests[key]

    # -- helpers --------------------------------------------------------------------------------
    def _admit(self, account: Account, api: str) -> None:
        """Twilio's per-minute limit, when the account's `consent_rate_limit` is on."""
        if not account.settings.consent_rate_limit:
            return
        now = self.clock.now()
        with self._rate_lock:
            recent = self._requests.setdefault((account.sid, api), deque())
            while recent and now - recent[0] >= RATE_WINDOW:
                recent.popleft()
            if len(recent) >= RATE_LIMIT:
                wait = RATE_WINDOW - (now - recent[0])
                raise errors.TooManyRequests(
                    retry_after=max(int(wait.total_seconds() + 0.999), 1),
                    reason=f"account {account.sid} made {RATE_LIMIT} {api} requests in the last minute "
                    "(consent_rate_limit is on)",
                )
            recent.append(now)

    def _consent(self, account: Account, item: dict, seen: set[str]) -> tuple[Consent | None, ItemResult]:
        correlation_id = _correlation(item)
        reasons = _correlation_reasons(item, seen)
        contact_id, sender_id = item.get("contact_id"), item.get("sender_id")
        status, source = item.get("status"), item.get("source")
        if not isinstance(contact_id, str) or not is_e164(contact_id):
            reasons.append("INVALID_CONTACT_ID")
        if not isinstance(sender_id, str) or not _sender_ok(account, sender_id):
            reasons.append("INVALID_SENDER_ID")
        if not isinstance(status, str) or status not in STATUSES:
            reasons.append("INVALID_STATUS")
        if not isinstance(source, str) or source not in CONSENT_SOURCES:
            reasons.append("INVALID_SOURCE")
        try:
            when = _date_of_consent(item.get("date_of_consent"), self.clock.now())
        except ValueError:
            reasons.append("INVALID_DATE_OF_CONSENT")
        if reasons or correlation_id is None or not isinstance(contact_id, str) or not isinstance(sender_id, str):
            return None, ItemResult(correlation_id, CONSENT_FAILED, tuple(reasons))
        assert isinstance(status, str) and isinstance(source, str)  # both checked above
        by_service = SERVICE_SID.match(sender_id) is not None
        owned = None if by_service else self.state.owners.get(sender_id)
        consent = Consent(
            account_sid=account.sid,
            recipient=contact_id,
            sender=None if by_service else sender_id,
            service_sid=sender_id if by_service else None,
            opt_in=STATUSES[status],
            source=source,
            correlation_id=correlation_id,
            date_of_consent=when,
            pool_service_sid=owned.service_sid if owned is not None and owned.account_sid == account.sid else None,
        )
        return consent, ItemResult(correlation_id)


    def _contact(self, account: Account, item: dict, seen: set[str]) -> tuple[Contact | None, ItemResult]:
        correlation_id = _correlation(item)
        reasons = _correlation_reasons(item, seen)
        contact_id, country, zip_code = item.get("contact_id"), item.get("country_iso_code"), item.get("zip_code")
        if not isinstance(contact_id, str) or not is_e164(contact_id):
            reasons.append("INVALID_CONTACT_ID")
        if not isinstance(country, str) or not COUNTRY_ISO.match(country):
            reasons.append("INVALID_COUNTRY_ISO_CODE")
        if zip_code is not None and not _zip_ok(zip_code, country):
            reasons.append("INVALID_ZIP_CODE")
        if reasons or correlation_id is None or not isinstance(contact_id, str) or not isinstance(country, str):
            return None, ItemResult(correlation_id, CONTACT_FAILED, tuple(reasons))
        return Contact(account.sid, contact_id, correlation_id, self.clock.now(), country, zip_code), ItemResult(
            correlation_id
        )


def _items(items: list[str]) -> list[dict]:
    """The request's Items, each a JSON object (one that is not becomes an empty one: every field
    of it is then reported invalid, against a null correlation_id)."""
    if not items:
        raise errors.InvalidParameter("Missing required parameter Items in the post body")
    if len(items) > MAX_ITEMS:
        raise errors.InvalidParameter(f"Items: at most {MAX_ITEMS} items per request, got {len(items)}")
    parsed = []
    for raw in items:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            value = None
        parsed.append(value if isinstance(value, dict) else {})
    return parsed


def _correlation(item: dict) -> str | None:
    value = item.get("correlation_id")
    return value if isinstance(value, str) else None


def _correlation_reasons(item: dict, seen: set[str]) -> list[str]:
    """INVALID_CORRELATION_ID unless it is 32 characters and not used before in this request
    ("Each correlation_id must be unique")."""
    value = _correlation(item)
    if value is None or len(value) != 32 or value in seen:
        return ["INVALID_CORRELATION_ID"]
    seen.add(value)
    return []


def _sender_ok(account: Account, sender_id: str) -> bool:
    """A Messaging Service of the account, or a number or short code (a "From phone number")."""
    if SERVICE_SID.match(sender_id):
        return sender_id in account.services
    return sender_type(sender_id) in (SenderType.LONG_CODE, SenderType.TOLL_FREE, SenderType.SHORT_CODE)


def _date_of_consent(value: Any, now: datetime) -> datetime | None:
    """None when absent; ValueError when not an ISO-8601 date and time, or in the future."""
    if value is None:
        return None
    if not isinstance(value, str) or "T" not in value:
        raise ValueError("not a date and time")  # a date alone (2025-03-25) fails in Twilio's own example
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    if when > now:
        raise ValueError("in the future")
    return when


def _zip_ok(zip_code: Any, country: Any) -> bool:
    if not isinstance(zip_code, str) or not isinstance(country, str):
        return False
    return bool(ZIP_CODES.get(country, ANY_ZIP).match(zip_code))
