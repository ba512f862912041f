"""Python regexes read through Python's own parse of them, for the gate and the anchors.

``widened``: a Hyperscan expression over one byte per character (each character beyond ASCII as the byte 0x80,
``gate_bytes``) that matches wherever the regex matches, and maybe elsewhere: zero-width tests (look-arounds, \\b,
anchors) dropped, a back-reference replaced by its group, every character test widened to a set of bytes (with
0x80 where it may match a character beyond ASCII). ``extent`` and ``terminated``: how far a match reaches, and a
final negative look-ahead scanned as a test of the next character. ``class_letters``: an anchor's regex rewritten
over a translated ASCII text where it is a few literals. Syntax these do not know raises ``Untranslatable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# ASCII characters Unicode ``\s`` matches but ASCII ``\s`` does not: a text without them (and without
# non-ASCII characters) matches alike under re.ASCII, which is faster (no Unicode tables for \d, \w, \s)
UNICODE_ONLY_SPACE = "\x1c\x1d\x1e\x1f"

_BEYOND = 0x80  # stands for any character beyond ASCII
_ASCII = frozenset(range(128))
_ALL = _ASCII | {_BEYOND}
_DIGITS = frozenset(b"0123456789")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_FOLDS = frozenset(b"IKSiks")  # ASCII letters that, ignoring case, match letters beyond ASCII too (İ ı K ſ)
_WORD = _LETTERS | _DIGITS | {ord("_")}
_SPACE = frozenset(b" \t\n\r\f\v")
_UNICODE_SPACE = _SPACE | frozenset(UNICODE_ONLY_SPACE.encode())
# category → the bytes it may match under Unicode semantics, under re.ASCII (exact for ASCII characters)
_CATEGORIES: dict[Any, tuple[frozenset[int], frozenset[int]]] = {
    sre.CATEGORY_DIGIT: (_DIGITS | {_BEYOND}, _DIGITS),
    sre.CATEGORY_NOT_DIGIT: (_ALL - _DIGITS, _ALL - _DIGITS),
    sre.CATEGORY_WORD: (_WORD | {_BEYOND}, _WORD),
    sre.CATEGORY_NOT_WORD: (_ALL - _WORD, _ALL - _WORD),
    sre.CATEGORY_SPACE: (_UNICODE_SPACE | {_BEYOND}, _SPACE),
    sre.CATEGORY_NOT_SPACE: (_ALL - _UNICODE_SPACE, _ALL - _SPACE),
}
_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT}
# "?" set aside as NUL while the ASCII codec's "?" marks the characters beyond ASCII
_BEYOND_BYTES = bytes.maketrans(b"?\x00", bytes([_BEYOND]) + b"?")


def gate_bytes(text: str) -> bytes | None:
    """``text`` one byte per character, each beyond ASCII as 0x80; None for a text with NUL (not gated)."""
    if text.isascii():
        return text.encode()
    if "\x00" in text:
        return None
    return text.replace("?", "\x00").encode("ascii", "replace").translate(_BEYOND_BYTES)


class Untranslatable(ValueError):
    """A regex the gate cannot widen: its row always runs."""


def widened(regex: str, flags: int = 0, beyond: bool = True) -> bytes:
    """A Hyperscan expression matching (in ``gate_bytes(text)``) wherever ``regex`` matches (in ``text``), and
    maybe elsewhere. ``beyond=False``: for ASCII texts only."""
    parsed = sre_parse.parse(regex, flags)
    expression = _Widening(beyond).sequence(parsed, parsed.state.flags)
    if not expression:
        raise Untranslatable("matches the empty string")
    return expression.encode()


def extent(regex: str, flags: int = 0) -> tuple[int, int] | None:
    """How far a match of ``regex`` reaches: its greatest length, and how many characters past its end a
    look-ahead or an end or boundary test may read. None if either is unbounded."""
    parsed = sre_parse.parse(regex, flags)
    longest = parsed.getwidth()[1]
    reach = _reach(parsed)
    return None if longest >= sre.MAXREPEAT or reach is None else (longest, reach)


_READS_NEXT = {sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY, sre.AT_END, sre.AT_END_LINE, sre.AT_END_STRING}
_READS_NEXT |= {getattr(sre, code) for code in ("AT_UNI_BOUNDARY", "AT_UNI_NON_BOUNDARY", "AT_LOC_BOUNDARY",
                                                 "AT_LOC_NON_BOUNDARY") if hasattr(sre, code)}  # fmt: skip


def _reach(items: Any) -> int | None:
    """How far past the position it is tested at (at most the end of the match) anything in ``items`` reads."""
    reach = 0
    for op, av in items:
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, body = av
            inner = _reach(body)
            if inner is None:
                return None
            if direction == 1:  # a look-ahead: its own length, and what it reads past that
                width = body.getwidth()[1]
                if width >= sre.MAXREPEAT:
                    return None
                inner += width
            reach = max(reach, inner)  # a look-behind: only what something inside it reads past it
        elif op is sre.AT:
            reach = max(reach, 1 if av in _READS_NEXT else 0)
        else:
            for body in _bodies(op, av):
                inner = _reach(body)
                if inner is None:
                    return None
                reach = max(reach, inner)
    return reach


def terminated(regex: str, flags: int = 0, beyond: bool = True) -> bytes | None:
    """For a located row: its widened copy with a final negative look-ahead of one character class made a test of
    the next character (not in the class, or the end of the text), so a run of characters the regex reads reports
    one end, not one per character; None where that would not be safe or does not apply. Match ends then lie one
    character before a reported end (or at the text's end).

    Safe when every character a match can take is in the class (no match reaches past a reported end's last
    character) and nothing but that look-ahead reads past a match, which is two characters long at least: a match
    ending where its window ends (window end = a reported end + 1) would have to start after that end's last
    character, and be one character long."""
    parsed = sre_parse.parse(regex, flags)
    flags = parsed.state.flags
    items = list(parsed)
    if not items or items[-1][0] is not sre.ASSERT_NOT or items[-1][1][0] != 1:
        return None
    body = list(items[-1][1][1])
    if len(body) != 1 or body[0][0] not in (sre.LITERAL, sre.IN):
        return None
    barred = _chars(body[0][0], body[0][1], flags)
    rest = sre_parse.SubPattern(parsed.state, items[:-1])
    try:
        taken = _taken(rest, flags)
    except Untranslatable:
        return None
    if _BEYOND in taken or not taken <= barred or _reach(rest) != 0 or rest.getwidth()[0] < 2:
        return None
    following = (_ASCII - barred) | ({_BEYOND} if beyond else set())  # characters a match cannot go on with
    return (_Widening(beyond).sequence(rest, flags) + f"(?:{_byte_class(following)}|\\z)").encode()


def _taken(items: Any, flags: int) -> frozenset[int]:
    """Every byte a character a match takes may be (0x80: some character beyond ASCII)."""
    taken: frozenset[int] = frozenset()
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            taken |= _chars(op, av, flags)
        elif op is sre.SUBPATTERN:
            taken |= _taken(av[3], (flags | av[1]) & ~av[2])
        elif op in _ZERO_WIDTH or op is sre.GROUPREF:  # a group's characters are counted where the group is
            continue
        elif op in (sre.BRANCH, *_REPEATS, sre.ATOMIC_GROUP, sre.GROUPREF_EXISTS):
            for body in _bodies(op, av):
                taken |= _taken(body, flags)
        else:
            raise Untranslatable(f"no characters for {op}")
    return taken


def _bodies(op: Any, av: Any) -> list[Any]:
    """The sequences nested in one parsed item."""
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op is sre.BRANCH:
        return list(av[1])
    if op in _REPEATS:
        return [av[2]]
    if op is sre.ATOMIC_GROUP:
        return [av]
    if op is sre.GROUPREF_EXISTS:
        return [body for body in av[1:] if body]
    return []


class _Widening:
    def __init__(self, beyond: bool) -> None:
        self.beyond = beyond
        self.groups: dict[int, tuple[Any, int]] = {}  # group number → its parsed body and flags

    def sequence(self, items: Any, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if op in _ZERO_WIDTH:
            return ""
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return self.character(_chars(op, av, flags))
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(branch, flags) for branch in av[1]) + ")"
        if op is sre.SUBPATTERN:
            group, add, remove, body = av
            inner = (flags | add) & ~remove
            if group is not None:
                self.groups[group] = (body, inner)
            return "(?:" + self.sequence(body, inner) + ")"
        if op is sre.ATOMIC_GROUP:
            return "(?:" + self.sequence(av, flags) + ")"
        if op in _REPEATS:
            low, high, body = av
            if high == 0:
                return ""
            return "(?:" + self.sequence(body, flags) + f"){{{low},{'' if high == sre.MAXREPEAT else high}}}"
        if op is sre.GROUPREF:  # the group's text again: matched by the group's regex (caseless if either is)
            body, inner = self.groups[av]
            return "(?:" + self.sequence(body, inner | (flags & re.I)) + ")"
        if op is sre.GROUPREF_EXISTS:
            _, yes, no = av
            return "(?:" + self.sequence(yes, flags) + "|" + (self.sequence(no, flags) if no else "") + ")"
        raise Untranslatable(f"no translation for {op}")

    def character(self, chars: frozenset[int]) -> str:
        if not self.beyond:  # no 0x80 in an ASCII text: a test only of characters beyond ASCII keeps it, unmet
            chars = chars - {_BEYOND} or chars
        return _byte_class(chars)


def _chars(op: Any, av: Any, flags: int) -> frozenset[int]:
    """The bytes one character test may match."""
    if op is sre.ANY:
        return _ALL if flags & re.S else _ALL - {ord("\n")}
    members = [(sre.LITERAL, av)] if op is not sre.IN else list(av)
    if op is sre.NOT_LITERAL or (members and members[0][0] is sre.NEGATE):
        excluded = [_member(m, a, flags)[0] for m, a in members if m is not sre.NEGATE]
        return _ALL - frozenset().union(*excluded)  # a character beyond ASCII may be outside any class
    return frozenset().union(*(sure | maybe for sure, maybe in (_member(m, a, flags) for m, a in members)))


def _member(op: Any, av: Any, flags: int) -> tuple[frozenset[int], frozenset[int]]:
    """The ASCII characters a class member matches (exactly: a negated class excludes them), and the other bytes
    it may match."""
    if op is sre.CATEGORY:
        chars = _CATEGORIES[av][1 if flags & re.ASCII else 0]
        return chars - {_BEYOND}, chars & {_BEYOND}
    if op is sre.LITERAL:
        low, high = av, av
    elif op is sre.RANGE:
        low, high = av
    else:
        raise Untranslatable(f"no translation for {op}")
    chars = frozenset(range(low, min(high, 127) + 1))
    caseless = bool(flags & re.I)
    if caseless:
        chars |= {c ^ 0x20 for c in chars & _LETTERS}
    maybe: frozenset[int] = frozenset()
    if (caseless and chars & _FOLDS) or high > 127:
        maybe = frozenset({_BEYOND})
    if caseless and high > 127:
        maybe |= _LETTERS  # a letter beyond ASCII may match an ASCII one ignoring case (Kelvin sign: k)
    return chars, maybe


def _byte_class(chars: Iterable[int]) -> str:
    ranges, codes = [], sorted(chars)
    if not codes:
        raise Untranslatable("a class matching nothing")
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            ranges.append(f"\\x{start:02x}" + (f"-\\x{previous:02x}" if previous > start else ""))
            start = code
        previous = code
    return "[" + "".join(ranges) + "]"


# Class letters: for an ASCII text, a regex that only ever asks whether a character is in a class matches alike
# on the text with each character replaced by a representative of the characters no class tells apart from it,
# and on those the regex is a few literals, which the regex engine skips ahead to faster than to class members
# (the digits anchor: ~3x). Used for the anchors' regexes.

_AT = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",
    sre.AT_END_STRING: r"\Z",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}

_LAZINESS = {sre.MIN_REPEAT: "?", sre.POSSESSIVE_REPEAT: "+"}


def class_letters(regex: str) -> tuple[bytes, re.Pattern[bytes]] | None:
    """A translation table for ASCII texts, and ``regex`` (under re.ASCII) for the translated text; None for a
    regex comparing characters otherwise (ignoring case, back-references, inline flags)."""
    if not regex.isascii():
        return None
    try:
        parsed = sre_parse.parse(regex, re.ASCII)
        if parsed.state.flags & ~(re.ASCII | re.VERBOSE):
            return None
        letters = _Letters()
        letters.collect(parsed)
        table = bytearray(range(256))
        first: dict[tuple[bool, ...], int] = {}
        for char in range(128):
            table[char] = first.setdefault(tuple(char in s for s in letters.sets), char)
        letters.table = bytes(table)
        return letters.table, re.compile(letters.sequence(parsed).encode())
    except (Untranslatable, re.error, KeyError, TypeError, ValueError):
        return None


class _Letters:
    def __init__(self) -> None:
        self.sets: list[frozenset[int]] = [_WORD, frozenset(b"\n")]  # what \b, ^ and $ look at
        self.table = b""

    def collect(self, items: Any) -> None:
        for op, av in items:
            if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
                self.sets.append(_chars(op, av, re.ASCII) - {_BEYOND})
            elif op is sre.BRANCH:
                for branch in av[1]:
                    self.collect(branch)
            elif op in _REPEATS or op is sre.SUBPATTERN or op in (sre.ASSERT, sre.ASSERT_NOT):
                self.collect(av[-1])
            elif op is sre.ATOMIC_GROUP:
                self.collect(av)

    def sequence(self, items: Any) -> str:
        return "".join(self.item(op, av) for op, av in items)

    def item(self, op: Any, av: Any) -> str:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return _byte_class({self.table[c] for c in _chars(op, av, re.ASCII) - {_BEYOND}})
        if op is sre.AT:
            return _AT[av]
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(branch) for branch in av[1]) + ")"
        if op is sre.SUBPATTERN:
            group, add, remove, body = av
            if add or remove:
                raise Untranslatable("inline flags")
            return ("(?:" if group is None else "(") + self.sequence(body) + ")"
        if op in _REPEATS:
            low, high, body = av
            bounds = f"{{{low},{'' if high == sre.MAXREPEAT else high}}}"
            return "(?:" + self.sequence(body) + ")" + bounds + _LAZINESS.get(op, "")
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, body = av
            kind = ("=" if op is sre.ASSERT else "!") if direction > 0 else ("<=" if op is sre.ASSERT else "<!")
            return f"(?{kind}" + self.sequence(body) + ")"
        if op is sre.ATOMIC_GROUP:
            return "(?>" + self.sequence(av) + ")"
        raise Untranslatable(f"no class letters for {op}")
