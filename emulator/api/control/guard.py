"""Who may drive the control API. It has no credentials by default (a local tool), so it must refuse
what a web page the developer visits could make a browser send it:

- a Host that is not one of the emulator's own names (DNS rebinding: a page whose name resolves
  to 127.0.0.1 would otherwise read and drive it as its own origin);
- an Origin that is not the emulator's own (a page's fetch or form, cross-site);
- a form or text body on a state-changing request (what an HTML form sends without any preflight,
  in browsers that omit Origin);
- with --control-token, a request without the token (but liveness, and the sandbox page's shells:
  they hold no data, and a browser must load the page before it can ask for the token).

Twilio paths are left alone: they need an account's credentials, accept forms (as Twilio does) and
are reached under Twilio's names through the proxy, the TLS port and compose aliases.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from urllib.parse import urlsplit

from flask import Flask, Response, request

from ... import ui
from ...errors import Refused, TokenRequired
from ...settings import Settings

PREFIX = "/_emulator"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The request bodies a page can send anywhere without a CORS preflight.
SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
TOKEN_PARAM = "token"  # for EventSource, which cannot set headers: accepted on GET and HEAD only
OPEN_PATHS = frozenset({f"{PREFIX}/health"})  # liveness stays open to probes that know no token
UI_PREFIX = f"{PREFIX}/ui"  # the sandbox page's shells, CSS and JavaScript


def hostname(host: str) -> str:
    """The name in a Host header or an origin's netloc, lowercased, without port or brackets."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ControlGuard:
    def __init__(self, settings: Settings) -> None:
        self.token = settings.control_token
        self.any_host = "*" in settings.allow_hosts
        own = {"localhost", hostname(settings.host)}
        self.hosts = frozenset(own | {hostname(h) for h in settings.allow_hosts})

    def host_allowed(self, name: str) -> bool:
        # An IP address cannot be rebound to another site, and browsers resolve *.localhost to the
        # loopback themselves (RFC 6761): only other names could belong to someone else's page.
        return self.any_host or name in self.hosts or name.endswith(".localhost") or is_ip(name)

    def check(self) -> None:
        host = request.host
        if not self.host_allowed(hostname(host)):
            raise Refused(
                f"Host {host[:100]!r} is not one of the emulator's names; start it with --allow-host "
                f"{hostname(host)[:100]} if that is how you reach it (a container or compose service name)"
            )
        origin = request.headers.get("Origin")
        if origin is not None and not self._same_origin(origin, host):
            raise Refused(f"a page at {origin[:100]} may not use the control API (only the emulator's own pages)")
        if self.token is not None and not self._open():
            self._check_token(self.token)
        if request.method not in SAFE_METHODS:
            self._check_body()

    @staticmethod
    def _open() -> bool:
        """Whether a request needs no token: liveness, and reads of the sandbox page's shells (under
        /_emulator/ui, and /_emulator/ for a browser), which hold no data: their data comes from
        /_emulator/parts and the rest of the control API, which ask for the token."""
        path = request.path
        if path in OPEN_PATHS:
            return True
        if request.method not in ("GET", "HEAD"):
            return False
        if path == UI_PREFIX or path.startswith(UI_PREFIX + "/"):
            return True
        return path in (PREFIX, PREFIX + "/") and ui.wants_html(request)

    @staticmethod
    def _same_origin(origin: str, host: str) -> bool:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null" (a sandboxed frame, a file: page) and garbage
        default = {"http": 80, "https": 443}
        try:
            origin_port = parts.port or default[parts.scheme]
        except ValueError:
            return False
        request_host = urlsplit(f"//{host}")
        try:
            request_port = request_host.port or default.get(request.scheme, 80)
        except ValueError:
            return False
        return (parts.scheme, parts.hostname, origin_port) == (request.scheme, request_host.hostname, request_port)

    @staticmethod
    def _check_token(token: str) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            given = request.args.get(TOKEN_PARAM, "") if request.method in ("GET", "HEAD") else ""
        if not given:
            raise TokenRequired(
                "this emulator was started with --control-token: send it as Authorization: Bearer <token>"
            )
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise TokenRequired("the control token is not this emulator's --control-token")

    @staticmethod
    def _check_body() -> None:
        mimetype = request.mimetype
        if mimetype in SIMPLE_TYPES:
            raise Refused(
                f"a {mimetype} body on a control request is what any web page can send: send JSON "
                "(Content-Type: application/json)"
            )
        has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if has_body and not JSON_TYPE.match(mimetype):
            raise Refused("a control request's body must be JSON, with Content-Type: application/json")


def register(app: Flask, settings: Settings) -> None:
    guard = ControlGuard(settings)

    @app.before_request
    def guard_control_api() -> None:
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            guard.check()

    @app.after_request
    def no_referrer(response: Response) -> Response:
        # A page of the control API may carry ?token= in its URL: never pass it on to another site.
        if request.path.startswith(PREFIX):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response
