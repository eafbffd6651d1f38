"""Robustness fuzzing of every endpoint, in process (Flask's test client), with hypothesis.

The promise under test (README "Errors" and "Control API"):
  * no input ever gets a 5xx answer;
  * every error on a Twilio path (anything outside /_emulator: /2010-04-01, /v1, unknown routes) is
    Twilio's envelope with exactly code (a Twilio error code), message, more_info
    (https://www.twilio.com/docs/errors/<code>) and status (the HTTP status); a 20003/401 may also
    carry "detail";
  * every error under /_emulator is exactly {"error": "<text>"}; every success is JSON, except the
    sandbox page's HTML, CSS and JavaScript, exports (TOML, Python) and the event stream;
  * bad input never loses or corrupts state created before it.

Routes come from app.url_map, so a new route is fuzzed without touching this file. Requests are
symbolic (path variables and values may name a real resource of a world built before each example)
and rendered against that world. Hypothesis runs derandomized (no example database), so CI sees the
same examples every run.

The inputs that answered 500 (or broke an account) when this file was written are pinned by the
regression tests at the bottom, each with its exact request. A bug found later: add a strict xfail test
with its reproducer, and keep its input class out of the properties until it is fixed.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import operator
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from emulator import Settings
from emulator.app import create_app, shutdown
from emulator.domain.models import Message
from emulator.optout import OptOutRecord
from emulator.storage import SqliteStore

# -- the world every example starts from ------------------------------------------------------------
ACCOUNT, OTHER = "AC" + "a1" * 16, "AC" + "b2" * 16  # the main (victim) account and a second one
TOKEN, OTHER_TOKEN = "token-a", "token-b"
KEY, KEY_SECRET = "SK" + "5" * 32, "key-secret"  # a key declared for ACCOUNT
NUMBER, OTHER_NUMBER = "+15557650001", "+15557650002"
SHORT_CODE = "55555"
HANDSETS = ("+15551230001", "+15551230002", "+15551230003", "+15551230004")
DEAD_URL = "http://127.0.0.1:9/hook"  # the discard port: refused at once, never hangs a worker

# Roles of real resources; a symbolic Ref names one and is resolved against each example's world.
ROLES = (
    "account", "number", "short_code", "message", "inbound", "scheduled", "service", "alpha",
    "other", "other_number", "other_message", "other_service", "key", "other_key",
)
# In the state-integrity burst, what garbage may not touch (the victim's) maps to its twin in the
# other account, so requests stay just as varied but cannot legitimately change the victim.
VICTIM_TWIN = {
    "account": "other", "number": "other_number", "short_code": "other_number", "message": "other_message",
    "inbound": "other_message", "scheduled": "other_message", "service": "other_service", "alpha": "other_number",
    "key": "other_key",
}
TWILIO_CODE = re.compile(r"^[1-9]\d{4}$")
ENVELOPE = {"code", "message", "more_info", "status"}
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")


@dataclass(frozen=True)
class Ref:
    role: str
    suffix: str = ""
    prefix: str = ""  # e.g. "PA"/"PB": a page token anchored on the resource

    def resolve(self, world: dict[str, str]) -> str:
        return self.prefix + world[self.role] + self.suffix


def _sid_like(prefix: str, digits: str) -> str:
    return prefix + digits


# -- routes from the app itself ------------------------------------------------------------------------
VAR = re.compile(r"<(?:(?P<conv>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    rule: str  # werkzeug rule text, or a pseudo-rule for a path no route serves
    methods: tuple[str, ...]
    parts: tuple[Any, ...]  # str (static text) or (converter, args, name)

    @property
    def control(self) -> bool:
        return self.rule.startswith("/_emulator")


def _parse(rule: str, methods: set[str]) -> Route:
    parts: list[Any] = []
    pos = 0
    for match in VAR.finditer(rule):
        parts.append(rule[pos : match.start()])
        args = tuple(a.strip() for a in (match["args"] or "").split(",") if a.strip())
        parts.append((match["conv"] or "default", args, match["name"]))
        pos = match.end()
    parts.append(rule[pos:])
    return Route(rule, tuple(sorted(methods)), tuple(p for p in parts if p != ""))


class WholeAnswers(FlaskClient):
    """A test client that reads every answer whole (and so ends its request, as a server would),
    except an event stream, which never ends: the fuzz closes those itself."""

    def open(self, *args, **kwargs):
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        kwargs.setdefault("buffered", not path.startswith("/_emulator/events"))
        return super().open(*args, **kwargs)


def fuzz_app(settings: Settings):
    app = create_app(settings)
    app.test_client_class = WholeAnswers
    return app


def _routes() -> list[Route]:
    app = create_app(Settings())
    try:
        routes = [_parse(r.rule, set(r.methods or ())) for r in app.url_map.iter_rules()]
    finally:
        shutdown(app)
    # Paths no route serves must answer in their prefix's error shape too.
    for pseudo in (
        "/",
        "/2010-04-01",
        "/2010-04-01/Accounts/<AccountSid>.json",
        "/2010-04-01/Accounts/<AccountSid>/Calls.json",
        "/2010-04-01/Accounts/<AccountSid>/Messages/<sid>/Media.json",
        "/v1",
        "/v2/Services/<sid>",
        "/_emulator",
        "/_emulator/<name>",
        "/<garbage>",
    ):
        routes.append(_parse(pseudo, set(METHODS)))
    return routes


ROUTES = _routes()
CONTROL_ROUTES = [r for r in ROUTES if r.control]
RESET_RULE = "/_emulator/reset"


# -- strategies ---------------------------------------------------------------------------------------------
any_char = st.characters(exclude_categories=())  # everything, lone surrogates and controls included
text_any = st.text(any_char, max_size=40)
text_controls = st.text(st.characters(max_codepoint=0x9F), max_size=20)
ascii_text = st.text(st.characters(max_codepoint=0x7F), max_size=40)
latin1_header = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=60)
# Up to ~200 KB of one repeated snippet (hypothesis cannot draw that much text directly).
huge_text = st.builds(
    operator.mul,
    st.sampled_from(["a", "é", "\x00", "☃", "%", "&=", "😀", "+1555", "STOP ", "\ud800", "\r\n"]),
    st.integers(min_value=1_000, max_value=100_000),
)
huge_bytes = st.builds(operator.mul, st.binary(min_size=1, max_size=3), st.integers(1_000, 200_000))

INTERESTING = (
    "", " ", "\x00", "\t", "\ufeff", "\ud800", "null", "None", "[]", "{}",
    "true", "false", "True", "yes", "1", "0", "-1", "01", "1e3", "NaN", "inf", str(10**30), "9" * 60,
    "GET", "POST", "get", "DELETE", "fixed", "canceled", "cancelled", "sms", "rcs", "manual", "timed",
    "STOP", "stop", " STOP ", "START", "UNSTOP", "HELP", "INFO", "YES", "Stop.", "ＳＴＯＰ",
    *HANDSETS, NUMBER, OTHER_NUMBER, SHORT_CODE, "ACME", "+1", "+15005550001", "+15005550004",
    "+15005550006", "+15005550008", "+18005550100", "whatsapp:+15551230001", "rcs:+15551230001",
    "+15551230001\n", "+١٥٥٥١٢٣٠٠٠١",
    "AC" + "0" * 32, "MG" + "0" * 32, "SM" + "0" * 32, "PN" + "0" * 32, "SK" + "0" * 32, "ac" + "f" * 32,
    "PA", "PB", "PASM" + "0" * 32, "2030-01-01", "2030-01-01T00:00:00Z", "2030-13-45", "0001-01-01",
    "9999-12-31T23:59:59-23:59", "http://", DEAD_URL, "ftp://x", "javascript:alert(1)",
    "^", "(", "a{99}", ".*", "failed", "undelivered", "30003", "async", "sync",
)
param_value = st.one_of(
    st.sampled_from(INTERESTING),
    st.builds(Ref, st.sampled_from(ROLES), st.sampled_from(["", "", ".json", "x", "\x00"])),
    st.builds(Ref, st.sampled_from(ROLES), st.sampled_from(["", "x"]), st.sampled_from(["PA", "PB", "pa", "PAPA"])),
    text_any,
    text_controls,
    st.integers().map(str),
    huge_text,
)

PARAM_NAMES = (
    "To", "From", "Body", "MediaUrl", "MessagingServiceSid", "StatusCallback", "SmartEncoded", "ScheduleType",
    "SendAt", "ValidityPeriod", "ProvideFeedback", "ForceDelivery", "SendAsMms", "ContentSid", "PageSize",
    "Page", "PageToken", "DateSent", "DateSent<", "DateSent>", "Status", "PhoneNumber", "FriendlyName",
    "SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod", "ShortCode", "InboundRequestUrl",
    "InboundMethod", "FallbackUrl", "FallbackMethod", "StickySender", "MmsConverter", "SmartEncoding",
    "FallbackToLongCode", "AreaCodeGeomatch", "SynchronousValidation", "UseInboundWebhookOnNumber",
    "ScanMessageContent", "Usecase", "PhoneNumberSid", "ShortCodeSid", "AlphaSender", "AccountSid",
    "Recipient", "MessageSid", "Kind", "Timeout", "Steps", "UntilFinal", "Seconds", "Channel", "faults",
    "KeyType", "Policy",
)
JSON_KEYS = PARAM_NAMES + (
    "accounts", "sid", "auth_token", "settings", "numbers", "short_codes", "messaging_services", "opt_outs",
    "phone_number", "short_code", "sms_url", "sms_method", "status_callback", "friendly_name", "sender",
    "messaging_service_sid", "recipient", "advanced_opt_out", "enabled", "opt_out_keywords", "opt_in_keywords",
    "help_keywords", "opt_out_reply", "opt_in_reply", "help_reply", "to", "pattern", "status", "error_code",
    "account_sid", "stop_filtering", "messaging_service_opt_out", "legacy_error_text", "lenient_punctuation",
    "auto_replies_in_message_log", "strict_senders", "progression", "progression_delay", "phone_numbers",
    "alpha_senders", "inbound_request_url", "inbound_method", "sticky_sender", "validity_period", "usecase",
)
param_name = st.one_of(st.sampled_from(PARAM_NAMES), text_any, st.sampled_from(["", "=", "&", "%", "To[]", "to"]))
form_pairs = st.lists(st.tuples(param_name, param_value), max_size=8)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),  # NaN and +/-Infinity included: Python's json reads them
    st.sampled_from(INTERESTING),
    st.builds(Ref, st.sampled_from(ROLES)),
    text_any,
)
json_key = st.one_of(st.sampled_from(JSON_KEYS), text_any)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(json_key, children, max_size=5),
    max_leaves=16,
)
json_body = st.one_of(st.dictionaries(json_key, json_value, max_size=6), json_value)

FORM_TYPES = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "APPLICATION/X-WWW-FORM-URLENCODED",
)
OTHER_TYPES = (
    None, "", "application/json", "application/json; charset=utf-16", "text/plain", "application/octet-stream",
    "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=xyz", "text/xml",
    "application/*", "*/*; q=x", ";;;",
)
content_type = st.one_of(st.sampled_from(FORM_TYPES + OTHER_TYPES), latin1_header)
encoding = st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16", "cp1252"])

# Near-valid requests: a valid parameter set for some endpoint, with keys dropped and values fuzzed, so
# the fuzzing reaches the handlers' own checks instead of stopping at routing or authentication.
TEMPLATES = {
    "send": {"To": HANDSETS[0], "From": NUMBER, "Body": "hi", "StatusCallback": DEAD_URL},
    "send-service": {"To": HANDSETS[1], "MessagingServiceSid": Ref("service"), "Body": "hi", "SmartEncoded": "true"},
    "send-scheduled": {"To": HANDSETS[3], "MessagingServiceSid": Ref("service"), "Body": "later",
                       "ScheduleType": "fixed", "SendAt": "2030-01-01T00:00:00Z"},
    "send-alpha-mms": {"To": "+447700900001", "From": "ACME", "Body": "hi", "MediaUrl": "http://127.0.0.1:9/a.png"},
    "list": {"PageSize": "2", "Page": "0", "To": HANDSETS[0], "DateSent>": "2020-01-01",
             "PageToken": Ref("message", prefix="PA")},
    "number": {"PhoneNumber": "+15557650099", "SmsUrl": DEAD_URL, "SmsMethod": "GET", "FriendlyName": "x"},
    "service": {"FriendlyName": "svc", "InboundRequestUrl": DEAD_URL, "StickySender": "false", "ValidityPeriod": "60"},
    "pool-number": {"PhoneNumberSid": Ref("number")},
    "pool-short-code": {"ShortCodeSid": Ref("short_code")},
    "pool-alpha": {"AlphaSender": "ACME2"},
    "redact": {"Body": ""},
    "cancel": {"Status": "canceled"},
    "inbound-stop": {"From": HANDSETS[0], "To": NUMBER, "Body": "STOP"},
    "inbound-start": {"From": HANDSETS[2], "To": SHORT_CODE, "Body": "START", "MediaUrl": ["http://x/a.png"]},
    "faults": {"faults": [{"to": HANDSETS[0], "status": "failed", "error_code": 30003}]},
    "faults-pattern": {"faults": [{"pattern": "^\\+1555", "status": "undelivered", "error_code": 30005,
                                   "account_sid": ACCOUNT}]},
    "clock": {"Seconds": 7200},
    "wait": {"Timeout": 0.01},
    "advance": {"MessageSid": Ref("scheduled"), "Steps": 2, "UntilFinal": "true"},
    "advanced-opt-out": {"enabled": True, "opt_out_keywords": ["ARRET"], "help_reply": "help!"},
    "settings": {"stop_filtering": False, "progression": "manual", "progression_delay": 2},
    "fixtures": {"accounts": [{"sid": "AC" + "e7" * 16, "auth_token": "t",
                               "numbers": [{"phone_number": "+15557650077"}],
                               "messaging_services": [{"friendly_name": "f", "phone_numbers": ["+15557650077"]}],
                               "opt_outs": [{"sender": "+15557650077", "recipient": HANDSETS[0]}]}]},
    "key": {"FriendlyName": "k"},
    "api-key": {"AccountSid": ACCOUNT, "FriendlyName": "k", "KeyType": "restricted",
                "Policy": '{"allow": ["/twilio/messaging/messages/read"]}'},
    "filters": {"AccountSid": ACCOUNT, "Recipient": HANDSETS[2], "MessageSid": Ref("message"),
                "Kind": "status-callback"},
}
# The templates that make sense for a route (by the text of its rule); other routes get any.
ROUTE_TEMPLATES = (
    ("/Messages<", ("send", "send-service", "send-scheduled", "send-alpha-mms", "list")),
    ("/Messages/", ("redact", "cancel")),
    ("/IncomingPhoneNumbers", ("number", "list")),
    ("/ShortCodes", ("number", "list")),
    (":pool>", ("pool-number", "pool-short-code", "pool-alpha")),
    ("/v1/Services", ("service", "list")),
    ("/inbound", ("inbound-stop", "inbound-start")),
    ("/faults", ("faults", "faults-pattern")),
    ("/clock", ("clock",)),
    ("/webhooks", ("wait", "filters")),
    ("/messages", ("advance", "filters")),
    ("/advanced-opt-out", ("advanced-opt-out",)),
    ("/settings", ("settings",)),
    ("/fixtures", ("fixtures",)),
    ("/opt-outs", ("filters",)),
    ("/auto-replies", ("filters",)),
    ("/Keys", ("key", "api-key", "list")),
)


def template(names: tuple[str, ...] = tuple(TEMPLATES)) -> st.SearchStrategy:
    """A template with up to two keys set and two dropped, anywhere in it (an int picks the object:
    the n-th of the template's objects, depth first), as JSON or as a form."""
    node = st.integers(min_value=0, max_value=7)
    key = st.one_of(st.sampled_from(JSON_KEYS), param_name)
    return st.tuples(
        st.just("template"),
        st.sampled_from(names),
        st.lists(st.tuples(node, key, st.one_of(param_value, json_leaf, json_value)), max_size=2),
        st.lists(st.tuples(node, st.sampled_from(JSON_KEYS)), max_size=2),
        st.booleans(),
    )


body = st.one_of(
    template(),
    st.just(("none",)),
    st.tuples(st.just("form"), form_pairs, encoding, st.sampled_from(FORM_TYPES), st.booleans()),
    st.tuples(st.just("raw"), st.binary(max_size=600) | huge_bytes, content_type),
    st.tuples(st.just("json"), json_body, st.sampled_from(["application/json", "application/json; charset=utf-8",
                                                           "application/vnd.api+json", "text/plain"])),
    st.tuples(st.just("multipart"), form_pairs, encoding),
)
query = st.one_of(
    st.just(("pairs", [])),
    st.tuples(st.just("pairs"), form_pairs),
    st.tuples(st.just("raw"), latin1_header),
)
# Credentials: the valid ones of either account, a wrong token, garbage of every kind, none at all.
garbage_user = text_any.filter(lambda u: not re.match(r"^(AC|SK)[0-9a-fA-F]{32}", u))
creds = st.one_of(
    st.just(("valid",)),
    st.just(("valid",)),
    st.just(("valid",)),
    st.just(("valid",)),
    st.just(("other",)),
    st.just(("wrong",)),
    st.just(("missing",)),
    st.tuples(st.just("basic"), garbage_user, text_any),
    st.tuples(st.just("basic_sid"), st.sampled_from(["account", "other", "fresh"]), st.one_of(ascii_text, text_any)),
    st.tuples(st.just("header"), st.one_of(latin1_header, st.sampled_from(
        ["Basic", "Basic ", "Basic !!!", "Basic ===", "Bearer x", "Digest username=x", "basic YTpi", "Basic YTpi\x00"]
    ))),
    st.tuples(st.just("apikey"), st.text(any_char, min_size=1, max_size=20),
              st.sampled_from("0123456789abcdef")),
    st.just(("key",)),
)


# Which resources a path variable most likely names, from the path text before it.
PREFERRED = (
    ("Messages/", ("message", "inbound", "scheduled", "other_message")),
    ("IncomingPhoneNumbers/", ("number", "other_number")),
    ("ShortCodes/", ("short_code",)),
    ("/accounts/", ("account", "other")),
    ("/services/", ("service", "other_service")),
    ("PhoneNumbers/", ("number", "alpha")),
    ("AlphaSenders/", ("alpha", "number")),
    ("Services/", ("service", "other_service")),
    ("Keys/", ("key", "other_key")),
)


def path_var(conv: str, args: tuple[str, ...], name: str, before: str = "") -> st.SearchStrategy:
    garbage = st.one_of(text_any, st.sampled_from(["", ".", "..", ".json", "%", "%00", "\x00", "a/b", "☃"]))
    if conv == "any":
        return st.one_of(st.sampled_from(args), st.sampled_from(args), st.sampled_from(args), garbage)
    if conv == "json":  # the optional ".json" suffix
        return st.one_of(st.sampled_from(["", ".json"]), st.sampled_from(["", ".json"]), garbage)
    if name == "AccountSid":
        preferred: tuple[str, ...] = ("account", "account", "account", "other")
    else:
        preferred = next((roles for text, roles in PREFERRED if before.endswith(text)), ROLES)
    well_formed = st.builds(_sid_like, st.sampled_from(["AC", "SM", "MM", "PN", "SC", "MG", "AI", "SK", "XX"]),
                            st.text("0123456789abcdef", min_size=32, max_size=32))
    real = st.builds(Ref, st.sampled_from(preferred))
    return st.one_of(real, real, real, real, st.builds(Ref, st.sampled_from(ROLES)),
                     st.builds(Ref, st.sampled_from(preferred), st.sampled_from([".json", ".xml", "/"])),
                     well_formed, garbage)


@dataclass
class Request:
    route: Route
    method: str
    values: dict[str, Any]  # path variables
    raw_path: bool  # send path variables unquoted
    query: tuple
    body: tuple
    creds: tuple


# Credentials of structured requests. In the integrity burst, near-valid writes come with the victim's
# wrong token, no credentials or a garbage password as often as with the other account's valid ones.
STRUCTURED_CREDS = [("valid",)] * 5 + [("other",)]
BURST_CREDS = [("valid",), ("other",), ("other",), ("wrong",), ("wrong",), ("missing",),
               ("basic_sid", "account", "x"), ("apikey", "secret", "7")]


@st.composite
def requests_(draw, routes: list[Route] = ROUTES, burst: bool = False) -> Request:
    """A request to one of `routes`: half of them structured (credentials of a known account, its real
    resources, the route's own method, a near-valid body), half chaos (every part drawn from garbage)."""
    route = draw(st.sampled_from(routes)) if len(routes) > 1 else routes[0]
    own = [m for m in route.methods if m not in ("HEAD", "OPTIONS")]
    structured = draw(st.booleans())
    credentials = draw(st.sampled_from(BURST_CREDS if burst else STRUCTURED_CREDS)) if structured else None
    values, before = {}, ""
    for part in route.parts:
        if isinstance(part, str):
            before += part
            continue
        if structured and part[2] == "AccountSid":
            values[part[2]] = Ref("other" if credentials == ("other",) else "account")
        else:
            values[part[2]] = draw((_structured_var if structured else path_var)(*part, before=before))
        before += "<var>/" if part[0] != "any" else f"{part[1][0]}/"
    if structured:
        query_pairs = st.lists(st.tuples(st.sampled_from(PARAM_NAMES), param_value), max_size=3)
        return Request(
            route,
            draw(st.sampled_from(own or list(METHODS))),
            values,
            False,
            ("pairs", draw(query_pairs)),
            draw(template(templates_for(route))),
            credentials,
        )
    method = draw(st.sampled_from(own) if own and draw(st.integers(0, 3)) else st.sampled_from(METHODS))
    return Request(route, method, values, draw(st.booleans()) and draw(st.booleans()), draw(query), draw(body),
                   draw(creds))


def templates_for(route: Route) -> tuple[str, ...]:
    return next((names for text, names in ROUTE_TEMPLATES if text in route.rule), tuple(TEMPLATES))


def _structured_var(conv: str, args: tuple[str, ...], name: str, before: str = "") -> st.SearchStrategy:
    if conv == "any":
        return st.sampled_from(args)
    if conv == "json":
        return st.sampled_from(["", ".json"])
    preferred = next((roles for text, roles in PREFERRED if before.endswith(text)), ROLES)
    return st.builds(Ref, st.sampled_from(preferred))


# -- rendering a symbolic request against a world -------------------------------------------------------------------
def resolve(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, Ref):
        return value.resolve(world)
    if isinstance(value, list):
        return [resolve(v, world) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, world) for v in value)
    if isinstance(value, dict):
        return {resolve(k, world): resolve(v, world) for k, v in value.items()}
    return value


