"""/_emulator: reset, simulated handset input, and inspection. Routes only: schemas parse, the
domain decides, serializers shape."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, request

from ... import ui
from ...domain.fixtures import load_fixture_data
from ...errors import TimedOut
from ..context import REQUESTS, emulator, webhooks
from ..twilio import serializers as twilio_json
from . import schemas
from . import serializers as to_json

bp = Blueprint("control", __name__, url_prefix="/_emulator")

# The index at GET /_emulator: what an API client (or a person with curl) can do here.
ENDPOINTS = {
    "POST /_emulator/reset": "back to declared accounts and fixtures (AccountSid: one account only)",
    "GET /_emulator/health": "liveness",
    "POST /_emulator/inbound": "text the emulator as a handset (From, To, Body, Channel, MediaUrl)",
    "POST /_emulator/fixtures": "load a fixture document now",
    "GET /_emulator/messages": "every message, newest first (AccountSid, PageSize, PageToken)",
    "GET /_emulator/requests": "Twilio-path requests since the reset, with the reason of each error (AccountSid)",
    "GET /_emulator/errors": "errors raised inside the emulator (since: an id)",
    "GET /_emulator/opt-outs": "opt-out records (AccountSid, Recipient)",
    "GET /_emulator/auto-replies": "auto-replies sent to handsets (AccountSid)",
    "GET /_emulator/contacts": "contacts of the Consent Management API (AccountSid)",
    "PUT /_emulator/accounts/{AccountSid}/settings": "per-account settings (RevealAuthToken)",
    "PUT /_emulator/services/{ServiceSid}/advanced-opt-out": "a Messaging Service's Advanced Opt-Out",
    "GET /_emulator/senders": "every account's senders, with registration and country (AccountSid)",
    "PUT /_emulator/senders/{Sid or address}": "a sender's registration (A2P 10DLC, toll-free) or country",
    "GET /_emulator/webhooks": "webhook deliveries (AccountSid, MessageSid, Kind)",
    "POST /_emulator/webhooks/wait": "wait until no webhook is pending (Timeout)",
    "POST /_emulator/messages/advance": "manual progression (MessageSid, AccountSid, Steps, UntilFinal)",
    "GET /_emulator/clock": "the emulator's time",
    "POST /_emulator/clock/advance": "move the clock (Seconds)",
    "GET|PUT|DELETE /_emulator/faults": "injected delivery failures",
    "GET /_emulator/events": "server-sent events: messages, auto-replies, refused sends, opt-outs, webhooks, resets",
    "GET /_emulator/conversations": "conversations, most recent first (AccountSid, Q, Before, PageSize)",
    "GET /_emulator/conversations/{AccountSid}/{Party}/{Handset}": "one conversation (Before, PageSize)",
    "GET /_emulator/conversations/{AccountSid}/{Party}/{Handset}/export": "as a test (format=toml|pytest)",
    "GET /_emulator/refusals": "refused sends since the reset (AccountSid)",
    "GET /_emulator/opt-outs/ledger": "opt-out records with the sends each refused (AccountSid, Recipient)",
    "POST|DELETE /_emulator/opt-outs": "add or lift a record (AccountSid, Recipient, Sender|MessagingServiceSid)",
    "POST /_emulator/webhooks/{id}/replay": "send a recorded webhook again",
}


@bp.get("")
@bp.get("/")
def index():  # noqa: ANN201
    """The sandbox page for a browser; this index for API clients."""
    if ui.wants_html(request):
        return ui.home()
    return {"name": "twilio-emulator control API", "endpoints": ENDPOINTS}


@bp.post("/reset")
def reset():  # noqa: ANN201
    account_sid = schemas.account_sid(request.args.get("AccountSid") or schemas.payload().get("AccountSid"))
    emulator().reset(account_sid)
    return "", 204


@bp.get("/health")
def health():  # noqa: ANN201
    return {"status": "ok"}


@bp.post("/inbound")
def inbound():  # noqa: ANN201
    data = schemas.payload()
    received = emulator().inbound.receive(
        from_=schemas.string(data, "From") or "",
        to=schemas.string(data, "To") or "",
        body=schemas.string(data, "Body", "") or "",
        channel=schemas.string(data, "Channel", "sms") or "sms",
        media_urls=schemas.media_urls(data),
    )
    outcome = received.outcome
    return {
        "message": twilio_json.message(received.message),
        "opt_out_type": outcome.opt_out_type.value if outcome.opt_out_type else None,
        "auto_replies": [to_json.auto_reply(r) for r in received.auto_replies],
    }, 201


@bp.post("/fixtures")
def load_fixtures():  # noqa: ANN201
    """Load a fixture document (the --fixtures format) now; it lasts until the next reset."""
    load_fixture_data(emulator(), schemas.payload(), "request body")
    return "", 204


@bp.get("/messages")
def list_messages():  # noqa: ANN201
    """Every account's messages (or one account's), newest first, a page at a time (PageSize,
    and the PageToken of next_page_uri), for inspection and the CLI."""
    account_sid, page_size, before = schemas.account_filter(), schemas.page_size(), schemas.page_token()
    page = emulator().messages.page_all(account_sid, page_size, before)
    return to_json.message_page(page, [twilio_json.message(m) for m in page.items], account_sid)


@bp.get("/requests")
def recent_requests():  # noqa: ANN201
    """Twilio-path requests since the reset (of one account's, with AccountSid), oldest first."""
    return {"requests": current_app.extensions[REQUESTS].entries(schemas.account_filter())}


@bp.get("/errors")
def server_errors():  # noqa: ANN201
    since = int(schemas.number(dict(request.args), "since", 0, high=2**53))
    log = emulator().errors
    return {"errors": [to_json.server_error(e) for e in log.since(since)], "last_id": log.last_id}


@bp.get("/opt-outs")
def opt_outs():  # noqa: ANN201
    emu = emulator()
    with emu.uow.lock:
        records = emu.optouts.list_(schemas.account_filter(), schemas.e164_filter("Recipient"))
    return {"opt_outs": [to_json.opt_out(r) for r in records]}


@bp.get("/auto-replies")
def auto_replies():  # noqa: ANN201
    emu, account_sid = emulator(), schemas.account_filter()
    with emu.uow.lock:
        replies = [
            to_json.auto_reply(r)
            for a in emu.state.accounts.values()
            if account_sid in (None, a.sid)
            for r in a.auto_replies.values()
        ]
    return {"auto_replies": replies}


@bp.get("/contacts")
def contacts():  # noqa: ANN201
    emu, account_sid = emulator(), schemas.account_filter()
    with emu.uow.lock:
        found = [
            to_json.contact(c) for a in emu.state.accounts.values() if account_sid in (None, a.sid)
            for c in a.contacts.values()
        ]
    return {"contacts": found}


@bp.put("/accounts/<sid>/settings")
def account_settings(sid: str):  # noqa: ANN201
    changed = emulator().accounts.update_settings(sid, schemas.payload())
    return to_json.settings(changed, reveal_token=schemas.flag(request.args.to_dict(), "RevealAuthToken"))


@bp.put("/services/<sid>/advanced-opt-out")
def advanced_opt_out(sid: str):  # noqa: ANN201
    return to_json.advanced_opt_out(emulator().services.set_advanced_opt_out(sid, schemas.payload()))


@bp.get("/senders")
def list_senders():  # noqa: ANN201
    return {"senders": [to_json.sender(s) for s in emulator().numbers.list_all(schemas.account_filter())]}


@bp.put("/senders/<key>")
def configure_sender(key: str):  # noqa: ANN201
    return to_json.sender(emulator().numbers.configure(key, schemas.payload()))


@bp.get("/webhooks")
def list_webhooks():  # noqa: ANN201
    args = request.args
    deliveries = webhooks().list_(schemas.account_filter(), args.get("MessageSid"), args.get("Kind"))
    return {"webhooks": [to_json.delivery(d) for d in deliveries]}


@bp.post("/webhooks/wait")
def wait_webhooks():  # noqa: ANN201
    timeout = schemas.number(schemas.payload(), "Timeout", 10.0, high=300)
    if not webhooks().wait_idle(timeout):
        raise TimedOut(f"webhooks still pending after {timeout:g}s: {webhooks().pending}")
    return {"idle": True}


@bp.post("/messages/advance")
def advance_messages():  # noqa: ANN201
    """Move outbound messages one status further (MessageSid: one message; else all of the
    account, or all). `Steps` repeats; `UntilFinal` runs each to its final status."""
    data = schemas.payload()
    moved = emulator().lifecycle.advance(
        schemas.account_sid(schemas.string(data, "AccountSid")),
        schemas.string(data, "MessageSid"),
        steps=int(schemas.number(data, "Steps", 1, high=100)),
        until_final=schemas.flag(data, "UntilFinal"),
    )
    return {"messages": [twilio_json.message(m) for m in moved]}


@bp.get("/clock")
def clock():  # noqa: ANN201
    return {"now": twilio_json.iso8601(emulator().now())}


@bp.post("/clock/advance")
def advance_clock():  # noqa: ANN201
    seconds = schemas.number(schemas.payload(), "Seconds", 0, high=10 * 365 * 86400)
    return {"now": twilio_json.iso8601(emulator().advance_clock(seconds))}


@bp.route("/faults", methods=["GET", "PUT", "DELETE"])
def faults():  # noqa: ANN201
    """Injected delivery failures. PUT {"faults": [...]} replaces them all; DELETE clears them."""
    emu = emulator()
    if request.method == "PUT":
        current = emu.set_faults(schemas.faults(schemas.payload()))
    elif request.method == "DELETE":
        current = emu.set_faults([])
    else:
        current = emu.state.faults
    return {"faults": [to_json.fault(f) for f in current]}


def root():  # noqa: ANN201
    """GET / (the URL the start banner prints first): a browser goes to the sandbox page; an API
    client learns where the Twilio API and the control API are."""
    from ... import __version__  # the package imports this module first

    if ui.wants_html(request):
        return redirect(ui.HOME)
    return {
        "name": "twilio-emulator",
        "version": __version__,
        "twilio_api": "/2010-04-01/Accounts/{AccountSid}/Messages.json (and the other Twilio paths, see the README)",
        "control_api": "/_emulator",
    }


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/", "root", root, methods=["GET"])
