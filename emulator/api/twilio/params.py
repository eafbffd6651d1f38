"""Twilio's form conventions: PascalCase names, "true"/"True" booleans, repeated keys for lists."""

from __future__ import annotations

from datetime import date, datetime

from werkzeug.datastructures import MultiDict

from ...errors import InvalidParameter

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}


def text(form: MultiDict, name: str) -> str | None:
    value = form.get(name)
    return value if value is not None else None


def boolean(form: MultiDict, name: str) -> bool | None:
    raw = form.get(name)
    if raw is None:
        return None
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise InvalidParameter(name=name, value=raw)


def integer(form: MultiDict, name: str, low: int, high: int) -> int | None:
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


def method(form: MultiDict, name: str) -> str | None:
    raw = form.get(name)
    if raw is None:
        return None
    if raw.upper() not in ("GET", "POST"):
        raise InvalidParameter(name=name, value=raw)
    return raw.upper()


def day(form: MultiDict, name: str) -> date | None:
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


def present(form: MultiDict, names: tuple[str, ...]) -> dict[str, str]:
    """The given parameters that are in the request, for echoing filters into page URIs."""
    return {name: form[name] for name in names if name in form}
