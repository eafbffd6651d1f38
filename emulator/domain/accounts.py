"""Accounts: authentication (AccountSid or API key + token) and per-account settings."""

from __future__ import annotations

import hmac
from dataclasses import fields, replace
from typing import Any

from ..errors import AuthenticationFailed, InvalidInput
from ..settings import ACCOUNT_SID, Settings
from .api_keys import API_KEY_SID
from .models import Account, AccountSettings
from .state import State
from .unit_of_work import UnitOfWork

SETTING_FIELDS = {f.name: f for f in fields(AccountSettings)}


class Accounts:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, settings: Settings) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.settings = settings

    def get(self, sid: str) -> Account | None:
        return self.state.accounts.get(sid)

    def declare(self, sid: str, token: str | None = None) -> Account:
        """Create (or return) an account; a token given here is the one it accepts."""
        if not ACCOUNT_SID.match(sid):
            raise InvalidInput(f"{sid!r} is not an AccountSid (AC followed by 32 hex digits)")
        with self.uow.transaction() as tx:
            account = self.state.accounts.get(sid)
            if account is None:
                account = tx.add(
                    Account(
                        sid=sid,
                        settings=AccountSettings(strict_senders=self.settings.strict_senders, auth_token=token),
                        date_created=self.clock.now(),
                    )
                )
            elif token is not None and account.settings.auth_token != token:
                tx.update(account, settings=replace(account.settings, auth_token=token))
            return account

    def authenticate(self, username: str | None, password: str | None, path_sid: str | None = None) -> Account:
        """The account these Basic credentials stand for, or AuthenticationFailed (20003) with the
        reason (for the request log; Twilio's body says only "Authenticate").

        With no declared accounts, a well-formed AccountSid is created on first use and bound to the
        token it came with. An API key (SK…) authenticates only if it was issued (the Keys API) or
        declared (--api-key, fixtures), with its own secret, for its own account.
        """
        if not username or not password:
            raise AuthenticationFailed()
        if API_KEY_SID.match(username):
            return self._authenticate_key(username, password, path_sid)
        if not ACCOUNT_SID.match(username):
            raise AuthenticationFailed(
                reason=f"the username {username[:40]!r} is neither an AccountSid (AC + 32 hex digits) "
                "nor an API key (SK + 32 hex digits)"
            )
        # The common case, an account with its token, changes nothing: no unit of work for it.
        known = self.state.accounts.get(username)
        if known is not None and known.settings.auth_token is not None and _same(known.settings.auth_token, password):
            return known
        strict = self.settings.strict_accounts
        with self.uow.transaction() as tx:
            account = self.state.accounts.get(username)
            if account is None:
                if strict:
                    raise AuthenticationFailed(
                        reason=f"account {username} is not declared and --strict-accounts is on "
                        "(declare it with --account SID:TOKEN or a fixture)"
                    )
                return self.declare(username, password)
            if account.settings.auth_token is None:
                if strict:
                    raise AuthenticationFailed(
                        reason=f"account {username} has no auth token and --strict-accounts is on "
                        "(declare one with --account SID:TOKEN, a fixture or its settings)"
                    )
                tx.update(account, settings=replace(account.settings, auth_token=password))
            elif not _same(account.settings.auth_token, password):
                raise AuthenticationFailed(reason=_wrong_token(username, strict))
            return account

    def _authenticate_key(self, sid: str, secret: str, path_sid: str | None) -> Account:
        with self.uow.lock:
            key = self.state.api_keys.get(sid)
            if key is None:
                raise AuthenticationFailed(
                    reason=f"API key {sid} was never issued: create one with POST "
                    "/2010-04-01/Accounts/{AC}/Keys.json (its answer has the secret), or declare it with "
                    "--api-key SK…:SECRET:AC… or a fixture"
                )
            if not _same(key.secret, secret):
                raise AuthenticationFailed(reason=f"the secret is not the one of API key {sid}")
            if path_sid is not None and path_sid != key.account_sid:
                raise AuthenticationFailed(
                    reason=f"API key {sid} belongs to account {key.account_sid}, not to {path_sid[:40]}"
                )
            return self.state.accounts[key.account_sid]

    def update_settings(self, sid: str, changes: dict) -> AccountSettings:
        """Validate every change, then apply them all (creating the account if needed)."""
        clean = validate_settings(changes)
        with self.uow.transaction() as tx:
            account = self.state.accounts.get(sid) or self.declare(sid)
            tx.update(account, settings=replace(account.settings, **clean))  # one whole value
            return account.settings


def validate_settings(changes: dict) -> dict[str, Any]:
    """Account settings checked by name and type; InvalidInput names the offending key."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        spec = SETTING_FIELDS.get(name)
        if spec is None:
            raise InvalidInput(f"unknown setting {name!r}; known: {', '.join(sorted(SETTING_FIELDS))}")
        if spec.type == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{name} must be true or false")
        elif spec.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
                raise InvalidInput(f"{name} must be a number of seconds from 0 to 86400")
            value = float(value)
        elif name == "auth_token":
            if not isinstance(value, str) or not value:
                raise InvalidInput("auth_token must be a non-empty string")
        elif value not in AccountSettings.CHOICES.get(name, ()):
            raise InvalidInput(f"{name} must be one of {', '.join(AccountSettings.CHOICES[name])}")
        clean[name] = value
    return clean


def _wrong_token(sid: str, strict: bool) -> str:
    if strict:
        return f"the auth token is not the one declared for account {sid} (--strict-accounts)"
    return (
        f"the auth token is not the one account {sid} accepts: its declared token, or else the token "
        "it was first used with (the emulator binds an account to its first token; use that one, or reset)"
    )


def _same(expected: str, given: str) -> bool:
    # Constant-time, on bytes: compare_digest refuses str with non-ASCII characters.
    return hmac.compare_digest(expected.encode(), given.encode())
