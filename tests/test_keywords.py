"""Unit tests of emulator.optout.keywords: keyword lists, normalisation and classification.

Expected values come from Twilio's opt-out keywords article (support.twilio.com/hc/en-us/articles/223134027) and the README's
"Opt-out rules" (whole body, trimmed, case-insensitive; no trailing punctuation unless
lenient_punctuation; full-width letters and emoji never match).
"""

from __future__ import annotations

import pytest

from emulator.optout.keywords import DEFAULT_TABLE, KeywordTable, OptOutType, normalise

# Section 1.1, current lists (CONFIRMED).
OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "REVOKE", "OPTOUT", "QUIT"]
OPT_IN = ["START", "YES", "UNSTOP"]
HELP = ["HELP", "INFO"]
ALL_KEYWORDS = (
    [(w, OptOutType.STOP) for w in OPT_OUT]
    + [(w, OptOutType.START) for w in OPT_IN]
    + [(w, OptOutType.HELP) for w in HELP]
)


def classify(body: str, lenient: bool = False, table: KeywordTable = DEFAULT_TABLE) -> OptOutType | None:
    return table.classify(normalise(body, lenient_punctuation=lenient))


def case_variants(word: str) -> list[str]:
    """Upper, lower, capitalised and alternating case ("sToP")."""
    alternating = "".join(c.lower() if i % 2 == 0 else c.upper() for i, c in enumerate(word))
    return [word, word.lower(), word.capitalize(), alternating]


# --- the lists themselves ----------------------------------------------------------------------


def test_default_table_has_exactly_the_current_lists():
    assert DEFAULT_TABLE.opt_out == frozenset(OPT_OUT)
    assert DEFAULT_TABLE.opt_in == frozenset(OPT_IN)
    assert DEFAULT_TABLE.help == frozenset(HELP)


def test_opt_out_type_values_are_twilios_webhook_values():
    assert {t.value for t in OptOutType} == {"STOP", "START", "HELP"}


# --- each keyword of each class ------------------------------------------------------------------


@pytest.mark.parametrize(("word", "kind"), ALL_KEYWORDS)
def test_each_keyword_is_classified(word, kind):
    assert classify(word) is kind


@pytest.mark.parametrize(("word", "kind"), ALL_KEYWORDS)
def test_keywords_are_case_insensitive(word, kind):
    for body in case_variants(word):
        assert classify(body) is kind, body


@pytest.mark.parametrize(("word", "kind"), ALL_KEYWORDS)
@pytest.mark.parametrize("pad", [(" ", " "), ("  ", ""), ("", "\n"), ("\t", "\r\n"), (" \n ", " \t ")])
def test_leading_and_trailing_whitespace_is_trimmed(word, kind, pad):
    assert classify(f"{pad[0]}{word.lower()}{pad[1]}") is kind


def test_normalise_trims_and_upper_cases():
    assert normalise("  sToP \n") == "STOP"
    assert normalise("Unsubscribe") == "UNSUBSCRIBE"


def test_normalise_keeps_punctuation_by_default():
    assert normalise("Stop.") == "STOP."


# --- what does not match -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "STOP PLEASE",  # KW26's own examples
        "PLEASE CANCEL",
        "stop please",
        "STOP STOP",
        "HELP ME",
        "yes please",
        "START NOW",
        "ST OP",
        "STOP\nPLEASE",
        "INFO\tINFO",
    ],
)
def test_multi_word_bodies_do_not_match(body):
    assert classify(body) is None
    assert classify(body, lenient=True) is None


@pytest.mark.parametrize(
    "body", ["", " ", "\n", "STOPP", "STO", "STOPS", "UNSUBSCRIBED", "HELPS", "STARTED", "OPT OUT", "OPT-OUT", "NO"]
)
def test_non_keywords_do_not_match(body):
    assert classify(body) is None


@pytest.mark.parametrize(("word", "kind"), ALL_KEYWORDS)
@pytest.mark.parametrize("punct", [".", "!", "?", "!!!", ",", ";", ":", "?!", ". "])
def test_trailing_punctuation_does_not_match_by_default(word, kind, punct):
    assert classify(word + punct) is None
    assert classify(word.capitalize() + punct) is None


