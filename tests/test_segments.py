"""Tests for emulator.domain.segments (Twilio SMS segment counting)."""

import random

import pytest

from emulator.domain.segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    count_segments,
    encoding,
)

EMOJI = "\U0001f600"  # 😀, a surrogate pair in UTF-16


# --- Reference table -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 1530, 10),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("ą" * 70, 1),
        ("ą" * 71, 2),
        ("ą" * 134, 2),
        ("ą" * 135, 3),
        (EMOJI * 35, 1),
        (EMOJI * 36, 2),
        ("a" * 69 + EMOJI, 2),  # UCS-2, 71 code units
    ],
    ids=lambda v: repr(v)[:20] if isinstance(v, str) else str(v),
)
def test_reference_table(body, expected):
    assert count_segments(body) == expected


# --- Extension characters ---------------------------------------------------


@pytest.mark.parametrize("char", sorted(GSM7_EXTENDED))
def test_extension_chars_count_two_septets(char):
    # 80 pairs = 160 septets fits one SMS; 81 does not.
    assert count_segments(char * 80) == 1
    assert count_segments(char * 81) == 2
    assert encoding(char * 81) == "GSM-7"


def test_extension_char_at_single_segment_limit():
    assert count_segments("a" * 158 + "{") == 1  # 160 septets
    assert count_segments("a" * 159 + "{") == 2  # 161 septets


def test_extension_char_near_153_fits_single_segment():
    # 154 and 155 septets: still a single 160-septet SMS, no split at all.
    assert count_segments("a" * 152 + "€") == 1
    assert count_segments("a" * 153 + "€") == 1


def test_escape_pair_never_split():
    # 306 septets would fill exactly two 153-septet parts, but the € would
    # straddle the boundary (septets 153-154), so it moves to part 2 and the
    # last "a" spills into part 3.
    body = "a" * 152 + "€" + "a" * 152
    assert count_segments(body) == 3
    # Same length with the € clear of the boundary: exactly two parts.
    assert count_segments("€" + "a" * 304) == 2


def test_escape_pair_moves_whole_to_next_part():
    # Part 1: 152 "a" (the € does not fit in the last septet); part 2: € + 151 "a".
    assert count_segments("a" * 152 + "€" + "a" * 151) == 2
    assert count_segments("a" * 152 + "€" + "a" * 152) == 3


# --- Surrogate pairs --------------------------------------------------------


def test_surrogate_pair_never_split():
    # 134 code units would fill exactly two 67-unit parts, but the emoji
    # would straddle the boundary (units 67-68), so it moves whole.
    body = "ą" * 66 + EMOJI + "ą" * 66
    assert count_segments(body) == 3
    assert count_segments(EMOJI + "ą" * 132) == 2


def test_surrogate_pair_given_as_two_code_points_is_kept_together():
    # A str can carry the pair as two surrogate code points (as JSON does).
    body = "ą" * 66 + "\ud83d\ude00" + "ą" * 66
    assert count_segments(body) == 3


def test_lone_high_surrogate_is_one_unit_and_not_moved():
    # Not followed by a low surrogate, so nothing to keep together.
    body = "ą" * 66 + "\ud83d" + "ą" * 67
    assert count_segments(body) == 2


# --- Line breaks, backtick, empty -------------------------------------------


def test_crlf_counts_as_two_characters():
    assert count_segments("a" * 158 + "\r\n") == 1  # 160 septets
    assert count_segments("a" * 159 + "\r\n") == 2  # 161 septets
    assert count_segments("\r\n" * 80) == 1
    assert count_segments("\r\n" * 80 + "a") == 2


def test_backtick_forces_ucs2():
    assert encoding("`") == "UCS-2"
    assert encoding("hello `world`") == "UCS-2"
    # 71 characters: one GSM-7 SMS, but two UCS-2 parts.
    assert count_segments("a" * 71) == 1
    assert count_segments("a" * 70 + "`") == 2
    assert count_segments("a" * 69 + "`") == 1


def test_empty_body_is_zero_segments():
    assert count_segments("") == 0


# --- encoding() -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "GSM-7"),
        ("Hello, world!", "GSM-7"),
        ("Price: 5€ {x} [y] ~z | a\\b ^", "GSM-7"),
        ("line\nbreak\r\nform\ffeed", "GSM-7"),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", "GSM-7"),
        ("`", "UCS-2"),
        ("\u2018quoted\u2019", "UCS-2"),  # curly single quotes
        ("\u201cquoted\u201d", "UCS-2"),  # curly double quotes
        ("hi " + EMOJI, "UCS-2"),
        ("ç", "UCS-2"),  # lower-case c-cedilla is not in the table
        ("ą", "UCS-2"),
        ("\x1b", "UCS-2"),  # raw ESC is not a character of the alphabet
        ("\x00", "UCS-2"),
        ("\t", "UCS-2"),
        ("e\u0301", "UCS-2"),  # combining accent
    ],
)
def test_encoding(body, expected):
    assert encoding(body) == expected


# --- Alphabet tables --------------------------------------------------------


def test_gsm7_basic_is_3gpp_default_alphabet():
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert "`" not in GSM7_BASIC
    assert "^" not in GSM7_BASIC
    assert "Ç" in GSM7_BASIC and "ç" not in GSM7_BASIC
    expected = set(
        "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
        "¡£¤¥§¿ÄÅÆÉÑÖØÜßàäåæÇèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ"
    )
    assert GSM7_BASIC == expected


def test_gsm7_extended_table():
    assert GSM7_EXTENDED == set("\f[\\]^{|}~€")
    assert GSM7_BASIC.isdisjoint(GSM7_EXTENDED)


def test_tables_are_frozensets():
    assert isinstance(GSM7_BASIC, frozenset)
    assert isinstance(GSM7_EXTENDED, frozenset)


# --- Differential check against a literal port of Twilio's algorithm -------


def _twilio_reference(body: str) -> int:
    """Slow, per-character model of the calculator's _buildSegments/addHeader."""
    if not body:
        return 0
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in body)
    if gsm:
        sizes = [14 if c in GSM7_EXTENDED else 7 for c in body]
    else:
        sizes = [32 if ord(c) > 0xFFFF else 16 for c in body]
    segments = [[]]
    has_header = [False]
    for size in sizes:
        used = sum(segments[-1]) + (48 if has_header[-1] else 0)
        if 1120 - used < size:
            segments.append([])
            has_header.append(True)
            previous = segments[-2]
            if not has_header[-2]:
                has_header[-2] = True
                removed = []
                while 1120 - 48 - sum(previous) < 0:
                    removed.insert(0, previous.pop())
                segments[-1].extend(removed)
        segments[-1].append(size)
    return len(segments)


_GSM_POOL = ["a", "a", "a", "a", "€", "{", "\r\n", " ", "Ω"]
_MIXED_POOL = ["a", "a", "ą", "ą", EMOJI, "€", "`", "\u2019"]


@pytest.mark.parametrize("seed", range(40))
def test_matches_reference_model(seed):
    rng = random.Random(seed)
    pool = _GSM_POOL if seed % 2 == 0 else _MIXED_POOL
    for _ in range(25):
        body = "".join(rng.choice(pool) for _ in range(rng.randint(1, 800)))
        assert count_segments(body) == _twilio_reference(body), body
