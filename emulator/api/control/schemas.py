"""Parsing and validating control-API input (JSON object bodies, query parameters). Refusals are
InvalidInput with a message that says what was expected."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from ...domain.models import Fault, Status
from ...domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from ...errors import InvalidInput
from ...settings import ACCOUNT_SID

FAULT_KEYS = {"to", "pattern", "status", "error_code", "account_sid"}


def payload() -> dict:
    """The body: a JSON object (the guard lets no other body through), or {} when there is none."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise InvalidInput("the body is not valid JSON (send a JSON object)") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def string(data: dict, name: str, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    return value


def number(data: dict, name: str, default: float, high: float) -> float:
    value = data.get(name, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        raise InvalidInput(f"{name} must be a number from 0 to {high:g}")
    return float(value)


def flag(data: dict, name: str) -> bool:
    return data.get(name, False) in (True, "true", "True")


def account_sid(value: object, name: str = "AccountSid") -> str | None:
    if value is not None and (not isinstance(value, str) or not ACCOUNT_SID.match(value)):
        raise InvalidInput(f"{name} must be AC followed by 32 hex digits")
    return value


def account_filter() -> str | None:
    """The AccountSid query parameter of an inspection endpoint (None: every account)."""
    return account_sid(request.args.get("AccountSid"))


def page_size() -> int:
    raw = request.args.get("PageSize", str(DEFAULT_PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise InvalidInput(f"PageSize must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def page_token() -> int | None:
    """The keyset of a page after the first: next_page_uri's PageToken ("PS" and a position)."""
    raw = request.args.get("PageToken")
    if raw is None:
        return None
    if raw[:2] != "PS" or not raw[2:].isdigit() or len(raw) > 24:
        raise InvalidInput("PageToken must be the one in next_page_uri (start without it for the first page)")
    return int(raw[2:])


def e164_filter(name: str) -> str | None:
    """A phone-number query parameter; a leading space is a + that was not encoded."""
    value = request.args.get(name)
    if value is not None and value[:1] == " ":
        raise InvalidInput(f"{name} {value!r} starts with a space: a + in a URL must be encoded as %2B")
    return value


def media_urls(data: dict) -> tuple[str, ...]:
    media = data.get("MediaUrl", [])
    media = [media] if isinstance(media, str) else media
    if not isinstance(media, list) or not all(isinstance(u, str) for u in media):
        raise InvalidInput("MediaUrl must be a URL or a list of URLs")
    return tuple(media)


def faults(data: dict) -> list[Fault]:
    items = data.get("faults")
    if not isinstance(items, list):
        raise InvalidInput('the body must be {"faults": [...]}')
    return [_fault(item, i) for i, item in enumerate(items)]


def _fault(item: Any, index: int) -> Fault:
    if not isinstance(item, dict):
        raise InvalidInput(f"faults[{index}] must be an object")
    unknown = set(item) - FAULT_KEYS
    if unknown:
        raise InvalidInput(f"faults[{index}]: unknown key(s) {', '.join(sorted(unknown))}")
    to, pattern = item.get("to"), item.get("pattern")
    if (to is None) == (pattern is None) or not isinstance(to or pattern, str):
        raise InvalidInput(f"faults[{index}]: give exactly one of to (a number) and pattern (a regex)")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, OverflowError, RecursionError) as exc:
            raise InvalidInput(f"faults[{index}]: pattern is not a regular expression: {exc}") from None
    status = item.get("status", "undelivered")
    if status not in ("failed", "undelivered"):
        raise InvalidInput(f"faults[{index}]: status must be failed or undelivered")
    code = item.get("error_code", 30003)
    if isinstance(code, bool) or not isinstance(code, int) or not 10000 <= code <= 99999:
        raise InvalidInput(f"faults[{index}]: error_code must be a 5-digit Twilio error code")
    owner = account_sid(item.get("account_sid"), f"faults[{index}]: account_sid")
    return Fault(Status(status), code, to, pattern, owner)