VICTIM_LITERALS = {ACCOUNT: OTHER, NUMBER: OTHER_NUMBER, SHORT_CODE: OTHER_NUMBER}


def retarget(value: Any) -> Any:
    """Point every reference to the victim at its twin in the other account (the integrity burst)."""
    if isinstance(value, str):
        return VICTIM_LITERALS.get(value, value)
    if isinstance(value, Ref):
        return Ref(VICTIM_TWIN.get(value.role, value.role), value.suffix, value.prefix)
    if isinstance(value, list):
        return [retarget(v) for v in value]
    if isinstance(value, tuple):
        return tuple(retarget(v) for v in value)
    if isinstance(value, dict):
        return {k: retarget(v) for k, v in value.items()}
    return value


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, "surrogatepass" if codec.startswith("utf") else "replace")


def _form(pairs: list[tuple[str, Any]], codec: str = "utf-8", plus: bool = False) -> bytes:
    """Urlencode pairs; values that are no strings (from templates) are sent as their JSON text."""
    pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in pairs]
    q = quote_plus if plus else quote
    return "&".join(f"{q(_encode(k, codec), safe='')}={q(_encode(v, codec), safe='')}" for k, v in pairs).encode()


def _multipart(pairs: list[tuple[str, Any]], codec: str) -> tuple[bytes, str]:
    pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in pairs]
    boundary = "fuzzboundary7c1f"
    chunks = []
    for name, value in pairs:
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"".encode()
            + _encode(name, codec).replace(b'"', b"%22")
            + b'"\r\n\r\n'
            + _encode(value, codec)
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _basic(user: str, password: str) -> str:
    raw = f"{user}:{password}".encode("utf-8", "surrogatepass")
    return "Basic " + base64.b64encode(raw).decode()


