"""WSGI entry point for production-grade servers, configured by TWILIO_EMULATOR_* variables:

    granian --interface wsgi --factory emulator.wsgi:app_from_env

`twilio-emulator serve --server granian` does this for you. Run one worker only: all state lives
in the worker's memory (or one --db file), and several workers would each have their own.
"""

from __future__ import annotations

from flask import Flask

from .app import create_app
from .server import tune_gc
from .settings import Settings


def app_from_env() -> Flask:
    settings = Settings.from_env()
    app = create_app(settings)
    if settings.proxy or settings.tls:
        # `serve --server granian --proxy`: the listeners run in the parent process and reach this
        # worker's app over loopback.
        from .proxy import behind_listeners

        behind_listeners(app, settings)
    tune_gc()  # this factory runs in the server's worker process
    return app
