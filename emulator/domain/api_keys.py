"""API keys: issued through Twilio's Keys APIs (2010 /Accounts/{AC}/Keys and iam /v1/Keys) or
declared by the user (--api-key SK:SECRET:AC, fixtures). Accounts.authenticate accepts a key only
with its own secret and only for its own account."""

from __future__ import annotations

import re
import secrets
import string
from copy import copy
from typing import Any

from ..errors import AuthenticationFailed, InvalidInput, InvalidParameter, NotFound
from .models import Account, ApiKey
from .sids import SidFactory
from .state import State
from .unit_of_work import UnitOfWork

API_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}\Z")
MAX_FRIENDLY_NAME = 64
_SECRET_ALPHABET = string.ascii_letters + string.digits


def new_secret() -> str:
    """32 random letters and digits, as Twilio's secrets look (never from the seedable SID factory)."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(32))


class ApiKeys:
    def __init__(self, state: State, uow: UnitOfWork, clock: Any, sids: SidFactory) -> None:
        self.state = state
        self.uow = uow
        self.clock = clock
        self.sids = sids

    def may_manage(self, username: str | None) -> None:
        """Standard and restricted keys may not use the Keys APIs (Twilio answers 20003); an
        AccountSid with its token, or a main key, may."""
        key = self.state.api_keys.get(username or "")
        if key is not None and key.type != "main":
            raise AuthenticationFailed(
                reason=f"API key {key.sid} is a {key.type} key: only the account's auth token or a main key "
                "may manage API keys (declare a main key in a fixture: \"api_keys\": [{..., \"type\": \"main\"}])"
            )

    # -- the Keys APIs ------------------------------------------------------------------------------
    def create(
        self, account: Account, friendly_name: str | None = None, key_type: str | None = None, policy: Any = None
    ) -> ApiKey:
        """A new key and its secret (the only answer that shows the secret)."""
        name = _friendly_name(friendly_name)
        kind = key_type or "standard"
        if kind not in ("standard", "restricted"):
            raise InvalidParameter(name="KeyType", value=key_type)
        if (kind == "restricted") != (policy is not None):
            raise InvalidParameter("A restricted key needs a Policy, and only a restricted key takes one")
        with self.uow.transaction() as tx:
            self.state.live(account)
            now = self.clock.now()
            key = ApiKey(sid=self.sids.new("SK"), account_sid=account.sid, secret=new_secret(), date_created=now,
                         date_updated=now, friendly_name=name, type=kind, policy=policy)
            tx.add(key)
            return copy(key)

    def list_(self, account: Account) -> list[ApiKey]:
        with self.uow.lock:
            return [copy(k) for k in account.api_keys.values()]

    def fetch(self, account: Account, sid: str, path: str) -> ApiKey:
        with self.uow.lock:
            return copy(self._get(account, sid, path))

    def update(self, account: Account, sid: str, path: str, friendly_name: str | None, policy: Any = None) -> ApiKey:
        with self.uow.transaction() as tx:
            self.state.live(account)
            key = self._get(account, sid, path)
            changes: dict[str, Any] = {}
            if friendly_name is not None:
                changes["friendly_name"] = _friendly_name(friendly_name)
            if policy is not None:
                if key.type != "restricted":
                    raise InvalidParameter("Only a restricted key takes a Policy")
                changes["policy"] = policy
            if changes:
                tx.update(key, date_updated=self.clock.now(), **changes)
            return copy(key)

    def delete(self, account: Account, sid: str, path: str) -> None:
        with self.uow.transaction() as tx:
            self.state.live(account)
            tx.delete(self._get(account, sid, path))

    def _get(self, account: Account, sid: str, path: str) -> ApiKey:
        key = account.api_keys.get(sid)
        if key is None:
            raise NotFound(path=path)
        return key

    # -- declared keys (--api-key, fixtures) ----------------------------------------------------------
    def declare(self, account: Account, sid: str, secret: str, key_type: str = "standard",
                friendly_name: str = "") -> ApiKey:
        """A key the user brings: it authenticates as `account` with `secret` from now on."""
        if not API_KEY_SID.match(sid):
            raise InvalidInput(f"{sid!r} is not an API key SID (SK followed by 32 hex digits)")
        if not secret:
            raise InvalidInput(f"API key {sid}: the secret is empty")
        if key_type not in ApiKey.TYPES:
            raise InvalidInput(f"API key {sid}: type must be one of {', '.join(ApiKey.TYPES)}")
        with self.uow.transaction() as tx:
            existing = self.state.api_keys.get(sid)
            if existing is not None:
                if existing.account_sid != account.sid:
                    raise InvalidInput(f"API key {sid} is already declared for account {existing.account_sid}")
                tx.delete(existing)
            now = self.clock.now()
            key = ApiKey(sid=sid, account_sid=account.sid, secret=secret, date_created=now, date_updated=now,
                         friendly_name=friendly_name, type=key_type)
            tx.add(key)
            return key


def _friendly_name(value: str | None) -> str:
    if value is not None and len(value) > MAX_FRIENDLY_NAME:
        raise InvalidParameter(f"FriendlyName must be at most {MAX_FRIENDLY_NAME} characters")
    return value or ""
