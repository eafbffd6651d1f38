"""Routes of the sandbox page: shells under /_emulator/ui (and /_emulator/ itself, for browsers) and
parts under /_emulator/parts, HTML rendered from the control API's JSON shapes."""

from __future__ import annotations

import hmac
from dataclasses import asdict, fields
from typing import Any

from flask import Blueprint, Flask, Request, redirect, render_template, request
from werkzeug.wrappers import Response

from ..api.context import emulator, webhooks
from ..api.control import serializers as to_json
from ..api.twilio.serializers import iso8601
from ..domain.conversations import is_service
from ..domain.models import AccountSettings
from ..webhooks.signing import signature

bp = Blueprint("ui", __name__, url_prefix="/_emulator/ui", template_folder="templates", static_folder="static")
parts = Blueprint("parts", __name__, url_prefix="/_emulator/parts", template_folder="templates")

HOME = "/_emulator/"
# The events (GET /_emulator/events) after which each page fetches its part again.
CONVERSATION_EVENTS = (
    "message_created status_changed auto_reply send_refused opt_out_recorded opt_out_lifted reset reloaded"
)
REFRESH = {
    "conversations": CONVERSATION_EVENTS,
    "thread": CONVERSATION_EVENTS,
    "ledger": "opt_out_recorded opt_out_lifted send_refused status_changed reset reloaded",
    "webhooks": "webhook_attempted reset reloaded",
    "controls": "reset reloaded",
}
AOO_LISTS = ("opt_out_keywords", "opt_in_keywords", "help_keywords", "removed_keywords")
AOO_REPLIES = ("opt_out_reply", "opt_in_reply", "help_reply")


def wants_html(req: Request) -> bool:
    """A browser's navigation (its Accept prefers text/html), not an API client (JSON, or */*)."""
    return req.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _page(name: str, title: str, **context: Any) -> str:
    return render_template(f"{name}.html", page=name, title=title, refresh_on=REFRESH[name], **context)


def _before() -> int | None:
    raw = request.args.get("before", "")
    return int(raw) if raw.isdigit() else None


def home() -> str:
    """The conversations page (GET /_emulator/ from a browser)."""
    return _page("conversations", "Conversations", q=request.args.get("q", ""), before=_before())


# -- shells (no data) -------------------------------------------------------------------------------
@bp.get("/")
def ui_home() -> Response:
    return redirect(HOME)


@bp.get("/conversations/<account_sid>/<party>/<handset>")
def conversation_page(account_sid: str, party: str, handset: str) -> str:
    return _page(
        "thread",
        f"{handset} and {party}",
        account_sid=account_sid,
        party=party,
        handset=handset,
        service=is_service(party),
        path=to_json.conversation_path(account_sid, party, handset),
        before=_before(),
    )


@bp.get("/opt-outs")
def ledger_page() -> str:
    return _page("ledger", "Opt-out ledger")


@bp.get("/webhooks")
def webhooks_page() -> str:
    return _page("webhooks", "Webhook log")


@bp.get("/controls")
def controls_page() -> str:
    return _page("controls", "Controls")


# -- parts (data) -------------------------------------------------------------------------------------
@parts.get("/conversations")
def conversations_part() -> str:
    query = request.args.get("q", "").strip()
    found, next_before = emulator().conversations.list_(None, query, _before())
    return render_template(
        "parts/conversations.html",
        conversations=[to_json.conversation(c) for c in found],
        next_before=next_before,
        q=query,
    )


@parts.get("/thread/<account_sid>/<party>/<handset>")
def thread_part(account_sid: str, party: str, handset: str) -> str:
    thread = to_json.thread(emulator().conversations.thread(account_sid, party, handset, _before()))
    stops = {r["message_sid"] for r in thread["opt_outs"]}
    return render_template("parts/thread.html", t=thread, stops=stops)


@parts.get("/opt-outs")
def ledger_part() -> str:
    emu = emulator()
    entries = [to_json.ledger_entry(e) for e in emu.ledger.entries()]
    with emu.uow.lock:
        accounts = sorted(emu.state.accounts)
    return render_template("parts/ledger.html", entries=entries, accounts=accounts)


@parts.get("/webhooks")
def webhooks_part() -> str:
    emu = emulator()
    deliveries = [to_json.delivery(d) for d in reversed(webhooks().list_())]
    with emu.uow.lock:
        tokens = {sid: a.settings.auth_token for sid, a in emu.state.accounts.items()}
    for d in deliveries:
        d["signature"] = signature_check(d, tokens.get(d["account_sid"]))
    return render_template("parts/webhooks.html", deliveries=deliveries)


@parts.get("/controls")
def controls_part() -> str:
    emu = emulator()
    with emu.uow.lock:
        accounts = [
            {
                "sid": account.sid,
                "settings": asdict(account.settings),
                "services": [
                    {"sid": s.sid, "name": s.friendly_name, "aoo": to_json.advanced_opt_out(s.advanced_opt_out)}
                    for s in account.services.values()
                ],
            }
            for account in emu.state.accounts.values()
        ]
        faults = [to_json.fault(f) for f in emu.state.faults]
    setting_fields = [f for f in fields(AccountSettings) if f.name != "auth_token"]
    return render_template(
        "parts/controls.html",
        accounts=accounts,
        faults=faults,
        now=iso8601(emu.now()),
        setting_fields=setting_fields,
        choices=AccountSettings.CHOICES,
        aoo_lists=AOO_LISTS,
        aoo_replies=AOO_REPLIES,
    )


def signature_check(delivery: dict, token: str | None) -> dict:
    """Whether the delivery's X-Twilio-Signature validates with the account's auth token (now), as
    the app's own check would: with the twilio SDK's RequestValidator when it is installed."""
    header = delivery["headers"].get("X-Twilio-Signature", "")
    if not token:
        return {"valid": False, "by": "the account has no auth token"}
    params = {} if delivery["method"] == "GET" else delivery["params"]
    try:
        from twilio.request_validator import RequestValidator
    except ImportError:
        ours = signature(token, delivery["url"], params.items())
        return {"valid": hmac.compare_digest(ours, header), "by": "the emulator's signing (twilio is not installed)"}
    valid = RequestValidator(token).validate(delivery["url"], params, header)
    return {"valid": valid, "by": "twilio's RequestValidator"}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(parts)
