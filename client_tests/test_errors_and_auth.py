"""Black-box tests of Twilio's error envelope, routing errors, authentication, account isolation, malformed
requests and the SDK's exception mapping.

Expected values come from the README ("Accounts", "Errors"), Twilio's error pages
(www.twilio.com/docs/errors/NNNNN), its Message resource (www.twilio.com/docs/messaging/api/message-resource) and how twilio-python parses errors."""

from __future__ import annotations

import base64
import secrets

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from client_tests.spec import assert_error, assert_list_matches, assert_matches
from emulator.testing import EmulatorHttpClient, twilio_client

AUTH_MESSAGES = {"Authenticate", "Authentication Error - invalid username"}  # Twilio's two texts for 20003
TO = "+15551230001"
FROM = "+15557650001"




def assert_4xx_envelope(response: requests.Response) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    return assert_error(response, response.json()["code"], response.status_code)


def assert_401(response: requests.Response) -> None:
    body = assert_error(response, 20003, 401)
    assert body["message"] in AUTH_MESSAGES, body
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("basic"), response.headers


def new_account() -> tuple[str, str]:
    return "AC" + secrets.token_hex(16), secrets.token_hex(16)


def session(auth: tuple[str, str] | None) -> requests.Session:
    s = requests.Session()
    s.auth = auth
    return s


def messages_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{sid}/Messages.json"


# -- unknown routes and wrong methods ------------------------------------------------------------------------
def test_unknown_route_without_credentials_is_20404(control, base_url):
    assert_error(requests.get(f"{base_url}/nope"), 20404, 404, "The requested resource /nope was not found")


def test_unknown_route_with_credentials_is_20404(http, base_url):
    assert_error(http.get(f"{base_url}/nope"), 20404, 404, "The requested resource /nope was not found")


def test_unknown_resource_under_an_account_is_20404(http, base_url, account):
    path = f"/2010-04-01/Accounts/{account[0]}/Nope.json"

    assert_error(http.get(base_url + path), 20404, 404, f"The requested resource {path} was not found")


def test_unknown_v1_route_is_20404(http, base_url):
    assert_error(http.get(f"{base_url}/v1/Nope"), 20404, 404, "The requested resource /v1/Nope was not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/2010-04-01/Accounts/{AC}/Messages.json"),
        ("DELETE", "/2010-04-01/Accounts/{AC}/Messages.json"),
        ("PATCH", "/2010-04-01/Accounts/{AC}/Messages/SM" + "0" * 32 + ".json"),
        ("PUT", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json"),
        ("DELETE", "/v1/Services"),
        ("PUT", "/v1/Services/MG" + "0" * 32),
    ],
)
def test_wrong_method_is_20004(http, base_url, account, method, path):
    response = http.request(method, base_url + path.replace("{AC}", account[0]))

    assert_error(response, 20004, 405)


# -- authentication ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_credentials_is_20003_with_www_authenticate(control, messages_url, method):
    response = requests.request(method, messages_url, data={"To": TO, "From": FROM, "Body": "x"})

    assert_401(response)


def test_no_credentials_on_v1_is_20003(control, base_url):
    assert_401(requests.get(f"{base_url}/v1/Services"))


def test_wrong_token_after_first_use_is_20003(http, messages_url, account):
    assert http.get(messages_url).status_code == 200  # binds the token

    assert_401(requests.get(messages_url, auth=(account[0], "not-the-token")))
    assert_401(requests.post(messages_url, auth=(account[0], "x"), data={"To": TO, "From": FROM, "Body": "x"}))
    # The bound token still works, and the refused create left nothing behind.
    assert http.get(messages_url).json()["messages"] == []


def test_wrong_token_on_v1_is_20003(http, base_url, account):
    assert http.get(f"{base_url}/v1/Services").status_code == 200

    assert_401(requests.get(f"{base_url}/v1/Services", auth=(account[0], "wrong")))


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic",
        "Bearer abcdef",
        "garbage",
        _basic(b"no-colon-here"),
        _basic(b":"),
        _basic(b"\xff\xfe:\xff"),
    ],
    ids=["bad-base64", "bare-basic", "bearer", "garbage", "no-colon", "empty-pair", "non-utf8"],
)
def test_malformed_authorization_header_is_20003(control, messages_url, header):
    response = requests.get(messages_url, headers={"Authorization": header})

    assert_401(response)


@pytest.mark.parametrize(
    "username",
    ["someone", "AC123", "AC" + "z" * 32, "US" + "0" * 32, "PN" + "0" * 32, "ac" + "0" * 32, "AC" + "0" * 33],
)
def test_username_not_an_account_sid_is_20003(control, base_url, username):
    path_account = "AC" + secrets.token_hex(16)

    assert_401(requests.get(base_url + messages_path(path_account), auth=(username, "token")))


