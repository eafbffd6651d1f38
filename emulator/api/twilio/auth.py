"""HTTP Basic authentication for Twilio paths: AccountSid (or API key) and token."""

from __future__ import annotations

import functools

from flask import g, request
from werkzeug.datastructures import Authorization

from ...errors import NotFound
from ..context import emulator


@functools.lru_cache(maxsize=1024)
def _basic(header: str | None) -> tuple[str | None, str | None]:
    # Clients send the same header on every request: decode it once.
    creds = Authorization.from_header(header)
    if creds is None or creds.type != "basic":
        return None, None
    return creds.username, creds.password


def authenticate() -> None:
    """Blueprint before_request: resolve the account or raise 20003; another account's path is 20404."""
    username, password = _basic(request.headers.get("Authorization"))
    path_sid = (request.view_args or {}).get("AccountSid")
    account = emulator().accounts.authenticate(username, password, path_sid)
    if path_sid is not None and path_sid != account.sid:
        raise NotFound(path=request.path)
    g.account = account
    g.username = username  # which credential: the Keys APIs refuse standard keys
