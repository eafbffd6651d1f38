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


# -- the control API and a browser ---------------------------------------------------------------------
HANDSET, NUMBER = "+15551230001", "+15557650001"
EVIL = "http://evil.example"


def _send(url: str) -> None:
    sent = requests.post(url + MESSAGES.format(A), auth=(A, "t"), data={"To": HANDSET, "From": NUMBER, "Body": "hi"},
                         timeout=5)
    assert sent.status_code == 201


def _refused(response: requests.Response, words: str) -> None:
    assert response.status_code == 403, response.text
    assert words in response.json()["error"]


def test_cross_site_forms_cannot_opt_a_handset_out_or_wipe_a_sandbox(serve, tmp_path):
    url = serve("--db", str(tmp_path / "sandbox.db")).url
    _send(url)
    stop = f"From={HANDSET.replace('+', '%2B')}&To={NUMBER.replace('+', '%2B')}&Body=STOP"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # What a page's <form> sends, with Origin (every current browser) and without (older ones).
    _refused(requests.post(f"{url}/_emulator/inbound", data=stop, headers={**form, "Origin": EVIL}, timeout=5),
             "evil.example")
    _refused(requests.post(f"{url}/_emulator/inbound", data=stop, headers=form, timeout=5), "send JSON")
    _refused(requests.post(f"{url}/_emulator/inbound", data=stop, headers={"Content-Type": "text/plain"}, timeout=5),
             "send JSON")
    _refused(requests.post(f"{url}/_emulator/inbound", data=b'{"Body": "STOP"}', timeout=5), "must be JSON")
    _refused(requests.post(f"{url}/_emulator/reset", headers={**form, "Origin": EVIL}, timeout=5), "evil.example")
    _refused(requests.post(f"{url}/_emulator/reset", headers=form, timeout=5), "send JSON")
    _refused(requests.post(f"{url}/_emulator/reset", headers={"Origin": "null"}, timeout=5), "null")
    _refused(requests.get(f"{url}/_emulator/messages", headers={"Origin": EVIL}, timeout=5), "evil.example")
    assert requests.get(f"{url}/_emulator/opt-outs", timeout=5).json()["opt_outs"] == []
    assert len(requests.get(f"{url}/_emulator/messages", timeout=5).json()["messages"]) == 1
    # The emulator's own pages (same origin) and clients that send JSON are served.
    own = requests.post(f"{url}/_emulator/inbound", json={"From": HANDSET, "To": NUMBER, "Body": "STOP"},
                        headers={"Origin": url}, timeout=5)
    assert own.status_code == 201 and own.json()["opt_out_type"] == "STOP"
    assert requests.post(f"{url}/_emulator/reset", timeout=5).status_code == 204
    # Twilio paths keep accepting forms from anyone with the credentials, as Twilio does.
    _send(url)


def test_a_foreign_host_is_refused_unless_allowed(serve):
    url = serve("--allow-host", "twilio-emulator").url
    port = url.rsplit(":", 1)[1]

    def get(host: str) -> requests.Response:
        return requests.get(f"{url}/_emulator/messages", headers={"Host": host}, timeout=5)

    _refused(get(f"evil.example:{port}"), "--allow-host evil.example")
    _refused(get("rebind.attacker.test"), "not one of the emulator's names")
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", f"[::1]:{port}", f"10.0.0.7:{port}",
                 f"app.localhost:{port}", f"twilio-emulator:{port}"):
        assert get(host).status_code == 200, host
    # A Twilio path is served under any name (the proxy and the TLS port use Twilio's own).
    listed = requests.get(url + MESSAGES.format(A), auth=(A, "t"), headers={"Host": "api.twilio.com"}, timeout=5)
    assert listed.status_code == 200


