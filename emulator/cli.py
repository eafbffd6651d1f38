"""Command line: `twilio-emulator serve` (the default) and `twilio-emulator healthcheck`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import urllib.error
import urllib.request

from . import __version__
from .domain.fixtures import FixtureError
from .settings import Settings, parse_accounts

DEFAULT_URL = "http://127.0.0.1:4010"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twilio-emulator",
        description="A local Twilio Messaging emulator with Twilio's opt-out rules (STOP/START/HELP, error 21610). "
        "Point the official Twilio SDKs at it instead of api.twilio.com.",
        epilog="Every serve option can also be set by environment: TWILIO_EMULATOR_HOST, _PORT, _ACCOUNTS "
        "(SID:TOKEN,...), _STRICT_ACCOUNTS, _STRICT_SENDERS, _FIXTURES, _LOG_LEVEL, _WEBHOOK_TIMEOUT, _WEBHOOK_WORKERS.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the emulator (the default command)")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1; use 0.0.0.0 in a container)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4010; 0 picks a free one)")
    serve.add_argument(
        "--account",
        action="append",
        metavar="SID:TOKEN",
        help="declare an account and its auth token (repeatable); undeclared well-formed AccountSids are "
        "created on first use unless --strict-accounts",
    )
    serve.add_argument("--strict-accounts", action="store_true", default=None, help="accept only declared accounts")
    serve.add_argument(
        "--strict-senders",
        action="store_true",
        default=None,
        help="refuse (21606) a From the account does not own, instead of provisioning it on first send",
    )
    serve.add_argument("--fixtures", metavar="PATH", help="JSON seed file loaded at start and at every reset")
    serve.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    serve.add_argument(
        "--webhook-timeout", type=float, metavar="SECONDS", help="a webhook slower than this fails with 11200 (default 15)"
    )
    serve.add_argument("--webhook-workers", type=int, metavar="N", help="background webhook threads (default 4)")

    health = sub.add_parser("healthcheck", help="exit 0 if an emulator answers at --url, 1 otherwise")
    health.add_argument("--url", default=DEFAULT_URL, help=f"emulator base URL (default {DEFAULT_URL})")
    return parser


def serve(args: argparse.Namespace) -> int:
    from .app import create_app

    try:
        settings = Settings.from_env(
            host=args.host,
            port=args.port,
            accounts=parse_accounts(args.account) if args.account else None,
            strict_accounts=args.strict_accounts,
            strict_senders=args.strict_senders,
            fixtures=args.fixtures,
            log_level=args.log_level,
            webhook_timeout=args.webhook_timeout,
            webhook_workers=args.webhook_workers,
        )
        app = create_app(settings)
    except (ValueError, FixtureError) as exc:
        print(f"twilio-emulator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from werkzeug.serving import run_simple

    print(
        f"Twilio emulator {__version__} listening on http://{settings.host}:{settings.port}\n"
        f"  point the SDK at it: see README (emulator.testing.EmulatorHttpClient)\n"
        f"  control API: http://{settings.host}:{settings.port}/_emulator",
        flush=True,
    )
    run_simple(settings.host, settings.port, app, threaded=True, use_reloader=False)
    return 0


def healthcheck(args: argparse.Namespace) -> int:
    try:
        with urllib.request.urlopen(f"{args.url.rstrip('/')}/_emulator/health", timeout=3) as response:
            ok = json.load(response).get("status") == "ok"
    except (OSError, ValueError, urllib.error.URLError) as exc:
        print(f"twilio-emulator: no emulator at {args.url}: {exc}", file=sys.stderr)
        return 1
    print("ok" if ok else "unhealthy")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    return {"serve": serve, "healthcheck": healthcheck}[args.command](args)
