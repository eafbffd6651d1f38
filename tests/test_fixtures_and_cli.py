"""Unit tests of fixture loading (emulator.domain.fixtures), Settings.from_env and the command line.

Expected behaviour comes from the README: "Fixture files" (a bad file is refused with the file, the
position such as accounts[0].numbers[1], and the reason), "Configuration" (options and environment)
and the CLI's `serve`/`healthcheck` commands.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import cli
from emulator.domain.emulator import Emulator
from emulator.domain.fixtures import FixtureError
from emulator.domain.phone import SenderType
from emulator.errors import AuthenticationFailed, InvalidInput, UnsubscribedRecipient
from emulator.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "fixtures" / "example.json"

ACCOUNT = "AC00000000000000000000000000000001"
SERVICE = "MG00000000000000000000000000000001"
LONG = "+15557650001"
TOLL_FREE = "+18005550100"
SHORT = "55555"
ALPHA = "ACME"
OPTED_OUT_FROM_NUMBER = "+15551230001"
OPTED_OUT_FROM_SERVICE = "+15551230002"
NEW_HANDSET = "+15551230003"


@pytest.fixture
def emu() -> Emulator:
    return Emulator(Settings(fixtures=str(EXAMPLE))).start()


def record_keys(emu: Emulator) -> set[tuple]:
    return {(r.account_sid, r.sender, r.messaging_service_sid, r.recipient) for r in emu.optouts.list_()}


FIXTURE_RECORDS = {
    (ACCOUNT, LONG, None, OPTED_OUT_FROM_NUMBER),
    (ACCOUNT, None, SERVICE, OPTED_OUT_FROM_SERVICE),
}


# ================================================================================================
# The shipped example
# ================================================================================================


def test_example_declares_the_account_with_its_token_and_settings(emu):
    account = emu.accounts.get(ACCOUNT)
    assert account is not None
    assert account.settings.auth_token == "secret"
    assert account.settings.messaging_service_opt_out == "async"
    assert list(emu.state.accounts) == [ACCOUNT]


def test_example_declares_an_api_key_that_works_with_its_secret_only(emu):
    key = "SK00000000000000000000000000000001"
    assert emu.accounts.authenticate(key, "key-secret", ACCOUNT).sid == ACCOUNT
    with pytest.raises(AuthenticationFailed):
        emu.accounts.authenticate(key, "secret", ACCOUNT)


def test_example_account_authenticates_with_its_token_only(emu):
    assert emu.accounts.authenticate(ACCOUNT, "secret").sid == ACCOUNT
    with pytest.raises(AuthenticationFailed) as info:
        emu.accounts.authenticate(ACCOUNT, "wrong")
    assert info.value.code == 20003


def test_example_declares_the_senders(emu):
    long_code = emu.numbers.owner_of(LONG)
    toll_free = emu.numbers.owner_of(TOLL_FREE)
    short = emu.numbers.owner_of(SHORT)
    assert long_code is not None and toll_free is not None and short is not None
    assert {s.account_sid for s in (long_code, toll_free, short)} == {ACCOUNT}
    assert long_code.type is SenderType.LONG_CODE
    assert long_code.friendly_name == "Main line"
    assert long_code.sid.startswith("PN")
    assert toll_free.type is SenderType.TOLL_FREE
    assert toll_free.sid.startswith("PN")
    assert short.type is SenderType.SHORT_CODE
    assert short.sid.startswith("SC")
    account = emu.accounts.get(ACCOUNT)
    assert {s.address for s in account.senders.values() if s.type is not SenderType.ALPHANUMERIC} == {
        LONG, TOLL_FREE, SHORT}


def test_example_declares_the_service_and_its_pool(emu):
    account = emu.accounts.get(ACCOUNT)
    assert list(account.services) == [SERVICE]
    service = account.services[SERVICE]
    assert service.friendly_name == "Alerts"
    pool = {account.senders[sid].address for sid in service.sender_sids}
    assert pool == {LONG, SHORT, ALPHA}
    assert emu.numbers.owner_of(LONG).service_sid == SERVICE
    assert emu.numbers.owner_of(SHORT).service_sid == SERVICE
    assert account.alpha_senders[ALPHA].service_sid == SERVICE
    assert account.alpha_senders[ALPHA].type is SenderType.ALPHANUMERIC
    assert emu.numbers.owner_of(TOLL_FREE).service_sid is None


def test_example_declares_advanced_opt_out(emu):
    aoo = emu.accounts.get(ACCOUNT).services[SERVICE].advanced_opt_out
    assert aoo.enabled is True
    assert "ARRET" in aoo.opt_out_keywords


def test_example_advanced_opt_out_is_in_effect(emu):
    # ARRET is an opt-out word on the service's numbers (long code and short code) ...
    received = emu.inbound.receive(from_=NEW_HANDSET, to=LONG, body="arret")
    assert received.outcome.opt_out_type is not None and received.outcome.opt_out_type.value == "STOP"
    assert emu.optouts.blocking_record(ACCOUNT, NEW_HANDSET, sender=LONG) is not None
    received = emu.inbound.receive(from_=NEW_HANDSET, to=SHORT, body="ARRET")
    assert received.outcome.opt_out_type.value == "STOP"
    # ... but not on the toll-free number, which is in no service.
    received = emu.inbound.receive(from_=NEW_HANDSET, to=TOLL_FREE, body="ARRET")
    assert received.outcome.opt_out_type is None


def test_example_declares_the_two_opt_out_records(emu):
    assert record_keys(emu) == FIXTURE_RECORDS
    # The sender record blocks sends From the number; the service record does not.
    assert emu.optouts.blocking_record(ACCOUNT, OPTED_OUT_FROM_NUMBER, sender=LONG) is not None
    assert emu.optouts.blocking_record(ACCOUNT, OPTED_OUT_FROM_SERVICE, sender=LONG) is None
    # The service record blocks sends by MessagingServiceSid.
    record = emu.optouts.blocking_record(ACCOUNT, OPTED_OUT_FROM_SERVICE, sender=SHORT, service_sid=SERVICE)
    assert record is not None and record.messaging_service_sid == SERVICE
    assert emu.optouts.blocking_record(ACCOUNT, NEW_HANDSET, sender=LONG, service_sid=SERVICE) is None


def test_example_opt_out_blocks_a_send_from_the_number(emu):
    from emulator.domain.messages import CreateMessage

    account = emu.accounts.get(ACCOUNT)
    with pytest.raises(UnsubscribedRecipient) as info:
        emu.messages.create(account, CreateMessage(to=OPTED_OUT_FROM_NUMBER, from_=LONG, body="hi"))
    assert info.value.code == 21610
    assert emu.messages.create(account, CreateMessage(to=NEW_HANDSET, from_=LONG, body="hi")).sid.startswith("SM")


def test_declared_accounts_and_fixtures_load_together():
    other = "AC" + "f" * 32
    emu = Emulator(Settings(accounts=((other, "tok"),), fixtures=str(EXAMPLE))).start()
    assert set(emu.state.accounts) == {other, ACCOUNT}
    assert emu.accounts.get(other).settings.auth_token == "tok"


def test_reset_restores_the_fixtures_after_changes(emu):
    account = emu.accounts.get(ACCOUNT)
    # Opt-out changes: a new STOP (two records), a START lifting a fixture record.
    emu.inbound.receive(from_=NEW_HANDSET, to=LONG, body="STOP")
    emu.inbound.receive(from_=OPTED_OUT_FROM_NUMBER, to=LONG, body="START")
    assert record_keys(emu) != FIXTURE_RECORDS
    # Other changes: a new number, new settings, a new service, new Advanced Opt-Out, a new account.
    emu.numbers.provision(account, "+15557650099")
    emu.accounts.update_settings(ACCOUNT, {"lenient_punctuation": True, "auth_token": "changed",
                                           "messaging_service_opt_out": "sync"})
    emu.services.create(account, friendly_name="Extra")
    emu.services.set_advanced_opt_out(SERVICE, {"opt_out_keywords": ["HALT"], "opt_out_reply": "bye"})
    emu.accounts.declare("AC" + "e" * 32, "x")

    emu.reset()

    account = emu.accounts.get(ACCOUNT)
    assert list(emu.state.accounts) == [ACCOUNT]
    assert record_keys(emu) == FIXTURE_RECORDS
    assert emu.numbers.owner_of("+15557650099") is None
    assert emu.numbers.owner_of(LONG) is not None and emu.numbers.owner_of(LONG).service_sid == SERVICE
    assert account.settings.auth_token == "secret"
    assert account.settings.lenient_punctuation is False
    assert account.settings.messaging_service_opt_out == "async"
    assert list(account.services) == [SERVICE]
    aoo = account.services[SERVICE].advanced_opt_out
    assert aoo.enabled is True and aoo.opt_out_keywords == ("ARRET",) and aoo.opt_out_reply is None
    assert len(account.messages) == 0
    assert account.auto_replies == {}


def test_reset_twice_is_stable(emu):
    emu.reset()
    emu.reset()
    assert record_keys(emu) == FIXTURE_RECORDS
    assert emu.numbers.owner_of(LONG).account_sid == ACCOUNT


# ================================================================================================
# Invalid fixture files
# ================================================================================================

GOOD_ACCOUNT = {"sid": ACCOUNT, "auth_token": "secret"}


def account_with(**extra) -> dict:
    return {"accounts": [{**GOOD_ACCOUNT, **extra}]}


# (name, file content, position, words the reason must contain)
BAD_FIXTURES = [
    ("unknown_account_key", account_with(numbrs=[]), "accounts[0]", ["numbrs"]),
    ("unknown_number_key",
     account_with(numbers=[{"phone_number": LONG, "smsurl": "http://x"}]), "accounts[0].numbers[0]", ["smsurl"]),
    ("unknown_top_level_key", {"accounts": [], "acounts": []}, None, ["acounts"]),
    ("bad_account_sid", {"accounts": [{"sid": "ACnot-a-sid", "auth_token": "x"}]}, "accounts[0]", ["ACnot-a-sid"]),
    ("bad_account_sid_second", {"accounts": [GOOD_ACCOUNT, {"sid": "AC123"}]}, "accounts[1]", ["AC123"]),
    ("bad_phone_number", account_with(numbers=[{"phone_number": "+1555"}]), "accounts[0].numbers[0]", ["+1555"]),
    ("bad_phone_number_second",
     account_with(numbers=[{"phone_number": LONG}, {"phone_number": "hello"}]), "accounts[0].numbers[1]", ["hello"]),
    ("short_code_as_number", account_with(numbers=[{"phone_number": "55555"}]), "accounts[0].numbers[0]", ["55555"]),
    ("bad_short_code", account_with(short_codes=[{"short_code": "12"}]), "accounts[0].short_codes[0]", ["12"]),
    ("pool_number_not_owned",
     account_with(messaging_services=[{"friendly_name": "S", "phone_numbers": ["+15557650042"]}]),
     "accounts[0].messaging_services[0].phone_numbers[0]", ["+15557650042"]),
    ("pool_short_code_not_owned",
     account_with(short_codes=[{"short_code": "55555"}],
                  messaging_services=[{"friendly_name": "S", "short_codes": ["66666"]}]),
     "accounts[0].messaging_services[0].short_codes[0]", ["66666"]),
    ("pool_number_of_another_account",
     {"accounts": [{**GOOD_ACCOUNT, "numbers": [{"phone_number": LONG}]},
                   {"sid": "AC" + "0" * 31 + "2", "messaging_services": [{"phone_numbers": [LONG]}]}]},
     "accounts[1].messaging_services[0].phone_numbers[0]", [LONG]),
    ("opt_out_with_sender_and_service",
     account_with(numbers=[{"phone_number": LONG}],
                  opt_outs=[{"sender": LONG, "messaging_service_sid": SERVICE, "recipient": "+15551230001"}]),
     "accounts[0].opt_outs[0]", ["sender", "messaging_service_sid"]),
    ("opt_out_with_neither", account_with(opt_outs=[{"recipient": "+15551230001"}]),
     "accounts[0].opt_outs[0]", ["sender", "messaging_service_sid"]),
    ("opt_out_unknown_key", account_with(opt_outs=[{"sender": LONG, "to": "+15551230001"}]),
     "accounts[0].opt_outs[0]", ["to"]),
    ("opt_out_not_an_object",
     account_with(opt_outs=[{"sender": LONG, "recipient": "+15551230001"}, "STOP"]), "accounts[0].opt_outs[1]", []),
    ("bad_setting", account_with(settings={"stop_filtering": "no"}), "accounts[0]", ["stop_filtering"]),
    ("bad_api_key_sid", account_with(api_keys=[{"sid": "SK12", "secret": "s"}]), "accounts[0].api_keys[0]", ["SK12"]),
    ("api_key_without_secret", account_with(api_keys=[{"sid": "SK" + "1" * 32}]), "accounts[0].api_keys[0]",
     ["secret"]),
    ("bad_api_key_type", account_with(api_keys=[{"sid": "SK" + "1" * 32, "secret": "s", "type": "admin"}]),
     "accounts[0].api_keys[0]", ["main", "standard"]),
    ("api_key_unknown_field", account_with(api_keys=[{"sid": "SK" + "1" * 32, "secret": "s", "scope": "x"}]),
     "accounts[0].api_keys[0]", ["scope"]),
    ("bad_advanced_opt_out",
     account_with(messaging_services=[{"friendly_name": "S", "advanced_opt_out": {"enabled": "yes"}}]),
     "accounts[0].messaging_services[0]", ["enabled"]),
]


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "content", "position", "reason"), BAD_FIXTURES, ids=[c[0] for c in BAD_FIXTURES])
def test_bad_fixture_is_refused_with_path_position_and_reason(tmp_path, name, content, position, reason):
    path = write(tmp_path, name, content)
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    message = str(info.value)
    assert str(path) in message
    if position is not None:
        assert position in message
    for word in reason:
        assert word in message
    assert isinstance(info.value, InvalidInput)  # what the CLI reports as a one-line error


POSITIONED = [c for c in BAD_FIXTURES if c[2] is not None]


@pytest.mark.parametrize(("name", "content", "position", "reason"), POSITIONED, ids=[c[0] for c in POSITIONED])
def test_bad_fixture_position_is_the_documented_path(tmp_path, name, content, position, reason):
    path = write(tmp_path, name, content)
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    # README: "the position (`accounts[0].numbers[1]`)": the path starts at the top-level key.
    assert re.search(rf"(?<![\w.\]]){re.escape(position)}(?![\w\[])", str(info.value)), str(info.value)


@pytest.mark.parametrize("text", ["{accounts: []}", "", "{\"accounts\": [", "not json at all", "\ufeff{]"])
def test_not_json_is_refused_with_path_and_reason(tmp_path, text):
    path = write(tmp_path, "broken", text)
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    message = str(info.value)
    assert str(path) in message
    assert "JSON" in message
    assert re.search(r"line \d+ column \d+", message)  # the position inside the file


def test_invalid_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"accounts": [{"sid": "\xe9"}]}')
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    assert str(path) in str(info.value)


def test_missing_file_is_refused_with_its_path(tmp_path):
    path = tmp_path / "nowhere.json"
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [[], "[]", {"accounts": {}}, {"accounts": [[]]}, {"accounts": ["AC1"]}])
def test_wrong_shapes_are_refused(tmp_path, content):
    path = write(tmp_path, "shape", content)
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    assert str(path) in str(info.value)


BAD_OPT_OUT_RECORDS = [
    ("no_recipient", {"sender": LONG}),
    ("recipient_not_e164", {"sender": LONG, "recipient": "hello"}),
    ("recipient_not_a_string", {"sender": LONG, "recipient": 15551230001}),
    ("sender_not_an_address", {"sender": "not a sender!!", "recipient": "+15551230001"}),
    ("service_sid_malformed", {"messaging_service_sid": "XX123", "recipient": "+15551230001"}),
]


@pytest.mark.parametrize(("name", "record"), BAD_OPT_OUT_RECORDS, ids=[c[0] for c in BAD_OPT_OUT_RECORDS])
def test_bad_opt_out_record_values_are_refused(tmp_path, name, record):
    path = write(tmp_path, name, account_with(numbers=[{"phone_number": LONG}], opt_outs=[record]))
    with pytest.raises(FixtureError) as info:
        Emulator(Settings(fixtures=str(path))).start()
    assert str(path) in str(info.value)
    assert "opt_outs[0]" in str(info.value)


# ================================================================================================
# Settings.from_env
# ================================================================================================

SID1 = "AC" + "1" * 32
SID2 = "AC" + "a" * 32


def test_from_env_without_variables_gives_the_documented_defaults():
    s = Settings.from_env({})
    assert s.host == "127.0.0.1"
    assert s.port == 4010
    assert s.accounts == ()
    assert s.strict_accounts is False
    assert s.strict_senders is False
    assert s.fixtures is None
    assert s.log_level == "INFO"


def test_from_env_reads_every_variable():
    s = Settings.from_env({
        "TWILIO_EMULATOR_HOST": "0.0.0.0",
        "TWILIO_EMULATOR_PORT": "5000",
        "TWILIO_EMULATOR_ACCOUNTS": f"{SID1}:tok1,{SID2}:tok2",
        "TWILIO_EMULATOR_STRICT_ACCOUNTS": "true",
        "TWILIO_EMULATOR_STRICT_SENDERS": "1",
        "TWILIO_EMULATOR_FIXTURES": "/tmp/seed.json",
        "TWILIO_EMULATOR_LOG_LEVEL": "DEBUG",
    })
    assert s.host == "0.0.0.0"
    assert s.port == 5000
    assert s.accounts == ((SID1, "tok1"), (SID2, "tok2"))
    assert s.strict_accounts is True
    assert s.strict_senders is True
    assert s.fixtures == "/tmp/seed.json"
    assert s.log_level == "DEBUG"


@pytest.mark.parametrize("raw", ["0", "1", "4010", "65535"])
def test_from_env_port(raw):
    assert Settings.from_env({"TWILIO_EMULATOR_PORT": raw}).port == int(raw)


def test_from_env_accounts_tolerates_spaces_and_empty_items():
    s = Settings.from_env({"TWILIO_EMULATOR_ACCOUNTS": f" {SID1}:tok1 , ,{SID2}:tok:with:colons,"})
    assert s.accounts == ((SID1, "tok1"), (SID2, "tok:with:colons"))


def test_from_env_single_account():
    assert Settings.from_env({"TWILIO_EMULATOR_ACCOUNTS": f"{SID1}:t"}).accounts == ((SID1, "t"),)


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("TRUE", True), ("yes", True),
                                               ("on", True), ("0", False), ("false", False), ("no", False),
                                               ("off", False), ("", False)])
def test_from_env_strict_senders(raw, expected):
    assert Settings.from_env({"TWILIO_EMULATOR_STRICT_SENDERS": raw}).strict_senders is expected


def test_from_env_ignores_unrelated_variables():
    s = Settings.from_env({"PORT": "1", "TWILIO_EMULATOR": "x", "EMULATOR_PORT": "2"})
    assert s == Settings()


def test_from_env_overrides_win_and_none_overrides_are_ignored():
    env = {"TWILIO_EMULATOR_PORT": "5000", "TWILIO_EMULATOR_HOST": "0.0.0.0"}
    s = Settings.from_env(env, port=6000, host=None)
    assert s.port == 6000
    assert s.host == "0.0.0.0"


def test_from_env_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("TWILIO_EMULATOR_PORT", "4321")
    monkeypatch.setenv("TWILIO_EMULATOR_STRICT_SENDERS", "true")
    s = Settings.from_env()
    assert s.port == 4321 and s.strict_senders is True


@pytest.mark.parametrize(("env", "mention"), [
    ({"TWILIO_EMULATOR_PORT": "abc"}, "abc"),
    ({"TWILIO_EMULATOR_PORT": "70000"}, "70000"),
    ({"TWILIO_EMULATOR_PORT": "-1"}, "-1"),
    ({"TWILIO_EMULATOR_ACCOUNTS": "no-colon-here"}, "no-colon-here"),
    ({"TWILIO_EMULATOR_ACCOUNTS": "ACshort:tok"}, "ACshort"),
    ({"TWILIO_EMULATOR_ACCOUNTS": f"{SID1}:tok,XX{'1' * 32}:tok"}, f"XX{'1' * 32}"),
    ({"TWILIO_EMULATOR_ACCOUNTS": f"{SID1}:"}, SID1),
])
def test_from_env_validation_errors(env, mention):
    with pytest.raises(ValueError) as info:
        Settings.from_env(env)
    assert mention in str(info.value)


def test_settings_validation_in_code():
    with pytest.raises(ValueError):
        Settings(port=65536)
    with pytest.raises(ValueError):
        Settings(accounts=(("AC123", "tok"),))
    with pytest.raises(ValueError):
        Settings(accounts=((SID1, ""),))
    assert Settings(accounts=((SID1, "t"),)).accounts == ((SID1, "t"),)


# ================================================================================================
# Command line
# ================================================================================================


@pytest.fixture
def clean_env(monkeypatch):
    """No TWILIO_EMULATOR_* variables, and a server that can never start (a regression must not hang)."""
    for name in list(os.environ):
        if name.startswith("TWILIO_EMULATOR_"):
            monkeypatch.delenv(name)

    def no_server(*args, **kwargs):
        raise ServerStarted()

    import emulator.server

    monkeypatch.setattr(emulator.server, "EmulatorWSGIServer", no_server)


class ServerStarted(Exception):
    """Raised instead of starting a server (see clean_env)."""


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    ours = logging.getLogger("emulator").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("emulator").setLevel(ours)


def test_serve_with_a_bad_fixture_file_exits_2_with_the_reason(tmp_path, capsys, clean_env):
    path = write(tmp_path, "bad", account_with(numbers=[{"phone_number": "+1555"}]))
    assert cli.main(["serve", "--fixtures", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "accounts[0].numbers[0]" in err
    assert "+1555" in err


def test_serve_with_a_fixture_file_that_is_not_json_exits_2(tmp_path, capsys, clean_env):
    path = write(tmp_path, "broken", "{oops")
    assert cli.main(["serve", "--fixtures", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "JSON" in err


def test_serve_with_a_missing_fixture_file_exits_2(tmp_path, capsys, clean_env):
    path = tmp_path / "missing.json"
    assert cli.main(["serve", "--fixtures", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_serve_with_a_bad_fixture_file_from_the_environment_exits_2(tmp_path, capsys, clean_env, monkeypatch):
    path = write(tmp_path, "bad", {"accounts": [{"sid": "ACnope"}]})
    monkeypatch.setenv("TWILIO_EMULATOR_FIXTURES", str(path))
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "ACnope" in err


@pytest.mark.parametrize(("argv", "mention"), [
    (["serve", "--account", "no-colon"], "no-colon"),
    (["serve", "--account", "ACbad:tok"], "ACbad"),
    (["serve", "--port", "70000"], "70000"),
])
def test_serve_with_bad_options_exits_2_with_the_reason(capsys, clean_env, argv, mention):
    assert cli.main(argv) == 2
    assert mention in capsys.readouterr().err


def test_serve_with_bad_environment_exits_2(capsys, clean_env, monkeypatch):
    monkeypatch.setenv("TWILIO_EMULATOR_ACCOUNTS", "garbage")
    assert cli.main(["serve"]) == 2
    assert "garbage" in capsys.readouterr().err


def test_serve_with_an_unknown_log_level_in_the_environment_exits_2(capsys, clean_env, monkeypatch, restore_logging):
    monkeypatch.setenv("TWILIO_EMULATOR_LOG_LEVEL", "LOUD")
    assert cli.main(["serve"]) == 2
    assert "LOUD" in capsys.readouterr().err


def test_serve_with_a_lower_case_log_level_never_crashes(capsys, clean_env, monkeypatch, restore_logging):
    # Either accepted like DEBUG (the server starts) or refused with exit 2 and the reason; not a traceback.
    monkeypatch.setenv("TWILIO_EMULATOR_LOG_LEVEL", "debug")
    logging.getLogger().handlers[:] = []  # as in a fresh process (pytest's handlers make basicConfig a no-op)
    try:
        code = cli.main(["serve"])
    except ServerStarted:
        return
    assert code == 2
    assert "debug" in capsys.readouterr().err


def test_serve_is_the_default_command_also_with_options(tmp_path, capsys, clean_env):
    path = write(tmp_path, "bad", account_with(numbers=[{"phone_number": "+1555"}]))
    assert cli.main(["--fixtures", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "+1555" in err


def test_help_exits_0_and_names_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "serve" in out
    assert "healthcheck" in out


def test_serve_help_lists_the_documented_options(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--account", "--strict-accounts", "--strict-senders", "--fixtures",
                   "--log-level"):
        assert option in out


def test_bad_log_level_option_is_a_usage_error(capsys, clean_env):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--log-level", "LOUD"])
    assert info.value.code == 2


def test_healthcheck_against_a_closed_port_exits_1(capsys, dead_url):
    assert cli.main(["healthcheck", "--url", dead_url]) == 1
    assert dead_url in capsys.readouterr().err


def test_python_dash_m_emulator_help_exits_0():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_EMULATOR_")}
    result = subprocess.run([sys.executable, "-m", "emulator", "--help"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout
    assert "healthcheck" in result.stdout


def test_python_dash_m_emulator_bad_fixtures_exits_2(tmp_path):
    path = write(tmp_path, "bad", {"accounts": [{"sid": "ACnope"}]})
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_EMULATOR_")}
    result = subprocess.run([sys.executable, "-m", "emulator", "serve", "--fixtures", str(path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert str(path) in result.stderr and "ACnope" in result.stderr


def test_a_boolean_variable_that_is_neither_true_nor_false_is_refused():
    with pytest.raises(ValueError, match="TWILIO_EMULATOR_PROXY='maybe' is not true or false"):
        Settings.from_env({"TWILIO_EMULATOR_PROXY": "maybe"})
    assert Settings.from_env({"TWILIO_EMULATOR_PROXY": "off"}).proxy is False