@dataclass
class Rendered:
    method: str
    path: str
    query_string: bytes
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""

    def __repr__(self) -> str:
        shown = self.data[:300] + (b"...(%d bytes)" % len(self.data) if len(self.data) > 300 else b"")
        return f"{self.method} {self.path}?{self.query_string[:300]!r} headers={self.headers} body={shown!r}"


def render(req: Request, world: dict[str, str], *, burst: bool = False) -> Rendered:
    values = dict(req.values)
    query, body, creds = req.query, req.body, req.creds
    if body[0] == "template":
        body = _from_template(body)
        if req.method in ("GET", "HEAD") and body[0] == "form" and query[0] == "pairs":
            query = ("pairs", list(body[1]) + list(query[1]))  # a list's parameters are in its query
    if burst:
        # Requests that the victim's own credentials would authorise must not be valid mutations:
        # no form parameters, and path variables naming the other account's resources.
        # An API key may have been bound to the victim by an earlier (harmless) GET of the burst.
        as_victim = creds[0] in ("valid", "apikey", "key") and req.method not in ("GET", "HEAD", "OPTIONS")
        if req.route.control or as_victim:
            values, query, body = retarget(values), retarget(query), retarget(body)
        if as_victim and not req.route.control:
            if body[0] in ("form", "multipart"):
                body = ("raw", _form(resolve(body[1], world)), "text/plain")
    path = ""
    for part in req.route.parts:
        if isinstance(part, str):
            path += part
            continue
        value = resolve(values[part[2]], world)
        path += value if req.raw_path else quote(_encode(value, "utf-8"), safe="")
    if req.raw_path:
        # Raw unicode is sent as UTF-8 (what a client would put on the wire); lone surrogates cannot be.
        path = path.encode("utf-8", "replace").decode("utf-8")
        path = path.replace("?", "%3F").replace("#", "%23")
    headers: dict[str, str] = {}
    data = b""
    kind = body[0]
    if kind == "form":
        data = _form(resolve(body[1], world), body[2], body[4])
        headers["Content-Type"] = body[3]
    elif kind == "raw":
        data = body[1]
        if body[2] is not None:
            headers["Content-Type"] = body[2]
    elif kind == "json":
        data = json.dumps(resolve(body[1], world)).encode()
        headers["Content-Type"] = body[2]
    elif kind == "multipart":
        data, headers["Content-Type"] = _multipart(resolve(body[1], world), body[2])
    if query[0] == "pairs":
        query_string = _form(resolve(query[1], world))
    else:
        query_string = query[1].encode("latin-1")
    auth = _credentials(creds)
    if auth is not None:
        headers["Authorization"] = auth
    return Rendered(req.method, path, query_string, headers, data)


