"""The control API's JSON shapes of emulator records (Twilio's own records use api.twilio.serializers)."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from ...domain.error_log import ServerError
from ...domain.models import AccountSettings, AdvancedOptOut, AutoReply, Fault, Message
from ...domain.paging import Page
from ...optout import OptOutRecord
from ...webhooks.dispatcher import Delivery
from ..twilio.serializers import iso8601


def message_page(page: Page[Message], records: list[dict], account_sid: str | None) -> dict:
    """A page of GET /_emulator/messages: next_page_uri (or null) carries the keyset of the next."""
    next_uri = None
    if page.has_next:
        query: dict[str, str | int] = {"AccountSid": account_sid} if account_sid else {}
        query.update(PageSize=page.page_size, PageToken=f"PS{page.items[-1].seq}")
        next_uri = f"/_emulator/messages?{urlencode(query)}"
    return {"messages": records, "page_size": page.page_size, "next_page_uri": next_uri}


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
        "created_at": iso8601(record.created_at),
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


def settings(s: AccountSettings, reveal_token: bool = False) -> dict:
    """An account's settings; its auth token only when asked for (a shared screen, a log)."""
    body = asdict(s)
    token = body.pop("auth_token")
    body["auth_token_set"] = token is not None
    if reveal_token:
        body["auth_token"] = token
    return body


def advanced_opt_out(config: AdvancedOptOut) -> dict:
    body = asdict(config)
    for name in ("opt_out_keywords", "opt_in_keywords", "help_keywords", "removed_keywords"):
        body[name] = list(body[name])
    return body


def server_error(e: ServerError) -> dict:
    return {"id": e.id, "where": e.where, "error": e.error, "traceback": e.traceback, "time": iso8601(e.time)}
