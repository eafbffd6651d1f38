"""Twilio's REST surface: api.twilio.com under /2010-04-01; messaging.twilio.com, iam's Keys and
accounts.twilio.com under /v1 (their paths do not collide: /v1/Services, /v1/Keys, /v1/Consents, /v1/Contacts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.routing import BaseConverter

from . import accounts, keys, messages, numbers, services
from .auth import authenticate


class JsonSuffix(BaseConverter):
    """An optional ".json": Twilio's 2010 paths are served with or without it (always as JSON)."""

    regex = r"(?:\.json)?"
    part_isolating = False


class Sid(BaseConverter):
    """A resource SID in a path: no dots, so a following ".json" is not part of it."""

    regex = r"[^/.]+"


def resource(bp: Blueprint, rule: str, **views: Callable) -> None:
    """One URL rule for all of a resource's methods (fewer rules: faster routing and start-up)."""
    if "GET" in views:
        views.setdefault("HEAD", views["GET"])

    def dispatch(**kwargs: str) -> Any:
        kwargs.pop("suffix", None)
        return views[request.method](**kwargs)

    endpoint = "".join(c if c.isalnum() else "_" for c in rule)
    bp.add_url_rule(rule, endpoint=endpoint, view_func=dispatch, methods=list(views))


def register(app: Flask) -> None:
    app.url_map.converters["json"] = JsonSuffix
    app.url_map.converters["sid"] = Sid
    api = Blueprint("api", __name__, url_prefix="/2010-04-01")
    messaging = Blueprint("messaging", __name__, url_prefix="/v1")
    accounts_v1 = Blueprint("accounts", __name__, url_prefix="/v1")
    for bp in (api, messaging, accounts_v1):
        bp.before_request(authenticate)
    messages.register(api, resource)
    numbers.register(api, resource)
    services.register(messaging, resource)
    keys.register(api, messaging, resource)
    accounts.register(accounts_v1, resource)
    for bp in (api, messaging, accounts_v1):
        app.register_blueprint(bp)
