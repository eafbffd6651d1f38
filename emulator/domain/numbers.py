"""Senders an account owns: IncomingPhoneNumbers (PN…), ShortCodes (SC…), alphanumeric IDs (AI…)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import FromNotOwned, NotFound, PhoneNumberInvalid, PhoneNumberNotAvailable
from .models import Account, Sender
from .phone import SenderType, is_e164, sender_type

if TYPE_CHECKING:
    from .emulator import Emulator

SID_PREFIX = {
    SenderType.LONG_CODE: "PN",
    SenderType.TOLL_FREE: "PN",
    SenderType.SHORT_CODE: "SC",
    SenderType.ALPHANUMERIC: "AI",
}
PHONE_NUMBER_TYPES = (SenderType.LONG_CODE, SenderType.TOLL_FREE)
# Fields of a number that API callers may set.
CONFIG_FIELDS = ("friendly_name", "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "status_callback")


class Numbers:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    # -- shared ---------------------------------------------------------------------------------
    def provision(self, account: Account, address: str, kind: SenderType | None = None, **config: str) -> Sender:
        """Give the account a sender. Phone numbers and short codes belong to one account at most."""
        kind = kind or sender_type(address)
        if kind is None:
            raise PhoneNumberInvalid()
        with self.emu.lock:
            self.emu.live(account)
            if kind is SenderType.ALPHANUMERIC:
                existing = account.alpha_senders.get(address)
            else:
                existing = self.emu.state.owners.get(address)
            if existing is not None:
                raise PhoneNumberNotAvailable(number=address)
            now = self.emu.now()
            sender = Sender(
                sid=_fixed_sid(config.pop("sid", None), SID_PREFIX[kind]) or self.emu.sids.new(SID_PREFIX[kind]),
                account_sid=account.sid,
                address=address,
                type=kind,
                date_created=now,
                date_updated=now,
                friendly_name=config.pop("friendly_name", None) or _friendly(address, kind),
            )
            self._configure(sender, config)
            account.senders[sender.sid] = sender
            if kind is SenderType.ALPHANUMERIC:
                account.alpha_senders[address] = sender
            else:
                self.emu.state.owners[address] = sender
            self.emu.touch(sender)
            return sender

    def resolve_from(self, account: Account, address: str) -> Sender:
        """The account's sender for a From: provisioned on first use unless the account is strict."""
        kind = sender_type(address)
        if kind is SenderType.ALPHANUMERIC:
            sender = account.alpha_senders.get(address)
        else:
            sender = self.emu.state.owners.get(address)
            if sender is not None and sender.account_sid != account.sid:
                raise FromNotOwned(from_=address)
        if sender is None:
            if account.settings.strict_senders:
                raise FromNotOwned(from_=address)
            sender = self.provision(account, address, kind)
        return sender

    def owner_of(self, address: str) -> Sender | None:
        return self.emu.state.owners.get(address)

    def _configure(self, sender: Sender, config: dict) -> None:
        for name in CONFIG_FIELDS:
            value = config.get(name)
            if value is not None:
                setattr(sender, name, value.upper() if name.endswith("_method") else value)

    def _get(self, account: Account, sid: str, kinds: tuple[SenderType, ...], path: str) -> Sender:
        sender = account.senders.get(sid)
        if sender is None or sender.type not in kinds:
            raise NotFound(path=path)
        return sender

    # -- IncomingPhoneNumbers -------------------------------------------------------------------
    def create(self, account: Account, phone_number: str | None, **config: str) -> Sender:
        if not phone_number or not is_e164(phone_number):
            raise PhoneNumberInvalid()
        return self.provision(account, phone_number, **config)

    def list(self, account: Account, phone_number: str | None = None, friendly_name: str | None = None) -> list[Sender]:
        with self.emu.lock:
            return [
                s
                for s in reversed(account.senders.values())
                if s.type in PHONE_NUMBER_TYPES
                and (phone_number is None or phone_number in s.address)
                and (friendly_name is None or s.friendly_name == friendly_name)
            ]

    def fetch(self, account: Account, sid: str, path: str) -> Sender:
        return self._get(account, sid, PHONE_NUMBER_TYPES, path)

    def update(self, account: Account, sid: str, path: str, **config: str) -> Sender:
        with self.emu.lock:
            self.emu.live(account)
            sender = self._get(account, sid, PHONE_NUMBER_TYPES, path)
            self._configure(sender, config)
            sender.date_updated = self.emu.now()
            self.emu.touch(sender)
            return sender

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.emu.lock:
            self.emu.live(account)
            sender = self._get(account, sid, PHONE_NUMBER_TYPES, path)
            self.release(account, sender)

    def release(self, account: Account, sender: Sender) -> None:
        """Remove a sender from the account (and from its service's pool). Its opt-out records stay."""
        if sender.service_sid is not None:
            service = account.services.get(sender.service_sid)
            if service is not None:
                service.sender_sids.remove(sender.sid)
                self.emu.touch(service)
        del account.senders[sender.sid]
        self.emu.forget(sender)
        if sender.type is SenderType.ALPHANUMERIC:
            account.alpha_senders.pop(sender.address, None)
        else:
            self.emu.state.owners.pop(sender.address, None)

    # -- ShortCodes -----------------------------------------------------------------------------
    def list_short_codes(self, account: Account, short_code: str | None = None) -> list[Sender]:
        with self.emu.lock:
            return [
                s
                for s in reversed(account.senders.values())
                if s.type is SenderType.SHORT_CODE and (short_code is None or s.address == short_code)
            ]

    def fetch_short_code(self, account: Account, sid: str, path: str) -> Sender:
        return self._get(account, sid, (SenderType.SHORT_CODE,), path)

    def update_short_code(self, account: Account, sid: str, path: str, **config: str) -> Sender:
        with self.emu.lock:
            self.emu.live(account)
            sender = self._get(account, sid, (SenderType.SHORT_CODE,), path)
            self._configure(sender, config)
            sender.date_updated = self.emu.now()
            self.emu.touch(sender)
            return sender


def _friendly(address: str, kind: SenderType) -> str:
    # Twilio's default friendly name of a US number is "(415) 555-0100".
    if kind in PHONE_NUMBER_TYPES and address.startswith("+1") and len(address) == 12:
        return f"({address[2:5]}) {address[5:8]}-{address[8:]}"
    return address


def _fixed_sid(sid: str | None, prefix: str) -> str | None:
    """A SID chosen by seed data, so users' tests can name it."""
    if sid is not None and not re.match(rf"^{prefix}[0-9a-fA-F]{{32}}\Z", sid):
        raise ValueError(f"sid {sid!r} must be {prefix} followed by 32 hex digits")
    return sid
