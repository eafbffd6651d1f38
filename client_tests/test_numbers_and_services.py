"""Black-box tests of IncomingPhoneNumbers, SMS/ShortCodes, Messaging Services and their sender pools, and
sends through a Messaging Service.

Expected values come from the README ("What is emulated", "Senders", "Lifecycle") and Twilio's
Message resource (www.twilio.com/docs/messaging/api/message-resource)."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from client_tests.spec import assert_error, assert_list_matches, assert_matches
from emulator.testing import twilio_client

NUMBER = "api.v2010.account.incoming_phone_number"
SHORT_CODE = "api.v2010.account.short_code"
MESSAGE = "api.v2010.account.message"
SERVICE = "messaging.v1.service"
PN_SID = re.compile(r"^PN[0-9a-f]{32}$")
SC_SID = re.compile(r"^SC[0-9a-f]{32}$")
MG_SID = re.compile(r"^MG[0-9a-f]{32}$")
TO = "+15551230001"
UK_TO = "+447700900123"
N1, N2, N3 = "+15557650001", "+15557650002", "+15557650003"
V1_META = {"key", "page", "page_size", "first_page_url", "next_page_url", "previous_page_url", "url"}




@pytest.fixture
def api(base_url, account) -> str:
    return f"{base_url}/2010-04-01/Accounts/{account[0]}"


@pytest.fixture
def v1(base_url) -> str:
    return f"{base_url}/v1"


def buy(http: requests.Session, api: str, number: str, **extra: str) -> dict:
    response = http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": number, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def new_service(http: requests.Session, v1: str, name: str = "Alerts") -> dict:
    response = http.post(f"{v1}/Services", data={"FriendlyName": name})
    assert response.status_code == 201, response.text
    return response.json()


def add_to_pool(http: requests.Session, v1: str, service_sid: str, pool: str, param: str, value: str) -> dict:
    response = http.post(f"{v1}/Services/{service_sid}/{pool}", data={param: value})
    assert response.status_code == 201, response.text
    return response.json()


def send(http: requests.Session, api: str, **data: str) -> requests.Response:
    return http.post(f"{api}/Messages.json", data={"Body": "hello", **data})


# -- IncomingPhoneNumbers ---------------------------------------------------------------------------------
def test_sdk_create_incoming_phone_number(client, http, api, account):
    number = client.incoming_phone_numbers.create(
        phone_number=N1, friendly_name="Main line", sms_url="https://example.com/sms", sms_method="GET"
    )

    assert PN_SID.match(number.sid)
    assert number.phone_number == N1
    assert number.friendly_name == "Main line"
    assert number.sms_url == "https://example.com/sms"
    assert number.sms_method == "GET"
    assert number.account_sid == account[0]
    body = http.get(f"{api}/IncomingPhoneNumbers/{number.sid}.json").json()
    assert body["sid"] == number.sid
    assert body["phone_number"] == N1
    assert body["uri"] == f"/2010-04-01/Accounts/{account[0]}/IncomingPhoneNumbers/{number.sid}.json"


def test_raw_create_incoming_phone_number(http, api, account):
    body = buy(http, api, N1, SmsUrl="https://example.com/in", StatusCallback="https://example.com/status")

    assert PN_SID.match(body["sid"])
    assert body["account_sid"] == account[0]
    assert body["sms_url"] == "https://example.com/in"
    assert body["status_callback"] == "https://example.com/status"
    assert body["capabilities"]["sms"] is True


def test_incoming_phone_number_bodies_match_the_spec(http, api):
    created = buy(http, api, N1, FriendlyName="Main")
    sid = created["sid"]
    fetched = http.get(f"{api}/IncomingPhoneNumbers/{sid}.json")
    updated = http.post(f"{api}/IncomingPhoneNumbers/{sid}.json", data={"SmsUrl": "https://example.com/x"})
    page = http.get(f"{api}/IncomingPhoneNumbers.json")
    assert (fetched.status_code, updated.status_code, page.status_code) == (200, 200, 200)

    # Twilio's live bodies also carry subresource_uris, which the spec omits (hence exact_fields=False).
    for body in (created, fetched.json(), updated.json()):
        assert_matches(body, NUMBER, exact_fields=False)
    assert_list_matches(page.json(), "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json")


def test_sdk_list_incoming_phone_numbers(client, http, api, account):
    a = client.incoming_phone_numbers.create(phone_number=N1)
    b = client.incoming_phone_numbers.create(phone_number=N2)

    assert {n.sid for n in client.incoming_phone_numbers.list()} == {a.sid, b.sid}
    response = http.get(f"{api}/IncomingPhoneNumbers.json")
    assert response.status_code == 200, response.text
    page = response.json()
    assert {n["phone_number"] for n in page["incoming_phone_numbers"]} == {N1, N2}
    assert page["uri"].startswith(f"/2010-04-01/Accounts/{account[0]}/IncomingPhoneNumbers.json")


def test_sdk_fetch_and_update_incoming_phone_number(client, http, api):
    sid = client.incoming_phone_numbers.create(phone_number=N1).sid

    updated = client.incoming_phone_numbers(sid).update(
        friendly_name="Support", sms_url="https://example.com/new", sms_method="POST"
    )
    fetched = client.incoming_phone_numbers(sid).fetch()

    assert updated.friendly_name == "Support"
    assert (fetched.sid, fetched.phone_number) == (sid, N1)
    assert fetched.friendly_name == "Support"
    assert fetched.sms_url == "https://example.com/new"
    assert fetched.sms_method == "POST"


def test_sdk_delete_incoming_phone_number(client, http, api):
    sid = client.incoming_phone_numbers.create(phone_number=N1).sid

    assert client.incoming_phone_numbers(sid).delete() is True

    assert_error(http.get(f"{api}/IncomingPhoneNumbers/{sid}.json"), 20404, 404)
    assert client.incoming_phone_numbers.list() == []


def test_a_released_number_can_be_bought_by_another_account(client, base_url):
    sid = client.incoming_phone_numbers.create(phone_number=N1).sid
    client.incoming_phone_numbers(sid).delete()
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")

    assert other.incoming_phone_numbers.create(phone_number=N1).phone_number == N1


@pytest.mark.parametrize("phone_number", [None, "", "12345", "abc", "+1", "5557650001"])
def test_invalid_phone_number_is_21421(http, api, phone_number):
    data = {} if phone_number is None else {"PhoneNumber": phone_number}

    assert_error(http.post(f"{api}/IncomingPhoneNumbers.json", data=data), 21421, 400)


def test_sdk_invalid_phone_number_raises_21421(client):
    with pytest.raises(TwilioRestException) as info:
        client.incoming_phone_numbers.create(phone_number="not-a-number")

    assert (info.value.status, info.value.code) == (400, 21421)
    assert info.value.msg.startswith("Unable to create record: ")


def test_a_number_this_account_owns_is_21422(http, api):
    buy(http, api, N1)

    assert_error(http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": N1}), 21422, 400)


def test_a_number_another_account_owns_is_21422(http, api, base_url):
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")
    other.incoming_phone_numbers.create(phone_number=N1)

    assert_error(http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": N1}), 21422, 400)


def test_a_number_provisioned_by_a_send_is_21422(http, api):
    assert send(http, api, To=TO, From=N1).status_code == 201

    assert_error(http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": N1}), 21422, 400)


def test_numbers_provisioned_on_first_send_appear_in_the_list(client, http, api):
    assert send(http, api, To=TO, From=N1).status_code == 201
    assert send(http, api, To=TO, From="+18885550100").status_code == 201  # toll-free

    listed = client.incoming_phone_numbers.list()

    assert {n.phone_number for n in listed} == {N1, "+18885550100"}
    assert all(PN_SID.match(n.sid) for n in listed)


def test_invalid_sms_method_is_20001(http, api):
    response = http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": N1, "SmsMethod": "PATCH"})

    assert_error(response, 20001, 400)
    assert http.get(f"{api}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"] == []


def test_fetch_unknown_incoming_phone_number_is_20404(http, api):
    assert_error(http.get(f"{api}/IncomingPhoneNumbers/PN{'0' * 32}.json"), 20404, 404)


# -- ShortCodes -------------------------------------------------------------------------------------------
def test_short_code_from_a_send_is_listed_and_fetched(client, http, api, account):
    response = send(http, api, To=TO, From="55555")
    assert response.status_code == 201, response.text

    listed = client.short_codes.list()

    assert [s.short_code for s in listed] == ["55555"]
    sid = listed[0].sid
    assert SC_SID.match(sid)
    fetched = client.short_codes(sid).fetch()
    assert (fetched.sid, fetched.short_code, fetched.account_sid) == (sid, "55555", account[0])
    raw = http.get(f"{api}/SMS/ShortCodes/{sid}.json")
    assert raw.status_code == 200, raw.text
    assert_matches(raw.json(), SHORT_CODE)
    assert raw.json()["uri"] == f"/2010-04-01/Accounts/{account[0]}/SMS/ShortCodes/{sid}.json"
    page = http.get(f"{api}/SMS/ShortCodes.json").json()
    assert_list_matches(page, "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes.json")
    assert [s["sid"] for s in page["short_codes"]] == [sid]
    # A short code is not an IncomingPhoneNumber.
    assert client.incoming_phone_numbers.list() == []


def test_short_code_update(client):
    client.messages.create(to=TO, from_="55555", body="hi")
    sid = client.short_codes.list()[0].sid

    client.short_codes(sid).update(friendly_name="Promo", sms_url="https://example.com/sc")

    fetched = client.short_codes(sid).fetch()
    assert fetched.friendly_name == "Promo"
    assert fetched.sms_url == "https://example.com/sc"


def test_fetch_unknown_short_code_is_20404(http, api):
    assert_error(http.get(f"{api}/SMS/ShortCodes/SC{'0' * 32}.json"), 20404, 404)


# -- Messaging Services -----------------------------------------------------------------------------------
def test_sdk_service_crud(client, http, v1, account):
    service = client.messaging.v1.services.create(friendly_name="Alerts")
    assert MG_SID.match(service.sid)
    assert service.friendly_name == "Alerts"
    assert service.account_sid == account[0]

    raw = http.get(f"{v1}/Services/{service.sid}")
    assert raw.status_code == 200, raw.text
    assert_matches(raw.json(), SERVICE)
    assert raw.json()["sid"] == service.sid

    assert [s.sid for s in client.messaging.v1.services.list()] == [service.sid]

    updated = client.messaging.v1.services(service.sid).update(friendly_name="Renamed")
    assert updated.friendly_name == "Renamed"
    assert client.messaging.v1.services(service.sid).fetch().friendly_name == "Renamed"

    assert client.messaging.v1.services(service.sid).delete() is True
    assert_error(http.get(f"{v1}/Services/{service.sid}"), 20404, 404)
    assert client.messaging.v1.services.list() == []


def test_raw_service_create_is_spec_shaped(http, v1, account):
    body = new_service(http, v1, "Raw")

    assert_matches(body, SERVICE)
    assert MG_SID.match(body["sid"])
    assert body["friendly_name"] == "Raw"
    assert body["account_sid"] == account[0]
    assert urlsplit(body["url"]).path == f"/v1/Services/{body['sid']}"


def test_v1_list_envelope(http, v1):
    a = new_service(http, v1, "A")
    b = new_service(http, v1, "B")

    response = http.get(f"{v1}/Services")

    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"services", "meta"}
    assert_list_matches(page, "/v1/Services", prefix="messaging.v1")
    assert set(page["meta"]) == V1_META
    meta = page["meta"]
    assert meta["key"] == "services"
    assert meta["page"] == 0
    assert meta["page_size"] == 50
    assert meta["next_page_url"] is None
    assert meta["previous_page_url"] is None
    for key in ("url", "first_page_url"):
        parts = urlsplit(meta[key])
        assert parts.path == "/v1/Services"
        assert parse_qs(parts.query)["PageSize"] == ["50"]
        assert parse_qs(parts.query)["Page"] == ["0"]
    assert {s["sid"] for s in page["services"]} == {a["sid"], b["sid"]}
    for service in page["services"]:
        assert_matches(service, SERVICE)


def test_v1_list_paging(http, v1):
    sids = {new_service(http, v1, f"S{i}")["sid"] for i in range(3)}

    first = http.get(f"{v1}/Services", params={"PageSize": 2}).json()
    assert first["meta"]["page_size"] == 2
    assert first["meta"]["next_page_url"] is not None
    second = http.get(first["meta"]["next_page_url"], auth=http.auth).json()

    assert second["meta"]["page"] == 1
    assert second["meta"]["next_page_url"] is None
    assert second["meta"]["previous_page_url"] is not None
    seen = [s["sid"] for s in first["services"] + second["services"]]
    assert sorted(seen) == sorted(sids)


def test_sdk_list_services_across_pages(client):
    sids = {client.messaging.v1.services.create(friendly_name=f"S{i}").sid for i in range(5)}

    listed = [s.sid for s in client.messaging.v1.services.list(page_size=2)]

    assert sorted(listed) == sorted(sids)


def test_service_create_without_friendly_name_is_refused(http, v1):
    response = http.post(f"{v1}/Services", data={"StickySender": "true"})

    # Twilio's spec lists FriendlyName as required; the exact code of a missing parameter is undocumented.
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"code", "message", "more_info", "status"}
    assert http.get(f"{v1}/Services").json()["services"] == []


def test_invalid_service_method_is_20001(http, v1):
    response = http.post(f"{v1}/Services", data={"FriendlyName": "x", "InboundMethod": "PUT"})

    assert_error(response, 20001, 400)
    assert http.get(f"{v1}/Services").json()["services"] == []


def test_fetch_unknown_service_is_20404(http, v1):
    assert_error(http.get(f"{v1}/Services/MG{'0' * 32}"), 20404, 404)


def test_another_accounts_service_is_invisible(http, v1, base_url):
    other_sid = "AC" + secrets.token_hex(16)
    other = requests.Session()
    other.auth = (other_sid, "token")
    theirs = new_service(other, v1, "Theirs")

    assert_error(http.get(f"{v1}/Services/{theirs['sid']}"), 20404, 404)
    assert http.get(f"{v1}/Services").json()["services"] == []


# -- sender pools -----------------------------------------------------------------------------------------
def test_phone_numbers_pool_crud(client, http, v1, api):
    service = client.messaging.v1.services.create(friendly_name="Pool")
    number = client.incoming_phone_numbers.create(phone_number=N1)
    pool = client.messaging.v1.services(service.sid).phone_numbers

    added = pool.create(phone_number_sid=number.sid)

    assert added.sid == number.sid
    assert added.phone_number == N1
    assert added.service_sid == service.sid
    raw = http.get(f"{v1}/Services/{service.sid}/PhoneNumbers/{number.sid}")
    assert raw.status_code == 200, raw.text
    assert_matches(raw.json(), "messaging.v1.service.phone_number")
    assert [p.sid for p in pool.list()] == [number.sid]
    assert pool(number.sid).fetch().phone_number == N1
    page = http.get(f"{v1}/Services/{service.sid}/PhoneNumbers").json()
    assert set(page) == {"phone_numbers", "meta"}
    assert page["meta"]["key"] == "phone_numbers"
    assert_list_matches(page, "/v1/Services/{ServiceSid}/PhoneNumbers", prefix="messaging.v1")

    assert pool(number.sid).delete() is True
    assert pool.list() == []
    assert_error(http.get(f"{v1}/Services/{service.sid}/PhoneNumbers/{number.sid}"), 20404, 404)
    # Removing it from the pool does not release the number.
    assert client.incoming_phone_numbers(number.sid).fetch().phone_number == N1


def test_short_codes_pool_crud(client, http, v1):
    service = client.messaging.v1.services.create(friendly_name="Pool")
    client.messages.create(to=TO, from_="55555", body="provision")
    sc_sid = client.short_codes.list()[0].sid
    pool = client.messaging.v1.services(service.sid).short_codes

    added = pool.create(short_code_sid=sc_sid)

    assert (added.sid, added.short_code, added.service_sid) == (sc_sid, "55555", service.sid)
    raw = http.get(f"{v1}/Services/{service.sid}/ShortCodes/{sc_sid}")
    assert raw.status_code == 200, raw.text
    assert_matches(raw.json(), "messaging.v1.service.short_code")
    assert [s.sid for s in pool.list()] == [sc_sid]
    assert pool(sc_sid).fetch().short_code == "55555"
    page = http.get(f"{v1}/Services/{service.sid}/ShortCodes").json()
    assert set(page) == {"short_codes", "meta"} and page["meta"]["key"] == "short_codes"
    assert_list_matches(page, "/v1/Services/{ServiceSid}/ShortCodes", prefix="messaging.v1")

    assert pool(sc_sid).delete() is True
    assert pool.list() == []


def test_alpha_senders_pool_crud(client, http, v1):
    service = client.messaging.v1.services.create(friendly_name="Pool")
    pool = client.messaging.v1.services(service.sid).alpha_senders

    added = pool.create(alpha_sender="ACME")

    assert added.alpha_sender == "ACME"
    assert added.service_sid == service.sid
    raw = http.get(f"{v1}/Services/{service.sid}/AlphaSenders/{added.sid}")
    assert raw.status_code == 200, raw.text
    assert_matches(raw.json(), "messaging.v1.service.alpha_sender")
    assert [a.alpha_sender for a in pool.list()] == ["ACME"]
    assert pool(added.sid).fetch().alpha_sender == "ACME"
    page = http.get(f"{v1}/Services/{service.sid}/AlphaSenders").json()
    assert set(page) == {"alpha_senders", "meta"} and page["meta"]["key"] == "alpha_senders"
    assert_list_matches(page, "/v1/Services/{ServiceSid}/AlphaSenders", prefix="messaging.v1")

    assert pool(added.sid).delete() is True
    assert pool.list() == []
    assert_error(http.get(f"{v1}/Services/{service.sid}/AlphaSenders/{added.sid}"), 20404, 404)


def test_a_number_in_another_service_is_21712(http, v1, api):
    first = new_service(http, v1, "First")
    second = new_service(http, v1, "Second")
    number = buy(http, api, N1)
    add_to_pool(http, v1, first["sid"], "PhoneNumbers", "PhoneNumberSid", number["sid"])

    response = http.post(f"{v1}/Services/{second['sid']}/PhoneNumbers", data={"PhoneNumberSid": number["sid"]})

    assert_error(response, 21712, 400)
    assert http.get(f"{v1}/Services/{second['sid']}/PhoneNumbers").json()["phone_numbers"] == []


def test_sdk_a_number_in_another_service_raises_21712(client):
    first = client.messaging.v1.services.create(friendly_name="First")
    second = client.messaging.v1.services.create(friendly_name="Second")
    number = client.incoming_phone_numbers.create(phone_number=N1)
    client.messaging.v1.services(first.sid).phone_numbers.create(phone_number_sid=number.sid)

    with pytest.raises(TwilioRestException) as info:
        client.messaging.v1.services(second.sid).phone_numbers.create(phone_number_sid=number.sid)

    assert (info.value.status, info.value.code) == (400, 21712)


@pytest.mark.parametrize("phone_number_sid", ["PN" + "0" * 32, "nope", ""])
def test_a_bad_phone_number_sid_is_21421(http, v1, phone_number_sid):
    service = new_service(http, v1)

    response = http.post(f"{v1}/Services/{service['sid']}/PhoneNumbers", data={"PhoneNumberSid": phone_number_sid})

    assert_error(response, 21421, 400)


def test_another_accounts_number_sid_is_21421(http, v1, base_url):
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")
    theirs = other.incoming_phone_numbers.create(phone_number=N1)
    service = new_service(http, v1)

    response = http.post(f"{v1}/Services/{service['sid']}/PhoneNumbers", data={"PhoneNumberSid": theirs.sid})

    assert_error(response, 21421, 400)


def test_pool_of_an_unknown_service_is_20404(http, v1, api):
    number = buy(http, api, N1)

    response = http.post(f"{v1}/Services/MG{'0' * 32}/PhoneNumbers", data={"PhoneNumberSid": number["sid"]})

    assert_error(response, 20404, 404)


# -- sends through a Messaging Service -------------------------------------------------------------------
def service_with_numbers(http: requests.Session, v1: str, api: str, *numbers: str) -> str:
    service = new_service(http, v1)
    for number in numbers:
        add_to_pool(http, v1, service["sid"], "PhoneNumbers", "PhoneNumberSid", buy(http, api, number)["sid"])
    return service["sid"]


def test_send_through_a_service_picks_a_pool_number(http, v1, api, base_url):
    mg = service_with_numbers(http, v1, api, N1, N2)

    response = send(http, api, To=TO, MessagingServiceSid=mg)

    assert response.status_code == 201, response.text
    created = response.json()
    assert_matches(created, MESSAGE)
    assert created["status"] == "accepted"
    assert created["from"] is None
    assert created["num_segments"] == "0"
    assert created["messaging_service_sid"] == mg
    fetched = http.get(base_url + created["uri"]).json()
    assert_matches(fetched, MESSAGE)
    assert fetched["from"] in {N1, N2}
    assert fetched["status"] == "delivered"
    assert fetched["num_segments"] == "1"
    assert fetched["messaging_service_sid"] == mg


def test_sdk_send_through_a_service(client, http, v1, api):
    mg = service_with_numbers(http, v1, api, N1)

    message = client.messages.create(to=TO, messaging_service_sid=mg, body="via service")

    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == mg
    assert client.messages(message.sid).fetch().from_ == N1


def test_the_pool_sender_is_sticky_per_recipient(http, v1, api, base_url):
    mg = service_with_numbers(http, v1, api, N1, N2, N3)

    senders = set()
    for _ in range(4):
        created = send(http, api, To=TO, MessagingServiceSid=mg).json()
        senders.add(http.get(base_url + created["uri"]).json()["from"])

    assert len(senders) == 1
    assert senders <= {N1, N2, N3}


def test_a_us_recipient_gets_the_short_code_first(client, http, v1, api, base_url):
    mg = service_with_numbers(http, v1, api, N1)
    client.messages.create(to="+15559990000", from_="55555", body="provision")
    sc_sid = client.short_codes.list()[0].sid
    add_to_pool(http, v1, mg, "ShortCodes", "ShortCodeSid", sc_sid)

    created = send(http, api, To=TO, MessagingServiceSid=mg).json()

    assert http.get(base_url + created["uri"]).json()["from"] == "55555"


def test_a_non_nanp_recipient_gets_the_alpha_sender_first(http, v1, api, base_url):
    mg = service_with_numbers(http, v1, api, N1)
    add_to_pool(http, v1, mg, "AlphaSenders", "AlphaSender", "ACME")

    created = send(http, api, To=UK_TO, MessagingServiceSid=mg).json()

    assert http.get(base_url + created["uri"]).json()["from"] == "ACME"


def test_a_service_with_an_empty_pool_is_21703(http, v1, api):
    service = new_service(http, v1)

    response = send(http, api, To=TO, MessagingServiceSid=service["sid"])

    assert_error(response, 21703, 400)
    assert http.get(f"{api}/Messages.json").json()["messages"] == []


def test_a_deleted_service_is_21701(http, v1, api):
    mg = service_with_numbers(http, v1, api, N1)
    assert http.delete(f"{v1}/Services/{mg}").status_code == 204

    assert_error(send(http, api, To=TO, MessagingServiceSid=mg), 21701, 400)


def test_another_accounts_service_sid_is_21701(http, v1, api, base_url):
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")
    theirs = other.messaging.v1.services.create(friendly_name="Theirs")
    number = other.incoming_phone_numbers.create(phone_number=N1)
    other.messaging.v1.services(theirs.sid).phone_numbers.create(phone_number_sid=number.sid)

    assert_error(send(http, api, To=TO, MessagingServiceSid=theirs.sid), 21701, 400)


def test_a_deleted_number_leaves_the_pool(http, v1, api):
    mg = service_with_numbers(http, v1, api, N1)
    number_sid = http.get(f"{v1}/Services/{mg}/PhoneNumbers").json()["phone_numbers"][0]["sid"]

    assert http.delete(f"{api}/IncomingPhoneNumbers/{number_sid}.json").status_code == 204

    assert http.get(f"{v1}/Services/{mg}/PhoneNumbers").json()["phone_numbers"] == []
    assert_error(send(http, api, To=TO, MessagingServiceSid=mg), 21703, 400)


def test_a_deleted_services_numbers_can_join_another_service(http, v1, api):
    first = service_with_numbers(http, v1, api, N1)
    number_sid = http.get(f"{v1}/Services/{first}/PhoneNumbers").json()["phone_numbers"][0]["sid"]
    second = new_service(http, v1, "Second")["sid"]

    assert http.delete(f"{v1}/Services/{first}").status_code == 204

    added = add_to_pool(http, v1, second, "PhoneNumbers", "PhoneNumberSid", number_sid)
    assert added["service_sid"] == second
