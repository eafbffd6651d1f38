"""Senders an account owns: IncomingPhoneNumbers (PN…), ShortCodes (SC…), alphanumeric IDs (AI…)."""

from __future__ import annotations

import re
from copy import copy
from typing import Any

from ..errors import (
    FromNotOwned,
    InvalidInput,
    InvalidUrl,
    NotFound,
    PhoneNumberInvalid,
    PhoneNumberNotAvailable,
    UnknownResource,
)
from . import registration
from .models import Account, Sender
from .phone import CALLING_CODES, SenderType, is_e164, sender_type
from .sids import SidFactory
from .state import State
from .unit_of_work import UnitOfWork
from .urls import is_valid_url

SID_PREFIX = {
    SenderType.LONG_CODE: "PN",
    SenderType.TOLL_FREE: "PN",
    SenderType.SHORT_CODE: "SC",
    SenderType.ALPHANUMERIC: "AI",
}
PHONE_NUMBER_TYPES = (SenderType.LONG_CODE, SenderType.TOLL_FREE)
# Fields of a number that API callers may set.
CONFIG_FIELDS = ("friendly_name", "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "status_callback")
# Twilio's test credentials' magic numbers for buying a number (honoured in every account).
MAGIC_INVALID = "+15005550001"
MAGIC_UNAVAILABLE = "+15005550000"
# The URL fields, by the parameter name Twilio's 21402 message quotes.
URL_FIELDS = {"sms_url": "SmsUrl", "sms_fallback_url": "SmsFallbackUrl", "status_callback": "StatusCallback"}


class Numbers:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, sids: SidFactory) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.sids = sids

    # -- shared ---------------------------------------------------------------------------------
    def provision(
        self, account: Account, address: str, kind: SenderType | None = None, **config: str | None
    ) -> Sender:
        """Give the account a sender. Phone numbers and short codes belong to one account at most."""
        with self.uow.transaction() as tx:
            return tx.add(self._new(account, address, kind, config))

    def _new(self, account: Account, address: str, kind: SenderType | None, config: dict) -> Sender:
        """A sender the account may have (checked, not stored)."""
        kind = kind or sender_type(address)
        if kind is None:
            raise PhoneNumberInvalid()
        sid = _fixed_sid(config.pop("sid", None), SID_PREFIX[kind])
        if sid is not None and any(sid in other.senders for other in self.state.accounts.values()):
            raise InvalidInput(f"sid {sid} is taken: a fixed sender sid names one sender of one account")
        country = _country(config.pop("country", None), kind)
        state = config.pop("registration", None)
        self.state.live(account)
        alpha = kind is SenderType.ALPHANUMERIC
        owner = (account.alpha_senders if alpha else self.state.owners).get(address)
        if owner is not None:
            raise PhoneNumberNotAvailable(number=address, reason=f"{address} belongs to account {owner.account_sid}")
        now = self.clock.now()
        sender = Sender(
            sid=sid or self.sids.new(SID_PREFIX[kind]),
            account_sid=account.sid,
            address=address,
            type=kind,
            date_created=now,
            date_updated=now,
            friendly_name=config.pop("friendly_name", None) or _friendly(address, kind),
            country=country,
            **_config(config),
        )
        if state is not None:  # not stored yet: set in place
            sender.registration = registration.check_state(sender, state)
        return sender

    def find(self, account: Account, address: str, kind: SenderType | None = None) -> Sender | None:
        """The account's own sender at this address, if it has one."""
        if (kind or sender_type(address)) is SenderType.ALPHANUMERIC:
            return account.alpha_senders.get(address)
        sender = self.state.owners.get(address)
        return sender if sender is not None and sender.account_sid == account.sid else None

    def check_from(self, account: Account, address: str) -> Sender | None:
        """The account's sender for a From, or None when a send would provision it (first use);
        21606 when another account owns it or the account is strict. Changes nothing."""
        sender = self.find(account, address)
        if sender is not None:
            return sender
        owner = self.state.owners.get(address)
        if owner is not None:
            reason = f"{address} belongs to account {owner.account_sid}, not {account.sid}"
            raise FromNotOwned(from_=address, reason=reason)
        if account.settings.strict_senders:
            raise FromNotOwned(
                from_=address,
                reason=f"account {account.sid} does not own {address} and strict_senders is on "
                "(provision it with IncomingPhoneNumbers or a fixture)",
            )
        return None

    def owner_of(self, address: str) -> Sender | None:
        return self.state.owners.get(address)

    # -- the emulator's own sender settings (control API, sandbox) --------------------------------
    def list_all(self, account_sid: str | None = None) -> list[Sender]:
        with self.uow.lock:
            return [
                copy(sender)
                for account in self.state.accounts.values()
                if account_sid in (None, account.sid)
                for sender in account.senders.values()
            ]

    def configure(self, key: str, changes: dict) -> Sender:
        """Set what Twilio keeps outside its API: a sender's registration (A2P 10DLC, toll-free
        verification) and a short code's country. `key` is a SID, a number or a short code."""
        unknown = set(changes) - {"registration", "country"}
        if unknown:
            raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}; known: country, registration")
        with self.uow.transaction() as tx:
            sender = self.state.owners.get(key) or next(
                (s for a in self.state.accounts.values() if (s := a.senders.get(key)) is not None), None
            )
            if sender is None:
                raise UnknownResource(f"no account has a sender {key} (a PN…/SC… SID, a number or a short code)")
            values: dict[str, str | None] = {}
            if "registration" in changes:
                if not isinstance(changes["registration"], str):
                    raise InvalidInput("registration must be a string")
                values["registration"] = registration.check_state(sender, changes["registration"])
            if "country" in changes:
                values["country"] = _country(changes["country"], sender.type)
            tx.update(sender, **values)
            return copy(sender)

    def _get(self, account: Account, sid: str, kinds: tuple[SenderType, ...], path: str) -> Sender:
        sender = account.senders.get(sid)
        if sender is None or sender.type not in kinds:
            raise NotFound(path=path)
        return sender

    def _configure(self, account: Account, sid: str, kinds: tuple[SenderType, ...], path: str, config: dict) -> Sender:
        with self.uow.transaction() as tx:
            self.state.live(account)
            sender = self._get(account, sid, kinds, path)
            tx.update(sender, date_updated=self.clock.now(), **_config(config))
            return copy(sender)

    # -- IncomingPhoneNumbers -------------------------------------------------------------------
    def create(self, account: Account, phone_number: str | None, **config: str) -> Sender:
        if not phone_number or not is_e164(phone_number) or phone_number == MAGIC_INVALID:
            raise PhoneNumberInvalid()
        if phone_number == MAGIC_UNAVAILABLE:
            raise PhoneNumberNotAvailable(number=phone_number)
        if account.settings.test_credentials:
            # Test credentials "pretend to buy a phone number": checked and answered, never owned.
            with self.uow.lock:
                return self._new(account, phone_number, None, config)
        with self.uow.transaction():
            return copy(self.provision(account, phone_number, None, **config))

    def list_(
        self, account: Account, phone_number: str | None = None, friendly_name: str | None = None
    ) -> list[Sender]:
        with self.uow.lock:
            return [
                copy(s)
                for s in reversed(account.senders.values())
                if s.type in PHONE_NUMBER_TYPES
                and (phone_number is None or phone_number in s.address)
                and (friendly_name is None or s.friendly_name == friendly_name)
            ]

    def fetch(self, account: Account, sid: str, path: str) -> Sender:
        with self.uow.lock:
            return copy(self._get(account, sid, PHONE_NUMBER_TYPES, path))

    def update(self, account: Account, sid: str, path: str, **config: str) -> Sender:
        return self._configure(account, sid, PHONE_NUMBER_TYPES, path, config)

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.uow.transaction():
            self.state.live(account)
            self.release(account, self._get(account, sid, PHONE_NUMBER_TYPES, path))

    def release(self, account: Account, sender: Sender) -> None:
        """Remove a sender from the account (and from its service's pool). Its opt-out records stay."""
        with self.uow.transaction() as tx:
            service = account.services.get(sender.service_sid or "")
            if service is not None:
                tx.update(service, sender_sids=tuple(s for s in service.sender_sids if s != sender.sid))
            tx.delete(sender)

    # -- ShortCodes -----------------------------------------------------------------------------
    def list_short_codes(self, account: Account, short_code: str | None = None) -> list[Sender]:
        with self.uow.lock:
            return [
                copy(s)
                for s in reversed(account.senders.values())
                if s.type is SenderType.SHORT_CODE and (short_code is None or s.address == short_code)
            ]

    def fetch_short_code(self, account: Account, sid: str, path: str) -> Sender:
        with self.uow.lock:
            return copy(self._get(account, sid, (SenderType.SHORT_CODE,), path))

    def update_short_code(self, account: Account, sid: str, path: str, **config: str) -> Sender:
        return self._configure(account, sid, (SenderType.SHORT_CODE,), path, config)


