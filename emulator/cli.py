"""Command line: `twilio-emulator serve` (the default) runs the emulator; the other commands talk
to a running one over its control API (tables for people, --json for scripts)."""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import urllib.request

from . import __version__
from .envvars import FORMATS, SDKS
from .errors import EmulatorInputError
from .settings import Settings, parse_accounts, parse_api_keys

DEFAULT_URL = "http://127.0.0.1:4010"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twilio-emulator",
        description="A local Twilio Messaging emulator with Twilio's opt-out rules (STOP/START/HELP, error 21610). "
        "Point the official Twilio SDKs at it instead of api.twilio.com.",
        epilog="Every serve option can also be set by environment: TWILIO_EMULATOR_HOST, _PORT, _ACCOUNTS "
        "(SID:TOKEN,...), _API_KEYS (SK:SECRET:AC,...), _STRICT_ACCOUNTS, _STRICT_SENDERS, _FIXTURES, _DB, "
        "_MAX_MESSAGES, _MAX_WEBHOOKS, _LOG_LEVEL, _CONTROL_TOKEN, _ALLOW_HOSTS (NAME,...), _WEBHOOK_TIMEOUT, "
        "_WEBHOOK_WORKERS, _PROXY, _PROXY_PORT, _TLS, _TLS_PORT, _CA_DIR.",
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
        "--api-key",
        action="append",
        metavar="SK:SECRET:AC",
        help="declare an API key, its secret and its account (repeatable); only declared keys and keys "
        "created through the Keys API authenticate",
    )
    serve.add_argument(
        "--strict-senders",
        action="store_true",
        default=None,
        help="refuse (21606) a From the account does not own, instead of provisioning it on first send",
    )
    serve.add_argument("--fixtures", metavar="PATH", help="JSON seed file loaded at start and at every reset")
    serve.add_argument(
        "--db", metavar="PATH", help="keep all state in this SQLite file across restarts (default: in memory)"
    )
    serve.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="require this token on every control-API request (Authorization: Bearer TOKEN), for a sandbox "
        "others can reach; the client commands send $TWILIO_EMULATOR_CONTROL_TOKEN",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="a host name the control API answers to besides its address, localhost and IP addresses "
        "(repeatable; a container or compose service name; '*' for any)",
    )
    serve.add_argument(
        "--max-messages",
        type=int,
        metavar="N",
        help="keep at most N messages and N auto-replies, evicting the oldest (opt-out records are never "
        "evicted); default: no cap",
    )
    serve.add_argument(
        "--max-webhooks",
        type=int,
        metavar="N",
        help="keep at most N webhook attempts for inspection, evicting the oldest "
        "(default: 4 x --max-messages when that is set, else no cap)",
    )
    serve.add_argument(
        "--server",
        choices=["werkzeug", "granian"],
        default="werkzeug",
        help="HTTP server: werkzeug (default, no extra dependency) or granian (about 3x the throughput; "
        "pip install 'twilio-emulator[fast]')",
    )
    serve.add_argument(
        "--webhook-timeout",
        type=float,
        metavar="SECONDS",
        help="a webhook slower than this fails with 11200 (default 15)",
    )
    serve.add_argument("--webhook-workers", type=int, metavar="N", help="background webhook threads (default 4)")
    serve.add_argument(
        "--proxy",
        action="store_true",
        default=None,
        help="also serve an HTTP proxy: CONNECT to *.twilio.com is answered by the emulator over TLS made "
        "with a local CA, every other host is tunnelled untouched (point programs at it: `twilio-emulator env`)",
    )
    serve.add_argument("--proxy-port", type=int, metavar="PORT", help="the proxy's port (default: --port + 1)")
    serve.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="also serve the API over HTTPS with certificates for the Twilio names, for setups that map "
        "api.twilio.com to the emulator (/etc/hosts, DNS, compose)",
    )
    serve.add_argument("--tls-port", type=int, metavar="PORT", help="the TLS port (default: --port + 2)")
    serve.add_argument(
        "--ca-dir",
        metavar="DIR",
        help="directory of the local CA, created on first use (default: a per-user data directory)",
    )

    def token_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--control-token", metavar="TOKEN",
            help="the emulator's --control-token (default $TWILIO_EMULATOR_CONTROL_TOKEN)",
        )

    def client_command(name: str, help: str, json_help: str = "print JSON for scripts instead of a table"
                       ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help, description=help)
        command.add_argument(
            "--url", default=os.environ.get("TWILIO_EMULATOR_URL", DEFAULT_URL), type=_url,
            help=f"the running emulator (default $TWILIO_EMULATOR_URL or {DEFAULT_URL})",
        )
        command.add_argument("--json", action="store_true", help=json_help)
        token_option(command)
        return command

    healthcheck = client_command(
        "healthcheck", "exit 0 if an emulator answers at --url, 1 otherwise", json_help="print {\"status\": ...}",
    )
    # The container's HEALTHCHECK: $TWILIO_EMULATOR_PORT when no URL is set.
    healthcheck.set_defaults(url=None)
    next(a for a in healthcheck._actions if a.dest == "url").help = (
        "the emulator to check (default $TWILIO_EMULATOR_URL, else 127.0.0.1 at $TWILIO_EMULATOR_PORT or 4010)"
    )
    reset = client_command("reset", "reset a running emulator to its declared accounts and fixtures")
    reset.add_argument("--account", metavar="AC…", help="only this account (others are left as they are)")
    inbound = client_command("inbound", "text a running emulator as a handset would (e.g. STOP)")
    inbound.add_argument("--from", dest="from_", required=True, metavar="HANDSET", help="the handset's E.164 number")
    inbound.add_argument("--to", required=True, metavar="NUMBER", help="a number or short code an account owns")
    inbound.add_argument("--channel", choices=["sms", "rcs"], default="sms",
                         help="sms (default) or rcs: they share opt-outs")
    inbound.add_argument("body", help="the message text, e.g. STOP")
    opt_outs = client_command("opt-outs", "list opt-out records")
    opt_outs.add_argument("--account", metavar="AC…", help="only this account's")
    opt_outs.add_argument("--recipient", metavar="NUMBER", help="only this handset's")
    messages = client_command("messages", "list messages, newest first")
    messages.add_argument("--account", metavar="AC…", help="only this account's")
    messages.add_argument("--limit", type=_positive, default=50, help="how many (default 50)")
    messages.add_argument(
        "--refused", action="store_true",
        help="the sends the emulator refused instead (they create no message; from the request log), with why",
    )
    requests_ = client_command("requests", "list the Twilio-path requests since the last reset, with why each error")
    requests_.add_argument("--account", metavar="AC…", help="only this account's")
    requests_.add_argument("--errors", action="store_true", help="only the requests answered with an error")
    webhooks = client_command("webhooks", "list webhook deliveries (status callbacks, incoming-message webhooks)")
    webhooks.add_argument("--account", metavar="AC…", help="only this account's")
    webhooks.add_argument("--message", metavar="SM…", help="only this message's")
    auto_replies = client_command("auto-replies", "list the replies sent to handsets (STOP, START, HELP answers)")
    auto_replies.add_argument("--account", metavar="AC…", help="only this account's")
    ca = sub.add_parser("ca", help="where the local CA is, and how to trust or remove it (created if absent)")
    ca.add_argument(
        "--ca-dir",
        metavar="DIR",
        help="the CA's directory (default: $TWILIO_EMULATOR_CA_DIR or a per-user data directory)",
    )
    ca.add_argument("--path", action="store_true", help="print only the certificate's path, for scripts")
    ca.add_argument("--json", action="store_true", help="print JSON for scripts")
    env = sub.add_parser(
        "env",
        help="print the environment variables that point one SDK's programs at a running emulator",
        description="Asks the emulator at --url for its proxy and CA and prints the variables that SDK honours, "
        "e.g. eval \"$(twilio-emulator env --sdk python)\".",
    )
    env.add_argument("--sdk", required=True, choices=SDKS, help="the program's Twilio SDK (curl: the curl tool)")
    env.add_argument(
        "--url", default=os.environ.get("TWILIO_EMULATOR_URL", DEFAULT_URL),
        help=f"the running emulator (default $TWILIO_EMULATOR_URL or {DEFAULT_URL})",
    )
    env.add_argument(
        "--format", choices=FORMATS, default="shell",
        help="shell (export lines for eval, the default), dotenv (compose env_file), json, "
        "docker (docker run --env-file)",
    )
    env.add_argument(
        "--files-dir", metavar="DIR", help="where to write the CA copy and trust bundles the variables name "
        "(default: a per-user cache directory)",
    )
    token_option(env)
    scenarios = sub.add_parser("scenarios", help="run scenario files (*.toml) and print a line per scenario")
    scenarios.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or directories of them")
    scenarios.add_argument(
        "--url", type=_url, help="run against this running emulator instead of a fresh in-process one; each "
        "scenario uses an account of its own and removes it at the end (its clock moves on, though)",
    )
    scenarios.add_argument("--json", action="store_true", help="print JSON results")
    token_option(scenarios)
    return parser


