"""The least Twilio-shaped work a create endpoint can do (parse the form, store a dict, answer the
JSON): the yardstick the emulator's own cost is compared with, on the same server."""

from __future__ import annotations

import itertools
import threading
from email.utils import formatdate

from flask import Flask, request


def create_bare_app() -> Flask:
    app = Flask("bare")
    store: dict[str, dict] = {}
    counter = itertools.count()
    lock = threading.Lock()

    @app.post("/2010-04-01/Accounts/<account_sid>/Messages.json")
    def create(account_sid: str):
        form = request.form
        sid = f"SM{next(counter):032x}"
        now = formatdate(usegmt=True)
        message = {
            "account_sid": account_sid, "api_version": "2010-04-01", "body": form.get("Body"),
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"), "messaging_service_sid": None,
            "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
            "status": "queued", "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
            "to": form.get("To"), "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }
        with lock:
            store[sid] = message
        return message, 201

    @app.get("/_emulator/health")
    def health():
        return {"status": "ok"}

    return app


def app_from_env() -> Flask:  # granian factory
    return create_bare_app()
