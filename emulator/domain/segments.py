"""SMS segment counting, matching Twilio's message-segment-calculator.

A message is sent GSM-7 when every character is in the GSM 03.38 default
alphabet or its extension table, and UCS-2 (UTF-16 code units) otherwise.
One SMS carries 140 octets (1120 bits). A multipart message spends a 6-octet
user data header in every part, leaving 1072 bits:

    GSM-7: 160 septets single, 153 per part
    UCS-2:  70 code units single, 67 per part

Extension characters take two septets (ESC + code) and astral characters two
UTF-16 code units (a surrogate pair). Neither pair is ever split across parts:
a character that does not fit moves whole to the next part. "\\r\\n" counts as
two characters, as in Twilio's calculator.

Known difference from Twilio's calculator: it never splits a *grapheme
cluster* (e.g. a ZWJ emoji sequence, a flag, a letter plus combining marks)
across parts, whereas this module only keeps surrogate pairs together. Counts
can therefore differ for multipart UCS-2 bodies where such a cluster straddles
a part boundary. The standard library has no grapheme segmentation.
"""

from __future__ import annotations

__all__ = [
    "GSM7",
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "UCS2",
    "count_segments",
    "encoding",
    "smart_encode",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

_ESC = "\x1b"

# 3GPP TS 23.038 default alphabet in code order 0x00..0x7F, so the table can
# be checked position by position. 0x1B is ESC (the escape to the extension
# table), not a character a body may contain; it is dropped from GSM7_BASIC.
_GSM7_DEFAULT_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10
    " !\"#¤%&'()*+,-./"  # 0x20
    "0123456789:;<=>?"  # 0x30
    "¡ABCDEFGHIJKLMNO"  # 0x40
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50
    "¿abcdefghijklmno"  # 0x60
    "pqrstuvwxyzäöñüà"  # 0x70
)
assert len(_GSM7_DEFAULT_TABLE) == 128

GSM7_BASIC: frozenset[str] = frozenset(_GSM7_DEFAULT_TABLE) - {_ESC}
"""The 127 characters of the GSM 03.38 default alphabet (ESC excluded)."""

GSM7_EXTENDED: frozenset[str] = frozenset("\f[\\]^{|}~€")
"""Extension-table characters; each costs two septets (ESC + code)."""

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENDED

# Prefixing each extension character with ESC turns the body into one string
# element per septet, so part boundaries are plain index arithmetic. ESC can
# serve as the marker because a raw ESC in a body makes it UCS-2.
_EXPAND_ESCAPES = str.maketrans({c: _ESC + c for c in GSM7_EXTENDED})

_SINGLE_BITS = 140 * 8
_MULTI_BITS = _SINGLE_BITS - 6 * 8  # 6-octet user data header in every part
_GSM7_SINGLE = _SINGLE_BITS // 7  # 160
_GSM7_MULTI = _MULTI_BITS // 7  # 153
_UCS2_SINGLE = _SINGLE_BITS // 16  # 70
_UCS2_MULTI = _MULTI_BITS // 16  # 67


def encoding(body: str) -> str:
    """Return "GSM-7" if every character of ``body`` is GSM-7, else "UCS-2".

    An empty body is GSM-7.
    """
    # issuperset walks the string in C; no per-character Python code.
    return GSM7 if _GSM7_ALL.issuperset(body) else UCS2


def count_segments(body: str) -> int:
    """Return the number of SMS segments Twilio bills for ``body``.

    An empty body returns 0. Twilio bills a media message with an empty body
    as one segment (and its calculator reports 1 for ""); deciding that is
    left to callers, who know whether media is attached.
    """
    if not body:
        return 0
    if _GSM7_ALL.issuperset(body):
        if len(body) <= _GSM7_SINGLE // 2:
            # Fast path: even if every character were an escape pair it fits.
            return 1
        if GSM7_EXTENDED.isdisjoint(body):
            # One septet per character and no pairs to keep together.
            n = len(body)
            return 1 if n <= _GSM7_SINGLE else -(-n // _GSM7_MULTI)
        septets = body.translate(_EXPAND_ESCAPES)
        n = len(septets)
        if n <= _GSM7_SINGLE:
            return 1
        parts = 0
        start = 0
        while n - start > _GSM7_MULTI:
            end = start + _GSM7_MULTI
            if septets[end - 1] == _ESC:
                # The part would end between ESC and its code: move the pair.
                end -= 1
            start = end
            parts += 1
        return parts + 1

    if len(body) <= _UCS2_SINGLE // 2:
        # Fast path: even if every character were a surrogate pair it fits.
        return 1
    # surrogatepass: a str may hold lone surrogates (e.g. from JSON "\ud83d");
    # JavaScript counts those as one code unit each, and so do we.
    data = body.encode("utf-16-le", "surrogatepass")
    n = len(data) // 2
    if n <= _UCS2_SINGLE:
        return 1
    parts = 0
    start = 0
    while n - start > _UCS2_MULTI:
        end = start + _UCS2_MULTI
        # High byte of the last unit in this part and of the first in the
        # next: move a high surrogate only if a low one really follows it.
        if 0xD8 <= data[2 * end - 1] <= 0xDB and 0xDC <= data[2 * end + 1] <= 0xDF:
            end -= 1
        start = end
        parts += 1
    return parts + 1


# Smart Encoding (SmartEncoded=true, or a Messaging Service's smart_encoding): Twilio replaces
# look-alike characters with GSM-7 ones before sending, so a body can drop from UCS-2 to GSM-7.
# The main families of Twilio's map: full-width ASCII, quotes, dashes, spaces, fractions, ellipsis.
_SMART = {
    **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},  # full-width ASCII
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u02bb\u02bc\u02bd\u02b9\u02c8\u02ca\u02cb\u00b4\u0060\u275b\u275c", "'"),
    **dict.fromkeys("\u00ab\u00bb\u201c\u201d\u201e\u201f\u02ba\u02ee\u275d\u275e\u301d\u301e", '"'),
    **dict.fromkeys("\u2010\u2013\u2014\u2015\u2043\u2022\ufe63", "-"),
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u2060\ufeff", ""),
    "\u2026": "...",
    "\u00bc": "1/4",
    "\u00bd": "1/2",
    "\u00be": "3/4",
    "\u00f7": "/",
    "\u2044": "/",
    "\u2215": "/",
    "\u203c": "!!",
    "\u3001": ",",
    "\u3002": ".",
}
_SMART_TABLE = str.maketrans(_SMART)


def smart_encode(body: str) -> str:
    """The body as Twilio's Smart Encoding sends it (look-alikes replaced by GSM-7 characters)."""
    return body if body.isascii() and "`" not in body else body.translate(_SMART_TABLE)
