"""Black-box tests of GET /2010-04-01/Accounts/{AC}/Messages.json: order, filters, paging, page envelope.

Expected values come from Twilio's Message resource (www.twilio.com/docs/messaging/api/message-resource) and the README."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from twilio.base.exceptions import TwilioException

from client_tests.spec import assert_error, assert_list_matches, assert_matches
from emulator.testing import twilio_client

LIST_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
TO = "+15551230001"
TO_2 = "+15551230002"
FROM = "+15557650001"
FROM_2 = "+15557650002"
PAGE_KEYS = {
    "messages",
    "end",
    "first_page_uri",
    "next_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "start",
    "uri",
}


def send(http: requests.Session, messages_url: str, n: int = 1, to: str = TO, from_: str = FROM) -> list[str]:
    """Create n messages; their SIDs in creation order."""
    sids = []
    for i in range(n):
        response = http.post(messages_url, data={"To": to, "From": from_, "Body": f"message {i}"})
        assert response.status_code == 201, response.text
        sids.append(response.json()["sid"])
    return sids


def get_page(http: requests.Session, url: str, params=None) -> dict:
    response = http.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_list_matches(body, LIST_PATH)
    assert set(body) == PAGE_KEYS
    return body


def query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query, keep_blank_values=True)




def sent_day(http: requests.Session, base_url: str, messages_url: str) -> date:
    """The UTC day the account's newest message was sent (read back, not assumed)."""
    message = get_page(http, messages_url)["messages"][0]
    assert message["date_sent"] is not None
    return parsedate_to_datetime(message["date_sent"]).astimezone(UTC).date()


# -- order and envelope --------------------------------------------------------------------------------
def test_list_is_newest_first(http, messages_url):
    sids = send(http, messages_url, 4)

    body = get_page(http, messages_url)

    assert [m["sid"] for m in body["messages"]] == list(reversed(sids))


def test_empty_list(http, messages_url, account):
    body = get_page(http, messages_url)

    assert body["messages"] == []
    assert body["page"] == 0
    assert body["page_size"] == 50
    assert body["start"] == 0
    assert body["next_page_uri"] is None
    assert body["previous_page_uri"] is None


def test_page_envelope(http, messages_url, account):
    sids = send(http, messages_url, 3)

    body = get_page(http, messages_url)

    for message in body["messages"]:
        assert_matches(message, "api.v2010.account.message")
        assert message["account_sid"] == account[0]
    assert len(body["messages"]) == 3
    assert body["page"] == 0
    assert body["page_size"] == 50  # the default
    assert body["start"] == 0
    assert body["end"] == 2
    assert body["next_page_uri"] is None
    assert body["previous_page_uri"] is None
    path = f"/2010-04-01/Accounts/{account[0]}/Messages.json"
    for key in ("uri", "first_page_uri"):
        assert body[key].startswith("/"), body[key]  # root-relative
        assert urlsplit(body[key]).path == path
        assert query(body[key])["PageSize"] == ["50"]
        assert query(body[key])["Page"] == ["0"]
    assert {m["sid"] for m in body["messages"]} == set(sids)


def test_default_page_size_is_50(http, messages_url):
    send(http, messages_url, 51)

    body = get_page(http, messages_url)

    assert len(body["messages"]) == 50
    assert body["page_size"] == 50
    assert body["end"] == 49
    assert body["next_page_uri"] is not None


def test_list_only_shows_this_accounts_messages(http, messages_url, base_url):
    mine = send(http, messages_url, 2)
    other = twilio_client(base_url, "AC" + secrets.token_hex(16), "token")
    other.messages.create(to=TO, from_=FROM_2, body="not yours")

    body = get_page(http, messages_url)

    assert [m["sid"] for m in body["messages"]] == list(reversed(mine))


