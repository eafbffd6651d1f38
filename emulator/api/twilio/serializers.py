"""The one place that shapes domain records into Twilio's JSON (field names, types, dates, URIs)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from ...domain.consents import ItemResult
from ...domain.models import ApiKey, Message, MessagingService, Sender
from ...domain.paging import Page
from ...domain.phone import SenderType

API_VERSION = "2010-04-01"


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(value: datetime | None) -> str | None:
    """Twilio's date format, "Thu, 30 Jul 2015 20:12:31 +0000" (UTC). Hand-rolled: it runs three
    times per message and email.utils.format_datetime is several times slower."""
    if value is None:
        return None
    return (
        f"{DAYS[value.weekday()]}, {value.day:02d} {MONTHS[value.month - 1]} {value.year} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} +0000"
    )


def iso8601(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def account_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}"


# -- api.twilio.com (2010-04-01) -------------------------------------------------------------------
def message(m: Message) -> dict:
    uri = f"{account_path(m.account_sid)}/Messages/{m.sid}"
    return {
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.date_created),
        "date_sent": rfc2822(m.date_sent),
        "date_updated": rfc2822(m.date_updated),
        "direction": m.direction.value,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "from": m.from_,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": str(len(m.media_urls)),
        "num_segments": str(m.num_segments),
        "price": m.price,
        "price_unit": m.price_unit,
        "sid": m.sid,
        "status": m.status.value,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": m.to,
        "uri": f"{uri}.json",
    }


def incoming_phone_number(s: Sender) -> dict:
    uri = f"{account_path(s.account_sid)}/IncomingPhoneNumbers/{s.sid}.json"
    return {
        "account_sid": s.account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "bundle_sid": None,
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": rfc2822(s.date_created),
        "date_updated": rfc2822(s.date_updated),
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "emergency_status": "Inactive",
        "friendly_name": s.friendly_name,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": s.address,
        "sid": s.sid,
        "sms_application_sid": None,
        "sms_fallback_method": s.sms_fallback_method,
        "sms_fallback_url": s.sms_fallback_url,
        "sms_method": s.sms_method,
        "sms_url": s.sms_url,
        "status": "in-use",
        "status_callback": s.status_callback,
        "status_callback_method": "POST",
        "subresource_uris": {
            "assigned_add_ons": f"{account_path(s.account_sid)}/IncomingPhoneNumbers/{s.sid}/AssignedAddOns.json"
        },
        "trunk_sid": None,
        "type": "tollfree" if s.type is SenderType.TOLL_FREE else "local",
        "uri": uri,
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_receive_mode": "voice",
        "voice_url": None,
    }


def short_code(s: Sender) -> dict:
    return {
        "account_sid": s.account_sid,
        "api_version": API_VERSION,
        "date_created": rfc2822(s.date_created),
        "date_updated": rfc2822(s.date_updated),
        "friendly_name": s.friendly_name,
        "short_code": s.address,
        "sid": s.sid,
        "sms_fallback_method": s.sms_fallback_method,
        "sms_fallback_url": s.sms_fallback_url or None,  # unset: null (twilio-python's recorded fixture)
        "sms_method": s.sms_method,
        "sms_url": s.sms_url or None,
        "uri": f"{account_path(s.account_sid)}/SMS/ShortCodes/{s.sid}.json",
    }


def key(k: ApiKey) -> dict:
    return {
        "sid": k.sid,
        "friendly_name": k.friendly_name,
        "date_created": rfc2822(k.date_created),
        "date_updated": rfc2822(k.date_updated),
    }


def new_key(k: ApiKey) -> dict:
    """The answer to a create: the only one that shows the secret."""
    return {**key(k), "secret": k.secret}


def page_2010(
    key: str, page: Page, records: list[dict], path: str, filters: dict[str, str], token: str | None = None
) -> dict:
    """Twilio's 2010 page envelope: root-relative URIs carrying the filters (Twilio's Message resource)."""

    def uri(page_number: int, token: str | None = None) -> str:
        query = {**filters, "PageSize": page.page_size, "Page": page_number}
        if token:
            query["PageToken"] = token
        return f"{path}?{urlencode(query)}"

    sids = [r["sid"] for r in records]
    return {
        key: records,
        "end": page.end,
        "first_page_uri": uri(0),
        "next_page_uri": uri(page.page + 1, f"PA{sids[-1]}") if page.has_next and sids else None,
        "page": page.page,
        "page_size": page.page_size,
        "previous_page_uri": uri(page.page - 1, f"PB{sids[0]}") if page.page > 0 and sids else None,
        "start": page.start,
        "uri": uri(page.page, token),
    }


# -- messaging.twilio.com (v1) ---------------------------------------------------------------------
def service(s: MessagingService, base: str) -> dict:
    url = f"{base}/v1/Services/{s.sid}"
    return {
        "account_sid": s.account_sid,
        "area_code_geomatch": s.area_code_geomatch,
        "date_created": iso8601(s.date_created),
        "date_updated": iso8601(s.date_updated),
        "fallback_method": s.fallback_method,
        "fallback_to_long_code": s.fallback_to_long_code,
        "fallback_url": s.fallback_url,
        "friendly_name": s.friendly_name,
        "inbound_method": s.inbound_method,
        "inbound_request_url": s.inbound_request_url,
        "links": {
            "phone_numbers": f"{url}/PhoneNumbers",
            "short_codes": f"{url}/ShortCodes",
            "alpha_senders": f"{url}/AlphaSenders",
            "channel_senders": f"{url}/ChannelSenders",
            "us_app_to_person": f"{url}/Compliance/Usa2p",
            "us_app_to_person_usecases": f"{url}/Compliance/Usa2p/Usecases",
        },
        "mms_converter": s.mms_converter,
        "scan_message_content": s.scan_message_content,
        "sid": s.sid,
        "smart_encoding": s.smart_encoding,
        "status_callback": s.status_callback,
        "sticky_sender": s.sticky_sender,
        "synchronous_validation": s.synchronous_validation,
        "url": url,
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": s.use_inbound_webhook_on_number,
        "usecase": s.usecase,
        "validity_period": s.validity_period,
    }


POOL_PATHS = {"phone_numbers": "PhoneNumbers", "short_codes": "ShortCodes", "alpha_senders": "AlphaSenders"}


def pool_sender(s: Sender, pool: str, base: str) -> dict:
    body = {
        "account_sid": s.account_sid,
        "capabilities": ["SMS"] if pool == "alpha_senders" else ["SMS", "MMS"],
        "date_created": iso8601(s.date_created),
        "date_updated": iso8601(s.date_updated),
        "service_sid": s.service_sid,
        "sid": s.sid,
        "url": f"{base}/v1/Services/{s.service_sid}/{POOL_PATHS[pool]}/{s.sid}",
    }
    if pool == "phone_numbers":
        body["phone_number"] = s.address
        body["country_code"] = "US" if s.address.startswith("+1") else None
    elif pool == "short_codes":
        body["short_code"] = s.address
        body["country_code"] = "US"
    else:
        body["alpha_sender"] = s.address
    return body


def page_v1(key: str, page: Page, records: list[dict], url: str) -> dict:
    """The v1 page envelope: records under `key`, paging under `meta` with absolute URLs."""

    def page_url(number: int) -> str:
        return f"{url}?{urlencode({'PageSize': page.page_size, 'Page': number})}"

    return {
        key: records,
        "meta": {
            "first_page_url": page_url(0),
            "key": key,
            "next_page_url": page_url(page.page + 1) if page.has_next else None,
            "page": page.page,
            "page_size": page.page_size,
            "previous_page_url": page_url(page.page - 1) if page.page > 0 else None,
            "url": page_url(page.page),
        },
    }


# -- iam.twilio.com (v1) ---------------------------------------------------------------------------
def api_key(k: ApiKey) -> dict:
    return {**key(k), "policy": k.policy}


def new_api_key(k: ApiKey) -> dict:
    return {**key(k), "secret": k.secret, "policy": k.policy}


def listed_api_key(k: ApiKey) -> dict:
    """A key in iam's list: `flags` instead of the policy."""
    return {**key(k), "flags": ["restricted"] if k.type == "restricted" else []}


# -- accounts.twilio.com (v1) ----------------------------------------------------------------------
def bulk_items(results: list[ItemResult]) -> dict:
    """accounts.v1.bulk_consents / bulk_contacts: each item's outcome against its correlation_id."""
    return {
        "items": [
            {"correlation_id": r.correlation_id, "error_code": r.error_code, "error_messages": list(r.error_messages)}
            for r in results
        ]
    }
