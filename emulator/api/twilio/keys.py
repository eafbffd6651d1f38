"""API keys: api.twilio.com /2010-04-01/Accounts/{AccountSid}/Keys (client.new_keys, client.keys)
and iam.twilio.com /v1/Keys (client.iam.v1.new_api_key, api_key, get_api_keys)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, g, request

from ...domain.paging import paginate, parse_paging
from ...errors import AuthenticationFailed, InvalidParameter
from ..context import emulator
from . import params, serializers


def _manager() -> Any:
    """The account's key operations, for credentials that may use them (not a standard key)."""
    keys = emulator().api_keys
    keys.may_manage(g.username)
    return keys


def _page(result_key: str, keys: list, serialize, url: str | None = None) -> dict:  # noqa: ANN001
    args = request.args
    page_size, page = parse_paging(args.get("PageSize"), args.get("Page"))
    result = paginate(keys, page, page_size, args.get("PageToken"), key=lambda k: k.sid)
    records = [serialize(k) for k in result.items]
    if url is not None:
        return serializers.page_v1(result_key, result, records, url)
    return serializers.page_2010(result_key, result, records, request.path, {}, args.get("PageToken"))


# -- 2010-04-01 ------------------------------------------------------------------------------------
def create_key(AccountSid: str):  # noqa: N803, ANN201
    key = _manager().create(g.account, params.text(params.form(), "FriendlyName"))
    return serializers.new_key(key), 201


def list_keys(AccountSid: str):  # noqa: N803, ANN201
    return _page("keys", _manager().list_(g.account), serializers.key)


def fetch_key(AccountSid: str, sid: str):  # noqa: N803, ANN201
    return serializers.key(_manager().fetch(g.account, sid, request.path))


def update_key(AccountSid: str, sid: str):  # noqa: N803, ANN201
    key = _manager().update(g.account, sid, request.path, params.text(params.form(), "FriendlyName"))
    return serializers.key(key)


def delete_key(AccountSid: str, sid: str):  # noqa: N803, ANN201
    _manager().delete(g.account, sid, request.path)
    return "", 204


# -- iam v1 -----------------------------------------------------------------------------------------
def _own_account(sid: str | None) -> None:
    """iam's AccountSid parameter names the account; it must be the authenticated one."""
    if not sid:
        raise InvalidParameter("Missing required parameter AccountSid")
    if sid != g.account.sid:
        raise AuthenticationFailed(reason=f"AccountSid {sid[:40]} is not the account these credentials are for")


def _policy(form: dict[str, str]) -> Any:
    raw = form.get("Policy")
    if raw is None:
        return None
    try:
        policy = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise InvalidParameter(name="Policy", value=raw[:200]) from None
    if not isinstance(policy, dict) or _depth(policy) > MAX_POLICY_DEPTH:
        raise InvalidParameter(name="Policy", value=raw[:200])
    return policy


MAX_POLICY_DEPTH = 32  # Twilio's policies are a few levels deep; deeper ones are stored and shown as they are


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_POLICY_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


def create_api_key():  # noqa: ANN201
    form = params.form()
    keys = _manager()
    _own_account(form.get("AccountSid"))
    key = keys.create(g.account, form.get("FriendlyName"), form.get("KeyType"), _policy(form))
    return serializers.new_api_key(key), 201


def list_api_keys():  # noqa: ANN201
    keys = _manager()
    _own_account(request.args.get("AccountSid"))
    return _page("keys", keys.list_(g.account), serializers.listed_api_key, request.base_url)


def fetch_api_key(sid: str):  # noqa: ANN201
    return serializers.api_key(_manager().fetch(g.account, sid, request.path))


def update_api_key(sid: str):  # noqa: ANN201
    form = params.form()
    key = _manager().update(g.account, sid, request.path, form.get("FriendlyName"), _policy(form))
    return serializers.api_key(key)


def delete_api_key(sid: str):  # noqa: ANN201
    _manager().delete(g.account, sid, request.path)
    return "", 204


def register(api: Blueprint, v1: Blueprint, resource) -> None:  # noqa: ANN001
    keys = "/Accounts/<AccountSid>/Keys"
    resource(api, keys + "<json:suffix>", POST=create_key, GET=list_keys)
    resource(api, keys + "/<sid:sid><json:suffix>", GET=fetch_key, POST=update_key, DELETE=delete_key)
    resource(v1, "/Keys", POST=create_api_key, GET=list_api_keys)
    resource(v1, "/Keys/<sid>", GET=fetch_api_key, POST=update_api_key, DELETE=delete_api_key)