def test_authentication_is_checked_before_the_path_account(http, messages_url, base_url, account):
    http.get(messages_url)  # binds the token
    other = new_account()

    # Wrong credentials on another account's path: 20003 first (README order of checks).
    assert_401(requests.get(base_url + messages_path(other[0]), auth=(account[0], "wrong")))


# -- account isolation --------------------------------------------------------------------------------------
def test_another_accounts_path_is_20404(http, base_url):
    b_sid, b_token = new_account()
    assert session((b_sid, b_token)).get(base_url + messages_path(b_sid)).status_code == 200  # B exists

    response = http.get(base_url + messages_path(b_sid))

    assert_error(
        response, 20404, 404, f"The requested resource /2010-04-01/Accounts/{b_sid}/Messages.json was not found"
    )


def test_an_unknown_accounts_path_is_20404(http, base_url):
    b_sid = "AC" + secrets.token_hex(16)

    assert_error(
        http.get(base_url + messages_path(b_sid)),
        20404,
        404,
        f"The requested resource /2010-04-01/Accounts/{b_sid}/Messages.json was not found",
    )


def test_create_on_another_accounts_path_is_20404_and_creates_nothing(http, base_url):
    b = new_account()
    b_http = session(b)
    assert b_http.get(base_url + messages_path(b[0])).json()["messages"] == []

    response = http.post(base_url + messages_path(b[0]), data={"To": TO, "From": FROM, "Body": "x"})

    assert_error(response, 20404, 404)
    assert b_http.get(base_url + messages_path(b[0])).json()["messages"] == []


def test_an_account_cannot_see_another_accounts_message(http, messages_url, base_url, account):
    b = new_account()
    b_http = session(b)
    theirs = b_http.post(base_url + messages_path(b[0]), data={"To": TO, "From": FROM, "Body": "B's"}).json()
    sid = theirs["sid"]
    own_path = f"/2010-04-01/Accounts/{account[0]}/Messages/{sid}.json"
    their_path = f"/2010-04-01/Accounts/{b[0]}/Messages/{sid}.json"

    assert_error(http.get(base_url + own_path), 20404, 404, f"The requested resource {own_path} was not found")
    assert_error(http.get(base_url + their_path), 20404, 404)
    assert_error(http.post(base_url + own_path, data={"Body": ""}), 20404, 404)
    assert_error(http.delete(base_url + own_path), 20404, 404)
    assert_error(http.delete(base_url + their_path), 20404, 404)
    assert http.get(messages_url).json()["messages"] == []
    # B's message is untouched.
    fetched = b_http.get(base_url + their_path).json()
    assert (fetched["sid"], fetched["body"]) == (sid, "B's")


# -- API keys ---------------------------------------------------------------------------------------------
def keyed_client(base_url: str, key: str, secret: str, account_sid: str) -> Client:
    return Client(key, secret, account_sid=account_sid, http_client=EmulatorHttpClient(base_url))


def test_a_key_created_through_the_api_authenticates_for_its_account(base_url, account, client, http, messages_url):
    created = http.post(f"{base_url}/2010-04-01/Accounts/{account[0]}/Keys.json", data={"FriendlyName": "ci"})
    assert created.status_code == 201, created.text
    assert_matches(created.json(), "api.v2010.account.new_key")
    key = client.new_keys.create(friendly_name="worker")  # the SDK's own call
    assert key.sid.startswith("SK") and len(key.secret) == 32 and key.friendly_name == "worker"

    keyed = keyed_client(base_url, key.sid, key.secret, account[0])
    message = keyed.messages.create(to=TO, from_=FROM, body="sent with a key")
    assert message.account_sid == account[0]
    assert client.messages(message.sid).fetch().body == "sent with a key"
    service = keyed.messaging.v1.services.create(friendly_name="by key")  # /v1: the key's account
    assert service.account_sid == account[0]
    # Another secret for the same key is refused; so is the key on another account's path.
    assert_401(requests.get(messages_url, auth=(key.sid, "another-secret")))
    other = new_account()
    assert http.get(base_url + messages_path(other[0])).status_code == 404  # the account's own token: 20404
    session(other).get(base_url + messages_path(other[0]))  # the other account exists
    assert_401(requests.get(base_url + messages_path(other[0]), auth=(key.sid, key.secret)))


