"""Messaging Services: CRUD, the sender pool (PhoneNumbers, ShortCodes, AlphaSenders), sticky sender
selection and Advanced Opt-Out configuration."""

from __future__ import annotations

import re
import zlib
from copy import copy
from dataclasses import fields, replace
from typing import Any

from ..errors import (
    InvalidFrom,
    InvalidInput,
    InvalidParameter,
    NotFound,
    PhoneNumberInvalid,
    SenderAlreadyInService,
    SenderInAnotherService,
    ServiceHasNoSenders,
    UnknownResource,
)
from .models import Account, AdvancedOptOut, MessagingService, Sender, StickySender
from .numbers import Numbers
from .phone import SenderType, in_country, is_nanp, sender_type
from .sids import SidFactory
from .state import State
from .unit_of_work import UnitOfWork
from .urls import is_valid_url

SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}\Z")
# Service attributes an API caller may set (snake_case; the handler maps Twilio's PascalCase).
SERVICE_FIELDS = tuple(
    f.name
    for f in fields(MessagingService)
    if f.name not in {"sid", "account_sid", "date_created", "date_updated", "sender_sids", "sticky", "advanced_opt_out"}
)
POOL_KINDS = {
    "phone_numbers": (SenderType.LONG_CODE, SenderType.TOLL_FREE),
    "short_codes": (SenderType.SHORT_CODE,),
    "alpha_senders": (SenderType.ALPHANUMERIC,),
}
AOO_FIELDS = {f.name for f in fields(AdvancedOptOut)}
URL_FIELDS = {
    "inbound_request_url": "InboundRequestUrl",
    "fallback_url": "FallbackUrl",
    "status_callback": "StatusCallback",
}


