"""Seed data: accounts, numbers, short codes, Messaging Services and imported opt-out records.

Loaded at start and at every reset through the same domain methods API calls use, in one unit of
work: a bad document is refused whole (nothing of it stays loaded), with its path, the position
inside it (e.g. accounts[0].numbers[2]) and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, TwilioError
from .consents import CONSENT_SOURCES
from .opt_out_ledger import spec_problem
from .phone import SenderType, sender_type
from .services import SERVICE_FIELDS

if TYPE_CHECKING:
    from .emulator import Emulator


class FixtureError(InvalidInput):
    pass


# Types of the Messaging Service fields a fixture may set (the rest are strings).
SERVICE_TYPES: dict[str, type] = {
    "sticky_sender": bool,
    "mms_converter": bool,
    "smart_encoding": bool,
    "fallback_to_long_code": bool,
    "area_code_geomatch": bool,
    "synchronous_validation": bool,
    "use_inbound_webhook_on_number": bool,
    "validity_period": int,
}
TYPE_NAMES = {bool: "true or false", int: "a whole number", str: "a string"}


def read_fixtures(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: not valid JSON: {exc}") from None


def load_fixture_data(emu: Emulator, data: Any, source: str = "fixture", only_account: str | None = None) -> None:
    """Load a parsed fixture document (or only one account of it), all or nothing."""
    with emu.uow.transaction():
        _Loader(emu, source, only_account).load(data)


class _Loader:
    def __init__(self, emu: Emulator, source: str, only_account: str | None = None) -> None:
        self.emu = emu
        self.source = source
        self.only_account = only_account

    def fail(self, where: str, reason: str) -> FixtureError:
        return FixtureError(f"{self.source}: {where}: {reason}")

    def items(self, obj: dict, key: str, where: str) -> list[tuple[str, Any]]:
        value = obj.get(key, [])
        path = f"{where}.{key}" if where else key
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def obj(self, value: Any, where: str, allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        unknown = set(value) - allowed
        if unknown:
            known = ", ".join(sorted(allowed))
            raise self.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {known}")
        return value

    def load(self, data: Any) -> None:
        root = self.obj(data, "(top level)", {"accounts"})
        for where, raw in self.items(root, "accounts", ""):
            if self.only_account is None or (isinstance(raw, dict) and raw.get("sid") == self.only_account):
                self.account(where, raw)

    def account(self, where: str, raw: Any) -> None:
        spec = self.obj(
            raw, where,
            {"sid", "auth_token", "api_keys", "settings", "numbers", "short_codes", "messaging_services", "opt_outs"},
        )
        token = spec.get("auth_token")
        if token is not None and (not isinstance(token, str) or not token):
            raise self.fail(where, "auth_token must be a non-empty string")
        if not isinstance(spec.get("sid", ""), str):
            raise self.fail(where, "sid must be a string")
        account = self.guard(where, lambda: self.emu.accounts.declare(spec.get("sid", ""), token))
        if "settings" in spec:
            if not isinstance(spec["settings"], dict):
                raise self.fail(where, "settings must be an object")
            self.guard(where, lambda: self.emu.accounts.update_settings(account.sid, spec["settings"]))
        for item_where, item in self.items(spec, "api_keys", where):
            item = self.obj(item, item_where, {"sid", "secret", "friendly_name", "type"})
            wrong = sorted(k for k, v in item.items() if not isinstance(v, str))
            if wrong:
                raise self.fail(item_where, f"{', '.join(wrong)} must be strings")
            self.guard(item_where, lambda i=item: self.emu.api_keys.declare(
                account, i.get("sid", ""), i.get("secret", ""), i.get("type", "standard"), i.get("friendly_name", "")))
        number_fields = {"sid", "friendly_name", "sms_url", "sms_method", "status_callback"}
        for key, address_key, kinds, extra in (
            ("numbers", "phone_number", (SenderType.LONG_CODE, SenderType.TOLL_FREE), {"registration"}),
            ("short_codes", "short_code", (SenderType.SHORT_CODE,), {"country"}),
        ):
            for item_where, item in self.items(spec, key, where):
                item = self.obj(item, item_where, number_fields | extra | {address_key})
                address = str(item.get(address_key, ""))
                if sender_type(address) not in kinds:
                    kind = key[:-1].replace("_", " ")
                    raise self.fail(item_where, f"{address_key} {address!r} is not a valid {kind}")
                config = {k: v for k, v in item.items() if k != address_key}
                wrong = sorted(k for k, v in config.items() if not isinstance(v, str))
                if wrong:
                    raise self.fail(item_where, f"{', '.join(wrong)} must be strings")
                if config.get("sms_method", "POST").upper() not in ("GET", "POST"):
                    raise self.fail(f"{item_where}.sms_method", "must be GET or POST")
                self.guard(item_where, lambda a=address, c=config: self.emu.numbers.provision(account, a, **c))
        for item_where, item in self.items(spec, "messaging_services", where):
            self.service(account, item_where, item)
        for item_where, item in self.items(spec, "opt_outs", where):
            item = self.obj(
                item, item_where, {"sender", "messaging_service_sid", "recipient", "source", "consent_source"}
            )
            self.check_opt_out(item_where, item)
            self.guard(item_where, lambda item=item: self.emu.optouts.import_record(
                account.sid, item["recipient"], item.get("sender"), item.get("messaging_service_sid"), self.emu.now(),
                item.get("source", "fixture"), item.get("consent_source"),
            ))

    def check_opt_out(self, where: str, item: dict) -> None:
        problem = spec_problem(item.get("recipient"), item.get("sender"), item.get("messaging_service_sid"))
        if problem:
            raise self.fail(where, problem)
        consent_source = item.get("consent_source")
        if consent_source is not None and consent_source not in CONSENT_SOURCES:
            raise self.fail(where, f"consent_source {consent_source!r} must be one of {', '.join(CONSENT_SOURCES)}")

    def service(self, account: Any, where: str, raw: Any) -> None:
        pools = {"phone_numbers", "short_codes", "alpha_senders"}
        spec = self.obj(raw, where, set(SERVICE_FIELDS) | pools | {"sid", "advanced_opt_out"})
        attrs = {k: v for k, v in spec.items() if k in SERVICE_FIELDS or k == "sid"}
        for name, value in attrs.items():
            expected = SERVICE_TYPES.get(name, str)
            if value is not None and (not isinstance(value, expected) or isinstance(value, bool) != (expected is bool)):
                raise self.fail(f"{where}.{name}", f"must be {TYPE_NAMES[expected]}")
            if name.endswith("_method") and value not in ("GET", "POST"):
                raise self.fail(f"{where}.{name}", "must be GET or POST")
        service = self.guard(where, lambda: self.emu.services.create(account, **attrs))
        path = f"{where} (service {service.sid})"
        for pool in sorted(pools & set(spec)):
            for item_where, address in self.items(spec, pool, where):
                if pool == "alpha_senders":
                    if not isinstance(address, str):
                        raise self.fail(item_where, f"{address!r} is not an alphanumeric sender ID (a string)")
                    key = address
                else:
                    sender = self.emu.numbers.owner_of(str(address))
                    if sender is None or sender.account_sid != account.sid:
                        kind = pool.replace("_", " ")
                        raise self.fail(item_where, f"{address!r} is not one of this account's {kind}")
                    key = sender.sid
                self.guard(item_where, lambda key=key, pool=pool: self.emu.services.add_sender(
                    account, service.sid, pool, key, path))
        if "advanced_opt_out" in spec:
            if not isinstance(spec["advanced_opt_out"], dict):
                raise self.fail(f"{where}.advanced_opt_out", "must be an object")
            self.guard(f"{where}.advanced_opt_out",
                       lambda: self.emu.services.set_advanced_opt_out(service.sid, spec["advanced_opt_out"]))

    def guard(self, where: str, action: Any) -> Any:
        """Run a domain call; its refusal is reported at this position of the document."""
        try:
            return action()
        except InvalidInput as exc:
            raise self.fail(where, str(exc)) from None
        except TwilioError as exc:
            reason = exc.text if exc.reason == exc.text else f"{exc.text} ({exc.reason})"
            raise self.fail(where, reason) from None