def test_keys_are_listed_fetched_renamed_and_deleted_without_their_secret(base_url, account, client, http):
    key = client.new_keys.create(friendly_name="old name")
    keys_path = f"/2010-04-01/Accounts/{account[0]}/Keys.json"
    listed = http.get(base_url + keys_path)
    assert_list_matches(listed.json(), "/2010-04-01/Accounts/{AccountSid}/Keys.json")
    assert [k["sid"] for k in listed.json()["keys"]] == [key.sid]
    for body in listed.json()["keys"]:
        assert_matches(body, "api.v2010.account.key")
    fetched = http.get(f"{base_url}/2010-04-01/Accounts/{account[0]}/Keys/{key.sid}.json").json()
    assert_matches(fetched, "api.v2010.account.key")
    assert "secret" not in fetched
    assert client.keys(key.sid).update(friendly_name="new name").friendly_name == "new name"
    assert [k.friendly_name for k in client.keys.list()] == ["new name"]
    assert_error(http.post(f"{base_url}/2010-04-01/Accounts/{account[0]}/Keys.json", data={"FriendlyName": "x" * 65}),
                 20001, 400)

    assert client.keys(key.sid).delete() is True
    assert_401(requests.get(base_url + messages_path(account[0]), auth=(key.sid, key.secret)))
    assert_error(http.get(f"{base_url}/2010-04-01/Accounts/{account[0]}/Keys/{key.sid}.json"), 20404, 404)


def test_a_made_up_key_never_authenticates(base_url, account, messages_url, control):
    made_up = "SK" + secrets.token_hex(16), secrets.token_hex(16)
    assert_401(requests.get(messages_url, auth=made_up))
    assert_401(requests.post(messages_url, auth=made_up, data={"To": TO, "From": FROM, "Body": "x"}))
    assert_401(requests.post(f"{base_url}/v1/Services", auth=made_up, data={"FriendlyName": "x"}))
    assert_401(requests.get(messages_url, auth=made_up))  # not bound by the first attempt either
    assert "never issued" in control.requests()[-1]["reason"]


def test_a_standard_key_may_not_manage_keys(base_url, account, client):
    key = client.new_keys.create()
    keyed = keyed_client(base_url, key.sid, key.secret, account[0])
    with pytest.raises(TwilioRestException) as refused:
        keyed.new_keys.create(friendly_name="from a standard key")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert [k.sid for k in client.keys.list()] == [key.sid]


def test_iam_v1_keys_through_the_sdk(base_url, account, client, http):
    iam = client.iam.v1
    key = iam.new_api_key.create(account_sid=account[0], friendly_name="v1")
    restricted = iam.new_api_key.create(account_sid=account[0], key_type="restricted",
                                        policy={"allow": ["/twilio/messaging/messages/read"]})
    assert restricted.policy == {"allow": ["/twilio/messaging/messages/read"]}
    keyed = keyed_client(base_url, key.sid, key.secret, account[0])
    assert keyed.messages.create(to=TO, from_=FROM, body="v1 key").account_sid == account[0]

    raw = http.post(f"{base_url}/v1/Keys", data={"AccountSid": account[0], "FriendlyName": "raw"})
    assert raw.status_code == 201, raw.text
    assert_matches(raw.json(), "iam.v1.new_key")
    listed = http.get(f"{base_url}/v1/Keys", params={"AccountSid": account[0]}).json()
    assert_list_matches(listed, "/v1/Keys", prefix="iam.v1")
    for body in listed["keys"]:
        assert_matches(body, "iam.v1.get_keys")
    assert [k.sid for k in iam.get_api_keys.list(account_sid=account[0])] == [key.sid, restricted.sid, raw.json()["sid"]]
    assert_matches(http.get(f"{base_url}/v1/Keys/{key.sid}").json(), "iam.v1.key")
    assert iam.api_key(key.sid).update(friendly_name="renamed").friendly_name == "renamed"
    assert iam.api_key(key.sid).delete() is True
    assert_401(requests.get(base_url + messages_path(account[0]), auth=(key.sid, key.secret)))
    # Another account's keys cannot be listed or created with these credentials.
    other = new_account()[0]
    assert_401(http.get(f"{base_url}/v1/Keys", params={"AccountSid": other}))
    assert_401(http.post(f"{base_url}/v1/Keys", data={"AccountSid": other}))
    assert_error(http.post(f"{base_url}/v1/Keys", data={}), 20001, 400)
    assert_error(http.post(f"{base_url}/v1/Keys", data={"AccountSid": account[0], "KeyType": "main"}), 20001, 400)