def _objects(value: Any) -> list[dict]:
    found = [value] if isinstance(value, dict) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        found += _objects(child)
    return found


def _from_template(body: tuple) -> tuple:
    """A template body as the (still symbolic) form or JSON body it stands for."""
    _, name, changes, drops, as_json = body
    values = copy.deepcopy(TEMPLATES[name])
    objects = _objects(values)
    for index, key in drops:
        objects[index % len(objects)].pop(key, None)
    for index, key, value in changes:
        objects[index % len(objects)][key] = value
    if as_json:
        return ("json", values, "application/json")
    pairs = [(key, item) for key, value in values.items() for item in (value if isinstance(value, list) else [value])]
    return ("form", pairs, "utf-8", "application/x-www-form-urlencoded", False)


def _credentials(creds: tuple) -> str | None:
    kind = creds[0]
    if kind == "valid":
        return _basic(ACCOUNT, TOKEN)
    if kind == "other":
        return _basic(OTHER, OTHER_TOKEN)
    if kind == "wrong":
        return _basic(ACCOUNT, TOKEN + "x")
    if kind == "missing":
        return None
    if kind == "basic":
        return _basic(creds[1], creds[2])
    if kind == "basic_sid":
        user = {"account": ACCOUNT, "other": OTHER, "fresh": "AC" + "c3" * 16}[creds[1]]
        return _basic(user, creds[2])
    if kind == "header":
        return creds[1]
    if kind == "apikey":  # made up: never authenticates
        return _basic("SK" + creds[2] * 32, creds[1])
    if kind == "key":  # declared for ACCOUNT
        return _basic(KEY, KEY_SECRET)
    raise AssertionError(kind)


def send(client, rendered: Rendered):
    return client.open(
        rendered.path,
        method=rendered.method,
        query_string=rendered.query_string.decode("latin-1"),
        headers=rendered.headers,
        data=rendered.data,
    )


SANDBOX_TYPES = {"text/html", "text/css", "text/javascript", "application/toml", "text/x-python"}


