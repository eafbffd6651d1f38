"""/2010-04-01/Accounts/{AccountSid}/Messages: create, list, fetch, update, delete."""

from __future__ import annotations

from flask import Blueprint, g, request

from ...domain.messages import CreateMessage, ListFilter
from ...domain.paging import parse_paging
from ..context import emulator
from . import params, serializers

FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


def create(AccountSid: str):  # noqa: N803, ANN201 - Twilio's path parameter names
    form = params.form()
    req = CreateMessage(
        to=params.text(form, "To"),
        from_=params.text(form, "From"),
        messaging_service_sid=params.text(form, "MessagingServiceSid"),
        body=params.text(form, "Body"),
        media_urls=tuple(params.every("MediaUrl")) if "MediaUrl" in form else (),
        content_sid=params.text(form, "ContentSid"),
        status_callback=params.text(form, "StatusCallback"),
        smart_encoded=params.boolean(form, "SmartEncoded"),
        schedule_type=params.text(form, "ScheduleType"),
        send_at=params.text(form, "SendAt"),
    )
    # Accepted for compatibility; their effects are outside what the emulator models.
    params.integer(form, "ValidityPeriod", 1, 36000)
    for flag in ("ProvideFeedback", "ForceDelivery", "SendAsMms"):
        params.boolean(form, flag)
    message = emulator().messages.create(g.account, req)
    g.created_message_sid = message.sid  # the request log follows what becomes of it
    return serializers.message(message), 201


def list_(AccountSid: str):  # noqa: N803, ANN201
    args = request.args.to_dict()
    page_size, page = parse_paging(args.get("PageSize"), args.get("Page"))
    filters = ListFilter(
        to=args.get("To"),
        from_=args.get("From"),
        date_sent=params.day(args, "DateSent"),
        date_sent_before=params.day(args, "DateSent<"),
        date_sent_after=params.day(args, "DateSent>"),
    )
    result = emulator().messages.page(g.account, filters, page, page_size, args.get("PageToken"))
    records = [serializers.message(m) for m in result.items]
    echoed = params.present(args, FILTERS)
    return serializers.page_2010("messages", result, records, request.path, echoed, args.get("PageToken"))


def fetch(AccountSid: str, sid: str):  # noqa: N803, ANN201
    return serializers.message(emulator().messages.fetch(g.account, sid, request.path))


def update(AccountSid: str, sid: str):  # noqa: N803, ANN201
    form = params.form()
    message = emulator().messages.update(
        g.account, sid, request.path, body=params.text(form, "Body"), status=params.text(form, "Status")
    )
    return serializers.message(message)


def delete(AccountSid: str, sid: str):  # noqa: N803, ANN201
    emulator().messages.delete(g.account, sid, request.path)
    return "", 204


def register(bp: Blueprint, resource) -> None:  # noqa: ANN001
    resource(bp, "/Accounts/<AccountSid>/Messages<json:suffix>", POST=create, GET=list_)
    resource(bp, "/Accounts/<AccountSid>/Messages/<sid:sid><json:suffix>", GET=fetch, POST=update, DELETE=delete)