# -- malformed requests never give 500 ------------------------------------------------------------------------
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def assert_not_500(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code == 201:
        assert_matches(response.json(), "api.v2010.account.message")
    else:
        assert_4xx_envelope(response)


def test_invalid_percent_encoding_in_to_is_a_4xx_envelope(http, messages_url):
    response = http.post(messages_url, data=b"To=%ZZ%2&From=%2B15557650001&Body=hi", headers=FORM)

    assert_4xx_envelope(response)


def test_invalid_percent_encoding_in_body_never_gives_500(http, messages_url):
    response = http.post(messages_url, data=b"To=%2B15551230001&From=%2B15557650001&Body=100%zz%", headers=FORM)

    assert_not_500(response)


def test_non_utf8_body_is_a_4xx_envelope(http, messages_url):
    assert_4xx_envelope(http.post(messages_url, data=b"Body=\xff\xfe", headers=FORM))


def test_non_utf8_body_with_valid_to_and_from_never_gives_500(http, messages_url):
    response = http.post(messages_url, data=b"To=%2B15551230001&From=%2B15557650001&Body=\xff\xfe", headers=FORM)

    assert_not_500(response)


def test_a_json_body_instead_of_a_form_is_a_4xx_envelope(http, messages_url):
    response = http.post(messages_url, json={"To": TO, "From": FROM, "Body": "hi"})

    assert_4xx_envelope(response)
    assert http.get(messages_url).json()["messages"] == []


def test_a_2mb_body_is_a_4xx_envelope(http, messages_url):
    response = http.post(messages_url, data=b"To=%2B15551230001&Body=" + b"a" * (2 * 1024 * 1024), headers=FORM)

    assert_4xx_envelope(response)


def test_an_empty_post_is_21604(http, messages_url):
    assert_error(http.post(messages_url), 21604, 400, "A 'To' phone number is required.")


def test_garbage_content_type_never_gives_500(http, messages_url):
    response = http.post(messages_url, data=b"\x00\x01\x02", headers={"Content-Type": "application/octet-stream"})

    assert_4xx_envelope(response)


def test_invalid_boolean_on_v1_is_20001(http, base_url):
    response = http.post(f"{base_url}/v1/Services", data={"FriendlyName": "x", "StickySender": "maybe"})

    assert_error(response, 20001, 400)
    assert http.get(f"{base_url}/v1/Services").json()["services"] == []


def test_non_utf8_form_on_v1_is_a_4xx_envelope(http, base_url):
    response = http.post(f"{base_url}/v1/Services", data=b"FriendlyName=Caf\xe9&StickySender=maybe", headers=FORM)

    assert_4xx_envelope(response)
    assert http.get(f"{base_url}/v1/Services").json()["services"] == []


def test_invalid_paging_on_v1_is_20001(http, base_url):
    assert_error(http.get(f"{base_url}/v1/Services", params={"PageSize": 0}), 20001, 400)


def test_a_huge_page_number_never_gives_500(http, messages_url):
    http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x"})

    response = http.get(messages_url, params={"Page": 10**30, "PageSize": 50})

    assert response.status_code < 500, response.text[:300]
    if response.status_code == 200:
        assert response.json()["messages"] == []
        assert response.json()["next_page_uri"] is None
    else:
        assert_4xx_envelope(response)


@pytest.mark.parametrize("sid", ["%00", "SM%ff", "..%2F..%2Fnope", "SM" + "0" * 500])
def test_odd_message_sids_in_the_path_are_20404(http, messages_url, sid):
    assert_error(http.get(messages_url[: -len(".json")] + f"/{sid}.json"), 20404, 404)


def test_a_nul_character_in_the_body_round_trips(http, messages_url, base_url):
    created = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "x\x00y"})

    assert created.status_code == 201, created.text
    assert http.get(base_url + created.json()["uri"]).json()["body"] == "x\x00y"


# -- SDK exception mapping ----------------------------------------------------------------------------------
def test_sdk_create_error_maps_to_twilio_rest_exception(client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="123", from_=FROM, body="x")

    assert info.value.status == 400
    assert info.value.code == 21211
    assert info.value.msg == "Unable to create record: The 'To' number 123 is not a valid phone number."
    assert info.value.msg.startswith("Unable to create record: ")


def test_sdk_21610_maps_like_production(client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="+15005550004", from_="+15005550006", body="x")

    assert (info.value.status, info.value.code) == (400, 21610)
    assert info.value.msg == "Unable to create record: Attempt to send to unsubscribed recipient"


def test_sdk_429_maps_to_status_429(client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=TO, from_="+15005550008", body="x")

    assert (info.value.status, info.value.code) == (429, 21611)
    assert info.value.msg == "Unable to create record: SMS queue is full."


def test_sdk_bad_credentials_on_create(base_url, client, account):
    client.messages.create(to=TO, from_=FROM, body="binds the token")
    wrong = twilio_client(base_url, account[0], "wrong-token")

    with pytest.raises(TwilioRestException) as info:
        wrong.messages.create(to=TO, from_=FROM, body="x")

    assert (info.value.status, info.value.code) == (401, 20003)
    assert info.value.msg.startswith("Unable to create record: ")


def test_sdk_fetch_of_an_unknown_service_maps_to_20404(client):
    with pytest.raises(TwilioRestException) as info:
        client.messaging.v1.services("MG" + "0" * 32).fetch()

    assert (info.value.status, info.value.code) == (404, 20404)
    assert info.value.msg.startswith("Unable to fetch record: ")
