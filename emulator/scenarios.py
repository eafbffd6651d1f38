"""Declarative opt-out scenarios (TOML), run black-box against an emulator over HTTP.

A scenario declares an account (the fixture format, loaded through POST /_emulator/fixtures) and
steps; each step does one thing and states what must follow:

    description = "A STOP to a long code blocks later sends from it with 21610"

    [account]
    numbers = [{ phone_number = "+15557650001", sms_url = "$webhooks/sms" }]

    [[steps]]
    inbound = { from = "+15551230001", to = "+15557650001", body = "STOP" }
    [steps.expect]
    opt_out_type = "STOP"
    webhooks = [{ path = "/sms", params = { Body = "STOP" } }]

    [[steps]]
    send = { from = "+15557650001", to = "+15551230001", body = "Hi" }
    expect = { http_status = 400, error_code = 21610 }

Actions: send, inbound, settings, advanced_opt_out, advance (clock seconds), step (manual
progression), cancel (a scheduled send), request (any Twilio request: method, path, params),
registration (a sender's A2P 10DLC / toll-free state), consent and contacts (items of the Consent
Management API's bulk upserts), check (expectations only). Every step waits for the
webhooks it caused before its expectations are checked. Expectations: see EXPECT_KEYS.
"""

from __future__ import annotations

import json
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ACTIONS = (
    "send", "inbound", "settings", "advanced_opt_out", "advance", "step", "cancel", "request", "registration",
    "consent", "contacts", "check",
)
EXPECT_KEYS = {
    "http_status": "HTTP status of the step's request",
    "error_code": "Twilio error code of a refused request (the envelope's code)",
    "status": "status in the create response",
    "final_status": "status when fetched after the step (and its webhooks) finished",
    "final_error_code": "error_code when fetched after the step",
    "from": "the message's from when fetched after the step",
    "opt_out_type": 'the inbound classification: "STOP", "START", "HELP" or "none"',
    "auto_reply": "the exact auto-reply text sent back to the handset",
    "no_auto_reply": "true: no auto-reply was sent",
    "opt_outs": "the account's exact opt-out records: [{sender|messaging_service_sid, recipient}]",
    "opt_outs_include": "records that must exist",
    "opt_outs_absent": "records that must not exist",
    "webhooks": "the exact webhook requests this step caused: [{path, params (subset)}]",
    "messages_count": "how many messages the account has after the step",
    "reply_error_codes": "error codes of the TwiML replies of this step's inbound webhook",
    "error_message": "the message of a refused request (the envelope's message)",
    "response": "fields the step's JSON answer must have, with these values (a subset)",
    "response_null": "fields of the step's JSON answer that must be null",
    "items": "the per-item results of a consent/contacts step: [{correlation_id, error_code, error_messages}]",
}
SEND_KEYS = {"from", "to", "body", "service", "media", "status_callback", "send_in", "send_at"}
REQUEST_KEYS = {"method", "path", "params"}
REGISTRATION_KEYS = {"sender", "state"}
BULK_KEYS = {"items", "repeat"}


class ScenarioError(ValueError):
    """A scenario file that cannot be run (bad TOML, unknown action or key)."""


@dataclass
class StepResult:
    index: int
    action: str
    failures: list[str] = field(default_factory=list)


@dataclass
class ScenarioResult:
    name: str
    path: str
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(not s.failures for s in self.steps)

    def report(self) -> str:
        if self.passed:
            return f"PASS {self.name}"
        lines = [f"FAIL {self.name} ({self.path})"]
        if self.error:
            lines.append(f"  error: {self.error}")
        for step in self.steps:
            for failure in step.failures:
                lines.append(f"  step {step.index} ({step.action}): {failure}")
        return "\n".join(lines)


