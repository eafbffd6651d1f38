"""The control endpoints behind the sandbox page (README "The sandbox page"): conversations with
refused sends in place, the opt-out ledger and the operator's records, webhook replay, export to a
scenario and a pytest test that then pass, and / for browsers and API clients."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from twilio.base.exceptions import TwilioRestException

from emulator import scenarios
from emulator.testing import WebhookReceiver

NUMBER = "+15557650001"
OTHER = "+15557650002"
HANDSET = "+15551230001"
HANDSET2 = "+15551230002"
SERVICE = "MG" + "5" * 32
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this number. "
    "Reply START to resubscribe."
)


def load(http, base_url, account, **spec):
    response = http.post(f"{base_url}/_emulator/fixtures", json={"accounts": [{"sid": account[0], "auth_token": account[1], **spec}]})
    assert response.status_code == 204, response.text


def thread(http, base_url, account, party, handset, **params):
    path = "/".join(quote(p, safe="+") for p in (account[0], party, handset))
    response = http.get(f"{base_url}/_emulator/conversations/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def conversations(http, base_url, **params):
    response = http.get(f"{base_url}/_emulator/conversations", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def kinds(t):
    return [(i["kind"], (i["message"] or i["refusal"] or i["auto_reply"])["body"]) for i in t["items"]]


def test_a_thread_reads_like_the_phone_with_the_refused_send_in_place(client, control, http, base_url, account):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}])
    client.messages.create(to=HANDSET, from_=NUMBER, body="Your code is 1234")
    stop = control.inbound(HANDSET, NUMBER, "STOP")
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=HANDSET, from_=NUMBER, body="Come back!")
    assert refused.value.code == 21610

    t = thread(http, base_url, account, NUMBER, HANDSET)
    assert kinds(t) == [
        ("message", "Your code is 1234"),
        ("message", "STOP"),
        ("auto_reply", STOP_REPLY),
        ("refusal", "Come back!"),
    ]
    sent, _, _, refusal = t["items"]
    assert sent["message"]["status"] == "delivered" and sent["message"]["encoding"] == "GSM-7"
    assert refusal["refusal"]["error_code"] == 21610 and refusal["refusal"]["status"] == 400
    assert "opted out of +15557650001 (keyword" in refusal["refusal"]["reason"]
    # The refusal links to the STOP that wrote the record behind it.
    assert refusal["stop"]["message_sid"] == stop["message"]["sid"]
    assert t["opt_outs"][0]["message_sid"] == stop["message"]["sid"]
    assert [r["body"] for r in control_refusals(http, base_url, account)] == ["Come back!"]


def control_refusals(http, base_url, account):
    return http.get(f"{base_url}/_emulator/refusals", params={"AccountSid": account[0]}).json()["refusals"]


def test_conversations_list_most_recent_first_with_badges_paging_and_search(client, control, http, base_url, account):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}, {"phone_number": OTHER}])
    client.messages.create(to=HANDSET, from_=NUMBER, body="first")
    client.messages.create(to=HANDSET2, from_=NUMBER, body="second")
    client.messages.create(to=HANDSET, from_=OTHER, body="third, with a word: pineapple")
    control.inbound(HANDSET2, NUMBER, "STOP")  # the oldest conversation but one becomes the newest

    listed = conversations(http, base_url, AccountSid=account[0])
    order = [(c["party"], c["handset"]) for c in listed["conversations"]]
    assert order == [(NUMBER, HANDSET2), (OTHER, HANDSET), (NUMBER, HANDSET)]
    badges = {(c["party"], c["handset"]): [r["sender"] for r in c["opt_outs"]] for c in listed["conversations"]}
    assert badges == {(NUMBER, HANDSET2): [NUMBER], (OTHER, HANDSET): [], (NUMBER, HANDSET): []}
    assert listed["next_before"] is None

    # Keyset paging: each conversation once, in order, page after page.
    seen, before = [], None
    while True:
        params = {"AccountSid": account[0], "PageSize": 1, **({"Before": before} if before else {})}
        page = conversations(http, base_url, **params)
        seen += [(c["party"], c["handset"]) for c in page["conversations"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == order

    by_text = conversations(http, base_url, AccountSid=account[0], Q="PINEAPPLE")["conversations"]
    assert [(c["party"], c["handset"]) for c in by_text] == [(OTHER, HANDSET)]
    by_number = conversations(http, base_url, AccountSid=account[0], Q="(555) 123-0002")["conversations"]
    assert [(c["party"], c["handset"]) for c in by_number] == [(NUMBER, HANDSET2)]


def test_a_messaging_service_is_one_conversation_and_a_refusal_alone_makes_one(client, control, http, base_url, account):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}],
         messaging_services=[{"sid": SERVICE, "phone_numbers": [NUMBER]}],
         opt_outs=[{"sender": OTHER, "recipient": HANDSET2}])
    control.settings(account[0], messaging_service_opt_out="sync")
    client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="by the service")
    control.inbound(HANDSET, NUMBER, "hello back")
    with pytest.raises(TwilioRestException):
        client.messages.create(to=HANDSET2, from_=OTHER, body="never sent")

    listed = conversations(http, base_url, AccountSid=account[0])["conversations"]
    assert [(c["party"], c["handset"], c["party_kind"]) for c in listed] == [
        (OTHER, HANDSET2, "long_code"),
        (SERVICE, HANDSET, "messaging_service"),
    ]
    assert listed[0]["last"]["refusal"]["error_code"] == 21610 and listed[0]["messages"] == 0
    t = thread(http, base_url, account, SERVICE, HANDSET)
    assert kinds(t) == [("message", "by the service"), ("message", "hello back")]
    assert t["our_numbers"] == [NUMBER]


def test_a_thread_pages_back_with_before(client, http, base_url, account):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}])
    for i in range(5):
        client.messages.create(to=HANDSET, from_=NUMBER, body=f"m{i}")
    newest = thread(http, base_url, account, NUMBER, HANDSET, PageSize=2)
    assert [b for _, b in kinds(newest)] == ["m3", "m4"]
    older = thread(http, base_url, account, NUMBER, HANDSET, PageSize=2, Before=newest["older"])
    assert [b for _, b in kinds(older)] == ["m1", "m2"]
    oldest = thread(http, base_url, account, NUMBER, HANDSET, PageSize=2, Before=older["older"])
    assert [b for _, b in kinds(oldest)] == ["m0"] and oldest["older"] is None


def test_the_operator_adds_and_removes_records_through_the_engine(client, http, base_url, account):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}])
    spec = {"AccountSid": account[0], "Recipient": HANDSET, "Sender": NUMBER}
    added = http.post(f"{base_url}/_emulator/opt-outs", json=spec)
    assert added.status_code == 201 and added.json()["source"] == "sandbox"
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=HANDSET, from_=NUMBER, body="blocked")
    assert refused.value.code == 21610
    ledger = http.get(f"{base_url}/_emulator/opt-outs/ledger", params={"AccountSid": account[0]}).json()["opt_outs"]
    assert [(e["recipient"], e["source"], [r["body"] for r in e["refused"]]) for e in ledger] == [
        (HANDSET, "sandbox", ["blocked"])
    ]

    removed = http.delete(f"{base_url}/_emulator/opt-outs", json=spec)
    assert removed.status_code == 200 and removed.json()["sender"] == NUMBER
    assert client.messages.create(to=HANDSET, from_=NUMBER, body="welcome back").status == "queued"
    assert http.get(f"{base_url}/_emulator/opt-outs", params={"AccountSid": account[0]}).json()["opt_outs"] == []
    # Removing what is not there, or a bad description, is refused and changes nothing.
    assert http.delete(f"{base_url}/_emulator/opt-outs", json=spec).status_code == 404
    bad = http.post(f"{base_url}/_emulator/opt-outs", json={**spec, "MessagingServiceSid": SERVICE})
    assert bad.status_code == 400 and "exactly one" in bad.json()["error"]
    assert http.post(f"{base_url}/_emulator/opt-outs", json={**spec, "Recipient": "555"}).status_code == 400
    unknown = {**spec, "AccountSid": "AC" + "0" * 32}
    assert http.post(f"{base_url}/_emulator/opt-outs", json=unknown).status_code == 404
    assert http.get(f"{base_url}/_emulator/opt-outs", params={"AccountSid": account[0]}).json()["opt_outs"] == []


def test_a_webhook_delivery_is_replayed_as_a_new_delivery(control, http, base_url, account, hooks):
    hooks.respond("/sms", "<Response/>")
    load(http, base_url, account, numbers=[{"phone_number": NUMBER, "sms_url": hooks.url("/sms")}])
    control.inbound(HANDSET, NUMBER, "hi")
    control.wait_for_webhooks()
    (first,) = control.webhooks(account[0])
    replayed = http.post(f"{base_url}/_emulator/webhooks/{first['id']}/replay")
    assert replayed.status_code == 202
    control.wait_for_webhooks()
    original, replay = control.webhooks(account[0])
    assert original == first
    assert replay["replay_of"] == first["id"] and replay["params"] == first["params"]
    assert replay["headers"]["X-Twilio-Signature"] == first["headers"]["X-Twilio-Signature"]
    assert replay["headers"]["I-Twilio-Idempotency-Token"] != first["headers"]["I-Twilio-Idempotency-Token"]
    assert [r.form["Body"] for r in hooks.received("/sms")] == ["hi", "hi"]
    assert http.post(f"{base_url}/_emulator/webhooks/99999/replay").status_code == 404


def record_a_conversation(client, control, http, base_url, account):
    """A conversation with everything an export must carry: an imported record, a Messaging Service
    (sync opt-out checks), sends accepted and refused, STOP, HELP and START with their replies."""
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}],
         messaging_services=[{"sid": SERVICE, "phone_numbers": [NUMBER]}],
         settings={"messaging_service_opt_out": "sync"},
         opt_outs=[{"messaging_service_sid": SERVICE, "recipient": HANDSET2}])
    client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Welcome")
    control.inbound(HANDSET, NUMBER, "STOP")
    with pytest.raises(TwilioRestException):
        client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Sale ends soon")
    control.inbound(HANDSET, NUMBER, "HELP")
    control.inbound(HANDSET, NUMBER, "START")
    client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Welcome back ✨")
    control.inbound(HANDSET, NUMBER, "thanks")
    # The imported record's own conversation: a refusal only.
    with pytest.raises(TwilioRestException):
        client.messages.create(to=HANDSET2, messaging_service_sid=SERVICE, body="never")
    control.wait_for_webhooks()


def export(http, base_url, account, party, handset, kind):
    path = "/".join(quote(p, safe="+") for p in (account[0], party, handset))
    response = http.get(f"{base_url}/_emulator/conversations/{path}/export", params={"format": kind})
    assert response.status_code == 200, response.text
    return response


def test_an_exported_scenario_runs_green_in_the_harness(client, control, http, base_url, account, tmp_path):
    record_a_conversation(client, control, http, base_url, account)
    response = export(http, base_url, account, SERVICE, HANDSET, "toml")
    assert response.headers["Content-Type"].startswith("application/toml")
    text = response.text
    assert 'expect = { http_status = 400, error_code = 21610 }' in text
    assert 'inbound = { from = "+15551230001", to = "+15557650001", body = "STOP" }' in text
    path = tmp_path / "exported.toml"
    path.write_text(text, encoding="utf-8")
    # The refusal-only conversation carries its imported record in [account].
    other = tmp_path / "imported.toml"
    other.write_text(export(http, base_url, account, SERVICE, HANDSET2, "toml").text, encoding="utf-8")

    scenario = scenarios.load(path)
    assert [next(a for a in scenarios.ACTIONS if a in s) for s in scenario.steps] == [
        "send", "inbound", "send", "inbound", "inbound", "send", "inbound", "check"
    ]
    loaded = scenarios.load(other)
    assert loaded.account["opt_outs"] == [{"messaging_service_sid": SERVICE, "recipient": HANDSET2}]
    control.reset(account[0])  # the scenario's account will own these numbers: free them
    with WebhookReceiver() as receiver:  # each run uses an account of its own
        for exported in (scenario, loaded):
            result = scenarios.run(exported, base_url, receiver=receiver)
            assert result.passed, result.report()


def test_an_exported_scenario_fails_when_the_behaviour_changes(client, control, http, base_url, account, tmp_path):
    """The export asserts what happened: the same steps against other settings fail."""
    record_a_conversation(client, control, http, base_url, account)
    text = export(http, base_url, account, SERVICE, HANDSET, "toml").text
    path = tmp_path / "changed.toml"
    path.write_text(text.replace('messaging_service_opt_out = "sync"', 'messaging_service_opt_out = "async"'),
                    encoding="utf-8")
    control.reset(account[0])  # the scenario's account will own these numbers: free them
    result = scenarios.run(scenarios.load(path), base_url)
    assert not result.passed and "error_code = 21610" in result.report()


def test_an_exported_pytest_test_passes_with_the_plugin(client, control, http, base_url, account):
    """The exported module runs as pytest would run it: its test function called with the plugin's
    own fixtures (twilio_emulator is reset first, as the fixture does)."""
    record_a_conversation(client, control, http, base_url, account)
    source = export(http, base_url, account, SERVICE, HANDSET, "pytest").text
    module: dict = {}
    exec(compile(source, "test_exported.py", "exec"), module)
    tests = [name for name in module if name.startswith("test_")]
    assert tests == ["test_conversation"]
    control.reset()
    module["test_conversation"](twilio_emulator=control, twilio_client=client, twilio_account=account)
    assert [m["body"] for m in control.messages(account[0])][::-1] == [
        "Welcome", "STOP", "HELP", "START", "Welcome back ✨", "thanks"
    ]


def test_the_root_sends_browsers_to_the_sandbox_and_api_clients_get_the_index(base_url, http):
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    root = http.get(f"{base_url}/", headers=browser, allow_redirects=False)
    assert root.status_code == 302 and root.headers["Location"].endswith("/_emulator/")
    api = http.get(f"{base_url}/")
    assert api.status_code == 200 and api.json()["control_api"] == "/_emulator"
    page = http.get(f"{base_url}/_emulator/", headers=browser)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'data-part="/_emulator/parts/conversations"' in page.text
    index = http.get(f"{base_url}/_emulator/")
    assert index.json()["endpoints"]["GET /_emulator/events"]
    static = http.get(f"{base_url}/_emulator/ui/static/sandbox.js")
    assert static.status_code == 200 and "EventSource" in static.text


def test_the_thread_part_escapes_what_it_shows_and_links_only_web_media(client, control, http, base_url, account,
                                                                       messages_url):
    load(http, base_url, account, numbers=[{"phone_number": NUMBER}])
    client.messages.create(to=HANDSET, from_=NUMBER, body="<b>hi</b>", media_url=["https://example.com/cat.jpg"])
    control.inbound(HANDSET, NUMBER, "look", media_urls=["javascript:alert(1)"])  # handset input is not checked
    assert http.post(messages_url, data={"To": HANDSET, "Body": "no From"}).status_code == 400
    t = thread(http, base_url, account, NUMBER, HANDSET)
    assert [i["message"]["media_urls"] for i in t["items"]] == [["https://example.com/cat.jpg"], ["javascript:alert(1)"]]
    html = http.get(f"{base_url}/_emulator/parts/thread/{account[0]}/{NUMBER}/{HANDSET}").text
    assert "&lt;b&gt;hi&lt;/b&gt;" in html and "<b>hi</b>" not in html
    assert 'href="https://example.com/cat.jpg"' in html and 'href="javascript:' not in html
    # A create without From belongs to no conversation (it is in /refusals all the same).
    listed = conversations(http, base_url, AccountSid=account[0])["conversations"]
    assert [(c["party"], c["handset"]) for c in listed] == [(NUMBER, HANDSET)]
    assert [r["error_code"] for r in control_refusals(http, base_url, account)] == [21603]
