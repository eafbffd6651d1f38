"""Sends racing an inbound STOP (Twilio's opt-out keywords article, support.twilio.com/hc/en-us/articles/223134027: once the block list entry exists,
every send From that number to that handset is refused with 400/21610 and creates no Message; a
send through a Messaging Service is accepted and then fails with 21610 (README "Fidelity notes")).

Eight SDK clients send to one handset in a loop while another thread posts STOP. Each send records
when it started and completed (one monotonic clock in this process); the STOP thread records when
its request left and when its response came back. Bounded: at most 8 x 40 sends per test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from twilio.base.exceptions import TwilioRestException

from emulator.testing import twilio_client

NUMBER = "+15557650001"
HANDSET = "+15551230001"
THREADS = 8
WARMUP = 24  # sends completed before the STOP goes out
SENDS_AFTER_STOP = 5  # per thread, started after the STOP response was received
MAX_SENDS = 40  # per thread, whatever happens
TIMEOUT = 30


@dataclass(frozen=True)
class Send:
    thread: int
    started: float
    completed: float
    ok: bool  # the message went (created, and for a service send, delivered)
    code: int | None  # Twilio error code of the refusal or of the failed message
    sid: str | None  # the Message created, if any


@dataclass
class Race:
    sends: list[Send]
    stop_sent: float
    stop_received: float
    stop_result: dict


def race(base_url, account, control, attempt: Callable) -> Race:
    """Run THREADS senders calling attempt(sdk, label) -> (ok, code, sid) against one STOP."""
    lock = threading.Lock()
    sends: list[Send] = []
    failures: list[BaseException] = []
    warmed_up = threading.Event()
    stop_done = threading.Event()
    stop: dict = {}

    def sender(index: int) -> None:
        sdk = twilio_client(base_url, *account)
        after = 0
        try:
            for n in range(MAX_SENDS):
                started = time.perf_counter()
                ok, code, sid = attempt(sdk, f"t{index} n{n}")
                completed = time.perf_counter()
                with lock:
                    sends.append(Send(index, started, completed, ok, code, sid))
                    if len(sends) >= WARMUP:
                        warmed_up.set()
                if stop_done.is_set() and started > stop.get("received", float("inf")):
                    after += 1
                    if after >= SENDS_AFTER_STOP:
                        return
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            session = getattr(sdk.http_client, "session", None)
            if session is not None:
                session.close()

    def stopper() -> None:
        try:
            if not warmed_up.wait(TIMEOUT):
                raise AssertionError("the senders never got going")
            stop["sent"] = time.perf_counter()
            stop["result"] = control.inbound(from_=HANDSET, to=NUMBER, body="STOP")
            stop["received"] = time.perf_counter()
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            stop_done.set()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(THREADS)]
    threads.append(threading.Thread(target=stopper))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "threads did not finish"
    assert not failures, failures
    assert len(sends) <= THREADS * MAX_SENDS
    return Race(sends, stop["sent"], stop["received"], stop["result"])


def assert_stop_wins(result: Race) -> None:
    sends = result.sends
    assert result.stop_result["opt_out_type"] == "STOP"
    # Every send either went or was refused with 21610: nothing else.
    assert {(s.ok, s.code) for s in sends} <= {(True, None), (False, 21610)}

    before = [s for s in sends if s.completed < result.stop_sent]
    after = [s for s in sends if s.started > result.stop_received]
    assert len(before) >= WARMUP - THREADS, "the race was not exercised: too few sends before the STOP"
    assert len(after) >= THREADS, "too few sends after the STOP"

    # Sends that completed before the STOP went out were not blocked.
    assert all(s.ok for s in before), [s for s in before if not s.ok]
    # No send that started after the STOP response was received succeeded: all got 21610.
    succeeded_after = [s for s in after if s.ok]
    assert succeeded_after == [], f"{len(succeeded_after)} sends started after the STOP succeeded"
    assert all(s.code == 21610 for s in after)

    # The block never flips back: a send that started after any refused send completed is refused too.
    first_refusal = min((s.completed for s in sends if not s.ok), default=None)
    assert first_refusal is not None
    assert all(not s.ok for s in sends if s.started > first_refusal)

    # Each thread sees successes then refusals, never a success after a refusal.
    for index in range(THREADS):
        mine = sorted((s for s in sends if s.thread == index), key=lambda s: s.started)
        outcomes = [s.ok for s in mine]
        assert outcomes == sorted(outcomes, reverse=True), f"thread {index}: {outcomes}"


def test_no_send_started_after_the_stop_response_succeeds(base_url, account, control, client):
    client.incoming_phone_numbers.create(phone_number=NUMBER)

    def attempt(sdk, body):
        try:
            message = sdk.messages.create(to=HANDSET, from_=NUMBER, body=body)
        except TwilioRestException as exc:
            assert exc.status == 400, exc
            return False, exc.code, None
        assert message.status == "queued"
        return True, None, message.sid

    result = race(base_url, account, control, attempt)
    assert_stop_wins(result)
    # Refused sends created no Message: the outbound log holds exactly the successful ones.
    logged = {m.sid for m in client.messages.list(from_=NUMBER, to=HANDSET, page_size=1000)}
    assert logged == {s.sid for s in result.sends if s.ok}


def test_no_service_send_started_after_the_stop_response_is_delivered(base_url, account, control, client):
    number = client.incoming_phone_numbers.create(phone_number=NUMBER)
    service = client.messaging.v1.services.create(friendly_name="race")
    client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=number.sid)

    def attempt(sdk, body):
        created = sdk.messages.create(to=HANDSET, messaging_service_sid=service.sid, body=body)
        assert created.status == "accepted"
        fetched = sdk.messages(created.sid).fetch()
        if fetched.status == "delivered":
            return True, None, created.sid
        assert fetched.status == "failed", fetched.status
        return False, fetched.error_code, created.sid

    result = race(base_url, account, control, attempt)
    assert_stop_wins(result)
    # Asynchronous refusal: every attempt is a Message, the refused ones failed with 21610.
    listed = {m.sid: (m.status, m.error_code) for m in client.messages.list(to=HANDSET, page_size=1000)}
    for send in result.sends:
        assert listed[send.sid] == (("delivered", None) if send.ok else ("failed", 21610))
