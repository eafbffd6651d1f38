"""The store interface, and the (de)serialisation of domain records it shares."""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from datetime import datetime
from typing import Any, Protocol


class Store(Protocol):
    """Where changed records go. `write` gets what one locked operation changed, in one batch."""

    def write(self, changed: list[Any], deleted: list[Any]) -> None: ...

    def load(self) -> dict[str, list[Any]]: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """The default: state lives only in the process."""

    def write(self, changed: list[Any], deleted: list[Any]) -> None:
        pass

    def load(self) -> dict[str, list[Any]]:
        return {}

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass


# -- records <-> JSON-able dicts -----------------------------------------------------------------
def to_data(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k.value if isinstance(k, enum.Enum) else k): to_data(v) for k, v in obj.items()}
    return obj


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


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
    if dataclasses.is_dataclass(cls):
        hints = _hints(cls)
        return cls(**{f.name: from_data(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    if cls is datetime:
        return datetime.fromisoformat(data)
    return data