class Services:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, sids: SidFactory, numbers: Numbers) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.sids = sids
        self.numbers = numbers

    def create(self, account: Account, **attrs: Any) -> MessagingService:
        sid = attrs.pop("sid", None)
        if sid is not None and (not isinstance(sid, str) or not SERVICE_SID.match(sid)):
            raise InvalidInput(f"sid {sid!r} must be MG followed by 32 hex digits")
        with self.uow.transaction() as tx:
            self.state.live(account)
            if sid is not None and self.find(sid) is not None:
                raise InvalidInput(f"a Messaging Service {sid} exists already")
            now = self.clock.now()
            service = MessagingService(
                sid=sid or self.sids.new("MG"),
                account_sid=account.sid,
                friendly_name=str(attrs.pop("friendly_name", "") or ""),
                date_created=now,
                date_updated=now,
                **_settable(attrs),
            )
            return copy(tx.add(service))

    def list_(self, account: Account) -> list[MessagingService]:
        with self.uow.lock:
            return [copy(service) for service in reversed(account.services.values())]

    def fetch(self, account: Account, sid: str, path: str) -> MessagingService:
        with self.uow.lock:
            return copy(self._get(account, sid, path))

    def _get(self, account: Account, sid: str, path: str) -> MessagingService:
        service = account.services.get(sid)
        if service is None:
            raise NotFound(path=path)
        return service

    def find(self, sid: str) -> MessagingService | None:
        """A service by SID in any account (the control API has no account in its paths)."""
        for account in self.state.accounts.values():
            if sid in account.services:
                return account.services[sid]
        return None

    def update(self, account: Account, sid: str, path: str, **attrs: Any) -> MessagingService:
        with self.uow.transaction() as tx:
            self.state.live(account)
            service = self._get(account, sid, path)
            tx.update(service, date_updated=self.clock.now(), **_settable(attrs))
            return copy(service)

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.uow.transaction() as tx:
            self.state.live(account)
            service = self._get(account, sid, path)
            for sender_sid in service.sender_sids:
                sender = account.senders[sender_sid]
                if sender.type is SenderType.ALPHANUMERIC:  # an alpha sender exists only in a pool
                    tx.delete(sender)
                else:
                    tx.update(sender, service_sid=None)
            for sticky in list(service.sticky.values()):
                tx.delete(sticky)
            tx.delete(service)

    # -- sender pool ----------------------------------------------------------------------------
    def add_sender(self, account: Account, service_sid: str, pool: str, key: str, path: str) -> Sender:
        """Add a PN…/SC… sender (by SID) or an alphanumeric ID (by value) to the service's pool."""
        with self.uow.transaction() as tx:
            self.state.live(account)
            service = self._get(account, service_sid, path)
            if pool == "alpha_senders":
                if sender_type(key) is not SenderType.ALPHANUMERIC:
                    raise InvalidFrom(from_=key)
                sender = account.alpha_senders.get(key)
            else:
                sender = account.senders.get(key)
                if sender is None or sender.type not in POOL_KINDS[pool]:
                    raise PhoneNumberInvalid()
            if sender is not None and sender.service_sid == service.sid:
                raise SenderAlreadyInService()
            if sender is not None and sender.service_sid is not None:
                raise SenderInAnotherService()
            if sender is None:  # an alphanumeric ID exists only in a pool
                sender = self.numbers.provision(account, key, SenderType.ALPHANUMERIC)
            tx.update(sender, service_sid=service.sid)
            tx.update(service, sender_sids=(*service.sender_sids, sender.sid))
            return copy(sender)

    def list_senders(self, account: Account, service_sid: str, pool: str, path: str) -> list[Sender]:
        with self.uow.lock:
            return [copy(sender) for sender in self._pool(account, service_sid, pool, path)]

    def fetch_sender(self, account: Account, service_sid: str, pool: str, sender_sid: str, path: str) -> Sender:
        with self.uow.lock:
            return copy(self._pool_sender(account, service_sid, pool, sender_sid, path))

    def _pool(self, account: Account, service_sid: str, pool: str, path: str) -> list[Sender]:
        service = self._get(account, service_sid, path)
        return [account.senders[sid] for sid in service.sender_sids if account.senders[sid].type in POOL_KINDS[pool]]

    def _pool_sender(self, account: Account, service_sid: str, pool: str, sender_sid: str, path: str) -> Sender:
        for sender in self._pool(account, service_sid, pool, path):
            if sender.sid == sender_sid:
                return sender
        raise NotFound(path=path)

    def remove_sender(self, account: Account, service_sid: str, pool: str, sender_sid: str, path: str) -> None:
        with self.uow.transaction() as tx:
            self.state.live(account)
            sender = self._pool_sender(account, service_sid, pool, sender_sid, path)
            service = account.services[service_sid]
            tx.update(service, sender_sids=tuple(s for s in service.sender_sids if s != sender.sid))
            tx.update(sender, service_sid=None)
            if sender.type is SenderType.ALPHANUMERIC:  # an alpha sender exists only in a pool
                tx.delete(sender)

    def choose_sender(self, account: Account, service: MessagingService, recipient: str) -> Sender:
        """The pool sender for this recipient: the sticky one if still in the pool, else by preference
        (US/CA: short code, then numbers; alphanumeric only outside NANP), stable per recipient.
        Changes nothing: `stick` records the choice once the send is accepted."""
        if service.sticky_sender:
            sticky = service.sticky.get(recipient)
            if sticky is not None and sticky.sender_sid in service.sender_sids:
                return account.senders[sticky.sender_sid]
        senders = [
            s for sid in service.sender_sids
            # A short code reaches only its own country: it is no candidate for other recipients.
            if (s := account.senders[sid]).type is not SenderType.SHORT_CODE
            or in_country(recipient, s.short_code_country)
        ]
        by_kind = {kind: [s for s in senders if s.type is kind] for kind in SenderType}
        numbers = by_kind[SenderType.LONG_CODE] + by_kind[SenderType.TOLL_FREE]
        if is_nanp(recipient):
            order = [by_kind[SenderType.SHORT_CODE], numbers]
        else:
            order = [by_kind[SenderType.ALPHANUMERIC], numbers, by_kind[SenderType.SHORT_CODE]]
        candidates = next((group for group in order if group), None)
        if not candidates:
            raise ServiceHasNoSenders()
        # A stable spread over the pool, so different recipients get different numbers.
        return candidates[zlib.crc32(recipient.encode()) % len(candidates)]

    def stick(self, account: Account, service: MessagingService, recipient: str, sender: Sender) -> None:
        """Remember the sender a recipient got (one record per recipient, stored on its own)."""
        if not service.sticky_sender:
            return
        with self.uow.transaction() as tx:
            current = service.sticky.get(recipient)
            if current is None:
                tx.add(StickySender(account.sid, service.sid, recipient, sender.sid))
            elif current.sender_sid != sender.sid:
                tx.update(current, sender_sid=sender.sid)

    # -- Advanced Opt-Out -----------------------------------------------------------------------
    def set_advanced_opt_out(self, service_sid: str, config: dict) -> AdvancedOptOut:
        """Configure a service's Advanced Opt-Out (validated as a whole first)."""
        values = _advanced_opt_out(config)
        with self.uow.transaction() as tx:
            service = self.find(service_sid)
            if service is None:
                raise UnknownResource(f"no Messaging Service {service_sid}")
            tx.update(service, advanced_opt_out=replace(service.advanced_opt_out, **values))
            return service.advanced_opt_out


def _settable(attrs: dict) -> dict[str, Any]:
    """The service fields among `attrs`; a URL field that is not a URL (nor empty) is refused."""
    for name, param in URL_FIELDS.items():
        url = attrs.get(name)
        if url and not is_valid_url(url):
            # Twilio documents no code for it; its v1 APIs answer parameter validation with 20001.
            raise InvalidParameter(f"{param} is not a valid URL: {url}")
    return {name: value for name, value in attrs.items() if name in SERVICE_FIELDS and value is not None}


def _advanced_opt_out(config: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in config.items():
        if name not in AOO_FIELDS:
            raise InvalidInput(f"unknown field {name!r}; known: {', '.join(sorted(AOO_FIELDS))}")
        if name == "enabled":
            if not isinstance(value, bool):
                raise InvalidInput("enabled must be true or false")
        elif name.endswith("_keywords"):
            if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
                raise InvalidInput(f"{name} must be a list of non-empty strings")
            value = tuple(w.strip() for w in value)
        elif value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string or null")
        values[name] = value
    return values
