"""Concurrency stress over real HTTP, against both stores: senders, handsets toggling STOP/START and
listers all at once (8 threads, a few hundred requests, every loop bounded).

What must hold:
  * no lost or duplicated message: paging the whole list by 7 through next_page_uri yields every
    SID a create answered 201 for and every inbound message exactly once, and nothing else;
  * no send is accepted (201) that started after its handset's STOP was acknowledged and finished
    before that handset's START was sent;
  * pages read while writes happen are valid page envelopes, newest first.

Time is only used to order events (one monotonic clock in this process), never asserted on."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import requests

from emulator.testing import ControlClient

NUMBER = "+15557650001"
HANDSETS = ("+15551239001", "+15551239002", "+15551239003", "+15551239004")
SENDERS = 4  # threads sending to every handset in turn
TOGGLERS = 2  # threads texting STOP then START, each for two handsets
LISTERS = 2  # threads paging through the list while all this happens
MAX_SENDS = 60  # per sender thread
CYCLES = 3  # STOP/START cycles per handset
SENDS_IN_WINDOW = 2  # sends to wait for (at most WINDOW_WAIT s) while a handset is opted out
WINDOW_WAIT = 10.0
MAX_PAGES = 40  # per lister thread
PAGE_SIZE = 7
JOIN_TIMEOUT = 120
PAGE_KEYS = {"messages", "end", "first_page_uri", "next_page_uri", "page", "page_size", "previous_page_uri",
             "start", "uri"}


@dataclass(frozen=True)
class Send:
    handset: str
    started: float
    completed: float
    status: int
    code: int | None
    sid: str | None


@dataclass(frozen=True)
class Toggle:
    handset: str
    word: str  # STOP or START
    sent: float  # just before the request left
    acknowledged: float  # once its 201 was read
    sid: str  # the inbound message it created


@dataclass
class Run:
    sends: list[Send] = field(default_factory=list)
    toggles: list[Toggle] = field(default_factory=list)
    pages: list[tuple[float, float, dict]] = field(default_factory=list)  # (requested, received, body)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_window: dict[str, int] = field(default_factory=dict)  # sends completed during a handset's opt-out
    window_open: dict[str, float | None] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)
    senders_done: threading.Event = field(default_factory=threading.Event)
    togglers_done: threading.Event = field(default_factory=threading.Event)


def _guard(run: Run, work) -> None:
    try:
        work()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        with run.lock:
            run.errors.append(exc)


def _sender(run: Run, index: int, base_url: str, account: tuple[str, str]) -> None:
    session = requests.Session()
    session.auth = account
    url = f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages.json"
    try:
        for n in range(MAX_SENDS):
            if run.togglers_done.is_set():
                break
            handset = HANDSETS[(index + n) % len(HANDSETS)]
            started = time.monotonic()
            response = session.post(url, data={"To": handset, "From": NUMBER, "Body": f"s{index}-{n}"}, timeout=30)
            completed = time.monotonic()
            body = response.json()
            assert response.status_code in (201, 400), (response.status_code, body)
            send = Send(handset, started, completed, response.status_code,
                        body.get("code") if response.status_code != 201 else None,
                        body.get("sid") if response.status_code == 201 else None)
            with run.lock:
                run.sends.append(send)
            with run.changed:
                opened = run.window_open.get(handset)
                if opened is not None and started > opened:
                    run.in_window[handset] = run.in_window.get(handset, 0) + 1
                    run.changed.notify_all()
    finally:
        session.close()


def _toggler(run: Run, handsets: tuple[str, ...], base_url: str) -> None:
    control = ControlClient(base_url)
    try:
        for _ in range(CYCLES):
            for handset in handsets:
                sent = time.monotonic()
                stop = control.inbound(from_=handset, to=NUMBER, body="STOP")
                acknowledged = time.monotonic()
                assert stop["opt_out_type"] == "STOP"
                with run.lock:
                    run.toggles.append(Toggle(handset, "STOP", sent, acknowledged, stop["message"]["sid"]))
                with run.changed:
                    run.window_open[handset], run.in_window[handset] = acknowledged, 0
                    # Bounded: let a few sends meet the opt-out before lifting it.
                    run.changed.wait_for(lambda h=handset: run.in_window[h] >= SENDS_IN_WINDOW, timeout=WINDOW_WAIT)
                    run.window_open[handset] = None
                sent = time.monotonic()
                start = control.inbound(from_=handset, to=NUMBER, body="START")
                acknowledged = time.monotonic()
                assert start["opt_out_type"] == "START"
                with run.lock:
                    run.toggles.append(Toggle(handset, "START", sent, acknowledged, start["message"]["sid"]))
    finally:
        control.session.close()


def _lister(run: Run, base_url: str, account: tuple[str, str]) -> None:
    session = requests.Session()
    session.auth = account
    first = f"/2010-04-01/Accounts/{account[0]}/Messages.json?PageSize={PAGE_SIZE}"
    uri: str | None = first
    try:
        for _ in range(MAX_PAGES):
            if run.senders_done.is_set():
                break
            requested = time.monotonic()
            response = session.get(base_url + (uri or first), timeout=30)
            received = time.monotonic()
            assert response.status_code == 200, response.text
            body = response.json()
            with run.lock:
                run.pages.append((requested, received, body))
            uri = body.get("next_page_uri")
    finally:
        session.close()


def _page_through(http: requests.Session, base_url: str, account_sid: str) -> list[dict]:
    """Every page of the list, following next_page_uri from PageSize=7 (bounded)."""
    pages: list[dict] = []
    uri: str | None = f"/2010-04-01/Accounts/{account_sid}/Messages.json?PageSize={PAGE_SIZE}"
    for _ in range(1000):
        if uri is None:
            return pages
        response = http.get(base_url + uri, timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        assert_valid_page(page)
        pages.append(page)
        uri = page["next_page_uri"]
    raise AssertionError("the list did not end within 1000 pages")


def _page_back(http: requests.Session, base_url: str, last: dict) -> list[dict]:
    """From a page back to the first one, following previous_page_uri (bounded); first page first."""
    pages = [last]
    for _ in range(1000):
        uri = pages[0]["previous_page_uri"]
        if uri is None:
            return pages
        response = http.get(base_url + uri, timeout=30)
        assert response.status_code == 200, response.text
        pages.insert(0, response.json())
        assert_valid_page(pages[0])
    raise AssertionError("the list did not begin within 1000 pages")


def assert_valid_page(page: dict) -> None:
    assert set(page) == PAGE_KEYS, sorted(page)
    assert page["page_size"] == PAGE_SIZE
    assert 0 <= len(page["messages"]) <= PAGE_SIZE
    dates = [parsedate_to_datetime(m["date_created"]) for m in page["messages"]]
    assert dates == sorted(dates, reverse=True), "not newest first"
    assert all(m["sid"][:2] in ("SM", "MM") and len(m["sid"]) == 34 for m in page["messages"])


def assert_newest_first(order: list[str], created: dict[str, tuple[float, float]]) -> None:
    """In a newest-first sequence, a message whose creation finished before another's started
    comes after it. `created` maps SID -> (request started, response read)."""
    known = [sid for sid in order if sid in created]
    for later_index, sid in enumerate(known):
        for earlier in known[:later_index]:
            # `earlier` is listed before `sid`, so it must not be older than `sid`.
            assert not created[earlier][1] < created[sid][0], f"{earlier} (older) listed before {sid}"


def test_concurrent_sends_opt_outs_and_listing_lose_nothing(client, http, control, account, base_url):
    client.incoming_phone_numbers.create(phone_number=NUMBER)
    run = Run()
    senders = [threading.Thread(target=_guard, args=(run, lambda i=i: _sender(run, i, base_url, account)))
               for i in range(SENDERS)]
    pairs = [HANDSETS[2 * i : 2 * i + 2] for i in range(TOGGLERS)]  # two handsets per toggler
    togglers = [threading.Thread(target=_guard, args=(run, lambda h=h: _toggler(run, h, base_url))) for h in pairs]
    listers = [threading.Thread(target=_guard, args=(run, lambda: _lister(run, base_url, account)))
               for _ in range(LISTERS)]
    for thread in senders + togglers + listers:
        thread.start()
    for thread in togglers:
        thread.join(JOIN_TIMEOUT)
    run.togglers_done.set()
    for thread in senders:
        thread.join(JOIN_TIMEOUT)
    run.senders_done.set()
    for thread in listers:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in senders + togglers + listers), "a thread did not finish"
    assert run.errors == [], run.errors

    created = {s.sid: (s.started, s.completed) for s in run.sends if s.status == 201}
    inbound = {t.sid: (t.sent, t.acknowledged) for t in run.toggles}
    assert len(run.toggles) == 2 * CYCLES * len(HANDSETS)
    assert len(created) == sum(s.status == 201 for s in run.sends), "a SID was answered twice"
    assert all(s.code == 21610 for s in run.sends if s.status == 400), {s.code for s in run.sends}

    # Opt-outs: nothing accepted inside a (STOP acknowledged, START sent) window; and windows were hit.
    hits = 0
    for handset in HANDSETS:
        events = sorted((t for t in run.toggles if t.handset == handset), key=lambda t: t.sent)
        windows = [(stop.acknowledged, start.sent) for stop, start in zip(events[::2], events[1::2])]
        assert [t.word for t in events] == ["STOP", "START"] * CYCLES
        for opened, closed in windows:
            inside = [s for s in run.sends if s.handset == handset and opened < s.started and s.completed < closed]
            accepted = [s.sid for s in inside if s.status == 201]
            assert accepted == [], f"sent to {handset} while opted out: {accepted}"
            hits += len(inside)
    assert hits > 0, "no send met an opt-out: the check above proved nothing"
    assert control.opt_outs(account_sid=account[0]) == []  # every cycle ended with START

    # Pages read during the writes: valid envelopes, newest first.
    assert run.pages, "the listers read nothing"
    for _, _, page in run.pages:
        assert_valid_page(page)
        assert_newest_first([m["sid"] for m in page["messages"]], {**created, **inbound})

    # After the writes: every message exactly once, nothing else, in newest-first order.
    pages = _page_through(http, base_url, account[0])
    listed = [m["sid"] for page in pages for m in page["messages"]]
    assert len(listed) == len(set(listed)), "a message is listed twice"
    assert set(listed) == set(created) | set(inbound)
    assert len(listed) == len(created) + len(inbound)
    assert_newest_first(listed, {**created, **inbound})
    assert all(len(page["messages"]) == PAGE_SIZE for page in pages[:-1]), "a short page before the last"
    # Paging back from the last page gives the same pages.
    back = _page_back(http, base_url, pages[-1])
    assert [[m["sid"] for m in page["messages"]] for page in back] == [
        [m["sid"] for m in page["messages"]] for page in pages]
    # The control API's view agrees with the paged one.
    assert [m["sid"] for m in control.messages(account[0])] == listed
