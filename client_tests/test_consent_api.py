"""The Consent Management API (accounts.twilio.com/v1/Consents/Bulk and /Contacts/Bulk), through
the official SDK (client.accounts.v1.bulk_consents / bulk_contacts) and plain HTTP. Sources:
twilio_accounts_v1.json (CreateBulkConsents, CreateBulkContacts), twilio.com/docs/messaging/features/
consent-api and the bulk-upsert pages, error pages 30646 and 30647; reference section 9."""

from __future__ import annotations

import json

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.reference import ERROR_21610
from client_tests.spec import assert_error, assert_matches

NUMBER = "+15557650001"
NUMBER_B = "+15557650002"
TOLL_FREE = "+18005550100"
HANDSET = "+15551230001"
SERVICE = "MG" + "5" * 32
C1, C2, C3 = "a" * 32, "b" * 32, "c" * 32


def consent(correlation_id=C1, contact_id=HANDSET, sender_id=NUMBER, status="opt-out", source="website", **extra):
    return {"contact_id": contact_id, "correlation_id": correlation_id, "sender_id": sender_id,
            "status": status, "source": source, **extra}


@pytest.fixture
def pool(control, account):
    control.load_fixtures({"accounts": [{
        "sid": account[0],
        "numbers": [{"phone_number": NUMBER}, {"phone_number": NUMBER_B}, {"phone_number": TOLL_FREE}],
        "messaging_services": [{"sid": SERVICE, "phone_numbers": [NUMBER, NUMBER_B]}],
    }]})
    return control


def send_from(client, from_=NUMBER, to=HANDSET):
    return client.messages.create(to=to, from_=from_, body="Hi")


def refused_21610(client, from_=NUMBER):
    with pytest.raises(TwilioRestException) as refused:
        send_from(client, from_)
    assert (refused.value.status, refused.value.code) == (400, ERROR_21610["code"])


def records(control, account):
    return {(r["sender"], r["messaging_service_sid"]): r for r in control.opt_outs(account_sid=account[0])}


def test_an_opt_out_through_the_sdk_blocks_sends(client, pool, account):
    result = client.accounts.v1.bulk_consents.create(
        items=[consent(date_of_consent="2025-02-28T10:05:27Z")]
    )
    assert result.items == [{"correlation_id": C1, "error_code": 0, "error_messages": []}]
    refused_21610(client)
    record = records(pool, account)[(NUMBER, None)]
    assert (record["recipient"], record["source"], record["consent_source"]) == (HANDSET, "consent_api", "website")
    assert (record["date_of_consent"], record["correlation_id"]) == ("2025-02-28T10:05:27Z", C1)
    # Other numbers of the account are not blocked.
    assert send_from(client, NUMBER_B).status == "queued"


def test_the_201_body_matches_the_openapi_document(http, base_url, pool):
    response = http.post(f"{base_url}/v1/Consents/Bulk", data={"Items": [json.dumps(consent())]})
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    assert_matches(response.json(), "accounts.v1.bulk_consents")


def test_plain_http_items_as_compact_json_strings(http, base_url, pool, client):
    items = [json.dumps(consent(), separators=(",", ":")), json.dumps(consent(C2, contact_id="+15551230002"))]
    response = http.post(f"{base_url}/v1/Consents/Bulk", data={"Items": items})
    assert response.json() == {"items": [{"correlation_id": c, "error_code": 0, "error_messages": []}
                                         for c in (C1, C2)]}
    refused_21610(client)


def test_the_openapi_example_fails_one_item_and_applies_the_other(client, pool, account):
    # OAI's own example: contact "+19" and a date without a time fail; sender "123456" is accepted.
    result = client.accounts.v1.bulk_consents.create(items=[
        consent(C1, sender_id=SERVICE, date_of_consent="2025-02-28T10:05:27Z"),
        consent(C2, contact_id="+19", sender_id="123456", date_of_consent="2025-03-25", status="opt-in"),
    ])
    assert result.items == [
        {"correlation_id": C1, "error_code": 0, "error_messages": []},
        {"correlation_id": C2, "error_code": 30646, "error_messages": ["INVALID_CONTACT_ID", "INVALID_DATE_OF_CONSENT"]},
    ]
    assert list(records(pool, account)) == [(None, SERVICE)]


