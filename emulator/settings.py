"""Emulator configuration: one frozen dataclass, built from CLI options, environment or code.

Every field has a documented default; `Settings.from_env()` reads TWILIO_EMULATOR_* variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}\Z")
API_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}\Z")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"  # interface to bind; 0.0.0.0 inside a container
    port: int = 4010  # 0 picks a free port
    # Declared accounts as (AccountSid, AuthToken); others are created on first use unless strict_accounts.
    accounts: tuple[tuple[str, str], ...] = ()
    strict_accounts: bool = False  # only declared accounts authenticate
    # Declared API keys as (SK…, secret, AccountSid): standard keys of that account.
    api_keys: tuple[tuple[str, str, str], ...] = ()
    strict_senders: bool = False  # default for new accounts: 21606 for a From the account does not own
    fixtures: str | None = None  # JSON seed file loaded at start and at every reset
    db: str | None = None  # SQLite file that keeps all state across restarts; None keeps it in memory
    max_messages: int | None = None  # keep at most this many messages (oldest evicted); None: no cap
    # Webhook attempts kept for GET /_emulator/webhooks; None: 4 per kept message (no cap without one).
    max_webhooks: int | None = None
    log_level: str = "INFO"
    # The control API (/_emulator): a token every request must carry (Authorization: Bearer), and
    # the Host names it answers besides its own address, localhost and IP addresses ("*": any).
    control_token: str | None = None
    allow_hosts: tuple[str, ...] = ()
    webhook_timeout: float = 15.0  # seconds before a webhook counts as failed (11200)
    webhook_workers: int = 4  # background delivery threads
    webhook_queue_size: int = 10000  # pending webhooks kept before new ones are dropped
    # Unmodified programs (emulator.proxy): an HTTPS proxy and a TLS port beside the API, one local CA.
    proxy: bool = False
    proxy_port: int | None = None  # default: port + 1 (a free port when port is 0)
    tls: bool = False
    tls_port: int | None = None  # default: port + 2 (a free port when port is 0)
    ca_dir: str | None = None  # the CA's directory; default: a per-user data directory

    def __post_init__(self) -> None:
        for sid, token in self.accounts:
            if not ACCOUNT_SID.match(sid):
                raise ValueError(f"account {sid!r}: an AccountSid is AC followed by 32 hex digits")
            if not token:
                raise ValueError(f"account {sid}: the auth token is empty")
        for key, secret, account in self.api_keys:
            if not API_KEY_SID.match(key):
                raise ValueError(f"API key {key!r}: an API key SID is SK followed by 32 hex digits")
            if not secret:
                raise ValueError(f"API key {key}: the secret is empty")
            if not ACCOUNT_SID.match(account):
                raise ValueError(f"API key {key}: {account!r} is not an AccountSid (AC followed by 32 hex digits)")
        for name in ("port", "proxy_port", "tls_port"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 65535:
                raise ValueError(f"{name} {value} is out of range 0-65535")
        for name in ("max_messages", "max_webhooks"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.control_token is not None and (not self.control_token.strip() or len(self.control_token) > 512):
            raise ValueError("the control token must be 1 to 512 characters, not only spaces")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ValueError(f"log level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        object.__setattr__(self, "log_level", self.log_level.upper())
        if self.webhook_timeout <= 0 or self.webhook_workers < 1 or self.webhook_queue_size < 1:
            raise ValueError("webhook_timeout, webhook_workers and webhook_queue_size must be positive")

    @property
    def webhook_log_cap(self) -> int | None:
        """How many webhook attempts are kept: max_webhooks, else enough for the kept messages'
        status callbacks and inbound webhooks (about three per message)."""
        if self.max_webhooks is not None:
            return self.max_webhooks
        return 4 * self.max_messages if self.max_messages is not None else None

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """These settings as TWILIO_EMULATOR_* variables (for servers that build the app themselves)."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in ("accounts", "api_keys"):
                value = ",".join(":".join(parts) for parts in value)
            elif f.name == "allow_hosts":
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            env[f"TWILIO_EMULATOR_{f.name.upper()}"] = str(value)
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"TWILIO_EMULATOR_{f.name.upper()}")
            if raw is None:
                continue
            kind = str(f.type).removesuffix(" | None")
            if f.name == "accounts":
                values[f.name] = parse_accounts(raw.split(","))
            elif f.name == "api_keys":
                values[f.name] = parse_api_keys(raw.split(","))
            elif f.name == "allow_hosts":
                values[f.name] = tuple(h.strip() for h in raw.split(",") if h.strip())
            elif kind == "bool":
                word = raw.strip().lower()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    raise ValueError(f"TWILIO_EMULATOR_{f.name.upper()}={raw!r} is not true or false "
                                     "(1/0, true/false, yes/no, on/off)")
                values[f.name] = word in TRUE_WORDS
            elif kind in ("int", "float"):
                try:
                    values[f.name] = int(raw) if kind == "int" else float(raw)
                except ValueError:
                    raise ValueError(f"TWILIO_EMULATOR_{f.name.upper()}={raw!r} is not a number") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def parse_accounts(items: list[str]) -> tuple[tuple[str, str], ...]:
    """Parse "SID:TOKEN" strings (CLI --account, TWILIO_EMULATOR_ACCOUNTS)."""
    parsed = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        sid, sep, token = item.partition(":")
        if not sep:
            raise ValueError(f"account {item!r}: expected ACCOUNT_SID:AUTH_TOKEN")
        parsed.append((sid, token))
    return tuple(parsed)


def parse_api_keys(items: list[str]) -> tuple[tuple[str, str, str], ...]:
    """Parse "SK…:SECRET:AC…" strings (CLI --api-key, TWILIO_EMULATOR_API_KEYS)."""
    parsed = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, _, rest = item.partition(":")
        secret, _, account = rest.rpartition(":")
        if not key or not secret or not account:
            raise ValueError(f"API key {item[:40]!r}: expected SK…:SECRET:AC… (the key, its secret, its account)")
        parsed.append((key, secret, account))
    return tuple(parsed)