@dataclass
class Scenario:
    name: str
    path: str
    description: str
    account: dict
    webhook_answers: dict[str, Any]
    steps: list[dict]


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    unknown = set(data) - {"description", "account", "webhook_answers", "steps"}
    if unknown:
        raise ScenarioError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    steps = data.get("steps", [])
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{path}: a scenario needs [[steps]]")
    for i, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ScenarioError(f"{path}: step {i} must be a table ([[steps]])")
        actions = [a for a in ACTIONS if a in step]
        if len(actions) != 1:
            raise ScenarioError(f"{path}: step {i} needs exactly one action of {', '.join(ACTIONS)}")
        if not isinstance(step[actions[0]], dict) or not isinstance(step.get("expect", {}), dict):
            raise ScenarioError(f"{path}: step {i}: {actions[0]} and expect must be tables, e.g. {{ body = \"STOP\" }}")
        extra_keys = set(step) - {*ACTIONS, "expect"}
        if extra_keys:
            raise ScenarioError(f"{path}: step {i}: unknown key(s) {', '.join(sorted(extra_keys))}")
        bad = set(step.get("expect", {})) - set(EXPECT_KEYS)
        if bad:
            raise ScenarioError(f"{path}: step {i}: unknown expectation(s) {', '.join(sorted(bad))}")
        for action, keys in (("send", SEND_KEYS), ("request", REQUEST_KEYS), ("registration", REGISTRATION_KEYS),
                             ("consent", BULK_KEYS), ("contacts", BULK_KEYS)):
            if action in step and set(step[action]) - keys:
                unknown_keys = ", ".join(sorted(set(step[action]) - keys))
                raise ScenarioError(f"{path}: step {i}: unknown {action} key(s) {unknown_keys}")
    return Scenario(
        name=path.stem,
        path=str(path),
        description=data.get("description", ""),
        account=data.get("account", {}),
        webhook_answers=data.get("webhook_answers", {}),
        steps=steps,
    )


def run(
    scenario: Scenario, base_url: str, webhook_url: str | None = None, receiver: Any = None,
    control_token: str | None = None,
) -> ScenarioResult:
    """Run one scenario in an account of its own, reset (removed) at the end: the emulator is left
    as it was found, so a sandbox others use is safe. `receiver` (emulator.testing.WebhookReceiver)
    answers "$webhooks" URLs; without one, scenarios that use webhooks fail with a clear error.
    `control_token`: the emulator's --control-token (default $TWILIO_EMULATOR_CONTROL_TOKEN)."""
    result = ScenarioResult(scenario.name, scenario.path)
    runner = _Runner(base_url.rstrip("/"), receiver, control_token)
    try:
        runner.setup(scenario)
        for i, step in enumerate(scenario.steps, 1):
            action = next(a for a in ACTIONS if a in step)
            step_result = StepResult(i, action)
            runner.step(step, action, step_result)
            result.steps.append(step_result)
    except (requests.RequestException, ScenarioError) as exc:
        result.error = str(exc)
    finally:
        try:
            runner.teardown()
        except (requests.RequestException, ScenarioError) as exc:
            result.error = result.error or str(exc)
    return result


def _replace_placeholders(value: Any, webhooks: str | None) -> Any:
    if isinstance(value, str) and value.startswith("$webhooks"):
        if webhooks is None:
            raise ScenarioError("this scenario uses $webhooks but no webhook receiver is running")
        return webhooks + value[len("$webhooks") :]
    if isinstance(value, dict):
        return {k: _replace_placeholders(v, webhooks) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_placeholders(v, webhooks) for v in value]
    return value


