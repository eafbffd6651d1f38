"""Turn a sandbox conversation into a regression test: a scenario file (the harness's TOML, see
emulator.scenarios) or a pytest test that uses the plugin's fixtures.

Both are rendered from one Script: the [account] a fresh account needs (our numbers and short codes,
the Messaging Service and its Advanced Opt-Out, the settings that change opt-out handling, and the
opt-out records the conversation did not write itself) and one step per thing that happened:
a send (accepted or refused), or a handset's inbound message with the auto-reply it got. Webhook
URLs are left out (the app under test is not there when the scenario runs), so TwiML replies are
replayed as sends from the same number.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .domain.conversations import Item, Thread, is_service
from .domain.models import AccountSettings, Direction, Status
from .domain.phone import SenderType, address, sender_type
from .optout import OptOutRecord
from .optout.engine import record_key

if TYPE_CHECKING:
    from .domain.emulator import Emulator

WHOLE_THREAD = 100_000
# Settings a fresh account keeps at their defaults: credentials, and progression (the export holds
# no manual steps, so its sends run to their end at once).
NOT_EXPORTED = {"auth_token", "progression", "progression_delay"}
SKIPPED = (Status.SCHEDULED, Status.CANCELED)


@dataclass
class Step:
    action: str  # send | inbound | check
    args: dict[str, Any]
    expect: dict[str, Any]


@dataclass
class Script:
    description: str
    account: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be exported


def script(emu: Emulator, account_sid: str, party: str, handset: str) -> Script:
    thread = emu.conversations.thread(account_sid, party, handset, limit=WHOLE_THREAD)
    with emu.uow.lock:
        account = emu.state.accounts[account_sid]
        settings = account.settings
        service = account.services.get(party) if is_service(party) else None
        pool = [account.senders[s].address for s in (service.sender_sids if service else ()) if s in account.senders]
        records = emu.optouts.list_(account_sid, address(handset))
    messages = {i.message.sid for i in thread.items if i.message is not None}
    result = Script(f"Exported from the sandbox: {party} and {handset}", {})
    result.steps = [step for item in thread.items if (step := _step(item, thread)) is not None]
    ours = {a for a in (*thread.our_numbers, *pool) if sender_type(a) not in (None, SenderType.ALPHANUMERIC)}
    alpha = sorted(a for a in pool if sender_type(a) is SenderType.ALPHANUMERIC)
    if not is_service(party) and sender_type(party) not in (None, SenderType.ALPHANUMERIC):
        ours.add(party)
    account_spec = result.account
    defaults = AccountSettings()
    changed = {k: v for k, v in asdict(settings).items() if k not in NOT_EXPORTED and getattr(defaults, k) != v}
    if changed:
        account_spec["settings"] = changed
    numbers = sorted(a for a in ours if sender_type(a) is not SenderType.SHORT_CODE)
    short_codes = sorted(a for a in ours if sender_type(a) is SenderType.SHORT_CODE)
    if numbers:
        account_spec["numbers"] = [{"phone_number": n} for n in numbers]
    if short_codes:
        account_spec["short_codes"] = [{"short_code": s} for s in short_codes]
    if is_service(party):
        spec: dict[str, Any] = {"sid": party}
        if numbers:
            spec["phone_numbers"] = numbers
        if short_codes:
            spec["short_codes"] = short_codes
        if alpha:
            spec["alpha_senders"] = alpha
        if service is not None and service.advanced_opt_out.enabled:
            config = asdict(service.advanced_opt_out)
            spec["advanced_opt_out"] = {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()
                                        if v not in (None, ())}
        account_spec["messaging_services"] = [spec]
    # Records the conversation did not write (an import, the operator, another conversation).
    involved = {record_key(r): r for r in records if _concerns(r, party, ours)}
    involved.update({record_key(i.refusal.opt_out): i.refusal.opt_out for i in thread.items
                     if i.refusal is not None and i.refusal.opt_out is not None})
    imported = []
    for record in involved.values():
        if record.message_sid in messages:
            continue
        written_before = not thread.items or record.created_at <= _time(thread.items[0])
        if written_before:
            imported.append({k: v for k, v in (("sender", record.sender),
                                               ("messaging_service_sid", record.messaging_service_sid),
                                               ("recipient", record.recipient)) if v is not None})
        else:
            result.notes.append(f"the {record.source} record of {record.recipient} for "
                                f"{record.sender or record.messaging_service_sid} was written during the "
                                "conversation by something it does not show: it is not replayed")
    if imported:
        account_spec["opt_outs"] = imported
    now = [r for r in records if _concerns(r, party, ours)]
    final = sorted(({k: v for k, v in (("sender", r.sender), ("messaging_service_sid", r.messaging_service_sid),
                                       ("recipient", r.recipient)) if v is not None} for r in now), key=str)
    result.steps.append(Step("check", {}, {"opt_outs": final}))
    return result


def _concerns(record: OptOutRecord, party: str, ours: set[str]) -> bool:
    return record.messaging_service_sid == party if record.sender is None else record.sender in ours | {party}


def _time(item: Item) -> Any:
    value = item.message or item.refusal or item.auto_reply
    return value.date_created  # type: ignore[union-attr]  # an item holds one of the three


def _step(item: Item, thread: Thread) -> Step | None:
    if item.refusal is not None:
        r = item.refusal
        args = _send_args(r.from_, r.messaging_service_sid, r.to, r.body, ())
        return Step("send", args, {"http_status": r.status, "error_code": r.error_code})
    message = item.message
    if message is None or item.auto_reply is not None or message.status in SKIPPED:
        return None  # an auto-reply is the expectation of the inbound step before it
    if message.direction is Direction.INBOUND:
        args = {"from": message.from_, "to": message.to, "body": message.body}
        if message.channel != "sms":
            args["channel"] = message.channel
        reply = _reply_to(item, thread)
        if reply is None:
            return Step("inbound", args, {"http_status": 201, "no_auto_reply": True})
        return Step("inbound", args, {"opt_out_type": reply.opt_out_type, "auto_reply": reply.body})
    service = message.messaging_service_sid if message.from_ is None or is_service(thread.party) else None
    args = _send_args(None if service else message.from_, service, message.to, message.body, message.media_urls)
    expect: dict[str, Any] = {"http_status": 201}
    if message.error_code == 21610:
        expect.update(final_status="failed", final_error_code=21610)
    elif message.status is Status.DELIVERED:
        expect["final_status"] = "delivered"
    return Step("send", args, expect)


def _send_args(from_: str | None, service: str | None, to: str, body: str, media: tuple[str, ...]) -> dict:
    args: dict[str, Any] = {"to": to, "body": body}
    if service:
        args["service"] = service
    elif from_:
        args["from"] = from_
    if media:
        args["media"] = list(media)
    return args


def _reply_to(item: Item, thread: Thread) -> Any:
    """The auto-reply an inbound message got: the next item, when it is one."""
    later = [i for i in thread.items if i.seq > item.seq]
    return later[0].auto_reply if later and later[0].auto_reply is not None else None


# -- TOML -------------------------------------------------------------------------------------------
def to_toml(s: Script) -> str:
    lines = [f"description = {_toml(s.description)}", ""]
    lines += [f"# Not exported: {note}" for note in s.notes]
    lines.append("[account]")
    lines += [f"{key} = {_toml(value)}" for key, value in s.account.items()]
    for step in s.steps:
        lines += ["", "[[steps]]", f"{step.action} = {_toml(step.args)}"]
        if step.expect:
            lines.append(f"expect = {_toml(step.expect)}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, except that TOML wants DEL escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _key(name: str) -> str:
    return name if name.replace("_", "").isalnum() and name.isascii() else _toml(name)


# -- pytest ---------------------------------------------------------------------------------------
def to_pytest(s: Script, name: str = "test_conversation") -> str:
    """A test for the pytest plugin: `twilio_emulator` (the control API, reset) and `twilio_client`
    (the official SDK with an account of its own)."""
    body = [line for step in s.steps for line in ["", *_py_step(step)]]
    refusals = any("pytest.raises" in line for line in body)  # import only what the test uses
    out = [
        _py(f"{s.description}."),  # the module docstring, as a literal: the description quotes the URL
        "",
        *(["import pytest", "from twilio.base.exceptions import TwilioRestException", ""] if refusals else []),
        f"ACCOUNT = {_py(s.account)}",
        "",
        "",
        f"def {name}(twilio_emulator, twilio_client, twilio_account):",
        "    sid, token = twilio_account",
        '    twilio_emulator.load_fixtures({"accounts": [{**ACCOUNT, "sid": sid, "auth_token": token}]})',
    ]
    out += [f"    # Not exported: {note}" for note in s.notes]
    out += [f"    {line}" if line else "" for line in body]
    return "\n".join(out) + "\n"


def _py_step(step: Step) -> list[str]:
    a, e = step.args, step.expect
    if step.action == "inbound":
        lines = [f"received = twilio_emulator.inbound({_py(a['from'])}, {_py(a['to'])}, {_py(a['body'])}"
                 + (f", channel={_py(a['channel'])})" if "channel" in a else ")")]
        replies = "[r['body'] for r in received['auto_replies']]"
        if e.get("no_auto_reply"):
            lines.append(f"assert {replies} == []")
        else:
            lines.append(f"assert received['opt_out_type'] == {_py(e['opt_out_type'])}")
            lines.append(f"assert {replies} == [{_py(e['auto_reply'])}]")
        return lines
    if step.action == "check":
        return [
            "records = twilio_emulator.opt_outs(sid)",
            "assert sorted(({k: r[k] for k in ('sender', 'messaging_service_sid', 'recipient') if r[k]} "
            "for r in records), key=str) == " + _py(e["opt_outs"]),
        ]
    kwargs = [f"to={_py(a['to'])}", f"body={_py(a['body'])}"]
    if "from" in a:
        kwargs.append(f"from_={_py(a['from'])}")
    if "service" in a:
        kwargs.append(f"messaging_service_sid={_py(a['service'])}")
    if "media" in a:
        kwargs.append(f"media_url={_py(a['media'])}")
    create = f"twilio_client.messages.create({', '.join(kwargs)})"
    if e.get("http_status", 201) >= 400:
        return [
            "with pytest.raises(TwilioRestException) as refused:",
            f"    {create}",
            f"assert refused.value.code == {e['error_code']}",
        ]
    lines = [f"message = {create}"]
    if "final_status" in e:
        lines += [
            "twilio_emulator.wait_for_webhooks()",
            "fetched = twilio_client.messages(message.sid).fetch()",
            f"assert fetched.status == {_py(e['final_status'])}",
        ]
        if "final_error_code" in e:
            lines.append(f"assert fetched.error_code == {e['final_error_code']}")
    return lines


def _py(value: Any) -> str:
    return repr(value)
