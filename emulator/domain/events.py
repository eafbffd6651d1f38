"""The event bus: the domain announces what changed; webhooks, the log and live views listen.

Events of an operation are published after its unit of work committed (nothing is announced for
a change that did not happen), in the order they were raised. Subscribers are attached before the
emulator starts, so nothing is emitted to nobody (restore included). A subscriber that raises is
recorded in the error log and does not disturb the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .error_log import ErrorLog

log = logging.getLogger("emulator")

# The events and their payload keywords.
MESSAGE_CREATED = "message_created"  # message (a snapshot)
STATUS_CHANGED = "status_changed"  # message (a snapshot at that status), reason (why it failed, or None)
INBOUND_RECEIVED = "inbound_received"  # account, received (domain.inbound.Received)
OPT_OUT_RECORDED = "opt_out_recorded"  # record
OPT_OUT_LIFTED = "opt_out_lifted"  # record
RESET = "reset"  # account_sid (None: everything)
RELOADED = "reloaded"  # the state was rebuilt from the store after a failed commit
# Published at once rather than after a commit: a refusal changes nothing.
SEND_REFUSED = "send_refused"  # refusal (domain.refusals.Refusal)
# From the webhook dispatcher, when an attempt is recorded (its answer included).
WEBHOOK_ATTEMPTED = "webhook_attempted"  # delivery (webhooks.dispatcher.Delivery, as it stays)


class EventBus:
    def __init__(self, errors: ErrorLog) -> None:
        self._subscribers: dict[str, list[Callable[..., None]]] = {}
        self._errors = errors

    def subscribe(self, event: str, handler: Callable[..., None]) -> None:
        self._subscribers.setdefault(event, []).append(handler)

    def publish(self, event: str, payload: dict[str, Any]) -> None:
        for handler in self._subscribers.get(event, ()):
            try:
                handler(**payload)
            except Exception as exc:  # noqa: BLE001 - recorded; one listener must not break the others
                self._errors.record(f"event {event} subscriber {getattr(handler, '__qualname__', handler)}", exc)


def log_events(bus: EventBus) -> None:
    """Tell the story at INFO: opt-outs recorded and lifted (which pair, which keyword), messages
    that failed (which code, and why)."""

    def recorded(record: Any) -> None:
        scope = record.sender or f"Messaging Service {record.messaging_service_sid}"
        log.info("opt-out recorded: %s is opted out of %s (%s)", record.recipient, scope, record.source)

    def lifted(record: Any) -> None:
        scope = record.sender or f"Messaging Service {record.messaging_service_sid}"
        log.info("opt-out lifted: %s may receive from %s again", record.recipient, scope)

    def failed(message: Any, reason: str | None) -> None:
        if message.error_code is not None:
            log.info("message %s %s with %s: %s", message.sid, message.status.value, message.error_code, reason)

    def keyword(account: Any, received: Any) -> None:
        # Which keyword did it: the records above say what changed, this line says why.
        kind = received.outcome.opt_out_type
        if kind is not None:
            message = received.message
            log.info("%s keyword %r from %s to %s", kind.value, message.body, message.from_, message.to)

    bus.subscribe(OPT_OUT_RECORDED, recorded)
    bus.subscribe(OPT_OUT_LIFTED, lifted)
    bus.subscribe(STATUS_CHANGED, failed)
    bus.subscribe(INBOUND_RECEIVED, keyword)
