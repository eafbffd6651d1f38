"""Keyword tables and classification (support.twilio.com/hc/en-us/articles/223134027)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OptOutType(str, enum.Enum):
    """The classes of keyword; the values are Twilio's `OptOutType` webhook parameter."""

    STOP = "STOP"
    START = "START"
    HELP = "HELP"


# Twilio's current lists (KW26, AOO-doc).
OPT_OUT_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "REVOKE", "OPTOUT", "QUIT")
OPT_IN_KEYWORDS = ("START", "YES", "UNSTOP")
HELP_KEYWORDS = ("HELP", "INFO")
# Advanced Opt-Out may replace the lists, but these three always stay.
ALWAYS_KEYWORDS = {OptOutType.STOP: "STOP", OptOutType.START: "START", OptOutType.HELP: "HELP"}
# Trailing/leading characters ignored when the account's `lenient_punctuation` switch is on.
PUNCTUATION = ".,!?;:'\"()"


@dataclass(frozen=True)
class KeywordTable:
    opt_out: frozenset[str]
    opt_in: frozenset[str]
    help: frozenset[str]

    @classmethod
    def build(
        cls,
        opt_out: tuple[str, ...] = OPT_OUT_KEYWORDS,
        opt_in: tuple[str, ...] = OPT_IN_KEYWORDS,
        help: tuple[str, ...] = HELP_KEYWORDS,
    ) -> KeywordTable:
        def norm(words: tuple[str, ...], always: str) -> frozenset[str]:
            return frozenset(normalise(w) for w in words if w.strip()) | {always}

        return cls(
            opt_out=norm(opt_out, ALWAYS_KEYWORDS[OptOutType.STOP]),
            opt_in=norm(opt_in, ALWAYS_KEYWORDS[OptOutType.START]),
            help=norm(help, ALWAYS_KEYWORDS[OptOutType.HELP]),
        )

    def with_opt_in(self, words: frozenset[str]) -> KeywordTable:
        return KeywordTable(self.opt_out - words, words, self.help - words)

    def classify(self, word: str) -> OptOutType | None:
        if word in self.opt_out:
            return OptOutType.STOP
        if word in self.opt_in:
            return OptOutType.START
        if word in self.help:
            return OptOutType.HELP
        return None



def normalise(body: str, lenient_punctuation: bool = False) -> str:
    """The form a body is matched in: whole body, trimmed, upper-cased (Twilio: "sToP" counts)."""
    word = body.strip()
    if lenient_punctuation:
        word = word.strip(PUNCTUATION).strip()
    upper = word.upper()
    # A look-alike that upper-cases into ASCII ("\u017ftop" -> "STOP") is no keyword; accented custom
    # keywords ("arrêt") still match in any case.
    return word if upper.isascii() and not word.isascii() else upper


DEFAULT_TABLE = KeywordTable.build()