def test_every_documented_reason(client, pool, account):
    result = client.accounts.v1.bulk_consents.create(items=[
        consent("short"),
        consent(C1),
        consent(C1, contact_id="+15551230002"),  # the same correlation_id again
        consent(C2, sender_id="ACME"),  # alphanumeric: no "From phone number"
        consent(C3, sender_id="MG" + "0" * 32, status="maybe", source="email",
                date_of_consent="2999-01-01T00:00:00Z"),
        "not json",
        {"correlation_id": 7},
    ])
    every = ["INVALID_CORRELATION_ID", "INVALID_CONTACT_ID", "INVALID_SENDER_ID", "INVALID_STATUS", "INVALID_SOURCE"]
    assert result.items == [
        {"correlation_id": "short", "error_code": 30646, "error_messages": ["INVALID_CORRELATION_ID"]},
        {"correlation_id": C1, "error_code": 0, "error_messages": []},
        {"correlation_id": C1, "error_code": 30646, "error_messages": ["INVALID_CORRELATION_ID"]},
        {"correlation_id": C2, "error_code": 30646, "error_messages": ["INVALID_SENDER_ID"]},
        {"correlation_id": C3, "error_code": 30646,
         "error_messages": ["INVALID_SENDER_ID", "INVALID_STATUS", "INVALID_SOURCE", "INVALID_DATE_OF_CONSENT"]},
        {"correlation_id": None, "error_code": 30646, "error_messages": every},
        {"correlation_id": None, "error_code": 30646, "error_messages": every},
    ]
    assert [(r["sender"], r["recipient"]) for r in pool.opt_outs(account_sid=account[0])] == [(NUMBER, HANDSET)]


def test_opt_in_overrides_a_stop_to_a_number_and_its_service(client, pool, account):
    pool.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    assert set(records(pool, account)) == {(NUMBER, None), (None, SERVICE)}
    result = client.accounts.v1.bulk_consents.create(items=[consent(status="opt-in", source="opt-in-message")])
    assert result.items[0]["error_code"] == 0
    assert records(pool, account) == {}
    assert send_from(client).status == "queued"


