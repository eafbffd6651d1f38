"""Accounts: authentication (AccountSid or API key + token) and per-account settings."""

from __future__ import annotations

import hmac
import re
from dataclasses import fields
from typing import TYPE_CHECKING

from ..errors import AuthenticationFailed
from ..settings import ACCOUNT_SID
from .models import Account, AccountSettings

if TYPE_CHECKING:
    from .emulator import Emulator

API_KEY = re.compile(r"^SK[0-9a-fA-F]{32}\Z")
SETTING_FIELDS = {f.name: f for f in fields(AccountSettings)}


class Accounts:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def get(self, sid: str) -> Account | None:
        return self.emu.state.accounts.get(sid)

    def declare(self, sid: str, token: str | None = None, **settings: object) -> Account:
        """Create (or return) an account; a token given here is the one it accepts."""
        if not ACCOUNT_SID.match(sid):
            raise ValueError(f"{sid!r} is not an AccountSid (AC followed by 32 hex digits)")
        with self.emu.lock:
            account = self.emu.state.accounts.get(sid)
            if account is None:
                account = Account(
                    sid=sid,
                    settings=AccountSettings(strict_senders=self.emu.settings.strict_senders),
                    date_created=self.emu.now(),
                )
                self.emu.state.accounts[sid] = account
            if token is not None:
                account.settings.auth_token = token
            if settings:
                self.update_settings(sid, settings)
            self.emu.touch(account)
            return account

    def authenticate(self, username: str | None, password: str | None, path_sid: str | None = None) -> Account:
        """The account these Basic credentials stand for, or AuthenticationFailed (20003).

        With no declared accounts, a well-formed AccountSid is created on first use and bound to the
        token it came with; an API key (SK…) is bound on first use to the account in the path.
        """
        if not username or not password:
            raise AuthenticationFailed()
        strict = self.emu.settings.strict_accounts
        with self.emu.lock:
            if API_KEY.match(username):
                return self._authenticate_key(username, password, path_sid, strict)
            if not ACCOUNT_SID.match(username):
                raise AuthenticationFailed()
            account = self.emu.state.accounts.get(username)
            if account is None:
                if strict:
                    raise AuthenticationFailed()
                return self.declare(username, password)
            if account.settings.auth_token is None:
                account.settings.auth_token = password
                self.emu.touch(account)
            elif not _same(account.settings.auth_token, password):
                raise AuthenticationFailed()
            return account

    def _authenticate_key(self, key: str, secret: str, path_sid: str | None, strict: bool) -> Account:
        for account in self.emu.state.accounts.values():
            if key in account.api_keys:
                if not _same(account.api_keys[key], secret):
                    raise AuthenticationFailed()
                return account
        if path_sid is None or not ACCOUNT_SID.match(path_sid):
            raise AuthenticationFailed()
        account = self.emu.state.accounts.get(path_sid)
        if account is None:
            if strict:
                raise AuthenticationFailed()
            account = self.declare(path_sid)
        account.api_keys[key] = secret
        self.emu.touch(account)
        return account

    def update_settings(self, sid: str, changes: dict) -> AccountSettings:
        """Validate and apply settings; raises ValueError naming the offending key."""
        clean: dict[str, object] = {}
        for name, value in changes.items():
            spec = SETTING_FIELDS.get(name)
            if spec is None:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(SETTING_FIELDS))}")
            if spec.type == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif spec.type == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
                    raise ValueError(f"{name} must be a number of seconds from 0 to 86400")
                value = float(value)
            elif name == "auth_token":
                if not isinstance(value, str) or not value:
                    raise ValueError("auth_token must be a non-empty string")
            elif value not in AccountSettings.CHOICES.get(name, ()):
                raise ValueError(f"{name} must be one of {', '.join(AccountSettings.CHOICES[name])}")
            clean[name] = value
        with self.emu.lock:
            account = self.emu.state.accounts.get(sid) or self.declare(sid)
            for name, value in clean.items():
                setattr(account.settings, name, value)
            self.emu.touch(account)
            return account.settings


def _same(expected: str, given: str) -> bool:
    # Constant-time, on bytes: compare_digest refuses str with non-ASCII characters.
    return hmac.compare_digest(expected.encode(), given.encode())
