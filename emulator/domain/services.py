"""Messaging Services: CRUD, the sender pool (PhoneNumbers, ShortCodes, AlphaSenders), sticky sender
selection and Advanced Opt-Out configuration."""

from __future__ import annotations

import re
import zlib
from dataclasses import fields
from typing import TYPE_CHECKING

from ..errors import (
    InvalidFrom,
    NotFound,
    PhoneNumberInvalid,
    SenderAlreadyInService,
    SenderInAnotherService,
    ServiceHasNoSenders,
)
from .models import Account, AdvancedOptOut, MessagingService, Sender
from .phone import SenderType, is_nanp, sender_type

if TYPE_CHECKING:
    from .emulator import Emulator

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


class Services:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def create(self, account: Account, **attrs: object) -> MessagingService:
        with self.emu.lock:
            self.emu.live(account)
            now = self.emu.now()
            sid = attrs.pop("sid", None)
            if sid is not None and (not isinstance(sid, str) or not SERVICE_SID.match(sid)):
                raise ValueError(f"sid {sid!r} must be MG followed by 32 hex digits")
            service = MessagingService(
                sid=sid or self.emu.sids.new("MG"),
                account_sid=account.sid,
                friendly_name=str(attrs.pop("friendly_name", "") or ""),
                date_created=now,
                date_updated=now,
            )
            self._apply(service, attrs)
            account.services[service.sid] = service
            self.emu.touch(service)
            return service

    def list(self, account: Account) -> list[MessagingService]:
        with self.emu.lock:
            return list(reversed(account.services.values()))

    def fetch(self, account: Account, sid: str, path: str) -> MessagingService:
        service = account.services.get(sid)
        if service is None:
            raise NotFound(path=path)
        return service

    def find(self, sid: str) -> MessagingService | None:
        """A service by SID in any account (the control API has no account in its paths)."""
        for account in self.emu.state.accounts.values():
            if sid in account.services:
                return account.services[sid]
        return None

    def update(self, account: Account, sid: str, path: str, **attrs: object) -> MessagingService:
        with self.emu.lock:
            self.emu.live(account)
            service = self.fetch(account, sid, path)
            self._apply(service, attrs)
            service.date_updated = self.emu.now()
            self.emu.touch(service)
            return service

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.emu.lock:
            self.emu.live(account)
            service = self.fetch(account, sid, path)
            for sender_sid in service.sender_sids:
                account.senders[sender_sid].service_sid = None
                self.emu.touch(account.senders[sender_sid])
            del account.services[sid]
            self.emu.forget(service)

    @staticmethod
    def _apply(service: MessagingService, attrs: dict) -> None:
        for name, value in attrs.items():
            if name in SERVICE_FIELDS and value is not None:
                setattr(service, name, value)

    # -- sender pool ----------------------------------------------------------------------------
    def add_sender(self, account: Account, service_sid: str, pool: str, key: str, path: str) -> Sender:
        """Add a PN…/SC… sender (by SID) or an alphanumeric ID (by value) to the service's pool."""
        with self.emu.lock:
            self.emu.live(account)
            service = self.fetch(account, service_sid, path)
            if pool == "alpha_senders":
                if sender_type(key) is not SenderType.ALPHANUMERIC:
                    raise InvalidFrom(from_=key)
                sender = account.alpha_senders.get(key) or self.emu.numbers.provision(
                    account, key, SenderType.ALPHANUMERIC
                )
            else:
                sender = account.senders.get(key)
                if sender is None or sender.type not in POOL_KINDS[pool]:
                    raise PhoneNumberInvalid()
            if sender.service_sid == service.sid:
                raise SenderAlreadyInService()
            if sender.service_sid is not None:
                raise SenderInAnotherService()
            sender.service_sid = service.sid
            service.sender_sids.append(sender.sid)
            self.emu.touch(sender, service)
            return sender

    def list_senders(self, account: Account, service_sid: str, pool: str, path: str) -> list[Sender]:
        with self.emu.lock:
            service = self.fetch(account, service_sid, path)
            return [
                account.senders[sid] for sid in service.sender_sids if account.senders[sid].type in POOL_KINDS[pool]
            ]

    def fetch_sender(self, account: Account, service_sid: str, pool: str, sender_sid: str, path: str) -> Sender:
        for sender in self.list_senders(account, service_sid, pool, path):
            if sender.sid == sender_sid:
                return sender
        raise NotFound(path=path)

    def remove_sender(self, account: Account, service_sid: str, pool: str, sender_sid: str, path: str) -> None:
        with self.emu.lock:
            self.emu.live(account)
            sender = self.fetch_sender(account, service_sid, pool, sender_sid, path)
            account.services[service_sid].sender_sids.remove(sender.sid)
            sender.service_sid = None
            self.emu.touch(sender, account.services[service_sid])
            if sender.type is SenderType.ALPHANUMERIC:  # an alpha sender exists only in a pool
                self.emu.numbers.release(account, sender)

    def pick_sender(self, account: Account, service: MessagingService, recipient: str) -> Sender:
        """The pool sender for this recipient: the sticky one if still in the pool, else by preference
        (US/CA: short code, then numbers; alphanumeric only outside NANP), stable per recipient."""
        if service.sticky_sender:
            sticky = service.sticky.get(recipient)
            if sticky is not None and sticky in service.sender_sids:
                return account.senders[sticky]
        senders = [account.senders[sid] for sid in service.sender_sids]
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
        sender = candidates[zlib.crc32(recipient.encode()) % len(candidates)]
        if service.sticky_sender:
            service.sticky[recipient] = sender.sid
            self.emu.touch(service)
        return sender

    # -- Advanced Opt-Out -----------------------------------------------------------------------
    def set_advanced_opt_out(self, service_sid: str, config: dict) -> AdvancedOptOut:
        """Configure a service's Advanced Opt-Out; raises LookupError or ValueError for the control API."""
        allowed = {f.name: f for f in fields(AdvancedOptOut)}
        with self.emu.lock:
            service = self.find(service_sid)
            if service is None:
                raise LookupError(f"no Messaging Service {service_sid}")
            values = {}
            for name, value in config.items():
                if name not in allowed:
                    raise ValueError(f"unknown field {name!r}; known: {', '.join(allowed)}")
                if name == "enabled":
                    if not isinstance(value, bool):
                        raise ValueError("enabled must be true or false")
                elif name.endswith("_keywords"):
                    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
                        raise ValueError(f"{name} must be a list of non-empty strings")
                    value = tuple(w.strip() for w in value)
                elif value is not None and not isinstance(value, str):
                    raise ValueError(f"{name} must be a string or null")
                values[name] = value
            current = service.advanced_opt_out
            service.advanced_opt_out = AdvancedOptOut(**{**current.__dict__, **values})
            self.emu.touch(service)
            return service.advanced_opt_out
