"""/_emulator: reset, simulated handset input, and inspection of opt-outs and auto-replies."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Flask, current_app, jsonify, request

from ...domain.fixtures import FixtureError, load_fixture_data
from ...domain.inbound import InboundRejected
from ...domain.models import FINAL_STATUSES, AutoReply, Fault, Status
from ...optout import OptOutRecord
from ...settings import ACCOUNT_SID
from ...webhooks.dispatcher import Delivery
from ..context import REQUESTS, emulator, webhooks
from ..errors import ControlError
from ..twilio import serializers

bp = Blueprint("control", __name__, url_prefix="/_emulator")


def _payload() -> dict:
    """A JSON object body, or the form fields (repeated keys become lists)."""
    if request.is_json:
        try:
            data = json.loads(request.get_data())
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            raise ControlError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ControlError("the body must be a JSON object")
        return data
    return {key: values if len(values) > 1 else values[0] for key, values in request.form.lists()}


def _string(data: dict, name: str, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _accounts() -> list:
    """The accounts the request's AccountSid names (all when it names none); call under the lock."""
    sid = _account_filter()
    return [a for a in emulator().state.accounts.values() if sid in (None, a.sid)]


def _account_filter() -> str | None:
    sid = request.args.get("AccountSid")
    if sid is not None and not ACCOUNT_SID.match(sid):
        raise ControlError("AccountSid must be AC followed by 32 hex digits")
    return sid


def auto_reply_json(reply: AutoReply) -> dict:
    return {
        "account_sid": reply.account_sid,
        "from": reply.from_,
        "to": reply.to,
        "body": reply.body,
        "opt_out_type": reply.opt_out_type,
        "message_sid": reply.message_sid,
        "date_created": serializers.iso8601(reply.date_created),
    }


def opt_out_json(record: OptOutRecord) -> dict:
    return {
        "account_sid": record.account_sid,
        "sender": record.sender,
        "messaging_service_sid": record.messaging_service_sid,
        "recipient": record.recipient,
        "created_at": serializers.iso8601(record.created_at),
    }


@bp.post("/reset")
def reset():  # noqa: ANN201
    emulator().reset()
    return "", 204


@bp.get("/health")
def health():  # noqa: ANN201
    return {"status": "ok"}


@bp.post("/inbound")
def inbound():  # noqa: ANN201
    data = _payload()
    media = data.get("MediaUrl", [])
    media = [media] if isinstance(media, str) else media
    if not isinstance(media, list) or not all(isinstance(u, str) for u in media):
        raise ControlError("MediaUrl must be a URL or a list of URLs")
    try:
        received = emulator().inbound.receive(
            from_=_string(data, "From") or "",
            to=_string(data, "To") or "",
            body=_string(data, "Body", "") or "",
            channel=_string(data, "Channel", "sms") or "sms",
            media_urls=tuple(media),
        )
    except InboundRejected as exc:
        raise ControlError(str(exc), exc.status) from None
    outcome = received.outcome
    return {
        "message": serializers.message(received.message),
        "opt_out_type": outcome.opt_out_type.value if outcome.opt_out_type else None,
        "auto_replies": [auto_reply_json(r) for r in received.auto_replies],
    }, 201


@bp.post("/fixtures")
def load_fixtures():  # noqa: ANN201
    """Load a fixture document (the --fixtures format) now; it lasts until the next reset."""
    try:
        load_fixture_data(emulator(), _payload(), "request body")
    except FixtureError as exc:
        raise ControlError(str(exc)) from None
    return "", 204


@bp.get("/messages")
def list_messages():  # noqa: ANN201
    """Every account's messages (or one account's), newest first, for inspection and the CLI."""
    with emulator().lock:
        found = sorted((m for a in _accounts() for m in a.messages.values()), key=lambda m: m.seq, reverse=True)
    return {"messages": [serializers.message(m) for m in found]}


@bp.get("/requests")
def recent_requests():  # noqa: ANN201
    return {"requests": list(current_app.extensions[REQUESTS])}


@bp.get("/opt-outs")
def opt_outs():  # noqa: ANN201
    emu = emulator()
    with emu.lock:
        records = emu.optouts.list(_account_filter(), request.args.get("Recipient"))
    return {"opt_outs": [opt_out_json(r) for r in records]}


@bp.get("/auto-replies")
def auto_replies():  # noqa: ANN201
    with emulator().lock:
        replies = [auto_reply_json(r) for account in _accounts() for r in account.auto_replies]
    return {"auto_replies": replies}


@bp.put("/accounts/<sid>/settings")
def account_settings(sid: str):  # noqa: ANN201
    try:
        settings = emulator().accounts.update_settings(sid, _payload())
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    body = dict(settings.__dict__)
    return jsonify(body)


@bp.put("/services/<sid>/advanced-opt-out")
def advanced_opt_out(sid: str):  # noqa: ANN201
    try:
        config = emulator().services.set_advanced_opt_out(sid, _payload())
    except LookupError as exc:
        raise ControlError(str(exc), 404) from None
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    body = dict(config.__dict__)
    for name in ("opt_out_keywords", "opt_in_keywords", "help_keywords", "removed_keywords"):
        body[name] = list(body[name])
    return jsonify(body)


