"""/_emulator control endpoints behind the sandbox page (any tool may use them): conversations and
their export, refused sends, the opt-out ledger and the operator's changes to it, webhook replay."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from ... import scenario_export
from ...errors import InvalidInput, UnknownResource
from ..context import emulator, webhooks
from . import schemas
from . import serializers as to_json

bp = Blueprint("sandbox", __name__, url_prefix="/_emulator")
PAGE_SIZES = {"conversations": 50, "thread": 100}
EXPORT_TYPES = {"toml": "application/toml; charset=utf-8", "pytest": "text/x-python; charset=utf-8"}


def _page(name: str, high: int = 1000) -> tuple[int | None, int]:
    args = dict(request.args)
    before = int(schemas.number(args, "Before", 0, high=2**53)) if "Before" in args else None
    return before, int(schemas.number(args, "PageSize", PAGE_SIZES[name], high=high)) or 1


@bp.get("/conversations")
def conversations():  # noqa: ANN201
    """Most recent activity first; Q searches numbers and text; Before (a `seq`) pages on."""
    before, size = _page("conversations")
    found, next_before = emulator().conversations.list_(
        schemas.account_filter(), request.args.get("Q", "").strip(), before, size
    )
    return {"conversations": [to_json.conversation(c) for c in found], "next_before": next_before}


@bp.get("/conversations/<account_sid>/<party>/<handset>")
def thread(account_sid: str, party: str, handset: str):  # noqa: ANN201
    before, size = _page("thread", high=10_000)
    return to_json.thread(emulator().conversations.thread(account_sid, party, handset, before, size))


@bp.get("/conversations/<account_sid>/<party>/<handset>/export")
def export(account_sid: str, party: str, handset: str) -> Response:
    """The conversation as a scenario file (format=toml) or a pytest test (format=pytest)."""
    kind = request.args.get("format", "toml")
    if kind not in EXPORT_TYPES:
        raise InvalidInput(f"format must be one of {', '.join(EXPORT_TYPES)}, got {kind!r}")
    if account_sid not in emulator().state.accounts:
        raise UnknownResource(f"no account {account_sid}")
    script = scenario_export.script(emulator(), account_sid, party, handset)
    text = scenario_export.to_toml(script) if kind == "toml" else scenario_export.to_pytest(script)
    return Response(text, mimetype=EXPORT_TYPES[kind].split(";")[0], content_type=EXPORT_TYPES[kind])


@bp.get("/refusals")
def refusals():  # noqa: ANN201
    """Refused sends since the reset (the last 1000), oldest first."""
    return {"refusals": [to_json.refusal(r) for r in emulator().refusals.list_(schemas.account_filter())]}


@bp.get("/opt-outs/ledger")
def ledger():  # noqa: ANN201
    """Every opt-out record, newest first, with the sends it refused since it was written."""
    entries = emulator().ledger.entries(schemas.account_filter(), schemas.e164_filter("Recipient"))
    return {"opt_outs": [to_json.ledger_entry(e) for e in entries]}


def _record_spec() -> tuple[str, str, str | None, str | None]:
    data = schemas.payload()
    account_sid = schemas.account_sid(schemas.string(data, "AccountSid"))
    if account_sid is None:
        raise InvalidInput("AccountSid is required")
    return (
        account_sid,
        schemas.string(data, "Recipient") or "",
        schemas.string(data, "Sender") or None,
        schemas.string(data, "MessagingServiceSid") or None,
    )


@bp.post("/opt-outs")
def add_opt_out():  # noqa: ANN201
    """Opt a handset out as the operator (source "sandbox"): AccountSid, Recipient, and Sender or
    MessagingServiceSid."""
    return to_json.opt_out(emulator().ledger.add(*_record_spec())), 201


@bp.delete("/opt-outs")
def remove_opt_out():  # noqa: ANN201
    """Lift one record as the operator (same fields as adding one)."""
    return to_json.opt_out(emulator().ledger.remove(*_record_spec()))


@bp.post("/webhooks/<int:delivery_id>/replay")
def replay_webhook(delivery_id: int):  # noqa: ANN201
    """Send a recorded webhook request again; the answer is recorded as a new delivery (replay_of)."""
    if not webhooks().replay(delivery_id):
        raise UnknownResource(f"no webhook delivery {delivery_id} (since the last reset)")
    return {"replayed": delivery_id}, 202


def register(app: Flask) -> None:
    app.register_blueprint(bp)
