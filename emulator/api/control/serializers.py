"""The control API's JSON shapes of emulator records (Twilio's own records use api.twilio.serializers)."""

from __future__ import annotations

from dataclasses import asdict

from ...domain import registration
from ...domain.error_log import ServerError
from ...domain.models import AccountSettings, AdvancedOptOut, AutoReply, Contact, Fault, Sender
from ...domain.phone import SenderType
from ...optout import OptOutRecord
from ...webhooks.dispatcher import Delivery
from ..twilio.serializers import iso8601


def auto_reply(reply: AutoReply) -> dict:
    return {
        "account_sid": reply.account_sid,
        "from": reply.from_,
        "to": reply.to,
        "body": reply.body,
        "opt_out_type": reply.opt_out_type,
        "message_sid": reply.message_sid,
        "date_created": iso8601(reply.date_created),
    }


def opt_out(record: OptOutRecord) -> dict:
    return {
        "account_sid": record.account_sid,
        "sender": record.sender,
        "messaging_service_sid": record.messaging_service_sid,
        "recipient": record.recipient,
        "source": record.source,
        "consent_source": record.consent_source,
        "date_of_consent": iso8601(record.date_of_consent),
        "correlation_id": record.correlation_id,
        "created_at": iso8601(record.created_at),
    }


def contact(c: Contact) -> dict:
    return {
        "account_sid": c.account_sid,
        "contact_id": c.contact_id,
        "country_iso_code": c.country_iso_code,
        "zip_code": c.zip_code,
        "correlation_id": c.correlation_id,
        "date_updated": iso8601(c.date_updated),
    }


def sender(s: Sender) -> dict:
    return {
        "account_sid": s.account_sid,
        "sid": s.sid,
        "address": s.address,
        "type": s.type.value,
        "messaging_service_sid": s.service_sid,
        "registration": registration.state(s),
        "country": s.short_code_country if s.type is SenderType.SHORT_CODE else None,
    }


def delivery(d: Delivery) -> dict:
    return {
        "id": d.id,
        "kind": d.kind,
        "account_sid": d.account_sid,
        "message_sid": d.message_sid,
        "url": d.url,
        "method": d.method,
        "params": dict(d.params),
        "headers": d.headers,
        "status_code": d.status_code,
        "response_body": d.response_body,
        "duration_ms": d.duration_ms,
        "error_code": d.error_code,
        "error_message": d.error_message,
        "replies": d.replies,
        "attempted_at": iso8601(d.attempted_at),
    }


def fault(f: Fault) -> dict:
    return {
        "to": f.to,
        "pattern": f.pattern,
        "status": f.status.value,
        "error_code": f.error_code,
        "account_sid": f.account_sid,
    }


def settings(s: AccountSettings) -> dict:
    return asdict(s)


def advanced_opt_out(config: AdvancedOptOut) -> dict:
    body = asdict(config)
    for name in ("opt_out_keywords", "opt_in_keywords", "help_keywords", "removed_keywords"):
        body[name] = list(body[name])
    return body


def server_error(e: ServerError) -> dict:
    return {"id": e.id, "where": e.where, "error": e.error, "traceback": e.traceback, "time": iso8601(e.time)}