@pytest.mark.parametrize(("word", "kind"), ALL_KEYWORDS)
@pytest.mark.parametrize("punct", [".", "!", "?", "!!!", ",", ";", ":", "?!", ". "])
def test_lenient_punctuation_strips_trailing_punctuation(word, kind, punct):
    assert classify(word + punct, lenient=True) is kind
    assert classify(" " + word.lower() + punct + " ", lenient=True) is kind


@pytest.mark.parametrize("body", ["STOP. PLEASE", "STOP PLEASE!", "ST.OP", "S-T-O-P", "STOP-ALL"])
def test_lenient_punctuation_still_needs_a_single_whole_word(body):
    assert classify(body, lenient=True) is None


FULL_WIDTH = {
    "ＳＴＯＰ": "STOP",
    "ｓｔｏｐ": "STOP",
    "ＳＴＡＲＴ": "START",
    "ＹＥＳ": "YES",
    "ＨＥＬＰ": "HELP",
    "ＩＮＦＯ": "INFO",
    "ＵＮＳＵＢＳＣＲＩＢＥ": "UNSUBSCRIBE",
    "ＳＴＯＰ．": "STOP",  # full-width full stop
    "STＯP": "STOP",  # a single full-width letter inside
}


@pytest.mark.parametrize("body", list(FULL_WIDTH))
@pytest.mark.parametrize("lenient", [False, True])
def test_full_width_letters_never_match(body, lenient):
    assert classify(body, lenient=lenient) is None


EMOJI_BODIES = [
    "\U0001f6d1",  # 🛑
    "STOP \U0001f6d1",
    "STOP\U0001f6d1",
    "\U0001f6d1STOP",
    "\U0001f6d1 STOP",
    "HELP\U0001f64f",
    "START\U0001f44d",
    "\U0001f44d",
    "YES \u2705",
    "STOP\u2757",  # heavy exclamation mark emoji, looks like punctuation
    "STOP\ufe0f",  # variation selector only
]


@pytest.mark.parametrize("body", EMOJI_BODIES)
@pytest.mark.parametrize("lenient", [False, True])
def test_emoji_never_match(body, lenient):
    assert classify(body, lenient=lenient) is None


# --- KeywordTable.build --------------------------------------------------------------------------


def test_build_without_arguments_equals_the_default_table():
    assert KeywordTable.build() == DEFAULT_TABLE


def test_build_with_custom_lists_keeps_stop_start_help():
    table = KeywordTable.build(opt_out=("ARRET",), opt_in=("GO",), help=("AIDE",))
    assert table.opt_out == {"ARRET", "STOP"}
    assert table.opt_in == {"GO", "START"}
    assert table.help == {"AIDE", "HELP"}
    assert classify("arret", table=table) is OptOutType.STOP
    assert classify("Go", table=table) is OptOutType.START
    assert classify("aide", table=table) is OptOutType.HELP
    assert classify("stop", table=table) is OptOutType.STOP
    assert classify("start", table=table) is OptOutType.START
    assert classify("help", table=table) is OptOutType.HELP


def test_build_with_empty_lists_still_has_stop_start_help():
    table = KeywordTable.build(opt_out=(), opt_in=(), help=())
    assert table.opt_out == {"STOP"}
    assert table.opt_in == {"START"}
    assert table.help == {"HELP"}
    assert classify("STOP", table=table) is OptOutType.STOP
    assert classify("START", table=table) is OptOutType.START
    assert classify("HELP", table=table) is OptOutType.HELP


def test_build_normalises_custom_words_and_drops_blank_ones():
    table = KeywordTable.build(opt_out=(" arret ", "", "  "), opt_in=("allez",), help=("Aide",))
    assert table.opt_out == {"ARRET", "STOP"}
    assert table.opt_in == {"ALLEZ", "START"}
    assert table.help == {"AIDE", "HELP"}
    assert classify("  ARRET ", table=table) is OptOutType.STOP


def test_custom_keywords_are_matched_by_the_same_rules():
    table = KeywordTable.build(opt_out=("ARRET",))
    assert classify("Arret", table=table) is OptOutType.STOP
    assert classify("ARRET PLEASE", table=table) is None
    assert classify("ARRET.", table=table) is None
    assert classify("ARRET.", lenient=True, table=table) is OptOutType.STOP
    assert classify("ＡＲＲＥＴ", table=table) is None
