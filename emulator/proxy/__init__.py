"""Pointing unmodified programs at the emulator: an HTTPS proxy that answers *.twilio.com itself,
a TLS port, and the local CA both use (see the README's "Point any program at it")."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ..api.control import proxy_info
from ..hosts import is_twilio_host
from ..settings import Settings
from .ca import CertificateAuthority, default_ca_dir
from .listeners import Listeners
from .listeners import proxy_info as _info
from .listeners import start_listeners as _start
from .trust import write_trust_files

__all__ = [
    "CertificateAuthority",
    "Listeners",
    "behind_listeners",
    "default_ca_dir",
    "is_twilio_host",
    "start_listeners",
]


def start_listeners(app: Flask | None, settings: Settings, api_port: int) -> Listeners:
    """Start the proxy and TLS listeners that settings ask for, serving `app` (None: the API port
    over loopback, for --server granian) and register GET /_emulator/proxy on `app`."""
    listeners = _start(app, settings, api_port)
    if app is not None and listeners.ca is not None:
        proxy_info.register(app, listeners.info())
    return listeners


def behind_listeners(app: Flask, settings: Settings) -> None:
    """For the app of a --server granian worker, whose listeners run in the parent process and
    pass requests over loopback: take the scheme they report, and describe them."""
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=0, x_proto=1, x_host=0, x_port=0, x_prefix=0
    )
    ca = CertificateAuthority(settings.ca_dir)
    proxy_info.register(app, _info(settings, ca, write_trust_files(ca.pem, ca.directory)))
