"""Black-box tests of GET/POST/DELETE /2010-04-01/Accounts/{AC}/Messages/{SID}.json.

Expected values come from Twilio's Message resource (www.twilio.com/docs/messaging/api/message-resource) and the README."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from client_tests.spec import assert_error, assert_matches

MESSAGE = "api.v2010.account.message"
TO = "+15551230001"
FROM = "+15557650001"
UNKNOWN_SM = "SM" + "0123456789abcdef" * 2
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")




@pytest.fixture
def sent(http, messages_url) -> dict:
    response = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "Secret code 1234"})
    assert response.status_code == 201, response.text
    return response.json()


def message_url(base_url: str, account: tuple[str, str], sid: str) -> str:
    return f"{base_url}/2010-04-01/Accounts/{account[0]}/Messages/{sid}.json"


# -- fetch ----------------------------------------------------------------------------------------------
def test_raw_fetch(http, base_url, account, sent):
    response = http.get(message_url(base_url, account, sent["sid"]))

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_matches(body, MESSAGE)
    assert body["sid"] == sent["sid"]
    assert body["account_sid"] == account[0]
    assert body["to"] == TO
    assert body["from"] == FROM
    assert body["body"] == "Secret code 1234"
    assert body["status"] == "delivered"
    assert RFC2822.match(body["date_sent"])
    assert body["uri"] == f"/2010-04-01/Accounts/{account[0]}/Messages/{sent['sid']}.json"


def test_raw_fetch_without_json_suffix_answers_json(http, base_url, account, sent):
    response = http.get(message_url(base_url, account, sent["sid"])[: -len(".json")])

    assert response.status_code == 200, response.text
    assert_matches(response.json(), MESSAGE)
    assert response.json()["sid"] == sent["sid"]


def test_sdk_fetch(client, sent):
    message = client.messages(sent["sid"]).fetch()

    assert message.sid == sent["sid"]
    assert message.body == "Secret code 1234"
    assert message.status == "delivered"
    assert message.date_sent is not None
    assert message.num_segments == "1"


def test_fetch_an_mms(http, messages_url, base_url, account):
    data = {"To": TO, "From": FROM, "MediaUrl": "https://example.com/a.png"}
    sid = http.post(messages_url, data=data).json()["sid"]

    body = http.get(message_url(base_url, account, sid)).json()

    assert_matches(body, MESSAGE)
    assert body["sid"] == sid and sid.startswith("MM")
    assert body["num_media"] == "1"


def test_fetch_unknown_sid_is_20404(http, base_url, account):
    response = http.get(message_url(base_url, account, UNKNOWN_SM))

    assert_error(
        response,
        20404,
        404,
        f"The requested resource /2010-04-01/Accounts/{account[0]}/Messages/{UNKNOWN_SM}.json was not found",
    )


def test_sdk_fetch_unknown_sid_raises(client, account):
    with pytest.raises(TwilioRestException) as info:
        client.messages(UNKNOWN_SM).fetch()

    assert info.value.status == 404
    assert info.value.code == 20404
    assert info.value.msg == (
        f"Unable to fetch record: The requested resource /2010-04-01/Accounts/{account[0]}/Messages/"
        f"{UNKNOWN_SM}.json was not found"
    )


# -- update ---------------------------------------------------------------------------------------------
def test_sdk_update_with_empty_body_redacts(client, sent):
    updated = client.messages(sent["sid"]).update(body="")

    assert updated.sid == sent["sid"]
    assert updated.body == ""
    assert client.messages(sent["sid"]).fetch().body == ""


def test_raw_update_with_empty_body_redacts(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    response = http.post(url, data={"Body": ""})

    assert response.status_code == 200, response.text
    assert_matches(response.json(), MESSAGE)
    assert response.json()["body"] == ""
    fetched = http.get(url).json()
    assert fetched["body"] == ""
    # Only the body is redacted.
    assert (fetched["to"], fetched["from"], fetched["status"]) == (TO, FROM, "delivered")


def test_redacted_body_is_empty_in_the_list_too(http, messages_url, base_url, account, sent):
    http.post(message_url(base_url, account, sent["sid"]), data={"Body": ""})

    listed = http.get(messages_url).json()["messages"]

    assert [(m["sid"], m["body"]) for m in listed] == [(sent["sid"], "")]


def test_update_body_to_text_is_30400(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    assert_error(http.post(url, data={"Body": "x"}), 30400, 400)
    assert http.get(url).json()["body"] == "Secret code 1234"


def test_update_body_and_status_together_is_30400(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    response = http.post(url, data={"Body": "", "Status": "canceled"})

    assert_error(
        response, 30400, 400, "Attempted to cancel the message and redact the message body at the same time"
    )
    fetched = http.get(url).json()
    assert fetched["body"] == "Secret code 1234"
    assert fetched["status"] == "delivered"


def test_cancel_a_delivered_message_is_30400(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    assert_error(http.post(url, data={"Status": "canceled"}), 30400, 400)
    assert http.get(url).json()["status"] == "delivered"


def test_update_with_an_invalid_status_is_30400(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    assert_error(http.post(url, data={"Status": "delivered"}), 30400, 400)


def test_update_with_nothing_is_30400(http, base_url, account, sent):
    assert_error(http.post(message_url(base_url, account, sent["sid"]), data={}), 30400, 400)


def test_sdk_update_error_prefix(client, sent):
    with pytest.raises(TwilioRestException) as info:
        client.messages(sent["sid"]).update(body="not allowed")

    assert info.value.status == 400
    assert info.value.code == 30400
    assert info.value.msg.startswith("Unable to update record: ")


def test_update_unknown_sid_is_20404(http, base_url, account):
    url = message_url(base_url, account, UNKNOWN_SM)

    assert_error(
        http.post(url, data={"Body": ""}),
        20404,
        404,
        f"The requested resource /2010-04-01/Accounts/{account[0]}/Messages/{UNKNOWN_SM}.json was not found",
    )


def scheduled_message(http: requests.Session, base_url: str, account: tuple[str, str]) -> dict:
    """A message scheduled two hours ahead through a Messaging Service (Twilio's message scheduling)."""
    api = f"{base_url}/2010-04-01/Accounts/{account[0]}"
    number = http.post(f"{api}/IncomingPhoneNumbers.json", data={"PhoneNumber": FROM}).json()
    service = http.post(f"{base_url}/v1/Services", data={"FriendlyName": "Scheduler"}).json()
    added = http.post(f"{base_url}/v1/Services/{service['sid']}/PhoneNumbers", data={"PhoneNumberSid": number["sid"]})
    assert added.status_code == 201, added.text
    now = datetime.fromisoformat(requests.get(f"{base_url}/_emulator/clock").json()["now"].replace("Z", "+00:00"))
    send_at = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {"To": TO, "MessagingServiceSid": service["sid"], "Body": "later", "ScheduleType": "fixed", "SendAt": send_at}
    response = http.post(f"{api}/Messages.json", data=data)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "scheduled"
    return response.json()


def test_cancel_a_scheduled_message(http, base_url, account, control):
    message = scheduled_message(http, base_url, account)
    url = message_url(base_url, account, message["sid"])

    response = http.post(url, data={"Status": "canceled"})

    assert response.status_code == 200, response.text
    assert_matches(response.json(), MESSAGE)
    assert response.json()["status"] == "canceled"
    assert http.get(url).json()["status"] == "canceled"


def test_sdk_cancel_a_scheduled_message(client, http, base_url, account, control):
    message = scheduled_message(http, base_url, account)

    assert client.messages(message["sid"]).update(status="canceled").status == "canceled"
    assert client.messages(message["sid"]).fetch().status == "canceled"


# -- delete ---------------------------------------------------------------------------------------------
def test_raw_delete_is_204_then_fetch_is_404(http, messages_url, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])

    response = http.delete(url)

    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        http.get(url),
        20404,
        404,
        f"The requested resource /2010-04-01/Accounts/{account[0]}/Messages/{sent['sid']}.json was not found",
    )
    assert http.get(messages_url).json()["messages"] == []