def test_the_control_token_guards_every_control_request_but_health(serve, tmp_path, monkeypatch):
    token = "s3cret-token"
    url = serve("--control-token", token).url
    _send(url)
    missing = requests.get(f"{url}/_emulator/messages", timeout=5)
    assert missing.status_code == 401 and "--control-token" in missing.json()["error"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.post(f"{url}/_emulator/reset", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    assert requests.post(f"{url}/_emulator/reset", auth=(A, "t"), timeout=5).status_code == 401
    assert requests.get(f"{url}/_emulator/health", timeout=5).status_code == 200
    bearer = {"Authorization": f"Bearer {token}"}
    assert len(requests.get(f"{url}/_emulator/messages", headers=bearer, timeout=5).json()["messages"]) == 1
    # EventSource cannot set headers: a GET may carry it as ?token=, a state change may not.
    assert requests.get(f"{url}/_emulator/messages", params={"token": token}, timeout=5).status_code == 200
    assert requests.post(f"{url}/_emulator/reset", params={"token": token}, timeout=5).status_code == 401
    # Twilio paths need the account's credentials, not the control token.
    _send(url)

    from emulator.testing import ControlClient, EmulatorError

    assert len(ControlClient(url, token=token).messages()) == 2
    with pytest.raises(EmulatorError) as refused:
        ControlClient(url, token="").messages()
    assert refused.value.status == 401
    monkeypatch.setenv("TWILIO_EMULATOR_CONTROL_TOKEN", token)
    assert len(ControlClient(url).messages()) == 2


def test_with_a_token_the_sandbox_pages_shells_load_but_their_data_needs_it(serve):
    """A browser must load the page before it can ask for the token: the shells hold no data."""
    url = serve("--control-token", "s3cret").url
    _send(url)
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/", "/_emulator", "/_emulator/", "/_emulator/ui/opt-outs", "/_emulator/ui/static/sandbox.js"):
        shell = requests.get(url + path, headers=html, timeout=5)
        assert shell.status_code == 200 and A not in shell.text, path
    # The data: parts (HTML), the JSON index, the event stream and the rest of the control API.
    for path, headers in (("/_emulator/parts/conversations", html), ("/_emulator/parts/controls", html),
                          ("/_emulator/", {}), ("/_emulator/events", {}), ("/_emulator/conversations", {})):
        assert requests.get(url + path, headers=headers, timeout=5).status_code == 401, path
    controls = requests.get(f"{url}/_emulator/parts/controls", headers={**html, "Authorization": "Bearer s3cret"},
                            timeout=5)
    assert controls.status_code == 200 and A in controls.text
    # Only reads are open: a state change under /_emulator/ui is refused like any other.
    assert requests.post(f"{url}/_emulator/ui/opt-outs", json={}, timeout=5).status_code == 401


TOKEN = "t0ken-for-clients"
SCENARIO = "fixtures/scenarios/long_code_stop_blocks_sends.toml"


@pytest.fixture
def guarded(tmp_path):
    from emulator.testing import EmulatorServer

    with EmulatorServer(Settings(control_token=TOKEN, proxy=True, ca_dir=str(tmp_path / "ca"))) as server:
        yield server


def test_the_cli_env_and_scenario_runner_send_the_token(guarded, capsys, monkeypatch, tmp_path):
    from emulator.cli import main

    monkeypatch.delenv("TWILIO_EMULATOR_CONTROL_TOKEN", raising=False)
    url = guarded.url
    assert main(["opt-outs", "--url", url]) == 1
    assert "--control-token" in capsys.readouterr().err
    _send(url)
    assert main(["inbound", "--url", url, "--control-token", TOKEN, "--from", HANDSET, "--to", NUMBER, "hi"]) == 0
    assert main(["reset", "--url", url, "--control-token", TOKEN]) == 0
    assert main(["env", "--sdk", "python", "--url", url, "--files-dir", str(tmp_path / "f")]) == 1
    assert "--control-token" in capsys.readouterr().err
    assert main(["scenarios", SCENARIO, "--url", url]) == 1
    capsys.readouterr()
    monkeypatch.setenv("TWILIO_EMULATOR_CONTROL_TOKEN", TOKEN)  # what a shell that started serve has
    assert main(["messages", "--url", url, "--json"]) == 0
    assert main(["env", "--sdk", "python", "--url", url, "--files-dir", str(tmp_path / "f")]) == 0
    assert "HTTPS_PROXY=" in capsys.readouterr().out
    assert main(["scenarios", SCENARIO, "--url", url]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out


def test_the_pytest_plugin_sends_the_token_to_an_external_emulator(guarded, pytester):
    pytester.makepyfile(test_user="""
        def test_uses_it(twilio_emulator, twilio_client):
            twilio_client.messages.create(to="+15551230001", from_="+15557650001", body="hi")
            assert [m["body"] for m in twilio_emulator.messages()] == ["hi"]
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--twilio-emulator-url={guarded.url}",
                                           f"--twilio-emulator-control-token={TOKEN}")
    result.assert_outcomes(passed=1)  # its control calls carried the token, the reset of its account after it too
    assert guarded.control.messages() == []  # that account is gone (the server's own client has the token too)


def test_account_settings_do_not_echo_the_auth_token_unless_asked():
    from emulator.testing import EmulatorServer

    with EmulatorServer() as server:
        url = f"{server.url}/_emulator/accounts/{A}/settings"
        quiet = requests.put(url, json={"auth_token": "hunter2", "stop_filtering": False}, timeout=5).json()
        assert "auth_token" not in quiet and quiet["auth_token_set"] is True and quiet["stop_filtering"] is False
        assert "hunter2" not in json.dumps(server.control.settings(A, lenient_punctuation=True))
        shown = requests.put(url, params={"RevealAuthToken": "true"}, json={}, timeout=5).json()
        assert shown["auth_token"] == "hunter2"
        assert requests.get(server.url + MESSAGES.format(A), auth=(A, "hunter2"), timeout=5).status_code == 200
