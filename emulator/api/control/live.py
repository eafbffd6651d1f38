"""GET /_emulator/events: what changes in the emulator, as server-sent events (text/event-stream).

One event per message created or changed, auto-reply, refused send, opt-out recorded or lifted,
webhook attempt and reset. Each is kept, as the snapshot the domain published (after its commit),
in a short ring so a client that reconnects with Last-Event-ID misses nothing; one that fell
further behind gets a `resync` event (reload what you show). An event is shaped into JSON the first
time a stream sends it, not when it is published: with no page open, the API pays only an append.
Streams are long requests: a comment every `keepalive` seconds finds clients that went away, and
`close()` (the first thing shutdown does) ends every stream, so stopping the server never waits.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from ...domain import events
from ...domain.events import EventBus
from ...domain.message_log import conversation_key
from ...domain.models import Message
from . import serializers as to_json

LIVE = "twilio_emulator_live"
KEEP = 1000
KEEPALIVE = 15.0
RETRY_MS = 1000  # how soon a browser's EventSource reconnects

bp = Blueprint("live", __name__, url_prefix="/_emulator")


class _Event:
    """One published event; its text is made on first use (and then kept for other streams)."""

    __slots__ = ("_text", "data", "id", "name")

    def __init__(self, event_id: int, name: str, data: Callable[[], dict[str, Any]]) -> None:
        self.id, self.name, self.data = event_id, name, data
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            data = json.dumps(self.data(), separators=(",", ":"))
            self._text = f"id: {self.id}\nevent: {self.name}\ndata: {data}\n\n"
        return self._text


class Live:
    def __init__(self, bus: EventBus, keepalive: float = KEEPALIVE, keep: int = KEEP) -> None:
        self.keepalive = keepalive
        self._lock = threading.Lock()  # a plain lock: publish is on the hot path
        self._changed = threading.Condition(self._lock)
        self._ring: deque[_Event] = deque(maxlen=keep)
        self._last_id = 0
        self._closed = False
        self._waiting = 0  # streams waiting for an event (none: nobody to wake)
        bus.subscribe(events.MESSAGE_CREATED, lambda message: self._message(events.MESSAGE_CREATED, message))
        bus.subscribe(events.STATUS_CHANGED, lambda message, reason=None: self._message(
            events.STATUS_CHANGED, message, reason=reason))
        bus.subscribe(events.INBOUND_RECEIVED, self._auto_replies)
        bus.subscribe(events.OPT_OUT_RECORDED, lambda record: self._opt_out(events.OPT_OUT_RECORDED, record))
        bus.subscribe(events.OPT_OUT_LIFTED, lambda record: self._opt_out(events.OPT_OUT_LIFTED, record))
        bus.subscribe(events.SEND_REFUSED, lambda refusal: self.publish(
            events.SEND_REFUSED, lambda: {"refusal": to_json.refusal(refusal), "conversation": _conversation(
                refusal.account_sid, refusal.party, refusal.to)}))
        bus.subscribe(events.WEBHOOK_ATTEMPTED, lambda delivery: self.publish(
            events.WEBHOOK_ATTEMPTED, lambda: {"webhook": to_json.delivery(delivery)}))
        bus.subscribe(events.RESET, lambda account_sid: self.publish(
            events.RESET, lambda: {"account_sid": account_sid}))
        bus.subscribe(events.RELOADED, lambda: self.publish(events.RELOADED, dict))

    # -- publishing (in the thread that changed something: append, wake the streams) ------------
    def publish(self, name: str, data: Callable[[], dict[str, Any]]) -> None:
        """`data` makes the event's JSON from the snapshots the domain published (they do not change)."""
        with self._lock:
            self._last_id += 1
            self._ring.append(_Event(self._last_id, name, data))
            if self._waiting:
                self._changed.notify_all()

    def _message(self, name: str, message: Message, **extra: Any) -> None:
        def data() -> dict[str, Any]:
            party, handset = conversation_key(message)
            return {"message": to_json.thread_message(message),
                    "conversation": _conversation(message.account_sid, party, handset), **extra}

        self.publish(name, data)

    def _auto_replies(self, account: Any, received: Any) -> None:
        party, handset = conversation_key(received.message)
        for reply in received.auto_replies:
            self.publish("auto_reply", partial(_auto_reply, reply, _conversation(account.sid, party, handset)))

    def _opt_out(self, name: str, record: Any) -> None:
        self.publish(name, lambda: {"opt_out": to_json.opt_out(record)})

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # -- streaming ----------------------------------------------------------------------------------
    def stream(self, after: int | None = None) -> Iterator[str]:
        """The events after id `after` (None: from now on), then each as it comes."""
        with self._changed:
            cursor = self._last_id if after is None or after > self._last_id else after
            oldest = self._ring[0].id if self._ring else self._last_id + 1
            # Too far behind, or ahead (an id of an earlier run, before a restart): reload.
            missed = after is not None and (after > self._last_id or (after < self._last_id and after + 1 < oldest))
            if missed:  # the client reloads what it shows, then goes on from here
                cursor = self._last_id
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        if missed:
            yield f"id: {cursor}\nevent: resync\ndata: {{}}\n\n"
        while True:
            with self._changed:
                if not self._closed and self._last_id == cursor:
                    self._waiting += 1
                    try:
                        self._changed.wait(self.keepalive)
                    finally:
                        self._waiting -= 1
                if self._closed:
                    return
                fresh = [event for event in self._ring if event.id > cursor]
                cursor = self._last_id
            yield "".join(event.text for event in fresh) if fresh else ": keep-alive\n\n"


def _auto_reply(reply: Any, conversation: dict) -> dict[str, Any]:
    return {"auto_reply": to_json.auto_reply(reply), "conversation": conversation}


def _conversation(account_sid: str, party: str, handset: str) -> dict:
    return {"account_sid": account_sid, "party": party, "handset": handset,
            "path": to_json.conversation_path(account_sid, party, handset)}


def _after(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


@bp.get("/events")
def event_stream() -> Response:
    live: Live = current_app.extensions[LIVE]
    after = _after(request.headers.get("Last-Event-ID") or request.args.get("after"))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(live.stream(after), mimetype="text/event-stream", headers=headers)


def register(app: Flask, bus: EventBus) -> Live:
    live = app.extensions[LIVE] = Live(bus)
    app.register_blueprint(bp)
    return live