def _config(config: dict) -> dict[str, str]:
    """The settable fields among `config` (methods upper-cased); None means "leave as it is", and
    an empty URL unsets it. A URL that is not one is 21402."""
    for name, param in URL_FIELDS.items():
        url = config.get(name)
        if url and not is_valid_url(url):
            raise InvalidUrl(param=param, url=url)
    return {
        name: value.upper() if name.endswith("_method") else value
        for name in CONFIG_FIELDS
        if (value := config.get(name)) is not None
    }


def _country(country: str | None, kind: SenderType) -> str | None:
    """A short code's country (a short code reaches only its own: 21659)."""
    if country is None:
        return None
    if kind is not SenderType.SHORT_CODE:
        raise InvalidInput("only a short code has a country of its own (a number's follows from its digits)")
    if not isinstance(country, str) or country not in CALLING_CODES:
        raise InvalidInput(f"country {country!r} must be one of {', '.join(sorted(CALLING_CODES))}")
    return country


def _friendly(address: str, kind: SenderType) -> str:
    # Twilio's default friendly name of a US number is "(415) 555-0100".
    if kind in PHONE_NUMBER_TYPES and address.startswith("+1") and len(address) == 12:
        return f"({address[2:5]}) {address[5:8]}-{address[8:]}"
    return address


def _fixed_sid(sid: str | None, prefix: str) -> str | None:
    """A SID chosen by seed data, so users' tests can name it."""
    if sid is not None and not re.match(rf"^{prefix}[0-9a-fA-F]{{32}}\Z", sid):
        raise InvalidInput(f"sid {sid!r} must be {prefix} followed by 32 hex digits")
    return sid
