"""/_emulator: reset, simulated handset input, and inspection of opt-outs and auto-replies."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from ...domain.inbound import InboundRejected
from ...domain.models import AutoReply
from ...optout import OptOutRecord
from ...settings import ACCOUNT_SID
from ..context import emulator
from ..errors import ControlError
from ..twilio import serializers

bp = Blueprint("control", __name__, url_prefix="/_emulator")


def _payload() -> dict:
    """A JSON object body, or the form fields (repeated keys become lists)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ControlError("the body must be a JSON object")
        return data
    return {key: values if len(values) > 1 else values[0] for key, values in request.form.lists()}


def _string(data: dict, name: str, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


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


@bp.get("/opt-outs")
def opt_outs():  # noqa: ANN201
    emu = emulator()
    with emu.lock:
        records = emu.optouts.list(_account_filter(), request.args.get("Recipient"))
    return {"opt_outs": [opt_out_json(r) for r in records]}


@bp.get("/auto-replies")
def auto_replies():  # noqa: ANN201
    emu = emulator()
    sid = _account_filter()
    with emu.lock:
        accounts = [emu.state.accounts[sid]] if sid in emu.state.accounts else [] if sid else emu.state.accounts.values()
        replies = [auto_reply_json(r) for account in accounts for r in account.auto_replies]
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
    for name in ("opt_out_keywords", "opt_in_keywords", "help_keywords"):
        body[name] = list(body[name])
    return jsonify(body)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
