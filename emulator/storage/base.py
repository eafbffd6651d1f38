"""The store interface, and the (de)serialisation of domain records it shares."""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from datetime import datetime
from typing import Any, Protocol


class Store(Protocol):
    """Where changed records go.

    `prepare` turns one unit of work's writes — ("put", record), ("delete", record), ("clear", None)
    in order — into a batch of operations (called under the emulator's lock, while the records
    cannot change); `commit` makes the operations of one or more batches durable in one transaction
    (called outside the lock) or raises, having changed nothing. `load` returns every record, parents
    first and messages in creation order, as the state places them."""

    persistent: bool

    def prepare(self, writes: list[tuple[str, Any]]) -> list[Any]: ...

    def commit(self, ops: list[Any]) -> None: ...

    def load(self) -> list[Any]: ...

    def close(self) -> None: ...


class MemoryStore:
    """The default: state lives only in the process (no writes are even prepared)."""

    persistent = False

    def prepare(self, writes: list[tuple[str, Any]]) -> list[Any]:
        return []

    def commit(self, ops: list[Any]) -> None:
        pass

    def load(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


# -- records <-> JSON-able dicts -----------------------------------------------------------------
SCALARS = (str, int, float, bool, type(None))


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...] | None:
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def to_data(obj: Any) -> Any:
    kind: Any = type(obj)
    if kind in SCALARS:
        return obj
    if isinstance(obj, enum.Enum):
        return obj.value
    if kind is datetime:
        return obj.isoformat()
    names = _field_names(kind)
    if names is not None:
        return {name: to_data(getattr(obj, name)) for name in names}
    if kind in (list, tuple):
        return [to_data(v) for v in obj]
    if kind is dict:
        return {str(k.value if isinstance(k, enum.Enum) else k): to_data(v) for k, v in obj.items()}
    return obj


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_record(cls: Any) -> bool:
    return dataclasses.is_dataclass(cls)


def from_data(cls: Any, data: Any) -> Any:
    """Rebuild a value of type `cls` (a dataclass, enum, datetime, tuple, optional…) from to_data()."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in typing.get_args(cls) if a is not type(None)]
        return from_data(inner[0], data)
    if origin is tuple:
        return tuple(from_data(typing.get_args(cls)[0], v) for v in data)
    if origin in (list, dict):
        return data
    if _is_record(cls):
        hints = _hints(cls)
        names = (f.name for f in dataclasses.fields(cls) if f.name in data)
        return cls(**{name: from_data(hints[name], data[name]) for name in names})
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    if cls is datetime:
        return datetime.fromisoformat(data)
    return data
