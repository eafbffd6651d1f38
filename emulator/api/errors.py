"""One place that renders every error: Twilio's envelope on Twilio paths, {"error": ...} on /_emulator.

The domain raises TwilioError (which carries Twilio's own status) or an EmulatorInputError subclass;
the HTTP status of the latter is decided here, not in the domain.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import (
    EmulatorInputError,
    InvalidInput,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    Refused,
    TimedOut,
    TokenRequired,
    TooManyRequests,
    TwilioError,
    UnknownResource,
)
from .context import EXTENSION

log = logging.getLogger("emulator")
CONTROL_PREFIX = "/_emulator"
CONTROL_STATUS: dict[type[EmulatorInputError], int] = {
    InvalidInput: 400, TokenRequired: 401, Refused: 403, UnknownResource: 404, TimedOut: 504,
}


def twilio_response(error: TwilioError) -> Response:
    g.error_reason = error.reason
    if request.path.startswith(CONTROL_PREFIX):  # e.g. a store failure while handling a control call
        return control_response(f"{error.text}: {error.reason}" if error.reason != error.text else error.text,
                                error.status)
    if error.status < 500:
        log.info("%s %s refused: %s %s (%s)", request.method, request.path, error.code, error.text, error.reason)
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def control_response(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _input_error(exc: EmulatorInputError) -> Response:
    status = next((code for kind, code in CONTROL_STATUS.items() if isinstance(exc, kind)), 400)
    response = control_response(str(exc), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="twilio-emulator control API"'
    return response


def _http_error(exc: HTTPException) -> Response:
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


def _unexpected(exc: Exception) -> Response:
    # Never a traceback to the client: record it (GET /_emulator/errors), answer in the path's shape.
    current_app.extensions[EXTENSION].errors.record(f"handling {request.method} {request.path}", exc)
    if request.path.startswith(CONTROL_PREFIX):
        return control_response("internal error in the emulator (see GET /_emulator/errors)", 500)
    error = TwilioError("Internal Server Error", reason=f"{type(exc).__name__}: {exc}")
    error.code, error.status = 20500, 500
    return twilio_response(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(TwilioError, twilio_response)
    app.register_error_handler(EmulatorInputError, _input_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
