"""Twilio's list paging: PageSize/Page/PageToken over a newest-first sequence (Twilio's Message resource)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import InvalidParameter

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    has_next: bool

    @property
    def start(self) -> int:
        return self.page * self.page_size

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1 if self.items else self.start


def parse_paging(page_size: str | None, page: str | None) -> tuple[int, int]:
    size = _int("PageSize", page_size, DEFAULT_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidParameter(name="PageSize", value=page_size)
    number = _int("Page", page, 0)
    if number < 0:
        raise InvalidParameter(name="Page", value=page)
    return size, number


def _int(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(name=name, value=raw) from None


def paginate(
    items: Sequence[T], page: int, page_size: int, page_token: str | None, key: Callable[[T], str]
) -> Page[T]:
    """One page of `items`. A PageToken "PA<sid>" starts after that item, "PB<sid>" ends before it;
    a token whose item is gone falls back to the Page offset."""
    start = page * page_size
    stop = start + page_size
    if page_token and len(page_token) > 2 and page_token[:2] in ("PA", "PB"):
        anchor = next((i for i, item in enumerate(items) if key(item) == page_token[2:]), None)
        if anchor is not None:
            if page_token[:2] == "PA":
                start, stop = anchor + 1, anchor + 1 + page_size
            else:
                start, stop = max(anchor - page_size, 0), anchor
    return Page(list(items[start:stop]), page, page_size, has_next=stop < len(items))
