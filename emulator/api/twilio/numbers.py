"""/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers and /SMS/ShortCodes."""

from __future__ import annotations

from flask import Blueprint, g, request

from ...domain.paging import paginate, parse_paging
from ..context import emulator
from . import params, serializers

CONFIG_PARAMS = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallback": "status_callback",
}


def _config() -> dict[str, str]:
    form = params.form()
    config = {}
    for name, attr in CONFIG_PARAMS.items():
        value = params.method(form, name) if attr.endswith("_method") else params.text(form, name)
        if value is not None:
            config[attr] = value
    return config


def _page(key: str, records: list, serialize) -> dict:  # noqa: ANN001
    args = request.args.to_dict()
    page_size, page = parse_paging(args.get("PageSize"), args.get("Page"))
    result = paginate(records, page, page_size, args.get("PageToken"), key=lambda s: s.sid)
    filters = params.present(args, ("PhoneNumber", "FriendlyName", "ShortCode"))
    records = [serialize(s) for s in result.items]
    return serializers.page_2010(key, result, records, request.path, filters, args.get("PageToken"))


def create_number(AccountSid: str):  # noqa: N803, ANN201
    sender = emulator().numbers.create(g.account, params.text(params.form(), "PhoneNumber"), **_config())
    return serializers.incoming_phone_number(sender), 201


def list_numbers(AccountSid: str):  # noqa: N803, ANN201
    senders = emulator().numbers.list_(g.account, request.args.get("PhoneNumber"), request.args.get("FriendlyName"))
    return _page("incoming_phone_numbers", senders, serializers.incoming_phone_number)


def fetch_number(AccountSid: str, sid: str):  # noqa: N803, ANN201
    return serializers.incoming_phone_number(emulator().numbers.fetch(g.account, sid, request.path))


def update_number(AccountSid: str, sid: str):  # noqa: N803, ANN201
    sender = emulator().numbers.update(g.account, sid, request.path, **_config())
    return serializers.incoming_phone_number(sender)


def delete_number(AccountSid: str, sid: str):  # noqa: N803, ANN201
    emulator().numbers.delete(g.account, sid, request.path)
    return "", 204


def list_short_codes(AccountSid: str):  # noqa: N803, ANN201
    senders = emulator().numbers.list_short_codes(g.account, request.args.get("ShortCode"))
    return _page("short_codes", senders, serializers.short_code)


def fetch_short_code(AccountSid: str, sid: str):  # noqa: N803, ANN201
    return serializers.short_code(emulator().numbers.fetch_short_code(g.account, sid, request.path))


def update_short_code(AccountSid: str, sid: str):  # noqa: N803, ANN201
    sender = emulator().numbers.update_short_code(g.account, sid, request.path, **_config())
    return serializers.short_code(sender)


def register(bp: Blueprint, resource) -> None:  # noqa: ANN001
    numbers = "/Accounts/<AccountSid>/IncomingPhoneNumbers"
    short_codes = "/Accounts/<AccountSid>/SMS/ShortCodes"
    resource(bp, numbers + "<json:suffix>", POST=create_number, GET=list_numbers)
    resource(bp, numbers + "/<sid:sid><json:suffix>", GET=fetch_number, POST=update_number, DELETE=delete_number)
    resource(bp, short_codes + "<json:suffix>", GET=list_short_codes)
    resource(bp, short_codes + "/<sid:sid><json:suffix>", GET=fetch_short_code, POST=update_short_code)