def serve(args: argparse.Namespace) -> int:
    from .app import create_app, shutdown

    try:
        settings = Settings.from_env(
            host=args.host,
            port=args.port,
            accounts=parse_accounts(args.account) if args.account else None,
            strict_accounts=args.strict_accounts,
            api_keys=parse_api_keys(args.api_key) if args.api_key else None,
            strict_senders=args.strict_senders,
            fixtures=args.fixtures,
            db=args.db,
            max_messages=args.max_messages,
            max_webhooks=args.max_webhooks,
            log_level=args.log_level,
            control_token=args.control_token,
            allow_hosts=tuple(args.allow_host) if args.allow_host else None,
            webhook_timeout=args.webhook_timeout,
            webhook_workers=args.webhook_workers,
            proxy=args.proxy,
            proxy_port=args.proxy_port,
            tls=args.tls,
            tls_port=args.tls_port,
            ca_dir=args.ca_dir,
        )
        if args.server == "granian":
            # The worker builds its own app: here the settings and fixtures are only checked (in
            # memory: starting on the --db file would resume its messages here, and their status
            # callbacks would go nowhere), and the file is opened to see whether it holds state.
            restored = _check_for_granian(settings)
            if settings.port == 0:  # granian binds by itself: pick the free port here
                settings = settings.with_(port=_free_port(settings.host))
            server = None
        else:
            app = create_app(settings)
            restored = app.extensions["twilio_emulator"].restored
            from .server import EmulatorWSGIServer, PlainLogRequestHandler, RequestHandler

            # werkzeug colours its request lines; only a terminal shows colours, anywhere else
            # they are escape codes in the text.
            handler = RequestHandler if sys.stderr.isatty() else PlainLogRequestHandler
            server = EmulatorWSGIServer(settings.host, settings.port, app, handler)
        listeners = None
        if settings.proxy or settings.tls:
            from .proxy import start_listeners

            # Under granian the app lives in its worker: the listeners reach it through the API port.
            try:
                api_port = server.port if server is not None else settings.port
                listeners = start_listeners(app if server is not None else None, settings, api_port)
            except OSError:
                if server is not None:
                    server.server_close()
                    shutdown(app)
                raise
            settings = listeners.settings  # the ports they bound, for granian's worker to describe
    except (ValueError, EmulatorInputError, OSError, sqlite3.Error) as exc:
        print(f"twilio-emulator: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(settings.log_level)  # its request log follows --log-level
    port = server.port if server is not None else settings.port
    extra = listeners.describe(settings.host) if listeners else ()
    print(_banner(settings, args.server, port, restored), *extra, sep="\n", flush=True)
    if server is None:
        return serve_granian(settings)
    from .server import tune_gc

    tune_gc()
    # The server runs in a thread; the main thread waits for SIGTERM (docker stop) or SIGINT
    # (Ctrl-C), then stops it: requests in flight finish, then webhooks, the clock and the store.
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="twilio-emulator", daemon=True)
    thread.start()
    while not stopping.wait(0.5) and thread.is_alive():
        pass
    logging.getLogger("emulator").info("stopping: finishing requests in flight, then closing the store")
    if listeners:
        listeners.stop()
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    shutdown(app)
    return 0


