"""Unit tests of emulator.domain.paging (Twilio's Message resource, www.twilio.com/docs/messaging/api/message-resource: PageSize 1-1000 default 50, Page >= 0,
PageToken PA<sid>/PB<sid>, start = page*page_size, end = start + n - 1)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from emulator.domain.paging import Page, paginate, parse_paging
from emulator.errors import InvalidParameter


@dataclass(frozen=True)
class Item:
    sid: str


def make_items(n: int) -> list[Item]:
    return [Item(f"SM{i:032x}") for i in range(n)]


def key(item: Item) -> str:
    return item.sid


# --- parse_paging --------------------------------------------------------------------------------


def test_defaults_are_page_size_50_and_page_0():
    assert parse_paging(None, None) == (50, 0)


@pytest.mark.parametrize(("raw", "size"), [("1", 1), ("2", 2), ("50", 50), ("999", 999), ("1000", 1000)])
def test_page_size_within_bounds(raw, size):
    assert parse_paging(raw, None) == (size, 0)


@pytest.mark.parametrize(("raw", "number"), [("0", 0), ("1", 1), ("7", 7), ("12345", 12345)])
def test_page_number(raw, number):
    assert parse_paging(None, raw) == (50, number)
    assert parse_paging("10", raw) == (10, number)


@pytest.mark.parametrize("raw", ["0", "1001", "x", "-1", "1.5", "10000", "fifty"])
def test_invalid_page_size_is_20001(raw):
    with pytest.raises(InvalidParameter) as info:
        parse_paging(raw, None)
    assert info.value.code == 20001
    assert info.value.status == 400
    assert "PageSize" in str(info.value)


@pytest.mark.parametrize("raw", ["-1", "x", "1.5", "-100"])
def test_invalid_page_is_20001(raw):
    with pytest.raises(InvalidParameter) as info:
        parse_paging("10", raw)
    assert info.value.code == 20001
    assert info.value.status == 400
    assert "Page" in str(info.value)


def test_invalid_parameter_is_twilios_envelope():
    with pytest.raises(InvalidParameter) as info:
        parse_paging("1001", None)
    body = info.value.to_dict()
    assert body["code"] == 20001
    assert body["status"] == 400
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20001"
    assert isinstance(body["message"], str) and body["message"]


# --- Page arithmetic -----------------------------------------------------------------------------


def test_page_start_end_full_page():
    page = Page(items=list(range(10)), page=2, page_size=10, has_next=True)
    assert page.start == 20
    assert page.end == 29


def test_page_start_end_partial_page():
    page = Page(items=list(range(3)), page=4, page_size=10, has_next=False)
    assert page.start == 40
    assert page.end == 42


def test_page_start_end_single_item_like_the_live_capture():
    # saintpete/logrole fixture: start:1, end:1, page:1, page_size:1
    page = Page(items=["x"], page=1, page_size=1, has_next=True)
    assert (page.start, page.end) == (1, 1)


@pytest.mark.parametrize(("number", "size"), [(0, 50), (3, 10), (1, 1000)])
def test_empty_page_has_start_equal_end(number, size):
    page = Page(items=[], page=number, page_size=size, has_next=False)
    assert page.start == page.end == number * size


# --- paginate by offset --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "size", "number"), [(0, 50, 0), (10, 3, 0), (10, 3, 2), (10, 3, 3), (10, 3, 4),
                                                   (137, 50, 0), (137, 50, 2), (100, 50, 1), (5, 1000, 0)])
def test_offset_pages(n, size, number):
    items = make_items(n)
    page = paginate(items, number, size, None, key)
    expected = items[number * size:(number + 1) * size]
    assert page.items == expected
    assert page.page == number
    assert page.page_size == size
    assert page.start == number * size
    assert page.end == (number * size + len(expected) - 1 if expected else number * size)
    assert page.has_next is ((number + 1) * size < n)


def test_has_next_at_an_exact_boundary_is_false():
    items = make_items(20)
    assert paginate(items, 0, 10, None, key).has_next is True
    last = paginate(items, 1, 10, None, key)
    assert last.items == items[10:]
    assert last.has_next is False


def test_page_past_the_end_is_empty():
    items = make_items(5)
    page = paginate(items, 3, 10, None, key)
    assert page.items == []
    assert page.has_next is False
    assert page.start == page.end == 30


def test_paginate_returns_a_list_copy():
    items = make_items(5)
    page = paginate(items, 0, 10, None, key)
    assert page.items == items
    page.items.append(Item("extra"))
    assert len(items) == 5


# --- PageToken -----------------------------------------------------------------------------------


@pytest.mark.parametrize("anchor", [0, 4, 9, 17, 24])
def test_pa_token_continues_after_the_item(anchor):
    items = make_items(25)
    page = paginate(items, 1, 5, "PA" + items[anchor].sid, key)
    assert page.items == items[anchor + 1:anchor + 6]
    assert page.has_next is (anchor + 6 < 25)


def test_pa_token_wins_over_the_page_offset():
    items = make_items(30)
    # Page says 0, the token says "after item 11".
    page = paginate(items, 0, 5, "PA" + items[11].sid, key)
    assert page.items == items[12:17]


def test_pa_token_of_the_last_item_gives_an_empty_last_page():
    items = make_items(10)
    page = paginate(items, 2, 5, "PA" + items[9].sid, key)
    assert page.items == []
    assert page.has_next is False


@pytest.mark.parametrize(("anchor", "expected"), [(10, slice(5, 10)), (5, slice(0, 5)), (3, slice(0, 3)),
                                                  (0, slice(0, 0)), (24, slice(19, 24))])
def test_pb_token_ends_right_before_the_item(anchor, expected):
    items = make_items(25)
    page = paginate(items, 1, 5, "PB" + items[anchor].sid, key)
    assert page.items == items[expected]
    assert page.has_next is True  # the anchor itself follows


def test_pb_token_reverses_a_pa_step():
    items = make_items(23)
    first = paginate(items, 0, 5, None, key)
    second = paginate(items, 1, 5, "PA" + first.items[-1].sid, key)
    back = paginate(items, 0, 5, "PB" + second.items[0].sid, key)
    assert back.items == first.items


@pytest.mark.parametrize("token", ["PA" + "SM" + "f" * 32, "PBSMdeadbeef", "PA", "PB", "", "XX123", "garbage",
                                   "pa" + "SM" + "0" * 32])
def test_unknown_or_malformed_token_falls_back_to_the_offset(token):
    items = make_items(25)
    page = paginate(items, 2, 5, token, key)
    assert page.items == items[10:15]
    assert page.has_next is True


def test_token_of_a_deleted_item_falls_back_to_the_offset():
    items = make_items(25)
    gone = items.pop(7)
    page = paginate(items, 1, 5, "PA" + gone.sid, key)
    assert page.items == items[5:10]


@pytest.mark.parametrize("n", [0, 1, 2, 49, 50, 51, 100, 137, 1000])
@pytest.mark.parametrize("size", [1, 7, 50, 1000])
def test_walking_pa_tokens_covers_every_item_exactly_once(n, size):
    items = make_items(n)
    seen: list[Item] = []
    number, token = 0, None
    pages = 0
    while True:
        page = paginate(items, number, size, token, key)
        pages += 1
        assert page.page == number
        assert len(page.items) <= size
        seen.extend(page.items)
        if not page.has_next:
            break
        assert page.items, "a page with a next page is never empty"
        number, token = number + 1, "PA" + page.items[-1].sid
        assert pages <= n + 1
    assert seen == items
    assert len({i.sid for i in seen}) == n
    assert pages == max(1, -(-n // size))