# -- the promise, checked on every response ----------------------------------------------------------------
def assert_promise(response, rendered: Rendered | str) -> None:
    status = response.status_code
    served_path = response.request.path
    if response.mimetype == "text/event-stream":  # GET /_emulator/events never ends: not read here
        response.close()
        assert status == 200 and served_path == "/_emulator/events", f"an event stream from {rendered!r}"
        return
    where = f"{rendered!r} -> {status} {response.get_data()[:400]!r}"
    # The one documented 5xx: the webhooks are still busy when a wait times out (README control API).
    waited = status == 504 and served_path.rstrip("/") == "/_emulator/webhooks/wait"
    assert status < 500 or waited, f"5xx answer: {where}"
    if 300 <= status < 400:
        assert response.headers.get("Location"), f"a redirect without Location: {where}"
        return
    head = response.request.method == "HEAD"
    if status < 300:
        if response.get_data() and not head:
            if served_path.startswith("/_emulator") and response.mimetype in SANDBOX_TYPES:
                return  # the sandbox page (HTML, its CSS and JavaScript) and exports (TOML, Python)
            assert response.is_json, f"a success that is not JSON: {where}"
            json.loads(response.get_data())
        return
    assert response.mimetype == "application/json", f"an error that is not JSON: {where}"
    if head:
        return  # HEAD answers carry no body to inspect
    body = json.loads(response.get_data())
    if served_path.startswith("/_emulator"):
        assert isinstance(body, dict) and set(body) == {"error"}, f"not a control error: {where}"
        assert isinstance(body["error"], str), where
        return
    assert isinstance(body, dict), where
    keys = set(body)
    if status == 401 and body.get("code") == 20003:
        assert keys in (ENVELOPE, ENVELOPE | {"detail"}), f"not Twilio's envelope: {where}"
    else:
        assert keys == ENVELOPE, f"not Twilio's envelope: {where}"
    code = body["code"]
    assert type(code) is int and TWILIO_CODE.match(str(code)), f"code is no Twilio code: {where}"
    assert isinstance(body["message"], str), where
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}", where
    assert type(body["status"]) is int and body["status"] == status, f"status differs from HTTP: {where}"


# -- the app and its world ---------------------------------------------------------------------------------------
def _fuzz_settings(db: str | None = None) -> Settings:
    # A short webhook timeout: fuzzed status callbacks or SmsUrls never keep a worker for long.
    return Settings(db=db, webhook_timeout=2.0, api_keys=((KEY, KEY_SECRET, ACCOUNT),))


@pytest.fixture(scope="module")
def app():
    application = fuzz_app(_fuzz_settings())
    yield application
    shutdown(application)


def build_world(client, *, scheduled: bool = True) -> dict[str, str]:
    """Reset, then give ACCOUNT a number, a short code, messages, a service with a pool, an opt-out
    (and a scheduled message), and OTHER a number, a message and a service."""

    def call(method: str, path: str, account: tuple[str, str] | None, expect: int, **kwargs: Any) -> Any:
        headers = {"Authorization": _basic(*account)} if account else {}
        response = client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.get_data())
        return response.get_json(silent=True)

    a, b = (ACCOUNT, TOKEN), (OTHER, OTHER_TOKEN)
    call("POST", "/_emulator/reset", None, 204)
    base_a, base_b = f"/2010-04-01/Accounts/{ACCOUNT}", f"/2010-04-01/Accounts/{OTHER}"
    world = {"account": ACCOUNT, "other": OTHER}
    world["number"] = call("POST", f"{base_a}/IncomingPhoneNumbers.json", a, 201,
                           data={"PhoneNumber": NUMBER, "SmsUrl": DEAD_URL})["sid"]
    world["message"] = call("POST", f"{base_a}/Messages.json", a, 201,
                            data={"From": NUMBER, "To": HANDSETS[0], "Body": "hello"})["sid"]
    call("POST", f"{base_a}/Messages.json", a, 201, data={"From": SHORT_CODE, "To": HANDSETS[1], "Body": "hi"})
    world["short_code"] = call("GET", f"{base_a}/SMS/ShortCodes.json", a, 200)["short_codes"][0]["sid"]
    world["service"] = call("POST", "/v1/Services", a, 201, data={"FriendlyName": "alerts"})["sid"]
    call("POST", f"/v1/Services/{world['service']}/PhoneNumbers", a, 201, data={"PhoneNumberSid": world["number"]})
    world["alpha"] = call("POST", f"/v1/Services/{world['service']}/AlphaSenders", a, 201,
                          data={"AlphaSender": "ACME"})["sid"]
    world["inbound"] = call("POST", "/_emulator/inbound", None, 201,
                            json={"From": HANDSETS[2], "To": NUMBER, "Body": "STOP"})["message"]["sid"]
    if scheduled:
        now = datetime.strptime(call("GET", "/_emulator/clock", None, 200)["now"], "%Y-%m-%dT%H:%M:%SZ")
        send_at = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        world["scheduled"] = call("POST", f"{base_a}/Messages.json", a, 201, data={
            "MessagingServiceSid": world["service"], "To": HANDSETS[3], "Body": "later",
            "ScheduleType": "fixed", "SendAt": send_at})["sid"]
    else:
        world["scheduled"] = world["message"]
    world["other_number"] = call("POST", f"{base_b}/IncomingPhoneNumbers.json", b, 201,
                                 data={"PhoneNumber": OTHER_NUMBER})["sid"]
    world["other_message"] = call("POST", f"{base_b}/Messages.json", b, 201,
                                  data={"From": OTHER_NUMBER, "To": HANDSETS[0], "Body": "theirs"})["sid"]
    world["other_service"] = call("POST", "/v1/Services", b, 201, data={"FriendlyName": "theirs"})["sid"]
    world["key"] = call("POST", f"{base_a}/Keys.json", a, 201, data={"FriendlyName": "mine"})["sid"]
    world["other_key"] = call("POST", "/v1/Keys", b, 201, data={"AccountSid": OTHER})["sid"]
    return world


# CI runs a fixed, derandomized budget. EMULATOR_FUZZ_EXAMPLES=500 explores further with random seeds
# (a local bug hunt; hypothesis then prints the seed of any failure).
DEEP = int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=DEEP or 20,  # per route: ~37 routes
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# -- the properties ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ROUTES, ids=[r.rule for r in ROUTES])
@FUZZ
@given(data=st.data())
def test_every_route_holds_its_promise_under_any_request(app, route, data):
    req = data.draw(requests_([route]), label="request")
    client = app.test_client()
    world = build_world(client)
    rendered = render(req, world)
    note(repr(rendered))
    response = send(client, rendered)
    event(f"HTTP {response.status_code}")
    assert_promise(response, rendered)


@pytest.mark.parametrize("route", CONTROL_ROUTES, ids=[r.rule for r in CONTROL_ROUTES])
@settings(FUZZ, max_examples=DEEP or 10)
@given(data=st.data())
def test_control_routes_hold_their_promise_under_any_json(app, route, data):
    """The control API reads JSON: random JSON shapes (keys mostly its own field names)."""
    req = data.draw(requests_([route]), label="request")
    req = dataclasses.replace(req, body=("json", data.draw(json_body, label="json"), "application/json"))
    client = app.test_client()
    world = build_world(client)
    rendered = render(req, world)
    note(repr(rendered))
    response = send(client, rendered)
    event(f"HTTP {response.status_code}")
    assert_promise(response, rendered)