# -- filters -----------------------------------------------------------------------------------------------
def test_filter_by_to(http, messages_url):
    to_1 = send(http, messages_url, 2, to=TO)
    to_2 = send(http, messages_url, 3, to=TO_2)

    body = get_page(http, messages_url, {"To": TO_2})

    assert [m["sid"] for m in body["messages"]] == list(reversed(to_2))
    assert all(m["to"] == TO_2 for m in body["messages"])
    assert query(body["uri"])["To"] == [TO_2]
    assert query(body["first_page_uri"])["To"] == [TO_2]
    assert not set(to_1) & {m["sid"] for m in body["messages"]}


def test_filter_by_from(http, messages_url):
    send(http, messages_url, 2, from_=FROM)
    from_2 = send(http, messages_url, 2, from_=FROM_2)

    body = get_page(http, messages_url, {"From": FROM_2})

    assert [m["sid"] for m in body["messages"]] == list(reversed(from_2))
    assert query(body["uri"])["From"] == [FROM_2]


def test_filters_combine(http, messages_url):
    send(http, messages_url, 1, to=TO, from_=FROM)
    wanted = send(http, messages_url, 1, to=TO_2, from_=FROM)
    send(http, messages_url, 1, to=TO_2, from_=FROM_2)

    body = get_page(http, messages_url, {"To": TO_2, "From": FROM})

    assert [m["sid"] for m in body["messages"]] == wanted


def test_filter_matching_nothing(http, messages_url):
    send(http, messages_url, 2)

    body = get_page(http, messages_url, {"To": "+15559999999"})

    assert body["messages"] == []
    assert body["next_page_uri"] is None


def test_sdk_filters_by_to_and_from(client):
    a = client.messages.create(to=TO, from_=FROM, body="a")
    b = client.messages.create(to=TO_2, from_=FROM_2, body="b")

    assert [m.sid for m in client.messages.list(to=TO)] == [a.sid]
    assert [m.sid for m in client.messages.list(from_=FROM_2)] == [b.sid]


def test_date_sent_filter_by_day(http, messages_url, base_url):
    sids = send(http, messages_url, 3)
    day = sent_day(http, base_url, messages_url)

    today = get_page(http, messages_url, {"DateSent": day.isoformat()})
    yesterday = get_page(http, messages_url, {"DateSent": (day - timedelta(days=1)).isoformat()})
    tomorrow = get_page(http, messages_url, {"DateSent": (day + timedelta(days=1)).isoformat()})

    assert [m["sid"] for m in today["messages"]] == list(reversed(sids))
    assert query(today["uri"])["DateSent"] == [day.isoformat()]
    assert yesterday["messages"] == []
    assert tomorrow["messages"] == []


def test_date_sent_filter_accepts_a_datetime(http, messages_url, base_url):
    sids = send(http, messages_url, 2)
    day = sent_day(http, base_url, messages_url)

    # The SDK's form (twilio-python's date filters): compared by date.
    body = get_page(http, messages_url, {"DateSent": f"{day.isoformat()}T00:00:00Z"})
    other_day = get_page(http, messages_url, {"DateSent": f"{(day - timedelta(days=1)).isoformat()}T23:00:00Z"})

    assert [m["sid"] for m in body["messages"]] == list(reversed(sids))
    assert other_day["messages"] == []


def test_date_sent_before_and_after_are_inclusive(http, messages_url, base_url):
    sids = list(reversed(send(http, messages_url, 2)))
    day = sent_day(http, base_url, messages_url)
    prev, following = day - timedelta(days=1), day + timedelta(days=1)

    def sids_for(params: dict) -> list[str]:
        return [m["sid"] for m in get_page(http, messages_url, params)["messages"]]

    # requests percent-encodes the literal names as DateSent%3C / DateSent%3E.
    assert sids_for({"DateSent<": day.isoformat()}) == sids
    assert sids_for({"DateSent<": following.isoformat()}) == sids
    assert sids_for({"DateSent<": prev.isoformat()}) == []
    assert sids_for({"DateSent>": day.isoformat()}) == sids
    assert sids_for({"DateSent>": prev.isoformat()}) == sids
    assert sids_for({"DateSent>": following.isoformat()}) == []
    assert sids_for({"DateSent>": prev.isoformat(), "DateSent<": following.isoformat()}) == sids
    assert sids_for({"DateSent>": following.isoformat(), "DateSent<": following.isoformat()}) == []