def test_a_service_opt_out_blocks_service_sends_only(client, pool, account):
    client.accounts.v1.bulk_consents.create(items=[consent(sender_id=SERVICE, source="offline")])
    created = client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Hi")
    assert created.status == "accepted"
    fetched = client.messages(created.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", 21610)
    # The service record does not apply in place of a From (reference 3.1).
    assert send_from(client).status == "queued"
    client.accounts.v1.bulk_consents.create(items=[consent(C2, sender_id=SERVICE, status="opt-in")])
    created = client.messages.create(to=HANDSET, messaging_service_sid=SERVICE, body="Hi")
    assert client.messages(created.sid).fetch().status == "delivered"


def test_a_service_opt_in_lifts_the_stop_that_made_the_service_record(client, pool, account):
    pool.inbound(from_=HANDSET, to=NUMBER_B, body="STOP")
    client.accounts.v1.bulk_consents.create(items=[consent(sender_id=SERVICE, status="opt-in")])
    assert records(pool, account) == {}


def test_opt_in_does_not_lift_a_toll_free_stop(client, pool, account):
    # "STOP keyword override applies to all messages sent, except US Toll-free numbers."
    pool.inbound(from_=HANDSET, to=TOLL_FREE, body="STOP")
    result = client.accounts.v1.bulk_consents.create(items=[consent(sender_id=TOLL_FREE, status="opt-in")])
    assert result.items[0]["error_code"] == 0
    assert records(pool, account)[(TOLL_FREE, None)]["source"] == "keyword"
    refused_21610(client, TOLL_FREE)
    # A toll-free opt-out the API itself recorded is Twilio's own, and opt-in lifts it.
    pool.inbound(from_=HANDSET, to=TOLL_FREE, body="START")
    client.accounts.v1.bulk_consents.create(items=[consent(C2, sender_id=TOLL_FREE)])
    refused_21610(client, TOLL_FREE)
    client.accounts.v1.bulk_consents.create(items=[consent(C3, sender_id=TOLL_FREE, status="opt-in")])
    assert send_from(client, TOLL_FREE).status == "queued"


def test_consents_are_upserted(client, pool, account):
    client.accounts.v1.bulk_consents.create(items=[consent(source="website")])
    first = records(pool, account)[(NUMBER, None)]
    pool.advance_clock(60)
    client.accounts.v1.bulk_consents.create(items=[consent(C2, source="offline")])
    [second] = records(pool, account).values()
    assert (second["consent_source"], second["correlation_id"]) == ("offline", C2)
    assert second["created_at"] == first["created_at"]


def test_a_keyword_record_becomes_a_consent_record_on_upsert(client, pool, account):
    pool.inbound(from_=HANDSET, to=NUMBER, body="STOP")
    client.accounts.v1.bulk_consents.create(items=[consent(source="opt-out-message")])
    record = records(pool, account)[(NUMBER, None)]
    assert (record["source"], record["consent_source"]) == ("consent_api", "opt-out-message")


def test_request_level_errors(http, base_url, pool):
    url = f"{base_url}/v1/Consents/Bulk"
    assert_error(http.post(url, data={}), 20001, 400, "Missing required parameter Items in the post body")
    items = [json.dumps(consent(f"{i:032d}", contact_id=f"+1555123{i:04d}")) for i in range(26)]
    assert_error(http.post(url, data={"Items": items}), 20001, 400)
    assert http.post(url, data={"Items": items[:25]}).status_code == 201
    assert_error(http.get(url), 20004, 405)


def test_the_rate_limit_is_off_by_default_and_429_when_on(http, base_url, pool, account):
    url = f"{base_url}/v1/Consents/Bulk"
    body = {"Items": [json.dumps(consent())]}
    for _ in range(101):
        assert http.post(url, data=body).status_code == 201
    pool.settings(account[0], consent_rate_limit=True)
    for _ in range(100):
        assert http.post(url, data=body).status_code == 201
    response = http.post(url, data=body)
    assert_error(response, 20429, 429, "Too Many Requests")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Contacts have a limit of their own.
    contact = {"Items": [json.dumps({"contact_id": HANDSET, "correlation_id": C1, "country_iso_code": "US"})]}
    assert http.post(f"{base_url}/v1/Contacts/Bulk", data=contact).status_code == 201
    pool.advance_clock(61)
    assert http.post(url, data=body).status_code == 201


def test_contacts_are_stored_with_per_item_errors(client, http, base_url, pool, account):
    result = client.accounts.v1.bulk_contacts.create(items=[
        {"contact_id": HANDSET, "correlation_id": C1, "country_iso_code": "US", "zip_code": "94105"},
        {"contact_id": "+19", "correlation_id": C2, "country_iso_code": "us", "zip_code": "!!"},
        {"contact_id": "+14165550100", "correlation_id": C3, "country_iso_code": "CA", "zip_code": "94105"},
    ])
    assert result.items == [
        {"correlation_id": C1, "error_code": 0, "error_messages": []},
        {"correlation_id": C2, "error_code": 30647,
         "error_messages": ["INVALID_CONTACT_ID", "INVALID_COUNTRY_ISO_CODE", "INVALID_ZIP_CODE"]},
        {"correlation_id": C3, "error_code": 30647, "error_messages": ["INVALID_ZIP_CODE"]},
    ]
    client.accounts.v1.bulk_contacts.create(items=[
        {"contact_id": HANDSET, "correlation_id": C2, "country_iso_code": "US", "zip_code": "10001-1234"}
    ])
    [stored] = pool.contacts(account[0])
    assert (stored["contact_id"], stored["zip_code"], stored["correlation_id"]) == (HANDSET, "10001-1234", C2)
    raw = http.post(f"{base_url}/v1/Contacts/Bulk",
                    data={"Items": [json.dumps({"contact_id": HANDSET, "correlation_id": C3, "country_iso_code": "US"})]})
    assert raw.status_code == 201
    assert_matches(raw.json(), "accounts.v1.bulk_contacts")


def test_messaging_v1_and_accounts_v1_share_the_origin(client, pool):
    # Both domains are served under /v1 of one origin; neither shadows the other.
    assert [s.sid for s in client.messaging.v1.services.list()] == [SERVICE]
    assert client.accounts.v1.bulk_consents.create(items=[consent()]).items[0]["error_code"] == 0


def test_a_fixture_carries_a_record_s_source(client, control, account):
    control.load_fixtures({"accounts": [{"sid": account[0], "numbers": [{"phone_number": TOLL_FREE}], "opt_outs": [
        {"sender": TOLL_FREE, "recipient": HANDSET, "source": "keyword"},
        {"sender": NUMBER, "recipient": HANDSET, "source": "consent_api", "consent_source": "offline"},
        {"sender": NUMBER_B, "recipient": HANDSET},
    ]}]})
    got = {r["sender"]: (r["source"], r["consent_source"]) for r in control.opt_outs(account_sid=account[0])}
    assert got == {TOLL_FREE: ("keyword", None), NUMBER: ("consent_api", "offline"), NUMBER_B: ("fixture", None)}
    # A fixture's toll-free STOP is the carrier's: the consent API cannot lift it.
    client.accounts.v1.bulk_consents.create(items=[consent(sender_id=TOLL_FREE, status="opt-in")])
    refused_21610(client, TOLL_FREE)