def _snapshot(client) -> dict[str, Any]:
    """Everything the victim (ACCOUNT) owns, read back through the API; messages paged by 7."""
    auth = {"Authorization": _basic(ACCOUNT, TOKEN)}
    messages = []
    uri = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json?PageSize=7"
    for _ in range(100):
        page = client.get(uri, headers=auth)
        assert page.status_code == 200, page.get_data()
        messages += page.get_json()["messages"]
        uri = page.get_json()["next_page_uri"]
        if uri is None:
            break
    base = f"/2010-04-01/Accounts/{ACCOUNT}"
    state = {"messages": messages}
    for key, path in (
        ("numbers", f"{base}/IncomingPhoneNumbers.json"),
        ("short_codes", f"{base}/SMS/ShortCodes.json"),
        ("services", "/v1/Services"),
    ):
        response = client.get(path, headers=auth)
        assert response.status_code == 200, response.get_data()
        state[key] = response.get_json()
    service = state["services"]["services"][0]["sid"]
    for pool in ("PhoneNumbers", "AlphaSenders"):
        state[pool] = client.get(f"/v1/Services/{service}/{pool}", headers=auth).get_json()
    state["opt_outs"] = client.get(f"/_emulator/opt-outs?AccountSid={ACCOUNT}").get_json()
    state["auto_replies"] = client.get(f"/_emulator/auto-replies?AccountSid={ACCOUNT}").get_json()
    return state


@pytest.fixture(scope="module")
def integrity_apps(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("fuzz-store") / "emulator.db")
    apps = {"memory": (fuzz_app(_fuzz_settings()), None), "sqlite": (fuzz_app(_fuzz_settings(db)), db)}
    yield apps
    for application, _ in apps.values():
        shutdown(application)


BURST_ROUTES = [r for r in ROUTES if r.rule != RESET_RULE]
BURST = settings(FUZZ, max_examples=DEEP // 10 or 20)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@BURST
@given(data=st.data())
def test_a_burst_of_garbage_never_loses_or_corrupts_state(integrity_apps, store, data):
    """Messages, numbers, services, pools, opt-outs and auto-replies of an account are exactly as they
    were after a burst of random requests, one to every route in a random order (they may use the
    other account freely; near-valid writes to the victim come with wrong, missing or garbage
    credentials, and its valid credentials only send requests that are no valid mutation); with
    SQLite, the file agrees too."""
    application, db = integrity_apps[store]
    client = application.test_client()
    world = build_world(client, scheduled=False)
    before = _snapshot(client)
    assert len(before["messages"]) == 3 and len(before["opt_outs"]["opt_outs"]) == 2
    order = data.draw(st.permutations(BURST_ROUTES), label="routes")
    burst = [data.draw(requests_([route], burst=True), label=route.rule) for route in order]
    for req in burst:
        rendered = render(req, world, burst=True)
        note(repr(rendered))
        assert_promise(send(client, rendered), rendered)
    after = _snapshot(client)
    assert after == before
    if db is not None:
        stored = SqliteStore(db)
        try:
            rows = stored.load()
        finally:
            stored.close()
        messages = [r for r in rows if isinstance(r, Message)]
        mine = {m.sid: (m.status.value, m.body, m.to, m.from_) for m in messages if m.account_sid == ACCOUNT}
        assert mine == {m["sid"]: (m["status"], m["body"], m["to"], m["from"]) for m in before["messages"]}
        records = [r for r in rows if isinstance(r, OptOutRecord)]
        kept = {(r.sender, r.messaging_service_sid, r.recipient) for r in records if r.account_sid == ACCOUNT}
        listed = before["opt_outs"]["opt_outs"]
        assert kept == {(r["sender"], r["messaging_service_sid"], r["recipient"]) for r in listed}


# -- explicit edge cases -------------------------------------------------------------------------------------------
@pytest.fixture
def world(app):
    client = app.test_client()
    return client, build_world(client)


AUTH = {"Authorization": _basic(ACCOUNT, TOKEN)}
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def _messages(client) -> list[dict]:
    return client.get(f"{MESSAGES}?PageSize=1000", headers=AUTH).get_json()["messages"]


@pytest.mark.parametrize(
    "path",
    [MESSAGES, f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json", "/v1/Services", "/_emulator/inbound",
     "/_emulator/fixtures"],
)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json",
                                          "multipart/form-data; boundary=x", "application/octet-stream"])