def _check_for_granian(settings: Settings) -> bool:
    """Check settings and fixtures as serve would, without touching the --db file's state; True
    when that file holds state (the worker will restore it)."""
    from .domain.emulator import Emulator
    from .storage import SqliteStore

    Emulator(settings.with_(db=None)).start().close()
    if not settings.db:
        return False
    store = SqliteStore(settings.db)
    try:
        return store.has_state()
    finally:
        store.close()


def _banner(settings: Settings, server: str, port: int, restored: bool) -> str:
    url = f"http://{settings.host}:{port}"
    lines = [
        f"Twilio emulator {__version__} ({server}) listening on {url}",
        f"  sandbox page and control API: {url}/_emulator/",
        "  point the SDK at it: emulator.testing.twilio_client(url, account_sid, token), see the README",
    ]
    if settings.control_token:
        lines.append("  control API: requires the --control-token (Authorization: Bearer …; the sandbox page asks "
                     "for it once; the client commands read $TWILIO_EMULATOR_CONTROL_TOKEN)")
    elif settings.host in ("0.0.0.0", "::"):
        lines.append("  control API: open to anyone who can reach this port (README: Security model); "
                     "--control-token guards it")
    if settings.db and restored:
        ignored = " (fixture edits are ignored while it holds state; a reset reloads them)" if settings.fixtures else ""
        lines.append(f"  state: restored from {settings.db}{ignored}")
    elif settings.db:
        lines.append(f"  state: new, kept in {settings.db}")
    if settings.fixtures and not restored:
        lines.append(f"  fixtures: loaded from {settings.fixtures}")
    if settings.strict_accounts and not (settings.accounts or settings.fixtures or restored):
        lines.append("  warning: --strict-accounts and no declared account: every Twilio request will get 401 "
                     "(declare one with --account SID:TOKEN or --fixtures)")
    return "\n".join(lines)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def serve_granian(settings: Settings) -> int:
    try:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels
    except ImportError:
        print("twilio-emulator: --server granian needs: pip install 'twilio-emulator[fast]'", file=sys.stderr)
        return 2
    # The worker builds its own app from the environment: one worker, so one state.
    os.environ.update(settings.to_env())
    Granian(
        "emulator.wsgi:app_from_env",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=8,  # the app is GIL-bound: a few threads serve 16+ connections well
        factory=True,
        log_level=LogLevels.warning,
    ).serve()
    return 0


