"""messaging.twilio.com /v1/Services and its PhoneNumbers, ShortCodes and AlphaSenders pools."""

from __future__ import annotations

from flask import Blueprint, g, request

from ...domain.paging import paginate, parse_paging
from ...errors import InvalidParameter
from ..context import emulator
from . import params, serializers

TEXT_PARAMS = {
    "FriendlyName": "friendly_name",
    "InboundRequestUrl": "inbound_request_url",
    "FallbackUrl": "fallback_url",
    "StatusCallback": "status_callback",
    "ScanMessageContent": "scan_message_content",
    "Usecase": "usecase",
}
METHOD_PARAMS = {"InboundMethod": "inbound_method", "FallbackMethod": "fallback_method"}
BOOL_PARAMS = {
    "StickySender": "sticky_sender",
    "MmsConverter": "mms_converter",
    "SmartEncoding": "smart_encoding",
    "FallbackToLongCode": "fallback_to_long_code",
    "AreaCodeGeomatch": "area_code_geomatch",
    "SynchronousValidation": "synchronous_validation",
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
}
# Pool sub-resources: URL segment -> (domain pool name, the create parameter naming the sender).
POOLS = {
    "PhoneNumbers": ("phone_numbers", "PhoneNumberSid"),
    "ShortCodes": ("short_codes", "ShortCodeSid"),
    "AlphaSenders": ("alpha_senders", "AlphaSender"),
}


def _base() -> str:
    return request.host_url.rstrip("/")


def _attrs() -> dict:
    form = params.form()
    attrs: dict = {}
    for name, attr in TEXT_PARAMS.items():
        if name in form:
            attrs[attr] = form[name]
    for name, attr in METHOD_PARAMS.items():
        attrs[attr] = params.method(form, name)
    for name, attr in BOOL_PARAMS.items():
        attrs[attr] = params.boolean(form, name)
    attrs["validity_period"] = params.integer(form, "ValidityPeriod", 1, 36000)
    return {k: v for k, v in attrs.items() if v is not None}


def _page(key: str, records: list, serialize) -> dict:  # noqa: ANN001
    page_size, page = parse_paging(request.args.get("PageSize"), request.args.get("Page"))
    result = paginate(records, page, page_size, request.args.get("PageToken"), key=lambda r: r.sid)
    return serializers.page_v1(key, result, [serialize(r) for r in result.items], _base() + request.path)


def create_service():  # noqa: ANN201
    if not params.form().get("FriendlyName"):
        raise InvalidParameter("Missing required parameter FriendlyName in the post body")
    service = emulator().services.create(g.account, **_attrs())
    return serializers.service(service, _base()), 201


def list_services():  # noqa: ANN201
    services = emulator().services.list_(g.account)
    return _page("services", services, lambda s: serializers.service(s, _base()))


def fetch_service(sid: str):  # noqa: ANN201
    return serializers.service(emulator().services.fetch(g.account, sid, request.path), _base())


def update_service(sid: str):  # noqa: ANN201
    service = emulator().services.update(g.account, sid, request.path, **_attrs())
    return serializers.service(service, _base())


def delete_service(sid: str):  # noqa: ANN201
    emulator().services.delete(g.account, sid, request.path)
    return "", 204


def create_pool_sender(ServiceSid: str, pool: str):  # noqa: N803, ANN201
    name, param = POOLS[pool]
    key = params.text(params.form(), param) or ""
    sender = emulator().services.add_sender(g.account, ServiceSid, name, key, request.path)
    return serializers.pool_sender(sender, name, _base()), 201


def list_pool_senders(ServiceSid: str, pool: str):  # noqa: N803, ANN201
    name, _ = POOLS[pool]
    senders = emulator().services.list_senders(g.account, ServiceSid, name, request.path)
    return _page(name, senders, lambda s: serializers.pool_sender(s, name, _base()))


def fetch_pool_sender(ServiceSid: str, pool: str, sid: str):  # noqa: N803, ANN201
    name, _ = POOLS[pool]
    sender = emulator().services.fetch_sender(g.account, ServiceSid, name, sid, request.path)
    return serializers.pool_sender(sender, name, _base())


def delete_pool_sender(ServiceSid: str, pool: str, sid: str):  # noqa: N803, ANN201
    name, _ = POOLS[pool]
    emulator().services.remove_sender(g.account, ServiceSid, name, sid, request.path)
    return "", 204


def register(bp: Blueprint, resource) -> None:  # noqa: ANN001
    resource(bp, "/Services", POST=create_service, GET=list_services)
    resource(bp, "/Services/<sid>", GET=fetch_service, POST=update_service, DELETE=delete_service)
    pool = "/Services/<ServiceSid>/<any(PhoneNumbers, ShortCodes, AlphaSenders):pool>"
    resource(bp, pool, POST=create_pool_sender, GET=list_pool_senders)
    resource(bp, pool + "/<sid>", GET=fetch_pool_sender, DELETE=delete_pool_sender)
