"""Text as detectors should read it, with every character mapped back to where it came from.

Evasions a detector would otherwise miss, undone before detection:

- Unicode compatibility forms (NFKC): full-width ``＠`` and digits, ligatures, superscripts;
- default-ignorable and control code points removed: zero-width characters, soft hyphen, BOM, NUL, bidi
  controls, variation selectors, tag characters (tabs and line breaks are kept);
- dashes and odd spaces folded to ``-`` and `` `` (``4111–1111`` is a card);
- Cyrillic and Greek letters that look Latin folded, inside words that also hold Latin letters or digits
  (``jоhn@exаmple.com``; a Russian word stays Russian);
- escapes decoded: percent-encoding (``john%40example.com``), ``\\u0040`` / ``\\x40`` and HTML character
  references (``&#64;``, ``&commat;``).

``normalize(text)`` is ``None`` when nothing needs undoing (the common case costs one regex search);
otherwise the normalised text and, for each of its characters, the original ``[start, end)``. A finding
``[s, e)`` in the normalised text covers ``[starts[s], ends[e - 1])`` of the original — invisible characters
inside the value included, so the rewritten request holds no part of it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from crossroads.privacy.spans import Span

# anything worth a closer look: non-ASCII, controls other than \t \n \r, and the starts of escapes
_SUSPECT = re.compile(r"[^\t\n\r\x20-\x7e]|%[0-9A-Fa-f]{2}|\\[ux]|&#?[A-Za-z0-9]+;")
_ESCAPE = re.compile(
    r"%(?P<pct>[0-9A-Fa-f]{2})|\\u(?P<u>[0-9A-Fa-f]{4})|\\x(?P<x>[0-9A-Fa-f]{2})"
    r"|&#(?P<dec>\d{1,7});|&#[xX](?P<hex>[0-9A-Fa-f]{1,6});|&(?P<named>[A-Za-z][A-Za-z0-9]{1,31});"
)
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# letters of other scripts drawn like Latin ones (Unicode's confusables, the subset detectors depend on)
CONFUSABLES = dict(
    zip(
        "аеорсхуіјѕԁɡһԛԝνοαικρτυχАВЕКМНОРСТХУІЈЅԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
        "aeopcxyijsdghqwvoaikptuxABEKMHOPCTXYIJSWABEZHIKMNOPTYX",
        strict=True,
    )
)


_FOLD = str.maketrans(CONFUSABLES)
_CONFUSABLE = re.compile("[" + "".join(CONFUSABLES) + "]")
_LATIN = re.compile(r"[A-Za-z0-9]")
_WORD = re.compile(r"[\w@.+\-]{2,}")
# what normalize looks at one by one: escapes (named groups) and single characters outside printable ASCII
_SPECIAL = re.compile(_ESCAPE.pattern + r"|[^\t\n\r\x20-\x7e]")


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str
    starts: Sequence[int]
    ends: Sequence[int]

    def original(self, spans: Sequence[Span]) -> list[Span]:
        """The spans moved onto the original text."""
        return [s._replace(start=self.starts[s.start], end=self.ends[s.end - 1]) for s in spans if s.end > s.start]


def normalize(text: str) -> Normalized | None:
    if _SUSPECT.search(text) is None:
        return None
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for match in _SPECIAL.finditer(text):
        begin = match.start()
        chars.append(text[position:begin])
        starts.extend(range(position, begin))
        ends.extend(range(position + 1, begin + 1))
        decoded = match[0] if match.lastgroup is None else _decoded(match)
        raw = "".join(map(_folded, match[0] if decoded is None else decoded))  # None: not an escape after all
        chars.append(raw)
        starts.extend([begin] * len(raw))
        ends.extend([match.end()] * len(raw))
        position = match.end()
    chars.append(text[position:])
    starts.extend(range(position, len(text)))
    ends.extend(range(position + 1, len(text) + 1))
    out = "".join(chars)
    if _CONFUSABLE.search(out) is not None:
        out = _WORD.sub(_fold_if_mixed, out)
    return None if out == text else Normalized(out, starts, ends)


def _decoded(match: re.Match[str]) -> str | None:
    pct, u, x, dec, hexa, named = match.group("pct", "u", "x", "dec", "hex", "named")
    if named is not None:
        value = html.unescape(f"&{named};")
        return value if value != f"&{named};" else None
    code = int(pct or u or x or hexa or "0", 16) if dec is None else int(dec)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    char = chr(code)
    return char if pct is None or char.isprintable() else None


@lru_cache(maxsize=4096)
def _folded(char: str) -> str:
    if " " <= char <= "~" or char in "\t\n\r":
        return char
    if _ignorable(char):
        return ""
    if char in DASHES:
        return "-"
    if unicodedata.category(char) == "Zs":
        return " "
    return unicodedata.normalize("NFKC", char)


def _ignorable(char: str) -> bool:
    """Default-ignorable or control: zero-width, bidi, soft hyphen, BOM, variation selectors, tags, NUL …"""
    category = unicodedata.category(char)
    if category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
        return char not in "\t\n\r"
    code = ord(char)
    return (
        code in {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
        or 0x180B <= code <= 0x180F
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def _fold_if_mixed(word: re.Match[str]) -> str:
    """A word's confusable letters folded to Latin when it also holds a Latin letter or a digit."""
    text = word[0]
    if _LATIN.search(text) is None or _CONFUSABLE.search(text) is None:
        return text
    return text.translate(_FOLD)