def test_date_sent_bounds_by_hand_written_query_strings(http, messages_url, base_url):
    sids = list(reversed(send(http, messages_url, 2)))
    day = sent_day(http, base_url, messages_url)
    prev = (day - timedelta(days=1)).isoformat()

    def sids_for(query_string: str) -> list[str]:
        return [m["sid"] for m in get_page(http, f"{messages_url}?{query_string}")["messages"]]

    assert sids_for(f"DateSent%3C={day.isoformat()}") == sids
    assert sids_for(f"DateSent%3C={prev}") == []
    assert sids_for(f"DateSent%3E={prev}") == sids
    assert sids_for(f"DateSent%3E={(day + timedelta(days=1)).isoformat()}") == []


def test_date_sent_bounds_are_carried_into_page_uris(http, messages_url, base_url):
    send(http, messages_url, 3)
    day = sent_day(http, base_url, messages_url).isoformat()

    body = get_page(http, messages_url, {"DateSent<": day, "DateSent>": day, "PageSize": 1})

    for key in ("uri", "first_page_uri", "next_page_uri"):
        assert query(body[key])["DateSent<"] == [day], body[key]
        assert query(body[key])["DateSent>"] == [day], body[key]


def test_sdk_date_sent_filters(client, http, base_url, messages_url):
    a = client.messages.create(to=TO, from_=FROM, body="a")
    b = client.messages.create(to=TO, from_=FROM, body="b")
    day = sent_day(http, base_url, messages_url)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    newest_first = [b.sid, a.sid]

    assert [m.sid for m in client.messages.list(date_sent=midnight)] == newest_first
    assert client.messages.list(date_sent=midnight - timedelta(days=1)) == []
    assert [m.sid for m in client.messages.list(date_sent_before=midnight)] == newest_first
    assert client.messages.list(date_sent_before=midnight - timedelta(days=1)) == []
    assert [m.sid for m in client.messages.list(date_sent_after=midnight)] == newest_first
    assert client.messages.list(date_sent_after=midnight + timedelta(days=1)) == []


def test_date_sent_filters_across_days(control, http, messages_url):
    """Messages sent on two days (the emulator's clock moved 2 days between them)."""
    [early] = send(http, messages_url, 1)
    control.advance_clock(2 * 86400)
    [late] = send(http, messages_url, 1)
    page = get_page(http, messages_url)
    assert [m["sid"] for m in page["messages"]] == [late, early]  # newest first
    days = {m["sid"]: parsedate_to_datetime(m["date_sent"]).astimezone(UTC).date() for m in page["messages"]}
    d1, d3 = days[early], days[late]
    assert d3 - d1 == timedelta(days=2)
    d2 = (d1 + timedelta(days=1)).isoformat()

    def sids_for(params: dict) -> list[str]:
        return [m["sid"] for m in get_page(http, messages_url, params)["messages"]]

    assert sids_for({"DateSent": d1.isoformat()}) == [early]
    assert sids_for({"DateSent": d2}) == []
    assert sids_for({"DateSent": d3.isoformat()}) == [late]
    assert sids_for({"DateSent<": d1.isoformat()}) == [early]  # on or before
    assert sids_for({"DateSent<": d2}) == [early]
    assert sids_for({"DateSent<": d3.isoformat()}) == [late, early]
    assert sids_for({"DateSent>": d1.isoformat()}) == [late, early]  # on or after
    assert sids_for({"DateSent>": d2}) == [late]
    assert sids_for({"DateSent>": d3.isoformat()}) == [late]
    assert sids_for({"DateSent>": d2, "DateSent<": d2}) == []
    assert sids_for({"DateSent": f"{d1.isoformat()}T23:59:59Z"}) == [early]


