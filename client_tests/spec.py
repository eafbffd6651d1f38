"""Validate emulator JSON against Twilio's own OpenAPI documents (the parts kept in client_tests/oai)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_DIR = Path(__file__).resolve().parent / "oai"
FILES = {
    "api.v2010": "twilio_api_v2010.json",
    "messaging.v1": "twilio_messaging_v1.json",
    "accounts.v1": "twilio_accounts_v1.json",
    "iam.v1": "twilio_iam_v1.json",
}


@functools.cache
def _spec(prefix: str) -> dict:
    return json.loads((SPEC_DIR / FILES[prefix]).read_text())


@functools.cache
def _validator(schema_name: str) -> tuple[OAS30Validator, frozenset[str]]:
    prefix = ".".join(schema_name.split(".")[:2])
    spec = _spec(prefix)
    registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT4))
    validator = OAS30Validator({"$ref": f"urn:spec#/components/schemas/{schema_name}"}, registry=registry)
    return validator, frozenset(spec["components"]["schemas"][schema_name]["properties"])


def assert_matches(body: dict, schema_name: str, exact_fields: bool = True) -> None:
    """Every field has the spec's type; with exact_fields, the field set is the spec's too."""
    validator, properties = _validator(schema_name)
    errors = [f"{'.'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{schema_name}: " + "; ".join(errors)
    if exact_fields:
        assert set(body) == properties, (
            f"{schema_name}: missing {sorted(properties - set(body))}, extra {sorted(set(body) - properties)}"
        )
    else:
        assert set(body) <= properties | {"subresource_uris"}, f"extra fields {sorted(set(body) - properties)}"


def list_response_schema(path: str, prefix: str = "api.v2010") -> dict:
    """The 200 schema of a list endpoint, e.g. '/2010-04-01/Accounts/{AccountSid}/Messages.json'."""
    return _spec(prefix)["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def assert_list_matches(body: dict, path: str, prefix: str = "api.v2010") -> None:
    spec = _spec(prefix)
    registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT4))
    schema = json.loads(json.dumps(list_response_schema(path, prefix)).replace('"#/components', '"urn:spec#/components'))
    validator = OAS30Validator(schema, registry=registry)
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, "; ".join(errors)
    assert set(body) == set(schema["properties"]), f"page keys {sorted(body)} != {sorted(schema['properties'])}"


ENVELOPE = {"code", "message", "more_info", "status"}


def assert_error(response, code: int, status: int = 400, message: str | None = None) -> dict:
    """Twilio's error envelope, exactly (www.twilio.com/docs/errors/21610), with a JSON content type. A 20003 may also
    carry "detail", as a live Twilio 20003 did; nothing else is allowed."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    body = response.json()
    allowed = (ENVELOPE, ENVELOPE | {"detail"}) if code == 20003 else (ENVELOPE,)
    assert set(body) in allowed, body
    assert body["code"] == code, body
    assert body["status"] == status, body
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert isinstance(body["message"], str) and body["message"], body
    if message is not None:
        assert body["message"] == message
    return body