def delivery_json(d: Delivery) -> dict:
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
        "attempted_at": serializers.iso8601(d.attempted_at),
    }


@bp.get("/webhooks")
def list_webhooks():  # noqa: ANN201
    args = request.args
    deliveries = webhooks().list(_account_filter(), args.get("MessageSid"), args.get("Kind"))
    return {"webhooks": [delivery_json(d) for d in deliveries]}


@bp.post("/webhooks/wait")
def wait_webhooks():  # noqa: ANN201
    timeout = _number(_payload(), "Timeout", 10.0, high=300)
    if not webhooks().wait_idle(timeout):
        raise ControlError(f"webhooks still pending after {timeout:g}s: {webhooks().pending}", 504)
    return {"idle": True}


def _number(data: dict, name: str, default: float, high: float) -> float:
    value = data.get(name, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ControlError(f"{name} must be a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        raise ControlError(f"{name} must be a number from 0 to {high:g}")
    return float(value)


@bp.post("/messages/advance")
def advance_messages():  # noqa: ANN201
    """Move outbound messages one status further (MessageSid: one message; else all of the
    account, or all). `Steps` repeats; `UntilFinal` runs each to its final status."""
    data = _payload()
    sid = _string(data, "MessageSid")
    account_sid = _string(data, "AccountSid")
    steps = int(_number(data, "Steps", 1, high=100))
    until_final = data.get("UntilFinal", False) in (True, "true", "True")
    emu = emulator()
    moved = []
    with emu.lock:
        accounts = [a for a in emu.state.accounts.values() if account_sid in (None, a.sid)]
        targets = [
            (a, m)
            for a in accounts
            for m in list(a.messages.values())
            if (sid is None or m.sid == sid) and m.status not in FINAL_STATUSES and m.status is not Status.SCHEDULED
        ]
        if sid is not None and not targets:
            raise ControlError(f"no message {sid} that can move on", 404)
        for account, message in targets:
            for _ in range(steps if not until_final else 100):
                if not emu.messages.step(account, message):
                    break
            moved.append(serializers.message(message))
    return {"messages": moved}


@bp.get("/clock")
def clock():  # noqa: ANN201
    return {"now": serializers.iso8601(emulator().now())}


@bp.post("/clock/advance")
def advance_clock():  # noqa: ANN201
    seconds = _number(_payload(), "Seconds", 0, high=10 * 365 * 86400)
    try:
        now = emulator().advance_clock(seconds)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return {"now": serializers.iso8601(now)}


def fault_json(fault: Fault) -> dict:
    return {
        "to": fault.to,
        "pattern": fault.pattern,
        "status": fault.status.value,
        "error_code": fault.error_code,
        "account_sid": fault.account_sid,
    }


def _fault(item: object, index: int) -> Fault:
    if not isinstance(item, dict):
        raise ControlError(f"faults[{index}] must be an object")
    unknown = set(item) - {"to", "pattern", "status", "error_code", "account_sid"}
    if unknown:
        raise ControlError(f"faults[{index}]: unknown key(s) {', '.join(sorted(unknown))}")
    to, pattern = item.get("to"), item.get("pattern")
    if (to is None) == (pattern is None) or not isinstance(to or pattern, str):
        raise ControlError(f"faults[{index}]: give exactly one of to (a number) and pattern (a regex)")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, OverflowError, RecursionError) as exc:
            raise ControlError(f"faults[{index}]: pattern is not a regular expression: {exc}") from None
    status = item.get("status", "undelivered")
    if status not in ("failed", "undelivered"):
        raise ControlError(f"faults[{index}]: status must be failed or undelivered")
    code = item.get("error_code", 30003)
    if isinstance(code, bool) or not isinstance(code, int) or not 10000 <= code <= 99999:
        raise ControlError(f"faults[{index}]: error_code must be a 5-digit Twilio error code")
    account_sid = item.get("account_sid")
    if account_sid is not None and (not isinstance(account_sid, str) or not ACCOUNT_SID.match(account_sid)):
        raise ControlError(f"faults[{index}]: account_sid must be an AccountSid")
    return Fault(Status(status), code, to, pattern, account_sid)


@bp.route("/faults", methods=["GET", "PUT", "DELETE"])
def faults():  # noqa: ANN201
    """Injected delivery failures. PUT {"faults": [...]} replaces them all; DELETE clears them."""
    emu = emulator()
    if request.method == "PUT":
        items = _payload().get("faults")
        if not isinstance(items, list):
            raise ControlError('the body must be {"faults": [...]}')
        parsed = [_fault(item, i) for i, item in enumerate(items)]
        with emu.lock:
            emu.state.faults = parsed
    elif request.method == "DELETE":
        with emu.lock:
            emu.state.faults = []
    return {"faults": [fault_json(f) for f in emu.state.faults]}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