def healthcheck(args: argparse.Namespace) -> int:
    # urllib, not requests: the container's HEALTHCHECK runs this every few seconds, keep it light.
    url = args.url or os.environ.get("TWILIO_EMULATOR_URL") or _local_url()
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_emulator/health", timeout=3) as response:
            ok = json.load(response).get("status") == "ok"
    except (OSError, ValueError) as exc:
        why = getattr(exc, "reason", exc)  # urllib wraps the socket error
        print(f"twilio-emulator: no emulator at {url} ({why})", file=sys.stderr)
        return 1
    print(json.dumps({"status": "ok" if ok else "unhealthy"}) if args.json else "ok" if ok else "unhealthy")
    return 0 if ok else 1


def _url(value: str) -> str:
    """--url: an http(s) URL (a bare host:port is the commonest slip)."""
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r} is not a URL: write http://{value}")
    return value


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return number


def _local_url() -> str:
    """The emulator this machine (or container) serves, by the port serve was told: a container's
    HEALTHCHECK follows TWILIO_EMULATOR_PORT."""
    port = os.environ.get("TWILIO_EMULATOR_PORT", "").strip()
    return f"http://127.0.0.1:{port}" if port.isdigit() else DEFAULT_URL


def _table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _control(args: argparse.Namespace, action) -> int:  # noqa: ANN001
    """Run a control-API call, printing JSON or a table; unreachable or refused → a message, exit 1."""
    import requests

    from .testing import ControlClient, EmulatorError

    try:
        result = action(ControlClient(args.url, token=args.control_token))
    except requests.ConnectionError:
        print(
            f"twilio-emulator: no emulator at {args.url} (start one with `twilio-emulator serve`, or name yours "
            "with --url or TWILIO_EMULATOR_URL)",
            file=sys.stderr,
        )
        return 1
    except EmulatorError as exc:
        hint = ""
        if exc.status == 401:
            hint = " (pass --control-token or set TWILIO_EMULATOR_CONTROL_TOKEN)"
        print(f"twilio-emulator: the emulator at {args.url} refused: {exc.message}{hint}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:  # a timeout, or something else answering at that URL
        print(f"twilio-emulator: {args.url} did not answer as an emulator: {exc}", file=sys.stderr)
        return 1
    data, columns = result
    if args.json:
        print(json.dumps(data, indent=2))
    elif columns:
        print(_table(data if isinstance(data, list) else [data], columns))
    return 0


def reset(args: argparse.Namespace) -> int:
    def do(c):  # noqa: ANN001, ANN202
        c.reset(args.account)
        if args.json:
            return {"reset": args.account or "all"}, None
        what = f"account {args.account}" if args.account else "every account"
        print(f"reset {what} to what the emulator declares (--account, --fixtures)")
        return None, None

    return _control(args, do)


def inbound(args: argparse.Namespace) -> int:
    def send(c):  # noqa: ANN001, ANN202
        result = c.inbound(from_=args.from_, to=args.to, body=args.body, channel=args.channel)
        row = {
            "sid": result["message"]["sid"],
            "opt_out_type": result["opt_out_type"] or "-",
            "auto_reply": " | ".join(r["body"] for r in result["auto_replies"]) or "-",
        }
        return (result if args.json else row), ["sid", "opt_out_type", "auto_reply"]

    return _control(args, send)


def opt_outs(args: argparse.Namespace) -> int:
    columns = ["account_sid", "sender", "messaging_service_sid", "recipient", "source", "consent_source", "created_at"]
    return _control(args, lambda c: (c.opt_outs(args.account, args.recipient), columns))


def messages(args: argparse.Namespace) -> int:
    if args.refused:
        def refused(c):  # noqa: ANN001, ANN202
            sends = [
                {**r.get("params", {}), **r} for r in reversed(c.requests(args.account))
                if r["method"] == "POST" and r["path"].endswith("/Messages.json") and r["status"] >= 400
            ]
            return sends[: args.limit], ["account_sid", "From", "To", "status", "error_code", "Body", "reason"]

        return _control(args, refused)
    columns = ["sid", "date_created", "direction", "status", "from", "to", "error_code", "body"]
    return _control(args, lambda c: (c.messages(args.account, limit=args.limit), columns))


def requests_(args: argparse.Namespace) -> int:
    def seen(c):  # noqa: ANN001, ANN202
        entries = [r for r in c.requests(args.account) if not args.errors or r["status"] >= 400]
        return entries, ["method", "path", "status", "error_code", "reason"]

    return _control(args, seen)


def webhooks(args: argparse.Namespace) -> int:
    columns = ["attempted_at", "kind", "message_sid", "method", "url", "status_code", "error_code"]
    return _control(args, lambda c: (c.webhooks(args.account, args.message), columns))


def auto_replies(args: argparse.Namespace) -> int:
    columns = ["date_created", "account_sid", "from", "to", "opt_out_type", "body"]
    return _control(args, lambda c: (c.auto_replies(args.account), columns))


TRUST_HOWTO = """\
You need not trust it system-wide: `twilio-emulator env --sdk python` (node, go, ...) prints the
variables that point one program at the emulator and make it trust this CA.

To trust it for every program on this machine:
  Debian/Ubuntu  sudo cp {cert} /usr/local/share/ca-certificates/twilio-emulator.crt && sudo update-ca-certificates
  Fedora/RHEL    sudo trust anchor --store {cert}
  macOS          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {cert}
  Windows        certutil -user -addstore Root {cert}
To remove it:
  Debian/Ubuntu  sudo rm /usr/local/share/ca-certificates/twilio-emulator.crt && sudo update-ca-certificates --fresh
  Fedora/RHEL    sudo trust anchor --remove {cert}
  macOS          sudo security delete-certificate -c "{name}" /Library/Keychains/System.keychain
  Windows        certutil -user -delstore Root "{name}"
then delete {directory} (a new CA is created on next use)."""


def ca(args: argparse.Namespace) -> int:
    from .proxy import CertificateAuthority

    try:
        authority = CertificateAuthority(args.ca_dir or os.environ.get("TWILIO_EMULATOR_CA_DIR"))
    except (OSError, ValueError) as exc:
        print(f"twilio-emulator: cannot open or create the CA: {exc}", file=sys.stderr)
        return 1
    if args.path:
        print(authority.cert_path)
        return 0
    about = {
        "certificate_file": str(authority.cert_path),
        "key_file": str(authority.key_path),
        "subject": authority.subject,
        "sha256": authority.fingerprint,
        "not_after": authority.not_after.isoformat(),
        "signs_only": "twilio.com and names under it (a critical X.509 name constraint; no IP address)",
        "created_now": authority.created,
    }
    if args.json:
        print(json.dumps(about, indent=2))
        return 0
    print(f"The local certificate authority of twilio-emulator{' (created now)' if authority.created else ''}")
    print(f"  certificate  {authority.cert_path}")
    print(f"  private key  {authority.key_path} (readable by you only; never share it)")
    print(f"  subject      {authority.subject}")
    print(f"  SHA-256      {authority.fingerprint}")
    print(f"  valid until  {authority.not_after:%Y-%m-%d}")
    print(f"  signs only   {about['signs_only']}\n")
    print(TRUST_HOWTO.format(cert=authority.cert_path, name=authority.common_name, directory=authority.directory))
    return 0


def env(args: argparse.Namespace) -> int:
    from .envvars import EnvError, fetch_info, render, variables

    try:
        values = variables(args.sdk, fetch_info(args.url, args.control_token), args.url, args.files_dir)
        print(render(values, args.format))
    except EnvError as exc:
        print(f"twilio-emulator: {exc}", file=sys.stderr)
        return 1
    if args.sdk == "python-async":
        print("# async twilio-python ignores proxies: the Twilio host names must resolve to the emulator's "
              "TLS port on 443 (README: Point any program at it)", file=sys.stderr)
    return 0


def scenarios(args: argparse.Namespace) -> int:
    import requests

    from .scenarios import run_paths

    missing = [path for path in args.paths if not os.path.exists(path)]
    if missing:
        print(f"twilio-emulator: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        if args.url:  # one clear line, not a failure per scenario, when nothing answers there
            requests.get(f"{args.url.rstrip('/')}/_emulator/health", timeout=5)
        results = run_paths(args.paths, args.url, args.control_token)
    except requests.ConnectionError:
        print(f"twilio-emulator: no emulator at {args.url} (start one with `twilio-emulator serve`, or run "
              "without --url for a fresh one)", file=sys.stderr)
        return 1
    if args.json:
        report = [{"name": r.name, "path": r.path, "passed": r.passed, "report": r.report()} for r in results]
        print(json.dumps(report, indent=2))
    else:
        for result in results:
            print(result.report())
        passed = sum(r.passed for r in results)
        print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and all(r.passed for r in results) else 1


COMMANDS = {
    "serve": serve,
    "healthcheck": healthcheck,
    "reset": reset,
    "inbound": inbound,
    "opt-outs": opt_outs,
    "messages": messages,
    "requests": requests_,
    "webhooks": webhooks,
    "auto-replies": auto_replies,
    "scenarios": scenarios,
    "ca": ca,
    "env": env,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `serve` is the default command: `twilio-emulator --port 5000` serves; a word that is no command
    # is a mistyped one, not serve's argument.
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1, cutoff=0.5)
        hint = f", did you mean {close[0]}?" if close else f"; the commands are: {', '.join(COMMANDS)}"
        print(f"twilio-emulator: unknown command {argv[0]!r}{hint}", file=sys.stderr)
        return 2
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)
