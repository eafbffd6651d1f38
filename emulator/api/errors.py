"""One place that renders every error: Twilio's envelope on Twilio paths, {"error": ...} on /_emulator."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import InvalidParameter, MethodNotAllowed, NotFound, TwilioError

log = logging.getLogger("emulator")
CONTROL_PREFIX = "/_emulator"


class ControlError(Exception):
    """A bad request to the control API (not Twilio-shaped)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def twilio_response(error: TwilioError):  # noqa: ANN201 - a Flask response
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def control_response(message: str, status: int):  # noqa: ANN201
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _http_error(exc: HTTPException):  # noqa: ANN201
    status = exc.code or 500
    if request.path.startswith(CONTROL_PREFIX):
        return control_response(exc.description or exc.name, status)
    if status == 404:
        return twilio_response(NotFound(path=request.path))
    if status == 405:
        return twilio_response(MethodNotAllowed())
    error = InvalidParameter(f"{exc.name}: {exc.description}" if exc.description else exc.name)
    error.status = status
    return twilio_response(error)


def _unexpected(exc: Exception):  # noqa: ANN201
    # Never a traceback to the client: log it, answer in the path's error shape.
    log.exception("unexpected error on %s %s", request.method, request.path)
    if request.path.startswith(CONTROL_PREFIX):
        return control_response("internal error in the emulator (see its log)", 500)
    error = TwilioError("Internal Server Error")
    error.code, error.status = 20500, 500
    return twilio_response(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(TwilioError, twilio_response)
    app.register_error_handler(ControlError, lambda exc: control_response(str(exc), exc.status))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
