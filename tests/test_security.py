"""Security: only issued or declared API keys authenticate; the control API refuses what a web page
could send it (cross-site requests, a foreign Host); --control-token guards a shared sandbox."""

from __future__ import annotations

import json

import pytest
import requests

from emulator.settings import Settings

A, B = "AC" + "a1" * 16, "AC" + "b2" * 16
KEY, SECRET = "SK" + "c3" * 16, "declared-secret"
MESSAGES = "/2010-04-01/Accounts/{}/Messages.json"


def test_only_declared_keys_authenticate_under_strict_accounts(serve):
    served = serve("--strict-accounts", "--account", f"{A}:secret", "--account", f"{B}:other",
                   "--api-key", f"{KEY}:{SECRET}:{A}")
    url = served.url
    assert requests.get(url + MESSAGES.format(A), auth=(KEY, SECRET), timeout=5).status_code == 200
    service = requests.post(f"{url}/v1/Services", auth=(KEY, SECRET), data={"FriendlyName": "k"}, timeout=5)
    assert service.status_code == 201 and service.json()["account_sid"] == A
    made_up = ("SK" + "d4" * 16, "anything")
    for response in (
        requests.get(url + MESSAGES.format(A), auth=made_up, timeout=5),
        requests.post(f"{url}/v1/Services", auth=made_up, data={"FriendlyName": "x"}, timeout=5),
        requests.get(url + MESSAGES.format(A), auth=(KEY, "wrong"), timeout=5),
        requests.get(url + MESSAGES.format(B), auth=(KEY, SECRET), timeout=5),
        # A declared key is a standard key: it may not manage keys.
        requests.post(f"{url}/2010-04-01/Accounts/{A}/Keys.json", auth=(KEY, SECRET), timeout=5),
    ):
        assert (response.status_code, response.json()["code"]) == (401, 20003)
    reasons = [r["reason"] for r in requests.get(f"{url}/_emulator/requests", timeout=5).json()["requests"][-5:]]
    assert "never issued" in reasons[0] and "not the one of API key" in reasons[2]
    assert f"belongs to account {A}" in reasons[3] and "standard key" in reasons[4]
    # The account's own token still works, and lists only the service the key created.
    services = requests.get(f"{url}/v1/Services", auth=(A, "secret"), timeout=5).json()["services"]
    assert [s["sid"] for s in services] == [service.json()["sid"]]


def test_a_main_key_from_a_fixture_may_manage_keys(serve, tmp_path):
    fixture = tmp_path / "keys.json"
    fixture.write_text(json.dumps({"accounts": [{"sid": A, "auth_token": "secret", "api_keys": [
        {"sid": KEY, "secret": SECRET, "type": "main", "friendly_name": "ops"}]}]}))
    url = serve("--fixtures", str(fixture)).url
    created = requests.post(f"{url}/2010-04-01/Accounts/{A}/Keys.json", auth=(KEY, SECRET), timeout=5)
    assert created.status_code == 201
    listed = requests.get(f"{url}/2010-04-01/Accounts/{A}/Keys.json", auth=(A, "secret"), timeout=5).json()["keys"]
    assert [(k["sid"], k["friendly_name"]) for k in listed] == [(KEY, "ops"), (created.json()["sid"], "")]
    # A reset brings the declared key back and forgets the issued one.
    requests.post(f"{url}/_emulator/reset", timeout=5)
    listed = requests.get(f"{url}/2010-04-01/Accounts/{A}/Keys.json", auth=(A, "secret"), timeout=5).json()["keys"]
    assert [k["sid"] for k in listed] == [KEY]


def test_api_keys_from_the_environment():
    settings = Settings.from_env({"TWILIO_EMULATOR_API_KEYS": f"{KEY}:{SECRET}:{A},{KEY[:-1]}0:s:e:c:{B}"})
    assert settings.api_keys == ((KEY, SECRET, A), (KEY[:-1] + "0", "s:e:c", B))
    assert Settings.from_env(settings.to_env()).api_keys == settings.api_keys


def test_malformed_declared_keys_are_refused_with_the_reason():
    for raw, reason in ((f"{KEY}:{SECRET}", "expected SK…:SECRET:AC…"), (f"SK12:{SECRET}:{A}", "SK followed by 32"),
                        (f"{KEY}:{SECRET}:AC12", "is not an AccountSid")):
        with pytest.raises(ValueError, match=reason):
            Settings.from_env({"TWILIO_EMULATOR_API_KEYS": raw})
