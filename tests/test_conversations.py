"""The conversation index of the message log (domain.conversations): most recent activity first,
kept right when messages are evicted by the retention cap, deleted, or restored from SQLite."""

from __future__ import annotations

from emulator.domain.emulator import Emulator
from emulator.domain.models import Direction, Status
from emulator.settings import Settings

SID = "AC" + "c5" * 16
NUMBER = "+15557650001"


def record(emu, account, handset, body, inbound=False):
    to, from_ = (NUMBER, handset) if inbound else (handset, NUMBER)
    direction = Direction.INBOUND if inbound else Direction.OUTBOUND_API
    return emu.messages.record(account, to=to, from_=from_, body=body, direction=direction, status=Status.DELIVERED)


def listed(emu, **kwargs):
    found, _ = emu.conversations.list_(SID, **kwargs)
    return [(c.handset, c.last.body, c.messages) for c in found]


def test_conversations_follow_eviction_and_deletion():
    emu = Emulator(Settings(max_messages=3)).start()
    account = emu.accounts.declare(SID)
    record(emu, account, "+15551230001", "a1")
    record(emu, account, "+15551230002", "b1")
    record(emu, account, "+15551230001", "a2", inbound=True)
    assert listed(emu) == [("+15551230001", "a2", 2), ("+15551230002", "b1", 1)]
    record(emu, account, "+15551230003", "c1")  # the cap evicts a1
    assert listed(emu) == [("+15551230003", "c1", 1), ("+15551230001", "a2", 1), ("+15551230002", "b1", 1)]
    record(emu, account, "+15551230003", "c2")  # evicts b1: its conversation is gone
    assert listed(emu) == [("+15551230003", "c2", 2), ("+15551230001", "a2", 1)]
    newest = account.messages.conversation((NUMBER, "+15551230003"))[-1]
    emu.messages.delete(account, newest.sid, "/path")  # its conversation falls back to c1
    assert listed(emu) == [("+15551230003", "c1", 1), ("+15551230001", "a2", 1)]
    assert listed(emu, before=listed_seq(emu, 0)) == [("+15551230001", "a2", 1)]
    emu.close()


def listed_seq(emu, index):
    return emu.conversations.list_(SID)[0][index].seq


def test_conversations_are_rebuilt_from_the_store(tmp_path):
    db = str(tmp_path / "emulator.db")
    emu = Emulator(Settings(db=db)).start()
    account = emu.accounts.declare(SID)
    for i in range(5):
        record(emu, account, f"+1555123000{i % 2}", f"m{i}", inbound=i == 3)
    before = listed(emu)
    thread_before = [i.message.body for i in emu.conversations.thread(SID, NUMBER, "+15551230001").items]
    emu.close()
    again = Emulator(Settings(db=db)).start()
    assert listed(again) == before == [("+15551230000", "m4", 3), ("+15551230001", "m3", 2)]
    thread = again.conversations.thread(SID, NUMBER, "+15551230001")
    assert [i.message.body for i in thread.items] == thread_before == ["m1", "m3"]
    again.close()
