"""The control API's JSON shapes of emulator records (Twilio's own records use api.twilio.serializers)."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote, urlencode

from ...domain import registration
from ...domain.conversations import Item, Stop, Summary, Thread, is_service
from ...domain.error_log import ServerError
from ...domain.models import AccountSettings, AdvancedOptOut, AutoReply, Contact, Fault, Message, Sender
from ...domain.opt_out_ledger import Entry
from ...domain.paging import Page
from ...domain.phone import SenderType, sender_type
from ...domain.refusals import Refusal
from ...domain.segments import encoding, smart_encode
from ...optout import OptOutRecord
from ...webhooks.dispatcher import Delivery
from ..twilio import serializers as twilio_json
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
        "consent_source": record.consent_source,
        "date_of_consent": iso8601(record.date_of_consent),
        "correlation_id": record.correlation_id,
        "created_at": iso8601(record.created_at),
        "message_sid": record.message_sid,
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
        "replay_of": d.replay_of,
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


def refusal(r: Refusal) -> dict:
    return {
        "seq": r.seq,
        "account_sid": r.account_sid,
        "to": r.to,
        "from": r.from_,
        "messaging_service_sid": r.messaging_service_sid,
        "body": r.body,
        "direction": r.direction,
        "error_code": r.error_code,
        "error_message": r.error_message,
        "status": r.status,
        "reason": r.reason,
        "date_created": iso8601(r.date_created),
        "opt_out": opt_out(r.opt_out) if r.opt_out is not None else None,
    }


def conversation_path(account_sid: str, party: str, handset: str) -> str:
    """The conversation's path under /_emulator/conversations (and the page's, under /_emulator/ui)."""
    return "/".join(quote(part, safe="+:") for part in (account_sid, party, handset))


def party_kind(party: str) -> str:
    if is_service(party):
        return "messaging_service"
    kind = sender_type(party)
    return kind.value if kind is not None else "unknown"


def conversation(s: Summary) -> dict:
    last = s.last
    return {
        "account_sid": s.account_sid,
        "party": s.party,
        "party_kind": party_kind(s.party),
        "handset": s.handset,
        "seq": s.seq,
        "messages": s.messages,
        "last": {"message": thread_message(last)} if isinstance(last, Message) else {"refusal": refusal(last)},
        "opt_outs": [opt_out(r) for r in s.opt_outs],
        "path": conversation_path(s.account_sid, s.party, s.handset),
    }


def thread_message(m: Message) -> dict:
    """Twilio's JSON of a message, with what a phone view shows besides: media URLs, the encoding."""
    body = smart_encode(m.body) if m.smart_encoded else m.body
    return {
        **twilio_json.message(m),
        "media_urls": list(m.media_urls),
        "encoding": encoding(body),
        "seq": m.seq,
        "created_at": iso8601(m.date_created),
    }


def stop(s: Stop | None) -> dict | None:
    if s is None:
        return None
    return {"message_sid": s.message_sid, "path": conversation_path(s.account_sid, s.party, s.handset)}


def thread_item(i: Item) -> dict:
    kind = "refusal" if i.refusal is not None else "message" if i.message is not None else "auto_reply"
    return {
        "seq": i.seq,
        "kind": kind,
        "message": thread_message(i.message) if i.message is not None else None,
        "auto_reply": auto_reply(i.auto_reply) if i.auto_reply is not None else None,
        "refusal": refusal(i.refusal) if i.refusal is not None else None,
        "stop": stop(i.stop),
    }


def thread(t: Thread) -> dict:
    return {
        "account_sid": t.account_sid,
        "party": t.party,
        "party_kind": party_kind(t.party),
        "handset": t.handset,
        "our_numbers": list(t.our_numbers),
        "opt_outs": [opt_out(r) for r in t.opt_outs],
        "items": [thread_item(i) for i in t.items],
        "older": t.older,
        "path": conversation_path(t.account_sid, t.party, t.handset),
    }


def ledger_entry(e: Entry) -> dict:
    return {
        **opt_out(e.record),
        "refused": [refusal(r) for r in e.refused],
        "failed": [twilio_json.message(m) for m in e.failed],
    }