class _Runner:
    def __init__(self, base_url: str, receiver: Any, control_token: str | None = None) -> None:
        from .testing import BearerAuth
        from .testing import control_token as resolve_token

        token = resolve_token(control_token)
        self.control_auth = BearerAuth(token) if token else None
        self.base = base_url
        self.receiver = receiver
        self.webhooks = receiver.url("").rstrip("/") if receiver is not None else None
        self.session = requests.Session()
        self.sid = "AC" + secrets.token_hex(16)
        self.token = secrets.token_hex(16)
        self.session.auth = (self.sid, self.token)
        self.last_sid: str | None = None

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/_emulator{path}", timeout=30, auth=self.control_auth,
                                    **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/2010-04-01/Accounts/{self.sid}{path}", timeout=30, **kwargs)

    def setup(self, scenario: Scenario) -> None:
        if self.receiver is not None:
            self.receiver.requests.clear()
            for path, answer in scenario.webhook_answers.items():
                if isinstance(answer, str):
                    self.receiver.respond(path, answer)
                else:
                    self.receiver.respond(path, answer.get("body", ""), answer.get("status", 200))
        account = _replace_placeholders(dict(scenario.account), self.webhooks)
        account["sid"] = self.sid
        account["auth_token"] = self.token
        response = self.control("POST", "/fixtures", json={"accounts": [account]})
        if response.status_code != 204:
            error = response.json().get("error", "")
            hint = ""
            if "belongs to account" in error:  # the running emulator's own work holds that number
                hint = (" (a number belongs to one account: reset that account with "
                        "`twilio-emulator reset --account AC…`, or run the scenarios without --url)")
            raise ScenarioError(f"the [account] table was refused: {error}{hint}")

    def teardown(self) -> None:
        """Remove the scenario's account, its numbers, messages and opt-outs (nothing else)."""
        response = self.control("POST", "/reset", json={"AccountSid": self.sid})
        if response.status_code != 204:
            raise ScenarioError(f"the reset of the scenario's account failed: {response.status_code}")

    def step(self, step: dict, action: str, result: StepResult) -> None:
        expect = step.get("expect", {})
        seen = len(self.receiver.requests) if self.receiver is not None else 0
        args = _replace_placeholders(step[action], self.webhooks)
        actual: dict[str, Any] = {}
        getattr(self, f"do_{action}")(args, actual)
        self.control("POST", "/webhooks/wait", json={"Timeout": 30})
        self.check(expect, actual, seen, result)

    # -- actions ----------------------------------------------------------------------------------
    def do_send(self, args: dict, actual: dict) -> None:
        form: list[tuple[str, str]] = [("To", args.get("to", "")), ("Body", args.get("body", ""))]
        if "from" in args:
            form.append(("From", args["from"]))
        if "service" in args:
            form.append(("MessagingServiceSid", args["service"]))
        if "status_callback" in args:
            form.append(("StatusCallback", args["status_callback"]))
        form += [("MediaUrl", url) for url in args.get("media", [])]
        if "send_in" in args or "send_at" in args:
            send_at = args.get("send_at")
            if send_at is None:
                now = datetime.fromisoformat(self.control("GET", "/clock").json()["now"].replace("Z", "+00:00"))
                send_at = (now + timedelta(seconds=args["send_in"])).strftime("%Y-%m-%dT%H:%M:%SZ")
            form += [("ScheduleType", "fixed"), ("SendAt", send_at)]
        self._record(self.api("POST", "/Messages.json", data=form), actual)

    def do_inbound(self, args: dict, actual: dict) -> None:
        payload = {"From": args.get("from"), "To": args.get("to"), "Body": args.get("body", "")}
        if "channel" in args:
            payload["Channel"] = args["channel"]
        response = self.control("POST", "/inbound", json=payload)
        actual["http_status"] = response.status_code
        body = response.json()
        if response.status_code == 201:
            self.last_sid = body["message"]["sid"]
            actual["opt_out_type"] = body["opt_out_type"] or "none"
            actual["auto_replies"] = [r["body"] for r in body["auto_replies"]]

    def do_settings(self, args: dict, actual: dict) -> None:
        actual["http_status"] = self.control("PUT", f"/accounts/{self.sid}/settings", json=args).status_code

    def do_advanced_opt_out(self, args: dict, actual: dict) -> None:
        args = dict(args)
        service = args.pop("service", None)
        actual["http_status"] = self.control("PUT", f"/services/{service}/advanced-opt-out", json=args).status_code

    def do_advance(self, args: dict, actual: dict) -> None:
        response = self.control("POST", "/clock/advance", json={"Seconds": args.get("seconds", 0)})
        actual["http_status"] = response.status_code

    def do_step(self, args: dict, actual: dict) -> None:
        payload = {"AccountSid": self.sid, "Steps": args.get("steps", 1), "UntilFinal": args.get("until_final", False)}
        actual["http_status"] = self.control("POST", "/messages/advance", json=payload).status_code

    def do_cancel(self, args: dict, actual: dict) -> None:
        sid = args.get("sid") or self.last_sid
        self._record(self.api("POST", f"/Messages/{sid}.json", data={"Status": "canceled"}), actual)

    def do_request(self, args: dict, actual: dict) -> None:
        """Any Twilio request: a `path` under /2010-04-01 or /v1 as it is, else under the account
        (`/IncomingPhoneNumbers.json`), "$last" in it standing for the last message's SID; `params`
        go in the query of a GET, in the form otherwise."""
        method, params = args.get("method", "GET").upper(), args.get("params", {})
        path = args.get("path", "").replace("$last", self.last_sid or "")
        url = self.base + path if path.startswith(("/2010-04-01/", "/v1/")) else None
        kwargs = {"params": params} if method == "GET" else {"data": params}
        response = (self.session.request(method, url, timeout=30, **kwargs) if url is not None
                    else self.api(method, path, **kwargs))
        self._record(response, actual, message=False)

    def do_registration(self, args: dict, actual: dict) -> None:
        response = self.control("PUT", f"/senders/{args.get('sender')}", json={"registration": args.get("state")})
        actual["http_status"] = response.status_code

    def do_consent(self, args: dict, actual: dict, path: str = "/v1/Consents/Bulk") -> None:
        """POST the items (each a table, sent as one JSON `Items` value) to accounts.twilio.com,
        `repeat` times (the expectations are about the last answer)."""
        items = [json.dumps(item) for item in args.get("items", [])]
        for _ in range(max(int(args.get("repeat", 1)), 1)):
            response = self.session.post(self.base + path, data={"Items": items}, timeout=30)
        self._record(response, actual, message=False)

    def do_contacts(self, args: dict, actual: dict) -> None:
        self.do_consent(args, actual, "/v1/Contacts/Bulk")

    def do_check(self, args: dict, actual: dict) -> None:
        """No action: only the expectations (about the last message, opt-outs, ...)."""

    def _record(self, response: requests.Response, actual: dict, message: bool = True) -> None:
        actual["http_status"] = response.status_code
        body = response.json() if response.content else {}
        actual["response"] = body
        if response.status_code >= 400:
            actual["error_code"], actual["error_message"] = body.get("code"), body.get("message")
            # The emulator's own explanation (which account owns a number, ...), for the report.
            seen = self.control("GET", "/requests", params={"AccountSid": self.sid}).json()["requests"]
            actual["reason"] = seen[-1]["reason"] if seen else None
        elif message:
            self.last_sid = body.get("sid", self.last_sid)
            actual["status"] = body.get("status")

    # -- expectations -----------------------------------------------------------------------------
    def check(self, expect: dict, actual: dict, seen: int, result: StepResult) -> None:
        fail = result.failures.append

        def compare(key: str, got: Any, why: str | None = None) -> None:
            if key in expect and expect[key] != got:
                fail(f"expected {key} = {expect[key]!r}, got {got!r}" + (f" (why: {why})" if why else ""))

        for key in ("http_status", "error_code", "error_message", "status", "opt_out_type"):
            compare(key, actual.get(key), actual.get("reason"))
        body = actual.get("response", {})
        if "items" in expect:
            compare("items", body.get("items"))
        for name, value in expect.get("response", {}).items():
            if body.get(name) != value:
                fail(f"expected response {name} = {value!r}, got {body.get(name)!r}")
        for name in expect.get("response_null", []):
            if name not in body or body[name] is not None:
                fail(f"expected response {name} = null, got {body.get(name, '(absent)')!r}")
        replies = actual.get("auto_replies", [])
        if "auto_reply" in expect and expect["auto_reply"] not in replies:
            fail(f"expected auto_reply {expect['auto_reply']!r}, got {replies!r}")
        if expect.get("no_auto_reply") and replies:
            fail(f"expected no auto-reply, got {replies!r}")
        if {"final_status", "final_error_code", "from"} & set(expect):
            fetched = self.api("GET", f"/Messages/{self.last_sid}.json").json() if self.last_sid else {}
            compare("final_status", fetched.get("status"))
            compare("final_error_code", fetched.get("error_code"))
            compare("from", fetched.get("from"))
        if {"opt_outs", "opt_outs_include", "opt_outs_absent"} & set(expect):
            self.check_opt_outs(expect, fail)
        if "messages_count" in expect:
            listed = self.api("GET", "/Messages.json", params={"PageSize": 1000}).json()["messages"]
            compare("messages_count", len(listed))
        if "webhooks" in expect:
            self.check_webhooks(expect["webhooks"], seen, fail)
        if "reply_error_codes" in expect:
            hooks = self.control("GET", "/webhooks", params={"MessageSid": self.last_sid}).json()["webhooks"]
            codes = [r["error_code"] for h in hooks for r in h["replies"]]
            compare("reply_error_codes", codes)

    def check_opt_outs(self, expect: dict, fail: Any) -> None:
        records = self.control("GET", "/opt-outs", params={"AccountSid": self.sid}).json()["opt_outs"]
        have = {(r["sender"], r["messaging_service_sid"], r["recipient"]) for r in records}

        def key(spec: dict) -> tuple:
            return (spec.get("sender"), spec.get("messaging_service_sid"), spec.get("recipient"))

        by_key = {key(r): r for r in records}
        if "opt_outs" in expect:
            want = {key(s) for s in expect["opt_outs"]}
            if want != have:
                missing, unexpected = sorted(want - have, key=str), sorted(have - want, key=str)
                fail(f"opt-out records differ: missing {missing}, unexpected {unexpected}")
        for spec in expect.get("opt_outs_include", []):
            if key(spec) not in have:
                fail(f"expected opt-out record {spec}, have {sorted(have, key=str)}")
                continue
            for field_name in ("source", "consent_source", "correlation_id"):  # what wrote it, if stated
                if field_name in spec and by_key[key(spec)][field_name] != spec[field_name]:
                    fail(f"opt-out record {key(spec)}: expected {field_name} {spec[field_name]!r}, "
                         f"got {by_key[key(spec)][field_name]!r}")
        for spec in expect.get("opt_outs_absent", []):
            if key(spec) in have:
                fail(f"expected no opt-out record {spec}")

    def check_webhooks(self, wanted: list[dict], seen: int, fail: Any) -> None:
        if self.receiver is None:
            fail("expectation 'webhooks' needs a webhook receiver")
            return
        got = self.receiver.requests[seen:]
        if len(got) != len(wanted):
            summary = [(r.path, r.form.get("Body") or r.form.get("MessageStatus")) for r in got]
            fail(f"expected {len(wanted)} webhook(s), got {len(got)}: {summary}")
            return
        for i, (want, request) in enumerate(zip(wanted, got, strict=True)):
            if "path" in want and want["path"] != request.path:
                fail(f"webhook {i}: expected path {want['path']!r}, got {request.path!r}")
            for name, value in want.get("params", {}).items():
                if request.form.get(name) != value:
                    fail(f"webhook {i}: expected {name}={value!r}, got {request.form.get(name)!r}")
            for name in want.get("absent", []):
                if name in request.form:
                    fail(f"webhook {i}: expected no {name}, got {request.form[name]!r}")


def run_paths(
    paths: list[str | Path], base_url: str | None = None, control_token: str | None = None
) -> list[ScenarioResult]:
    """Run scenario files (directories are searched for *.toml) against base_url (with its
    control_token, if any), or a fresh in-process emulator when none is given. A webhook receiver
    is started for them."""
    from .testing import EmulatorServer, WebhookReceiver

    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
    results = []
    server = EmulatorServer().start() if base_url is None else None
    url = base_url or server.url  # type: ignore[union-attr]  # one of the two is set
    try:
        with WebhookReceiver() as receiver:
            for file in files:
                try:
                    scenario = load(file)
                except ScenarioError as exc:
                    results.append(ScenarioResult(file.stem, str(file), error=str(exc)))
                    continue
                token = control_token if server is None else ""
                results.append(run(scenario, url, receiver=receiver, control_token=token))
    finally:
        if server is not None:
            server.stop()
    return results
