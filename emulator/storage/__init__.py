"""Durable state. The emulator's working state always lives in memory (the Emulator); a store makes
it outlive the process. MemoryStore keeps nothing; SqliteStore writes every change before the
request that made it is answered, and rebuilds the state at start."""

from .base import MemoryStore, Store
from .sqlite import SqliteStore

__all__ = ["MemoryStore", "SqliteStore", "Store"]
