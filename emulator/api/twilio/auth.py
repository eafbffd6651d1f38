"""HTTP Basic authentication for Twilio paths: AccountSid (or API key) and token."""

from __future__ import annotations

from flask import g, request

from ...errors import NotFound
from ..context import emulator


def authenticate() -> None:
    """Blueprint before_request: resolve the account or raise 20003; another account's path is 20404."""
    creds = request.authorization
    username = creds.username if creds is not None and creds.type == "basic" else None
    password = creds.password if creds is not None and creds.type == "basic" else None
    path_sid = (request.view_args or {}).get("AccountSid")
    account = emulator().accounts.authenticate(username, password, path_sid)
    if path_sid is not None and path_sid != account.sid:
        raise NotFound(path=request.path)
    g.account = account
