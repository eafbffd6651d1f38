"""Messaging TwiML (<Response> with <Message>, <Redirect>): parsed into actions to execute."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


class TwimlError(Exception):
    """TwiML Twilio would reject: `code` is Twilio's (12100 parse failure, 12200 schema warning)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class MessageVerb:
    body: str
    media: tuple[str, ...] = ()
    to: str | None = None
    from_: str | None = None
    action: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class RedirectVerb:
    url: str
    method: str = "POST"


@dataclass
class Twiml:
    verbs: list[MessageVerb | RedirectVerb] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (code, text), e.g. 14110 unknown verb


def parse(document: str) -> Twiml:
    if not document.strip():
        return Twiml()
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise TwimlError(12100, f"Document parse failure: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(12200, f"Schema validation warning: the root element is <{root.tag}>, not <Response>")
    result = Twiml()
    for element in root:
        if element.tag in ("Message", "Sms"):
            result.verbs.append(_message(element))
        elif element.tag == "Redirect":
            url = (element.text or "").strip()
            if not url:
                raise TwimlError(12200, "Schema validation warning: <Redirect> needs a URL")
            result.verbs.append(RedirectVerb(url, _method(element)))
            break  # nothing after a Redirect runs
        else:
            result.warnings.append((14110, f"Invalid Verb for SMS Reply: <{element.tag}>"))
    return result


def _method(element: ET.Element) -> str:
    method = (element.get("method") or "POST").upper()
    if method not in ("GET", "POST"):
        raise TwimlError(12200, f"Schema validation warning: method {method!r} is not GET or POST")
    return method


def _message(element: ET.Element) -> MessageVerb:
    bodies = [child for child in element if child.tag == "Body"]
    media = tuple((child.text or "").strip() for child in element if child.tag == "Media")
    text = "".join((child.text or "") for child in bodies) if bodies else (element.text or "")
    return MessageVerb(
        body=text.strip(),
        media=tuple(m for m in media if m),
        to=element.get("to"),
        from_=element.get("from"),
        action=element.get("action") or element.get("statusCallback"),
        method=_method(element),
    )