def test_sdk_date_sent_filters_across_days(control, client, http, messages_url):
    early = client.messages.create(to=TO, from_=FROM, body="early")
    control.advance_clock(2 * 86400)
    late = client.messages.create(to=TO, from_=FROM, body="late")
    d1 = client.messages(early.sid).fetch().date_sent
    day1 = datetime(d1.year, d1.month, d1.day, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)

    assert [m.sid for m in client.messages.list(date_sent=day1)] == [early.sid]
    assert client.messages.list(date_sent=day2) == []
    assert [m.sid for m in client.messages.list(date_sent_before=day2)] == [early.sid]
    assert [m.sid for m in client.messages.list(date_sent_after=day2)] == [late.sid]
    assert [m.sid for m in client.messages.list(date_sent_after=day1)] == [late.sid, early.sid]


def test_invalid_date_sent_is_20001(http, messages_url):
    assert_error(http.get(messages_url, params={"DateSent": "yesterday"}), 20001)


# -- paging -----------------------------------------------------------------------------------------------
def test_following_next_page_uri_yields_every_message_once(http, messages_url, base_url, account):
    sids = send(http, messages_url, 5)
    seen: list[str] = []
    pages = []
    body = get_page(http, messages_url, {"PageSize": 2})
    while True:
        pages.append(body)
        seen += [m["sid"] for m in body["messages"]]
        if body["next_page_uri"] is None:
            break
        assert body["next_page_uri"].startswith(f"/2010-04-01/Accounts/{account[0]}/Messages.json?")
        body = get_page(http, base_url + body["next_page_uri"])

    assert seen == list(reversed(sids))
    assert [p["page"] for p in pages] == [0, 1, 2]
    assert [(p["start"], p["end"]) for p in pages] == [(0, 1), (2, 3), (4, 4)]
    assert [len(p["messages"]) for p in pages] == [2, 2, 1]
    assert all(p["page_size"] == 2 for p in pages)
    assert pages[0]["previous_page_uri"] is None
    assert pages[1]["previous_page_uri"] is not None
    assert pages[2]["previous_page_uri"] is not None
    assert pages[0]["next_page_uri"] is not None
    assert pages[2]["next_page_uri"] is None
    for page in pages:
        assert page["first_page_uri"] == pages[0]["first_page_uri"]
        for key in ("uri", "first_page_uri", "next_page_uri", "previous_page_uri"):
            if page[key] is not None:
                assert page[key].startswith("/2010-04-01/"), page[key]
                assert query(page[key])["PageSize"] == ["2"]
    assert query(pages[0]["next_page_uri"])["Page"] == ["1"]
    assert query(pages[1]["next_page_uri"])["Page"] == ["2"]
    assert query(pages[1]["previous_page_uri"])["Page"] == ["0"]


def test_page_tokens_name_the_edge_messages(http, messages_url, base_url):
    """Twilio's paging: next PageToken is PA + the last SID of the page, previous is PB + the first."""
    send(http, messages_url, 5)
    first = get_page(http, messages_url, {"PageSize": 2})
    second = get_page(http, base_url + first["next_page_uri"])

    assert query(first["next_page_uri"])["PageToken"] == ["PA" + first["messages"][-1]["sid"]]
    assert query(second["next_page_uri"])["PageToken"] == ["PA" + second["messages"][-1]["sid"]]
    assert query(second["previous_page_uri"])["PageToken"] == ["PB" + second["messages"][0]["sid"]]


