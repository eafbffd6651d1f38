"""Twilio's REST surface: api.twilio.com under /2010-04-01, messaging.twilio.com under /v1."""

from __future__ import annotations

from flask import Blueprint, Flask

from . import messages, numbers, services
from .auth import authenticate, check_form_encoding


def register(app: Flask) -> None:
    api = Blueprint("api", __name__, url_prefix="/2010-04-01")
    messaging = Blueprint("messaging", __name__, url_prefix="/v1")
    for bp in (api, messaging):
        bp.before_request(authenticate)
        bp.before_request(check_form_encoding)
    messages.register(api)
    numbers.register(api)
    services.register(messaging)
    app.register_blueprint(api)
    app.register_blueprint(messaging)