def test_a_2mb_body_is_refused_in_the_paths_error_shape(world, path, content_type):
    client, _ = world
    before = _messages(client)
    data = b"Body=" + b"x" * (2 * 1024 * 1024)
    response = client.post(path, data=data, headers={**AUTH, "Content-Type": content_type})
    assert_promise(response, f"POST {path} ({content_type}, 2 MB)")
    # Every body the endpoint reads (forms on Twilio paths, JSON on the control API) is refused with
    # 413; the control API refuses any other body before reading it (403: a page could send it).
    control = path.startswith("/_emulator")
    if control and content_type != "application/json":
        assert response.status_code == 403
    elif "form" in content_type or control:
        assert response.status_code == 413
        if not path.startswith("/_emulator"):
            assert response.get_json()["status"] == 413 and response.get_json()["code"] == 20001
    assert _messages(client) == before


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [(b"To=%ZZ&From=%2B15557650001&Body=hi", 400, 21211),
     (b"To=%2B15551230001&From=%2B15557650001&Body=%", 201, None),  # a lone % is read literally
     (b"Body=%E2%82&To=%2B15551230001&From=%2B15557650001", 400, 20001),  # truncated UTF-8
     (b"Body=%FF%FE&To=%2B15551230001&From=%2B15557650001", 400, 20001),
     (b"Body=\xff\xfe&To=%2B15551230001&From=%2B15557650001", 400, 20001),  # raw non-UTF-8 bytes
     (b"Body=%ED%A0%80&To=%2B15551230001&From=%2B15557650001", 400, 20001),  # an encoded surrogate
     (b"Body=%C0%AF&To=%2B15551230001&From=%2B15557650001", 400, 20001),  # an overlong encoding
     (b"=&&=&%&To", 400, 21604),
     (b"%%%%%%", 400, 21604)],
)
def test_percent_encoding_errors_are_refused_or_read_literally(world, data, status, code):
    client, _ = world
    before = _messages(client)
    response = client.post(MESSAGES, data=data, headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert_promise(response, f"POST Messages {data!r}")
    assert response.status_code == status, response.get_data()
    if code is not None:
        assert response.get_json()["code"] == code
        assert _messages(client) == before
    else:
        assert response.get_json()["body"] == "%"
        assert _messages(client)[1:] == before


def test_percent_encoding_errors_in_the_query_are_refused_or_ignored(world):
    client, _ = world
    for query in (b"PageSize=%", b"PageSize=%ZZ", b"Page=%FF", b"To=%FF%FE", b"%=%", b"PageToken=PA%00"):
        response = client.get(MESSAGES, query_string=query.decode("latin-1"), headers=AUTH)
        assert_promise(response, f"GET Messages?{query!r}")
        assert response.status_code in (200, 400)


def test_duplicate_keys_take_one_value_and_nothing_breaks(world):
    client, _ = world
    before = _messages(client)
    data = "To=%2B15551230009&To=garbage&From=%2B15557650001&From=%2B15005550001&Body=first&Body=second"
    response = client.post(MESSAGES, data=data, headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert_promise(response, data)
    assert response.status_code == 201
    created = response.get_json()
    assert (created["to"], created["from"], created["body"]) == ("+15551230009", "+15557650001", "first")
    assert _messages(client) == [client.get(f"{MESSAGES[:-5]}/{created['sid']}.json", headers=AUTH).get_json()] + before
    response = client.get(MESSAGES, query_string="PageSize=1&PageSize=0&Page=0&Page=-1", headers=AUTH)
    assert response.status_code == 200 and response.get_json()["page_size"] == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [("PageSize=" + str(10**30), 400), ("PageSize=0", 400), ("PageSize=-5", 400), ("PageSize=1001", 400),
     ("Page=-1", 400), ("Page=" + "9" * 5000, 400), ("PageSize=1.5", 400), ("Page=" + str(10**30), 200),
     ("PageSize=" + "9" * 5000, 400), ("DateSent=2030-13-45", 400), ("DateSent%3C=x", 400)],
)
@pytest.mark.parametrize("path", [MESSAGES, f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
                                  f"/2010-04-01/Accounts/{ACCOUNT}/SMS/ShortCodes.json", "/v1/Services"])
def test_paging_parameters_out_of_range(world, query, status, path):
    client, _ = world
    if "DateSent" in query and path != MESSAGES:
        status = 200  # only Messages filters by DateSent
    response = client.get(path, query_string=query, headers=AUTH)
    assert_promise(response, f"GET {path}?{query[:60]}")
    assert response.status_code == status, response.get_data()
    if status == 400:
        assert response.get_json()["code"] == 20001
    else:
        body = response.get_json()
        records = next(v for k, v in body.items() if isinstance(v, list))
        assert records == [] or "DateSent" in query


def test_unknown_query_parameters_are_ignored(world):
    client, _ = world
    plain = client.get(MESSAGES, headers=AUTH).get_json()["messages"]
    odd = client.get(MESSAGES, query_string="Foo=bar&%00=%00&To%00=1&Unknown=" + "x" * 10_000, headers=AUTH)
    assert odd.status_code == 200
    assert odd.get_json()["messages"] == plain


@pytest.mark.parametrize(
    "path",
    ["/2010-04-01/Accounts/{AC}/Messages/%00", "/2010-04-01/Accounts/{AC}/Messages/%00.json",
     "/2010-04-01/Accounts/%00/Messages.json", "/2010-04-01/Accounts/{AC}%00/Messages.json",
     "/2010-04-01/Accounts/{AC}/Messages/☃.json", "/2010-04-01/Accounts/{AC}/Messages/%E2%98%83",
     "/2010-04-01/Accounts/{AC}/Messages/%FF%FE", "/2010-04-01/Accounts/{AC}/Messages/SM%0A.json",
     "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%00", "/v1/Services/%00", "/v1/Services/☃/PhoneNumbers",
     "/v1/Services/{MG}/PhoneNumbers/%00", "/v1/Services/{MG}/Ünïcödé", "/2010-04-01/☃", "/%00", "/☃"],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_paths_with_nul_and_unicode_are_twilio_404s(world, path, method):
    client, w = world
    path = path.replace("{AC}", ACCOUNT).replace("{MG}", w["service"])
    response = client.open(path, method=method, headers=AUTH)
    assert_promise(response, f"{method} {path}")
    assert response.status_code in (404, 405), response.get_data()
    assert response.get_json()["code"] == (20404 if response.status_code == 404 else 20004)


@pytest.mark.parametrize("path", ["/_emulator/%00", "/_emulator/☃", "/_emulator/accounts/%00/settings",
                                  "/_emulator/services/%00/advanced-opt-out", "/_emulator/services/☃/advanced-opt-out"])
def test_control_paths_with_nul_and_unicode_answer_control_errors(world, path):
    client, _ = world
    response = client.put(path, json={"enabled": True})
    assert_promise(response, f"PUT {path}")
    assert response.status_code in (400, 404, 405)


@pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "CONNECT", "FOO", "PATCH", "PUT"])
@pytest.mark.parametrize("path", [MESSAGES, "/v1/Services", "/_emulator/inbound", "/_emulator/health"])
def test_odd_methods_are_405_in_the_paths_error_shape(world, method, path):
    client, _ = world
    response = client.open(path, method=method, headers=AUTH)
    assert_promise(response, f"{method} {path}")
    assert response.status_code == 405
    if not path.startswith("/_emulator"):
        assert response.get_json()["code"] == 20004


@pytest.mark.parametrize(
    "header",
    ["Basic", "Basic ", "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(), "Bearer abc",
     "Digest username=\"x\"", _basic(ACCOUNT, ""), _basic("", TOKEN), _basic(ACCOUNT.lower(), TOKEN),
     _basic(ACCOUNT, TOKEN + "\n"), _basic(" " + ACCOUNT, TOKEN), _basic("\x00", "\x00"),
     "Basic " + "A" * 100_000, _basic(ACCOUNT, TOKEN)[:-2]],
)
def test_bad_credentials_are_20003(world, header):
    client, _ = world
    for path in (MESSAGES, "/v1/Services"):
        response = client.get(path, headers={"Authorization": header})
        assert_promise(response, f"GET {path} Authorization: {header[:60]!r}")
        assert response.status_code == 401, response.get_data()
        assert response.get_json()["code"] == 20003


