"""Message storage at scale: the per-account log and its indexes, keyset paging, the retention cap."""

from __future__ import annotations

import pytest

from emulator.domain.emulator import Emulator
from emulator.domain.messages import CreateMessage, ListFilter
from emulator.domain.models import Direction, Status
from emulator.settings import Settings

AC = "AC" + "1" * 32
NUMBERS = ["+15557650001", "+15557650002"]
HANDSETS = [f"+1555123000{i}" for i in range(5)]


@pytest.fixture
def emulator():
    emu = Emulator(Settings()).start()
    yield emu
    emu.close()


def fill(emu: Emulator, count: int) -> list[str]:
    account = emu.accounts.declare(AC, "t")
    sids = []
    for i in range(count):
        message = emu.messages.create(
            account, CreateMessage(to=HANDSETS[i % 5], from_=NUMBERS[i % 2], body=f"message {i}")
        )
        sids.append(message.sid)
    return sids


def walk(emu: Emulator, filters: ListFilter, page_size: int) -> list[str]:
    """Follow PA tokens through every page, as next_page_uri does."""
    account = emu.state.accounts[AC]
    seen, token, page = [], None, 0
    while True:
        result = emu.messages.page(account, filters, page, page_size, token)
        seen += [m.sid for m in result.items]
        if not result.has_next:
            return seen
        token, page = f"PA{result.items[-1].sid}", page + 1


@pytest.mark.parametrize("page_size", [1, 3, 7, 50])
@pytest.mark.parametrize(
    "filters",
    [ListFilter(), ListFilter(to=HANDSETS[2]), ListFilter(from_=NUMBERS[1]), ListFilter(to=HANDSETS[1], from_=NUMBERS[1])],
    ids=["all", "to", "from", "to+from"],
)
def test_token_paging_visits_every_match_once_newest_first(emulator, filters, page_size):
    sids = fill(emulator, 40)
    account = emulator.state.accounts[AC]
    expected = [sid for sid in reversed(sids) if filters.matches(account.messages[sid])]
    assert walk(emulator, filters, page_size) == expected


def test_page_offsets_and_previous_tokens_agree(emulator):
    sids = list(reversed(fill(emulator, 20)))
    account = emulator.state.accounts[AC]
    third = emulator.messages.page(account, ListFilter(), 2, 5, None)
    assert [m.sid for m in third.items] == sids[10:15]
    previous = emulator.messages.page(account, ListFilter(), 1, 5, f"PB{third.items[0].sid}")
    assert [m.sid for m in previous.items] == sids[5:10]
    # A huge page number is an empty page, not an error.
    assert emulator.messages.page(account, ListFilter(), 10**30, 5, None).items == []


def test_deleted_messages_leave_every_index(emulator):
    sids = fill(emulator, 10)
    account = emulator.state.accounts[AC]
    target = account.messages[sids[4]]
    emulator.messages.delete(account, target.sid, "/")
    for filters in (ListFilter(), ListFilter(to=target.to), ListFilter(from_=target.from_)):
        assert target.sid not in walk(emulator, filters, 3)
    assert len(account.messages) == 9


def test_a_service_send_is_found_by_the_from_it_was_given(emulator):
    account = emulator.accounts.declare(AC, "t")
    sender = emulator.numbers.provision(account, NUMBERS[0])
    service = emulator.services.create(account, friendly_name="s")
    emulator.services.add_sender(account, service.sid, "phone_numbers", sender.sid, "/")
    created = emulator.messages.create(account, CreateMessage(to=HANDSETS[0], messaging_service_sid=service.sid, body="x"))
    assert created.from_ is None
    assert walk(emulator, ListFilter(from_=NUMBERS[0]), 5) == [created.sid]
    emulator.messages.delete(account, created.sid, "/")
    assert walk(emulator, ListFilter(from_=NUMBERS[0]), 5) == []


def test_the_retention_cap_evicts_the_oldest_messages_and_never_opt_outs():
    emu = Emulator(Settings(max_messages=5)).start()
    account = emu.accounts.declare(AC, "t")
    emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBERS[0], body="first"))
    emu.inbound.receive(HANDSETS[0], NUMBERS[0], "STOP")
    for i in range(8):
        emu.messages.record(
            account, to=HANDSETS[1], from_=NUMBERS[0], body=f"n{i}", direction=Direction.OUTBOUND_API,
            status=Status.DELIVERED,
        )
    assert [m.body for m in account.messages.values()] == ["n3", "n4", "n5", "n6", "n7"]
    assert emu.optouts.blocking_record(AC, HANDSETS[0], NUMBERS[0]) is not None
    emu.close()


def test_the_retention_cap_also_bounds_the_sqlite_store(tmp_path):
    db = str(tmp_path / "capped.db")
    emu = Emulator(Settings(max_messages=3, db=db)).start()
    fill(emu, 6)
    emu.close()
    restored = Emulator(Settings(max_messages=3, db=db)).start()
    assert [m.body for m in restored.state.accounts[AC].messages.values()] == ["message 3", "message 4", "message 5"]
    restored.close()


def test_an_evicted_message_stays_evicted_when_its_timed_steps_fall_due(tmp_path):
    db = str(tmp_path / "evict.db")
    emu = Emulator(Settings(max_messages=1, db=db)).start()
    account = emu.accounts.declare(AC, "t")
    emu.accounts.update_settings(AC, {"progression": "timed", "progression_delay": 60})
    first = emu.messages.create(account, CreateMessage(to=HANDSETS[0], from_=NUMBERS[0], body="a"))
    emu.messages.create(account, CreateMessage(to=HANDSETS[1], from_=NUMBERS[0], body="b"))
    emu.advance_clock(300)
    assert first.sid not in account.messages
    emu.close()
    restored = Emulator(Settings(max_messages=1, db=db)).start()
    assert [m.body for m in restored.state.accounts[AC].messages.values()] == ["b"]
    restored.close()


def test_a_lower_cap_at_restart_trims_the_stored_messages(tmp_path):
    db = str(tmp_path / "trim.db")
    emu = Emulator(Settings(db=db)).start()
    fill(emu, 4)
    emu.close()
    restored = Emulator(Settings(db=db, max_messages=2)).start()
    assert [m.body for m in restored.state.accounts[AC].messages.values()] == ["message 2", "message 3"]
    restored.close()
    assert len(Emulator(Settings(db=db)).start().state.accounts[AC].messages) == 2


def test_evicted_and_deleted_messages_leave_no_empty_index_entries():
    # Private indexes, read on purpose: an empty list per past recipient is the leak being tested.
    emu = Emulator(Settings(max_messages=3)).start()
    account = emu.accounts.declare(AC, "t")
    service = emu.services.create(account, friendly_name="s")
    sender = emu.numbers.provision(account, NUMBERS[1])
    emu.services.add_sender(account, service.sid, "phone_numbers", sender.sid, "/")
    emu.messages.create(account, CreateMessage(to="+15550000001", messaging_service_sid=service.sid, body="x"))
    for i in range(200):
        emu.messages.create(account, CreateMessage(to=f"+1555{i:07d}", from_=f"+1666{i:07d}", body="x"))
    log = account.messages
    assert len(log) == 3
    assert len(log._by_to) == 3 and len(log._by_from) == 3
    for message in log.values():
        emu.messages.delete(account, message.sid, "/")
    assert log._by_to == {} and log._by_from == {}
    emu.close()
