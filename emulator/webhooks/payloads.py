"""The form parameters of Twilio's webhooks (Twilio's status callback and incoming-message docs)."""

from __future__ import annotations

import mimetypes

from ..domain.models import Message, Status

API_VERSION = "2010-04-01"
GEO_FIELDS = ("City", "State", "Zip", "Country")


def _country(number: str) -> str:
    return "US" if number.startswith("+1") else ""


def inbound(message: Message, opt_out_type: str | None) -> list[tuple[str, str]]:
    params = [
        ("ToCountry", _country(message.to)),
        ("ToState", ""),
        ("SmsMessageSid", message.sid),
        ("NumMedia", str(len(message.media_urls))),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", message.sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", message.body),
        ("FromCountry", _country(message.from_ or "")),
        ("To", message.to),
        ("ToZip", ""),
        ("NumSegments", str(message.num_segments)),
        ("MessageSid", message.sid),
        ("AccountSid", message.account_sid),
        ("From", message.from_ or ""),
        ("ApiVersion", API_VERSION),
    ]
    if message.messaging_service_sid:
        params.append(("MessagingServiceSid", message.messaging_service_sid))
    if opt_out_type:
        params.append(("OptOutType", opt_out_type))
    for i, url in enumerate(message.media_urls):
        params.append((f"MediaUrl{i}", url))
        params.append((f"MediaContentType{i}", mimetypes.guess_type(url)[0] or "application/octet-stream"))
    return params


def status_callback(message: Message) -> list[tuple[str, str]]:
    params = [
        ("SmsSid", message.sid),
        ("SmsStatus", message.status.value),
        ("MessageStatus", message.status.value),
        ("To", message.to),
        ("MessageSid", message.sid),
        ("AccountSid", message.account_sid),
        ("From", message.from_ or ""),
        ("ApiVersion", API_VERSION),
    ]
    if message.messaging_service_sid:
        params.append(("MessagingServiceSid", message.messaging_service_sid))
    if message.status in (Status.FAILED, Status.UNDELIVERED) and message.error_code is not None:
        params.append(("ErrorCode", str(message.error_code)))
    if message.status in (Status.DELIVERED, Status.UNDELIVERED):
        params.append(("RawDlrDoneDate", message.date_updated.strftime("%y%m%d%H%M")))
    return params
