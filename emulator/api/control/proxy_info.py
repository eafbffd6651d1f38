"""GET /_emulator/proxy: the proxy and TLS ports and the CA, for `twilio-emulator env`. Registered
only when the emulator serves them (by emulator.proxy), so a 404 means neither is on."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify

INFO = "twilio_emulator_proxy"

bp = Blueprint("proxy_info", __name__, url_prefix="/_emulator/proxy")


@bp.get("")
def proxy_info():  # noqa: ANN201
    return jsonify(current_app.extensions[INFO])


@bp.get("/ca.pem")
def ca_certificate():  # noqa: ANN201
    return Response(current_app.extensions[INFO]["ca"]["certificate"], mimetype="application/x-pem-file")


def register(app: Flask, info: dict) -> None:
    app.extensions[INFO] = info
    app.register_blueprint(bp)