def test_sdk_delete(client, sent):
    assert client.messages(sent["sid"]).delete() is True

    with pytest.raises(TwilioRestException) as info:
        client.messages(sent["sid"]).fetch()
    assert info.value.code == 20404


def test_delete_only_removes_that_message(http, messages_url, base_url, account, sent):
    other = http.post(messages_url, data={"To": TO, "From": FROM, "Body": "keep me"}).json()

    assert http.delete(message_url(base_url, account, sent["sid"])).status_code == 204

    assert [m["sid"] for m in http.get(messages_url).json()["messages"]] == [other["sid"]]


def test_delete_twice_is_404(http, base_url, account, sent):
    url = message_url(base_url, account, sent["sid"])
    assert http.delete(url).status_code == 204

    assert_error(http.delete(url), 20404, 404)


def test_delete_unknown_sid_is_20404(http, base_url, account):
    assert_error(
        http.delete(message_url(base_url, account, UNKNOWN_SM)),
        20404,
        404,
        f"The requested resource /2010-04-01/Accounts/{account[0]}/Messages/{UNKNOWN_SM}.json was not found",
    )


def test_sdk_delete_unknown_raises(client):
    with pytest.raises(TwilioRestException) as info:
        client.messages(UNKNOWN_SM).delete()

    assert info.value.status == 404
    assert info.value.code == 20404
    assert info.value.msg.startswith("Unable to delete record: ")
