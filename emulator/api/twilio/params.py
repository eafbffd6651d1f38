"""Twilio's form conventions: PascalCase names, "true"/"True" booleans, repeated keys for lists.

The helpers take a plain dict (`form()`): werkzeug's MultiDict raises and catches an exception for
every absent key, and most of Twilio's parameters are absent from most requests. An urlencoded
body (what every SDK sends) is parsed here in one call; werkzeug's form machinery costs several
times that on the hot path, and the decoding rule (strict UTF-8) is the same."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import parse_qsl

from flask import g, request
from werkzeug.exceptions import BadRequest

from ...errors import InvalidParameter

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}
URLENCODED = "application/x-www-form-urlencoded"


def _pairs() -> list[tuple[str, str]]:
    pairs = g.get("form_pairs")
    if pairs is None:
        if request.mimetype == URLENCODED:
            try:
                pairs = parse_qsl(request.get_data(cache=True).decode("utf-8"), keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                raise BadRequest("The request body is not valid UTF-8 form data") from None
        else:
            pairs = list(request.form.items(multi=True))
        g.form_pairs = pairs
    return pairs


def form() -> dict[str, str]:
    """The request's form parameters (the first value of each), as a plain dict."""
    first: dict[str, str] = {}
    for name, value in _pairs():
        first.setdefault(name, value)
    return first


def every(name: str) -> list[str]:
    """Every value of a repeated parameter (MediaUrl=a&MediaUrl=b), in order."""
    return [value for key, value in _pairs() if key == name]


def text(form: Mapping[str, str], name: str) -> str | None:
    return form.get(name)


def boolean(form: Mapping[str, str], name: str) -> bool | None:
    raw = form.get(name)
    if raw is None:
        return None
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise InvalidParameter(name=name, value=raw)


def integer(form: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = form.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name=name, value=raw) from None
    if not low <= value <= high:
        raise InvalidParameter(name=name, value=raw)
    return value


def method(form: Mapping[str, str], name: str) -> str | None:
    raw = form.get(name)
    if raw is None:
        return None
    if raw.upper() not in ("GET", "POST"):
        raise InvalidParameter(name=name, value=raw)
    return raw.upper()


def day(form: Mapping[str, str], name: str) -> date | None:
    """A DateSent filter: YYYY-MM-DD, or a full datetime as the SDK sends it (compared by date)."""
    raw = form.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        raise InvalidParameter(name=name, value=raw) from None


def present(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The given parameters that are in the request, for echoing filters into page URIs."""
    return {name: form[name] for name in names if name in form}