def test_non_utf8_urlencoded_form_is_refused_on_every_twilio_write(world):
    client, w = world
    before = _messages(client)
    paths = [MESSAGES, f"{MESSAGES[:-5]}/{w['message']}.json",
             f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json",
             f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{w['number']}.json",
             "/v1/Services", f"/v1/Services/{w['service']}"]
    for path in paths:
        response = client.post(path, data=b"FriendlyName=\xe9t\xe9&Body=\xff&To=%2B15551230001&From=%2B15557650001",
                               headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"})
        assert_promise(response, f"POST {path} latin-1 form")
        assert response.status_code == 400 and response.get_json()["code"] == 20001
    assert _messages(client) == before


def test_deeply_nested_but_parsable_json_is_a_control_error(world):
    client, _ = world
    nested = "[" * 200 + "]" * 200
    response = client.post("/_emulator/inbound", data=nested, content_type="application/json")
    assert_promise(response, "200-deep JSON")
    assert response.status_code == 400


# -- regressions: inputs that answered 500 or broke an account when this file was written ----------------------
# Each was found by the properties above (or while writing them) and has been fixed; the tests pin the fix.
@pytest.mark.parametrize("password", ["pässword", "☃", "\u0080"])
def test_a_non_ascii_password_of_an_existing_account_is_20003(world, password):
    client, _ = world
    response = client.get(MESSAGES, headers={"Authorization": _basic(ACCOUNT, password)})
    assert_promise(response, f"GET {MESSAGES} with password {password!r}")
    assert response.status_code == 401 and response.get_json()["code"] == 20003


def test_an_api_key_presented_with_a_non_ascii_secret_is_20003(world):
    client, _ = world
    assert client.get(MESSAGES, headers={"Authorization": _basic(KEY, KEY_SECRET)}).status_code == 200
    response = client.get(MESSAGES, headers={"Authorization": _basic(KEY, KEY_SECRET + "é")})
    assert_promise(response, "API key with a non-ASCII secret")
    assert response.status_code == 401 and response.get_json()["code"] == 20003


@pytest.mark.parametrize("how", ["settings", "first-use"])
def test_a_non_ascii_auth_token_keeps_working(world, how):
    client, _ = world
    sid, token = "AC" + "d4" * 16, "tökén"
    if how == "settings":
        assert client.put(f"/_emulator/accounts/{sid}/settings", json={"auth_token": token}).status_code == 200
    else:
        assert client.get(f"/2010-04-01/Accounts/{sid}/Messages.json",
                          headers={"Authorization": _basic(sid, token)}).status_code == 200
    response = client.get(f"/2010-04-01/Accounts/{sid}/Messages.json", headers={"Authorization": _basic(sid, token)})
    assert_promise(response, "the account's own non-ASCII token")
    assert response.status_code == 200
    wrong = client.get(f"/2010-04-01/Accounts/{sid}/Messages.json", headers={"Authorization": _basic(sid, "token")})
    assert wrong.status_code == 401


def test_an_account_sid_with_a_trailing_newline_is_refused(world):
    client, _ = world
    for path in ("/v1/Services", f"/2010-04-01/Accounts/{ACCOUNT}%0A/Messages.json"):
        response = client.get(path, headers={"Authorization": _basic(ACCOUNT + "\n", TOKEN)})
        assert_promise(response, f"GET {path} as 'AC…\\n'")
        assert response.status_code == 401, response.get_data()


@pytest.mark.parametrize("path", ["/_emulator/inbound", "/_emulator/fixtures", "/_emulator/faults",
                                  "/_emulator/clock/advance", "/_emulator/accounts/" + ACCOUNT + "/settings"])
def test_deeply_nested_json_is_a_control_400(world, path):
    client, _ = world
    method = "PUT" if path.endswith(("/faults", "/settings")) else "POST"
    response = client.open(path, method=method, data="[" * 100_000, content_type="application/json")
    assert_promise(response, f"{method} {path} with 100000 '['")
    assert response.status_code == 400


WRONG_TYPE_FIXTURES = {
    "sid-not-a-string": {"accounts": [{"sid": 5}]},
    "auth_token-not-a-string": {"accounts": [{"sid": "AC" + "e5" * 16, "auth_token": 12345}]},
    "auth_token-empty": {"accounts": [{"sid": "AC" + "e5" * 16, "auth_token": ""}]},
    "sms_method-not-a-string": {"accounts": [{"sid": "AC" + "e5" * 16,
                                              "numbers": [{"phone_number": "+15557659999", "sms_method": 5}]}]},
    "sms_url-not-a-string": {"accounts": [{"sid": "AC" + "e5" * 16,
                                           "numbers": [{"phone_number": "+15557659999", "sms_url": ["x"]}]}]},
    "advanced_opt_out-not-an-object": {"accounts": [{"sid": "AC" + "e5" * 16,
                                                     "messaging_services": [{"advanced_opt_out": 5}]}]},
    "settings-not-an-object": {"accounts": [{"sid": "AC" + "e5" * 16, "settings": [1]}]},
    "opt_outs-not-a-list": {"accounts": [{"sid": "AC" + "e5" * 16, "opt_outs": {"recipient": HANDSETS[0]}}]},
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPE_FIXTURES))
def test_fixture_values_of_the_wrong_type_are_a_400_and_change_nothing_that_was_there(world, name):
    client, _ = world
    before = _messages(client), client.get("/_emulator/opt-outs").get_json()
    response = client.post("/_emulator/fixtures", json=WRONG_TYPE_FIXTURES[name])
    assert_promise(response, f"POST /_emulator/fixtures {WRONG_TYPE_FIXTURES[name]}")
    assert response.status_code == 400
    # Whatever the refused document named, a later request of that account is not a 500.
    later = client.get(f"/2010-04-01/Accounts/{'AC' + 'e5' * 16}/Messages.json",
                       headers={"Authorization": _basic("AC" + "e5" * 16, "12345")})
    assert_promise(later, "a request of the account the fixture named")
    assert (_messages(client), client.get("/_emulator/opt-outs").get_json()) == before


# Open bug: Messaging Service fields of a fixture are not type-checked (numbers' fields are).
SERVICE_FIELDS_OF_THE_WRONG_TYPE = {
    "inbound_request_url-object": {"inbound_request_url": {"a": 1}},
    "status_callback-number": {"status_callback": 7},
    "inbound_method-number": {"inbound_method": 5},
    "sticky_sender-string": {"sticky_sender": "no"},
    "validity_period-string": {"validity_period": "abc"},
}


@pytest.mark.parametrize("name", sorted(SERVICE_FIELDS_OF_THE_WRONG_TYPE))
def test_fixture_service_fields_of_the_wrong_type_are_a_400(world, name):
    client, _ = world
    service = {"friendly_name": "f", "phone_numbers": ["+15557659998"], **SERVICE_FIELDS_OF_THE_WRONG_TYPE[name]}
    document = {"accounts": [{"sid": "AC" + "e5" * 16, "auth_token": "t",
                              "numbers": [{"phone_number": "+15557659998"}], "messaging_services": [service]}]}
    response = client.post("/_emulator/fixtures", json=document)
    assert_promise(response, f"POST /_emulator/fixtures {document}")
    assert response.status_code == 400


@pytest.mark.parametrize("pattern", ["a{4294967296}", "(" * 5000 + ")" * 5000, "(?", "\\"])
def test_fault_patterns_that_cannot_compile_are_a_400(world, pattern):
    client, _ = world
    response = client.put("/_emulator/faults", json={"faults": [{"pattern": pattern}]})
    assert_promise(response, f"PUT /_emulator/faults pattern {pattern[:20]!r}")
    assert response.status_code == 400
    assert client.get("/_emulator/faults").get_json() == {"faults": []}


def test_the_clock_cannot_be_advanced_into_a_broken_state(app):
    """800 advances of the documented maximum (10 years) would pass year 9999."""
    client = app.test_client()
    client.post("/_emulator/reset")
    try:
        for _ in range(800):
            response = client.post("/_emulator/clock/advance", json={"Seconds": 10 * 365 * 86400})
            assert_promise(response, "POST /_emulator/clock/advance {'Seconds': 315360000}")
            if response.status_code != 200:
                break
        for path, headers in (("/_emulator/clock", {}), (MESSAGES, AUTH)):
            later = client.get(path, headers=headers)
            assert_promise(later, f"GET {path} after the clock advances")
            assert later.status_code == 200
        sent = client.post(MESSAGES, data={"To": HANDSETS[0], "From": NUMBER, "Body": "late"}, headers=AUTH)
        assert_promise(sent, "a send after the clock advances")
        assert sent.status_code == 201
    finally:
        client.post("/_emulator/reset")


def test_a_non_utf8_multipart_form_is_refused_like_an_urlencoded_one(world):
    client, _ = world
    before = _messages(client)
    data, content_type = _multipart([("To", "+15551230001"), ("From", "+15557650001"), ("Body", "caf\xe9")], "latin-1")
    response = client.post(MESSAGES, data=data, headers={**AUTH, "Content-Type": content_type})
    assert_promise(response, "POST Messages multipart latin-1")
    assert response.status_code == 400 and response.get_json()["code"] == 20001
    assert _messages(client) == before


def test_a_non_utf8_inbound_body_is_refused(world):
    client, _ = world
    before = client.get(f"/_emulator/messages?AccountSid={ACCOUNT}").get_json()
    for data, content_type, status in (
        (b"From=%2B15551230004&To=%2B15557650001&Body=caf%E9", "application/x-www-form-urlencoded", 403),
        (b'{"From": "+15551230004", "To": "+15557650001", "Body": "caf\xe9"}', "application/json", 400),
    ):
        response = client.post("/_emulator/inbound", data=data, content_type=content_type)
        assert_promise(response, f"POST /_emulator/inbound latin-1 {content_type}")
        assert response.status_code == status
    assert client.get(f"/_emulator/messages?AccountSid={ACCOUNT}").get_json() == before


def test_every_route_of_the_app_is_fuzzed():
    app = create_app(Settings())
    rules = {r.rule for r in app.url_map.iter_rules()}
    shutdown(app)
    assert rules <= {r.rule for r in ROUTES} and len(rules) > 20
