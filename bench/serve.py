"""A server process for the benchmark: the emulator or the bare endpoint, on werkzeug or granian,
optionally preloaded with opt-out records and messages (through the domain, as fixtures would)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def preload(app, messages: int, opt_outs: int, thread: int = 0) -> None:
    from emulator.api.context import EXTENSION
    from emulator.domain.models import Direction, Status

    emu = app.extensions[EXTENSION]
    account = emu.accounts.declare("AC" + "b" * 32, "bench")
    sender = emu.numbers.provision(account, "+15550000000")
    started, before = time.perf_counter(), rss_kib()
    for i in range(opt_outs):
        emu.optouts.import_record(account.sid, f"+1666{i:07d}", sender.address, None, emu.now())
    after_opt_outs = rss_kib()
    for i in range(messages):
        # The last `thread` messages make one long conversation (the sandbox's thread view).
        to = f"+1777{i % 100000:07d}" if i < messages - thread else "+16660000001"
        emu.messages.record(
            account, to=to, from_=sender.address, body=f"preloaded message {i}",
            direction=Direction.OUTBOUND_API, status=Status.DELIVERED,
        )
    after = rss_kib()
    per_message = (after - after_opt_outs) * 1024 / messages if messages else 0
    per_record = (after_opt_outs - before) * 1024 / opt_outs if opt_outs else 0
    print(f"PRELOAD seconds={time.perf_counter() - started:.1f} bytes_per_message={per_message:.0f} "
          f"bytes_per_opt_out={per_record:.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", choices=["emulator", "bare"], default="emulator")
    parser.add_argument("--server", choices=["werkzeug", "granian"], default="werkzeug")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db")
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--opt-outs", type=int, default=0)
    parser.add_argument("--max-messages", type=int)
    parser.add_argument("--thread", type=int, default=0, help="of the messages, how many go to one handset")
    args = parser.parse_args()
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        if args.app == "emulator":
            from emulator import Settings
            os.environ.update(Settings(port=args.port, db=args.db, log_level="WARNING").to_env())
            target = "emulator.wsgi:app_from_env"
        else:
            target = "bare_app:app_from_env"
        Granian(target, address="127.0.0.1", port=args.port, interface=Interfaces.WSGI, workers=1,
                blocking_threads=8, factory=True, log_level="warning").serve()
        return
    from bare_app import create_bare_app

    from emulator import Settings, create_app
    from emulator.server import EmulatorWSGIServer, QuietRequestHandler, tune_gc

    settings = Settings(db=args.db, max_messages=args.max_messages, log_level="WARNING")
    app = create_app(settings) if args.app == "emulator" else create_bare_app()
    if args.messages or args.opt_outs:
        preload(app, args.messages, args.opt_outs, args.thread)
    tune_gc()  # as `twilio-emulator serve` does
    print("READY", flush=True)
    # The server `twilio-emulator serve` runs, for both apps.
    EmulatorWSGIServer("127.0.0.1", args.port, app, QuietRequestHandler).serve_forever()


if __name__ == "__main__":
    main()
