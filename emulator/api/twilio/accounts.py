"""accounts.twilio.com /v1: the Consent Management API's bulk upserts of consents and contacts.

Served under /v1 beside messaging.twilio.com's /v1/Services: the paths differ, so one origin serves
both (the SDK's accounts and messaging domains may point at the same base URL)."""

from __future__ import annotations

from flask import Blueprint, g, request

from ..context import emulator
from . import serializers


def bulk_consents():  # noqa: ANN201
    results = emulator().consents.upsert_consents(g.account, request.form.getlist("Items"))
    return serializers.bulk_items(results), 201


def bulk_contacts():  # noqa: ANN201
    results = emulator().consents.upsert_contacts(g.account, request.form.getlist("Items"))
    return serializers.bulk_items(results), 201


def register(bp: Blueprint, resource) -> None:  # noqa: ANN001
    resource(bp, "/Consents/Bulk", POST=bulk_consents)
    resource(bp, "/Contacts/Bulk", POST=bulk_contacts)
