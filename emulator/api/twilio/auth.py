"""HTTP Basic authentication for Twilio paths: AccountSid (or API key) and token."""

from __future__ import annotations

from flask import g, request

from urllib.parse import parse_qsl

from ...errors import InvalidParameter, NotFound
from ..context import emulator


def check_form_encoding() -> None:
    """Blueprint before_request: a form that is not UTF-8 is refused, not silently emptied."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True, parse_form_data=False)
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise InvalidParameter("The request body is not valid UTF-8 form data") from None


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
