"""Twilio's opt-out rules: keyword tables, per-sender-type rules, reply texts and the one engine
that writes opt-out records. Pure Python (no Flask), so every rule is unit-testable."""

from .engine import Consent, InboundOutcome, OptOutEngine, OptOutRecord
from .keywords import OptOutType

__all__ = ["Consent", "InboundOutcome", "OptOutEngine", "OptOutRecord", "OptOutType"]
