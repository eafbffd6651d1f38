"""The webhook dispatcher: listens to domain events, delivers webhooks from background workers, runs
TwiML answers, and records every attempt for inspection (GET /_emulator/webhooks).

API calls never wait for a webhook: events only enqueue (non-blocking, bounded queues). Deliveries
for one message go to one worker, so its status callbacks arrive in order. A delivery is recorded
once complete; what its TwiML answer then causes is added under the dispatcher's lock, and readers
get copies.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from ..domain import events
from ..domain.models import Account, Direction, Message
from ..domain.send_checks import CreateMessage
from ..errors import TwilioError
from . import payloads, twiml
from .signing import signature

if TYPE_CHECKING:
    from ..domain.emulator import Emulator
    from ..domain.inbound import Received

log = logging.getLogger("emulator.webhooks")
HTTP_FAILURE = 11200  # Twilio's "HTTP retrieval failure": non-2xx, timeout, refused connection
TWIML_INVALID = 12200  # Twilio's "Schema validation warning": TwiML it cannot act on
MAX_REDIRECTS = 10
MAX_RECORDED_BODY = 64 * 1024
# A target that refused a connection (or whose name did not resolve) is not tried again for this
# long: its webhooks fail at once with the same 11200, so a dead port costs the API nothing.
UNREACHABLE_SECONDS = 1.0


@dataclass
class Delivery:
    id: int
    kind: str  # incoming-message | status-callback | redirect
    account_sid: str
    message_sid: str
    url: str
    method: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    attempted_at: datetime
    status_code: int | None = None
    response_body: str | None = None
    duration_ms: float | None = None
    error_code: int | None = None
    error_message: str | None = None
    replies: list[dict] = field(default_factory=list)  # messages the TwiML answer sent (or refused)
    replay_of: int | None = None  # the delivery this one sent again (the sandbox's replay)


@dataclass(frozen=True)
class _Job:
    generation: int  # of the whole emulator: a full reset drops every job queued before it
    account_sid: str
    account_generation: int  # of its account: an account reset drops that account's jobs
    run: Callable[[], object]


class Webhooks:
    def __init__(
        self,
        emulator: Emulator,
        *,
        timeout: float = 15.0,
        workers: int = 4,
        queue_size: int = 10000,
        keep: int | None = None,
    ) -> None:
        self.emu = emulator
        self.timeout = timeout
        self._queues: list[queue.Queue[_Job | None]] = [
            queue.Queue(maxsize=max(queue_size // workers, 1)) for _ in range(workers)
        ]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._generation = 0
        self._closed = False
        self._account_generations: dict[str, int] = {}
        self._next_id = 0
        self.dropped = 0  # webhooks refused because their worker's queue was full
        # The attempts kept for inspection: the newest `keep` (oldest evicted first).
        self._deliveries: deque[Delivery] = deque(maxlen=keep)
        self._local = threading.local()  # one requests.Session per worker thread
        self._unreachable: dict[str, tuple[float, str]] = {}  # scheme://host:port -> (until, why)
        emulator.events.subscribe(events.STATUS_CHANGED, self._on_status)
        emulator.events.subscribe(events.INBOUND_RECEIVED, self._on_inbound)
        emulator.events.subscribe(events.RESET, self._on_reset)
        emulator.events.subscribe(events.RELOADED, self._on_reset)

    # -- inspection -----------------------------------------------------------------------------
    def list_(
        self, account_sid: str | None = None, message_sid: str | None = None, kind: str | None = None
    ) -> list[Delivery]:
        """Copies of the recorded deliveries (workers keep adding to the records)."""
        with self._lock:
            return [
                replace(d, replies=[dict(r) for r in d.replies])
                for d in self._deliveries
                if (account_sid is None or d.account_sid == account_sid)
                and (message_sid is None or d.message_sid == message_sid)
                and (kind is None or d.kind == kind)
            ]

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued webhook (and what its answers caused) is done."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def replay(self, delivery_id: int) -> bool:
        """Send a recorded delivery's request again (a fresh idempotency token), and record the answer
        as a new delivery. Its TwiML is not acted on: a replay shows what the app answers now."""
        with self._lock:
            original = next((d for d in self._deliveries if d.id == delivery_id), None)
        if original is None:
            return False
        headers = {**original.headers, "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
        again = replace(original, id=0, headers=headers, attempted_at=self.emu.now(), status_code=None,
                        response_body=None, duration_ms=None, error_code=None, error_message=None, replies=[],
                        replay_of=original.id)
        data = original.params if original.method != "GET" else None
        self._enqueue(original.account_sid, original.message_sid, lambda: self._attempt(again, data))
        return True

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    # -- events (published after each commit: only enqueue here) --------------------------------
    def _on_status(self, message: Message, reason: str | None = None) -> None:
        """`message` is a snapshot at the status this callback reports."""
        if not message.status_callback:
            return
        url, method = message.status_callback, message.status_callback_method
        why = None if self._pending else self._dead(url)
        if why is not None:
            # Nothing is queued, so recording the failure here keeps every message's order, and
            # spares a worker's wake-up: a dead target must cost the API nothing. (Decided once:
            # the target's time may be up a moment later, and this thread must not send.)
            delivery = self._delivery("status-callback", message, url, method, payloads.status_callback(message))
            self._not_sent(delivery, url, why)
            return

        def run() -> None:
            token = self._token(message.account_sid)
            self._deliver("status-callback", message, url, method, payloads.status_callback(message), token)

        self._enqueue(message.account_sid, message.sid, run)

    def _on_inbound(self, account: Account, received: Received) -> None:
        target = _inbound_target(account, received)
        if target is None:
            return
        url, method = target
        service = received.service
        aoo = service is not None and service.advanced_opt_out.enabled
        kind = received.outcome.opt_out_type
        opt_out_type = kind.value if kind is not None and aoo else None
        params = payloads.inbound(received.message, opt_out_type)
        token = account.settings.auth_token or ""
        message = received.message
        self._enqueue(account.sid, message.sid, lambda: self._converse(account, message, url, method, params, token))

    def _on_reset(self, account_sid: str | None = None) -> None:
        with self._lock:
            if account_sid is None:
                self._generation += 1
                self._account_generations.clear()
                self._deliveries.clear()
            else:
                self._account_generations[account_sid] = self._account_generations.get(account_sid, 0) + 1
                kept = (d for d in self._deliveries if d.account_sid != account_sid)
                self._deliveries = deque(kept, maxlen=self._deliveries.maxlen)

    def _stale(self, job: _Job) -> bool:
        """Whether a reset came after this job was queued (its results are then discarded)."""
        return job.generation != self._generation or job.account_generation != self._account_generations.get(
            job.account_sid, 0
        )

    def _token(self, account_sid: str) -> str:
        account = self.emu.state.accounts.get(account_sid)
        return (account.settings.auth_token if account else None) or ""

    # -- queueing ---------------------------------------------------------------------------------
    def _enqueue(self, account_sid: str, key: str, run: Callable[[], object]) -> None:
        """Queue a job (built lazily: a job dropped because its queue is full costs next to nothing)."""
        target = self._queues[zlib.crc32(key.encode()) % len(self._queues)]
        with self._lock:
            if self._closed:
                return  # stopping: nothing more is delivered
            if not self._threads:
                self._start_workers()
            if target.full():
                self.dropped += 1
                dropped = self.dropped
            else:
                self._pending += 1
                job = _Job(self._generation, account_sid, self._account_generations.get(account_sid, 0), run)
                target.put_nowait(job)
                return
        # Logged sparingly: a flood of log lines would slow the API the queue protects.
        if dropped == 1 or dropped % 1000 == 0:
            log.warning("webhook queue full: %d webhook(s) dropped so far (latest for %s)", dropped, key)

    def _start_workers(self) -> None:
        for i, q in enumerate(self._queues):
            thread = threading.Thread(target=self._work, args=(q,), name=f"twilio-webhooks-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self, q: queue.Queue[_Job | None]) -> None:
        import requests  # imported by the first worker, not at start-up (it costs ~50 ms)

        self._local.session = requests.Session()
        while True:
            job = q.get()
            if job is None:
                return
            self._local.job = job
            try:
                if not self._stale(job):
                    job.run()
            except Exception as exc:  # noqa: BLE001 - recorded; a webhook must never stop the dispatcher
                self.emu.errors.record("a webhook worker", exc)
            finally:
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def close(self) -> None:
        """Stop the workers: each finishes its current webhook (a slow target is cut off by the
        webhook timeout; the threads are daemons, so a stuck one cannot hold the process)."""
        with self._lock:
            self._closed = True
            self._generation += 1  # queued webhooks are dropped, not delivered
            threads = list(self._threads)
        for q in self._queues:
            while True:  # drop what is queued (stale now), so the stop sentinel always fits
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
                self._done()
            q.put_nowait(None)
        deadline = time.monotonic() + 1.0
        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0))

    # -- delivery ---------------------------------------------------------------------------------
    def _deliver(
        self, kind: str, message: Message, url: str, method: str, params: list[tuple[str, str]], token: str
    ) -> tuple[Delivery, Any]:
        delivery = self._delivery(kind, message, url, method, params)
        full_url = delivery.url
        why = self._dead(full_url)
        if why is not None:
            self._not_sent(delivery, url, why)
            return delivery, None
        data = None if method == "GET" else params
        delivery.headers = headers = {
            "User-Agent": "TwilioProxy/1.1",
            "X-Twilio-Signature": signature(token, full_url) if data is None else signature(token, url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "X-Home-Region": "us1",
            "Accept": "*/*",
        }
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return self._attempt(delivery, data)

    def _delivery(self, kind: str, message: Message, url: str, method: str, params: list[tuple[str, str]]) -> Delivery:
        """The record of an attempt, before it is made (a GET carries its parameters in its URL)."""
        full_url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}" if method == "GET" else url
        return Delivery(
            id=0,
            kind=kind,
            account_sid=message.account_sid,
            message_sid=message.sid,
            url=full_url,
            method=method,
            params=list(params),
            headers={},
            attempted_at=self.emu.now(),
        )

    def _not_sent(self, delivery: Delivery, url: str, why: str) -> None:
        """Record an attempt at a target that refused a connection moments ago: nothing is sent (nor signed)."""
        delivery.error_code = HTTP_FAILURE
        delivery.error_message = (
            f"HTTP retrieval failure: {url}: {why} (not tried again within {UNREACHABLE_SECONDS:g}s)"
        )
        delivery.duration_ms = 0.0
        self._record(delivery)
        log.debug("%s webhook for %s: %s", delivery.kind, delivery.message_sid, delivery.error_message)

    def _attempt(self, delivery: Delivery, data: list[tuple[str, str]] | None) -> tuple[Delivery, Any]:
        """Make the request a delivery describes, record it and announce it."""
        import requests
        from urllib3.exceptions import NewConnectionError  # refused, unreachable, or a name that does not resolve

        kind, url, method = delivery.kind, delivery.url, delivery.method
        response = None
        started = time.perf_counter()
        try:
            response = self._local.session.request(
                method, url, data=data, headers=delivery.headers, timeout=self.timeout, allow_redirects=False
            )
            delivery.status_code = response.status_code
            delivery.response_body = response.text[:MAX_RECORDED_BODY]
            if not 200 <= response.status_code < 300:
                delivery.error_code = HTTP_FAILURE
                delivery.error_message = f"HTTP retrieval failure: {url} answered {response.status_code}"
        except requests.Timeout:
            delivery.error_code = HTTP_FAILURE
            delivery.error_message = f"HTTP retrieval failure: {url} timed out after {self.timeout:g}s"
        except requests.RequestException as exc:
            delivery.error_code = HTTP_FAILURE
            delivery.error_message = f"HTTP retrieval failure: {url}: {type(exc).__name__}"
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, NewConnectionError):
                self._mark_unreachable(_origin(url), type(exc).__name__)
        delivery.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        sid = delivery.message_sid
        self._record(delivery)
        if delivery.error_code is not None:
            log.warning("%s webhook for %s: %s", kind, sid, delivery.error_message)
        else:
            log.info("%s webhook for %s delivered: %s %s -> %s", kind, sid, method, url, delivery.status_code)
        return delivery, response if delivery.error_code is None else None

    def _dead(self, url: str) -> str | None:
        """Why the target of `url` is not tried (it refused a connection moments ago), or None."""
        known = self._unreachable.get(_origin(url))
        return known[1] if known is not None and time.monotonic() < known[0] else None

    def _mark_unreachable(self, target: str, why: str) -> None:
        now = time.monotonic()
        if len(self._unreachable) >= 1024:  # many dead targets: forget those whose time is up
            self._unreachable = {k: v for k, v in self._unreachable.items() if v[0] > now}
        self._unreachable[target] = (now + UNREACHABLE_SECONDS, why)

    def _record(self, delivery: Delivery) -> None:
        """Keep the attempt and announce it (unless a reset came while it was on the wire)."""
        with self._lock:
            job = getattr(self._local, "job", None)  # None: recorded by the thread that caused it
            if job is not None and self._stale(job):
                return
            self._next_id += 1
            delivery.id = self._next_id
            self._deliveries.append(delivery)
        # Only a TwiML answer changes a delivery after this (its replies, a warning): announce a copy
        # of those. The rest (failed, or status callbacks) are final: copying each would make a dead
        # target cost the API time again.
        final = delivery.error_code is not None or delivery.kind == "status-callback"
        announced = delivery if final else replace(delivery, replies=[])
        self.emu.events.publish(events.WEBHOOK_ATTEMPTED, {"delivery": announced})

    def _converse(
        self, account: Account, inbound: Message, url: str, method: str, params: list[tuple[str, str]], token: str
    ) -> None:
        """Deliver an inbound-message webhook and execute its TwiML answer, following <Redirect>s."""
        kind = "incoming-message"
        for _ in range(MAX_REDIRECTS + 1):
            delivery, response = self._deliver(kind, inbound, url, method, params, token)
            if response is None:
                return
            try:
                document = twiml.parse(response.text)
            except twiml.TwimlError as exc:
                self._fail(delivery, exc.code, str(exc))
                return
            for code, text in document.warnings:
                self._fail(delivery, code, text)
            redirect = None
            for verb in document.verbs:
                if isinstance(verb, twiml.RedirectVerb):
                    redirect = verb
                else:
                    reply = self._reply(account, inbound, verb, url)
                    with self._lock:
                        delivery.replies.append(reply)
            if redirect is None:
                return
            try:
                # TwiML URLs may be relative to the document's own URL.
                url, method, kind = _resolve(url, redirect.url), redirect.method, "redirect"
            except ValueError as exc:
                self._fail(delivery, TWIML_INVALID, f"Schema validation warning: <Redirect> {exc}")
                return
        self._fail(delivery, HTTP_FAILURE, f"more than {MAX_REDIRECTS} <Redirect>s in a row")

    def _reply(self, account: Account, inbound: Message, verb: twiml.MessageVerb, base_url: str) -> dict[str, Any]:
        """Send one <Message> as an outbound-reply, through the same checks as an API send."""
        to = verb.to or inbound.from_ or ""
        from_ = verb.from_ or inbound.to
        result: dict[str, Any] = {"to": to, "from": from_, "body": verb.body, "sid": None, "error_code": None}
        try:
            action = _resolve(base_url, verb.action) if verb.action else None
        except ValueError as exc:
            result["error_code"], result["error_message"] = TWIML_INVALID, f"Schema validation warning: action {exc}"
            return result
        try:
            with self.emu.uow.transaction():  # a reset cannot slip in between the check and the send
                if self._stale(self._local.job):
                    return result
                message = self.emu.messages.create(
                    account,
                    CreateMessage(
                        to=to,
                        from_=from_,
                        body=verb.body,
                        media_urls=verb.media,
                        status_callback=action,
                        status_callback_method=verb.method,
                        direction=Direction.OUTBOUND_REPLY,
                    ),
                )
            result["sid"] = message.sid
        except TwilioError as exc:
            result["error_code"], result["error_message"] = exc.code, exc.text
            log.info("TwiML <Message> to %s refused: %s %s", to, exc.code, exc.text)
        return result

    def _fail(self, delivery: Delivery, code: int, text: str) -> None:
        with self._lock:
            if delivery.error_code is None:
                delivery.error_code, delivery.error_message = code, text
        log.warning("webhook %s for %s: %s %s", delivery.url, delivery.message_sid, code, text)


@functools.lru_cache(maxsize=1024)  # callback URLs repeat: parse each once
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _resolve(base: str, url: str) -> str:
    """An absolute http(s) URL for a TwiML attribute or <Redirect> (relative ones are allowed)."""
    resolved = urljoin(base, url)
    parts = urlsplit(resolved)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a valid URL")
    return resolved


def _inbound_target(account: Account, received: Received) -> tuple[str, str] | None:
    """Where an inbound message is forwarded, or None (no URL, or a keyword Twilio keeps to itself)."""
    outcome = received.outcome
    service = received.service
    aoo = service is not None and service.advanced_opt_out.enabled
    if outcome.opt_out_type is not None and outcome.opt_out_type.value == "HELP" and not aoo:
        return None  # HELP/INFO are answered by Twilio and not forwarded, unless Advanced Opt-Out
    if service is not None and not service.use_inbound_webhook_on_number and service.inbound_request_url:
        return service.inbound_request_url, service.inbound_method
    sender = received.sender
    if sender.sms_url:
        return sender.sms_url, sender.sms_method
    return None