def test_next_page_uri_carries_the_filters(http, messages_url, base_url):
    wanted = send(http, messages_url, 3, to=TO_2)
    send(http, messages_url, 3, to=TO)

    first = get_page(http, messages_url, {"To": TO_2, "PageSize": 2})
    assert query(first["next_page_uri"])["To"] == [TO_2]
    second = get_page(http, base_url + first["next_page_uri"])

    assert [m["sid"] for m in first["messages"] + second["messages"]] == list(reversed(wanted))
    assert second["next_page_uri"] is None
    assert query(second["uri"])["To"] == [TO_2]
    assert query(second["previous_page_uri"])["To"] == [TO_2]


def test_previous_page_uri_leads_back(http, messages_url, base_url):
    send(http, messages_url, 4)
    first = get_page(http, messages_url, {"PageSize": 2})
    second = get_page(http, base_url + first["next_page_uri"])

    back = get_page(http, base_url + second["previous_page_uri"])

    assert [m["sid"] for m in back["messages"]] == [m["sid"] for m in first["messages"]]
    assert back["page"] == 0


def test_uri_echoes_the_page_token(http, messages_url, base_url):
    send(http, messages_url, 3)
    first = get_page(http, messages_url, {"PageSize": 1})
    token = query(first["next_page_uri"])["PageToken"]

    second = get_page(http, base_url + first["next_page_uri"])

    assert query(second["uri"]).get("PageToken") == token, second["uri"]


def test_page_parameter_without_token(http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 5)))

    body = get_page(http, messages_url, {"PageSize": 2, "Page": 1})

    assert [m["sid"] for m in body["messages"]] == newest_first[2:4]
    assert body["page"] == 1
    assert (body["start"], body["end"]) == (2, 3)
    assert body["previous_page_uri"] is not None


def test_page_token_starts_after_its_message(http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 5)))

    body = get_page(http, messages_url, {"PageSize": 2, "Page": 1, "PageToken": f"PA{newest_first[1]}"})

    assert [m["sid"] for m in body["messages"]] == newest_first[2:4]


def test_page_size_bounds_accepted(http, messages_url):
    send(http, messages_url, 3)

    one = get_page(http, messages_url, {"PageSize": 1})
    thousand = get_page(http, messages_url, {"PageSize": 1000})

    assert len(one["messages"]) == 1 and one["page_size"] == 1 and (one["start"], one["end"]) == (0, 0)
    assert len(thousand["messages"]) == 3 and thousand["page_size"] == 1000
    assert thousand["next_page_uri"] is None


@pytest.mark.parametrize(
    "params", [{"PageSize": 0}, {"PageSize": 1001}, {"PageSize": -1}, {"PageSize": "ten"}, {"Page": -1}, {"Page": "x"}]
)
def test_invalid_paging_is_20001(http, messages_url, params):
    assert_error(http.get(messages_url, params=params), 20001, 400)


# -- through the SDK ----------------------------------------------------------------------------------------
def test_sdk_list_with_limit_across_pages(client, http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 7)))

    listed = client.messages.list(limit=5, page_size=2)

    assert [m.sid for m in listed] == newest_first[:5]


def test_sdk_stream_yields_every_message_once(client, http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 7)))

    streamed = [m.sid for m in client.messages.stream(page_size=2)]

    assert streamed == newest_first


def test_sdk_list_all_pages(client, http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 5)))

    assert [m.sid for m in client.messages.list(page_size=3)] == newest_first


def test_sdk_page_and_next_page(client, http, messages_url):
    newest_first = list(reversed(send(http, messages_url, 3)))

    page = client.messages.page(page_size=2)
    following = page.next_page()

    assert [m.sid for m in page] == newest_first[:2]
    assert [m.sid for m in following] == newest_first[2:]
    assert following.next_page() is None


def test_sdk_list_with_bad_credentials_raises(base_url, client, account):
    client.messages.create(to=TO, from_=FROM, body="binds the token")
    wrong = twilio_client(base_url, account[0], "not-the-token")

    with pytest.raises(TwilioException):
        wrong.messages.list()
