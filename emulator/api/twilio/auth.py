"""HTTP Basic authentication for Twilio paths: AccountSid (or API key) and token."""

from __future__ import annotations

import functools
import re

from flask import g, request
from werkzeug.datastructures import Authorization

from ...errors import NotFound, TestCredentialsForbidden
from ..context import emulator

# What Twilio's test credentials may do ("Test credentials": buy a number, send a message, make a
# call; anything else is 403); the emulator serves no Calls.
TEST_CREDENTIAL_PATHS = re.compile(r"^/2010-04-01/Accounts/[^/]+/(?:Messages|IncomingPhoneNumbers)(?:\.json)?\Z")


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
    if account.settings.test_credentials and not (
        request.method == "POST" and TEST_CREDENTIAL_PATHS.match(request.path)
    ):
        raise TestCredentialsForbidden(
            reason=f"account {account.sid} has test_credentials on: only POST Messages and IncomingPhoneNumbers answer"
        )
    if path_sid is not None and path_sid != account.sid:
        raise NotFound(path=request.path)
    g.account = account
    g.username = username  # which credential: the Keys APIs refuse standard keys
