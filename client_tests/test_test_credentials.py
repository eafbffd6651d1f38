"""An account with `test_credentials` on behaves as Twilio's test credentials do
(twilio.com/docs/iam/test-credentials, reference section 5): only POST Messages and POST
IncomingPhoneNumbers answer, anything else is 403 with 20008; only the magic From works; no status
callbacks; numbers are "bought" without being owned."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from client_tests.spec import assert_error, assert_matches

MAGIC_FROM = "+15005550006"
HANDSET = "+15551230001"
ERROR_20008 = "Resource not accessible with Test Account Credentials"


@pytest.fixture
def test_account(control, account):
    control.settings(account[0], test_credentials=True)
    return account


def test_messages_create_answers_with_the_magic_from(client, control, test_account, hooks):
    created = client.messages.create(to=HANDSET, from_=MAGIC_FROM, body="Hi", status_callback=hooks.url("/s"))
    assert (created.status, created.num_segments) == ("queued", "1")
    control.wait_for_webhooks()
    assert hooks.requests == []
    # It connects to no real phone: it stays as created, and no callback is ever sent.
    control.advance(account_sid=test_account[0], until_final=True)
    [stored] = control.messages(test_account[0])
    assert (stored["sid"], stored["status"]) == (created.sid, "queued")
    assert control.webhooks(account_sid=test_account[0]) == []


def test_magic_to_numbers_still_apply(client, test_account):
    for to, code in (("+15005550004", 21610), ("+15005550002", 21612), ("+15005550001", 21211)):
        with pytest.raises(TwilioRestException) as refused:
            client.messages.create(to=to, from_=MAGIC_FROM, body="Hi")
        assert refused.value.code == code


def test_a_real_number_as_from_is_21606(client, test_account):
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=HANDSET, from_="+15557650001", body="Hi")
    assert (refused.value.status, refused.value.code) == (400, 21606)


def test_every_other_resource_is_403_20008(client, http, base_url, test_account):
    api = f"{base_url}/2010-04-01/Accounts/{test_account[0]}"
    created = client.messages.create(to=HANDSET, from_=MAGIC_FROM, body="Hi")
    with pytest.raises(TwilioRestException) as refused:
        client.messages(created.sid).fetch()
    assert (refused.value.status, refused.value.code) == (403, 20008)
    assert refused.value.msg.endswith(ERROR_20008)
    for method, url in (
        ("GET", f"{api}/Messages.json"),
        ("POST", f"{api}/Messages/{created.sid}.json"),
        ("DELETE", f"{api}/Messages/{created.sid}.json"),
        ("GET", f"{api}/IncomingPhoneNumbers.json"),
        ("GET", f"{api}/SMS/ShortCodes.json"),
        ("GET", f"{base_url}/v1/Services"),
        ("POST", f"{base_url}/v1/Services"),
        ("POST", f"{base_url}/v1/Consents/Bulk"),
        ("POST", f"{base_url}/v1/Contacts/Bulk"),
    ):
        assert_error(http.request(method, url, data={"FriendlyName": "x"}), 20008, 403, ERROR_20008)


def test_wrong_token_is_still_20003(client, base_url, test_account):
    import requests

    client.messages.create(to=HANDSET, from_=MAGIC_FROM, body="Hi")  # binds the account's token
    response = requests.get(f"{base_url}/v1/Services", auth=(test_account[0], "wrong"), timeout=10)
    assert_error(response, 20003, 401)


def test_buying_a_number_answers_without_owning_it(client, http, base_url, control, test_account):
    number = client.incoming_phone_numbers.create(phone_number=MAGIC_FROM)
    assert (number.phone_number, number.friendly_name) == (MAGIC_FROM, "(500) 555-0006")
    control.settings(test_account[0], test_credentials=False)
    assert client.incoming_phone_numbers.list() == []
    raw = http.post(f"{base_url}/2010-04-01/Accounts/{test_account[0]}/IncomingPhoneNumbers.json",
                    data={"PhoneNumber": "+15557650001"})
    assert raw.status_code == 201
    assert_matches(raw.json(), "api.v2010.account.incoming_phone_number", exact_fields=False)


@pytest.mark.parametrize(("number", "code"), [("+15005550000", 21422), ("+15005550001", 21421)])
def test_magic_numbers_for_buying(client, test_account, number, code):
    with pytest.raises(TwilioRestException) as refused:
        client.incoming_phone_numbers.create(phone_number=number)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_a_fixture_declares_a_test_credentials_account(client, http, base_url, control, account):
    control.load_fixtures({"accounts": [{"sid": account[0], "auth_token": account[1],
                                         "settings": {"test_credentials": True}}]})
    assert client.messages.create(to=HANDSET, from_=MAGIC_FROM, body="Hi").status == "queued"
    assert_error(http.get(f"{base_url}/v1/Services"), 20008, 403, ERROR_20008)
