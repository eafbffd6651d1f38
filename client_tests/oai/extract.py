"""Extract what our tests validate against from Twilio's full OpenAPI documents.

    python client_tests/oai/extract.py PATH/TO/twilio-oai/spec/json

writes the three files beside this script: only the listed paths, and every schema they (or the
listed schemas) reach through $ref. Twilio's documents are MIT-licensed (LICENSE beside this file);
README.md says where and at which commit they were taken.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WANTED = {
    "twilio_api_v2010.json": {
        "paths": [
            "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
            "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes.json",
            "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes/{Sid}.json",
            "/2010-04-01/Accounts/{AccountSid}/Keys.json",
            "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json",
        ],
        "schemas": ["api.v2010.account.message"],
    },
    "twilio_messaging_v1.json": {
        "paths": [
            "/v1/Services",
            "/v1/Services/{Sid}",
            "/v1/Services/{ServiceSid}/PhoneNumbers",
            "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}",
            "/v1/Services/{ServiceSid}/ShortCodes",
            "/v1/Services/{ServiceSid}/ShortCodes/{Sid}",
            "/v1/Services/{ServiceSid}/AlphaSenders",
            "/v1/Services/{ServiceSid}/AlphaSenders/{Sid}",
        ],
        "schemas": [],
    },
    "twilio_accounts_v1.json": {
        "paths": ["/v1/Consents/Bulk", "/v1/Contacts/Bulk"],
        "schemas": [],
    },
    "twilio_iam_v1.json": {
        "paths": ["/v1/Keys", "/v1/Keys/{Sid}"],
        "schemas": [],
    },
}


def _refs(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def extract(spec: dict, paths: list[str], schemas: list[str]) -> dict:
    kept_paths = {path: spec["paths"][path] for path in paths}
    all_schemas = spec["components"]["schemas"]
    todo, kept = set(schemas) | _refs(kept_paths), {}
    while todo:
        name = todo.pop()
        if name not in kept:
            kept[name] = all_schemas[name]
            todo |= _refs(kept[name])
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "paths": kept_paths,
        "components": {"schemas": dict(sorted(kept.items()))},
    }


def main(source: str) -> None:
    for name, wanted in WANTED.items():
        spec = json.loads((Path(source) / name).read_text())
        (HERE / name).write_text(json.dumps(extract(spec, **wanted), indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
