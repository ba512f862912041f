"""The gate: one Hyperscan scan of a text tells which detector rows can match it, so most rows never run.

The scan reads the text one byte per character (each character beyond ASCII as the byte 0x80) and each row as a
*widened* copy of its regex, translated from Python's own parse of it, so Python-only syntax means what Python
means: zero-width tests (look-arounds, \\b, anchors) dropped, a back-reference replaced by its group, every
character test widened to a set of bytes (with 0x80 where it may match a character beyond ASCII). Wherever a
row matches, in the whole text or in a window of it, its widened copy matches the same characters, so a row the
scan does not report cannot match. Rows that cannot be translated or compiled always run. ASCII texts get a
database without 0x80 (faster) that also finds the anchors' literals.

Rows on a ``located`` anchor whose matches have a bounded length are scanned for every match end, not just once:
such a row runs only in windows ``[end - longest match, end + look-ahead reach]`` around the ends, instead of
around the anchor's matches. Every match Python's regex finds in the whole text ends at a reported end, so it lies
in one window, whole, with what its look-aheads read; a match in a window is one in the whole text (see
``located_windows``). Where it is safe, a final negative look-ahead is scanned as a test of the next character
(``terminated``): a run of hex digits and colons then reports one end, not one per character.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from crossroads.privacy.detect.patterns import Anchor, Pattern

if TYPE_CHECKING:
    from crossroads.privacy.detect.rows import _Compiled

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


class GateScan:
    """What one scan found: the rows that may match and, for an ASCII text, the anchors' literals."""

    __slots__ = ("admitted", "anchors", "ends", "limit", "literals", "windows")

    def __init__(self, admitted: bytearray, limit: int) -> None:
        self.admitted = admitted  # per row, 1 if it may match
        self.limit = limit  # more match ends of located rows than this: the scan stops (the text runs ungated)
        self.literals: list[tuple[int, int]] = []  # (expression id, end) of each literal found
        self.anchors: Mapping[str, Sequence[tuple[int, int]]] = {}  # anchor → where its literals are, sorted
        self.ends: list[tuple[int, int]] = []  # (expression id, end) of each match of a located row
        self.windows: dict[int, list[tuple[int, int, int]]] = {}  # located row → where it runs


class _Database:
    """Compiled expressions (each id a row, or a literal past the rows) and per thread the scratch a scan needs."""

    def __init__(self, hyperscan: Any, expressions: dict[int, tuple[bytes, int]], rows: int) -> None:
        self.hyperscan = hyperscan
        self.database = _compile(hyperscan, expressions)
        if self.database is None:  # one does not compile: find it, and compile the others
            expressions = {i: e for i, e in expressions.items() if _compile(hyperscan, {i: e}) is not None}
            self.database = _compile(hyperscan, expressions)
        self.ids = set(expressions) if self.database is not None else set()
        self.ungated = bytearray(int(i not in self.ids and rows + i not in self.ids) for i in range(rows))
        self._local = threading.local()
        self._on_match = _match_handler(rows)

    def scan(self, data: bytes) -> GateScan:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self.hyperscan.Scratch(self.database)
        found = GateScan(self.ungated.copy(), len(data) // ENDS_PER_CHARACTER + MIN_ENDS)
        self.database.scan(data, match_event_handler=self._on_match, context=found, scratch=scratch)
        return found


def _compile(hyperscan: Any, expressions: dict[int, tuple[bytes, int]]) -> Any:
    if not expressions:
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(
            expressions=[e for e, _ in expressions.values()],
            ids=list(expressions),
            flags=[f for _, f in expressions.values()],
        )
    except hyperscan.error:
        return None
    return database


# A text whose located rows report more match ends than one per ENDS_PER_CHARACTER characters (and MIN_ENDS) is
# not gated: a megabyte of spaced digit groups would report most of its digits, and the ungated path (anchor
# windows) is faster there. Prompts report about one per hundred characters.
ENDS_PER_CHARACTER = 24
MIN_ENDS = 256


def _match_handler(rows: int) -> Callable[[int, int, int, int, GateScan], bool]:
    """What a scan calls for each match: ids below ``rows`` are rows, then located rows (``rows`` + the row), then
    literals."""
    located = 2 * rows

    def on_match(id: int, start: int, end: int, flags: int, found: GateScan) -> bool:
        if id < rows:
            found.admitted[id] = 1
        elif id < located:
            ends = found.ends
            ends.append((id, end))
            return len(ends) > found.limit  # true: stop the scan (a text made of long number runs runs ungated)
        else:
            found.literals.append((id, end))
        return False

    return on_match


class Gate:
    """One Hyperscan scan admits the rows that can match a text (the others are skipped), tells located rows where
    their matches can end (``located_windows``) and finds the anchors' literals in an ASCII text."""

    def __init__(self, hyperscan: Any, rows: Sequence[_Compiled], anchors: dict[str, Anchor]) -> None:
        once = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH
        ascii_texts: dict[int, tuple[bytes, int]] = {}
        any_texts: dict[int, tuple[bytes, int]] = {}
        self.rows = len(rows)
        # per row, for a located one: its longest match and look-ahead reach
        self.extents: list[tuple[int, int] | None] = [None] * len(rows)
        for index, row in enumerate(rows):
            try:
                (for_any, for_ascii), located = _scanned(row.pattern, anchors.get(row.pattern.anchor))
            except Exception:  # any syntax the translation does not know: the row always runs
                continue
            # a located row reports every match end (id: rows + the row), another its first match only
            id, flags = (len(rows) + index, hyperscan.HS_FLAG_PREFILTER) if located else (index, once)
            any_texts[id], ascii_texts[id] = (for_any, flags), (for_ascii, flags)
            self.extents[index] = located
        self.literals: dict[int, tuple[str, int]] = {}  # expression id → (anchor, literal length)
        for name, anchor in anchors.items():
            for literal in anchor.literals:
                if anchor.lower and literal != literal.lower():
                    continue  # never in the lower-cased text
                self.literals[2 * len(rows) + len(self.literals)] = (name, len(literal))
                flags = hyperscan.HS_FLAG_CASELESS if anchor.lower else 0  # ASCII: caseless = in lower-cased
                ascii_texts[2 * len(rows) + len(self.literals) - 1] = (_literal(literal), flags)
        self.error: type[Exception] = hyperscan.error
        self.ascii = _Database(hyperscan, ascii_texts, len(rows))
        self.any = _Database(hyperscan, any_texts, len(rows))
        missing = {self.literals[i][0] for i in self.literals if i not in self.ascii.ids}
        self.anchors = {name for name, a in anchors.items() if a.literals and name not in missing}
        self._no_literals: dict[str, Sequence[tuple[int, int]]] = {name: () for name in self.anchors}

    @classmethod
    def build(cls, rows: Sequence[_Compiled], anchors: dict[str, Anchor]) -> Gate | None:
        """None without the ``hyperscan`` package or without a row it can gate."""
        try:
            import hyperscan
        except ImportError:
            return None
        gate = cls(hyperscan, rows, anchors)
        return gate if gate.ascii.database is not None or gate.any.database is not None else None

    def scan(self, text: str) -> GateScan | None:
        """None if the text is not gated (every row runs)."""
        ascii_text = text.isascii()
        database = self.ascii if ascii_text else self.any
        data = text.encode() if ascii_text else gate_bytes(text)
        if data is None or database.database is None:
            return None
        try:
            found = database.scan(data)
        except self.error:
            return None
        if found.ends:
            found.windows = self.located_windows(found, len(data))
        if ascii_text:
            if not found.literals:  # none of the anchors' literals occurs: the same answer every time
                found.anchors = self._no_literals
                return found
            anchors: dict[str, list[tuple[int, int]]] = {name: [] for name in self.anchors}
            for id, end in found.literals:
                name, length = self.literals[id]
                anchors[name].append((end - length, end))
            for occurrences in anchors.values():
                occurrences.sort()
            found.anchors = anchors
        return found

    def located_windows(self, found: GateScan, size: int) -> dict[int, list[tuple[int, int, int]]]:
        """Per located row with a match end, where it runs: ``[end - longest, end + reach]`` around each end,
        merged where they overlap (the third member, the text's length, passes any ``min_run``).

        A match the row finds in the whole text ends at a reported end (the widened copy matches its characters):
        it lies whole in that end's window, with what its look-aheads read. In a window, the row finds the matches
        it finds there in the whole text: no match in the whole text starts before a window and ends inside it
        (its own window would overlap this one, and be merged into it); a match found in a window that would
        continue past the window's end in the whole text would end at a reported end further on, whose window
        would have been merged in; and what a match reads stays inside the window."""
        windows: dict[int, list[tuple[int, int, int]]] = {}
        admitted, extents, rows = found.admitted, self.extents, self.rows
        found.ends.sort()
        current = -1
        merged: list[tuple[int, int, int]] = []
        begin = stop = longest = reach = 0
        for id, end in found.ends:
            start = end - longest if end > longest else 0
            if id == current and start <= stop:  # overlaps or touches the window being merged into
                stop = end + reach if end + reach < size else size
                continue
            if current >= 0:
                merged.append((begin, stop, size))
            if id != current:
                current = id
                row = id - rows
                admitted[row] = 1
                bounds = extents[row]
                assert bounds is not None  # only located rows report ends
                longest, reach = bounds
                merged = windows[row] = []
                start = end - longest if end > longest else 0
            begin, stop = start, end + reach if end + reach < size else size
        if current >= 0:
            merged.append((begin, stop, size))
        return windows


def _scanned(pattern: Pattern, anchor: Anchor | None) -> tuple[tuple[bytes, bytes], tuple[int, int] | None]:
    """What the gate scans for a row (in any text, in an ASCII text) and, for a located row, its longest match and
    look-ahead reach, counted from a reported end."""
    located = extent(pattern.regex, pattern.flags) if anchor is not None and anchor.located else None
    if located is not None:
        ends = terminated(pattern.regex, pattern.flags), terminated(pattern.regex, pattern.flags, beyond=False)
        if ends[0] is not None and ends[1] is not None:  # a match ends a character before a reported end
            return (ends[0], ends[1]), (located[0] + 1, located[1])
    return (widened(pattern.regex, pattern.flags), widened(pattern.regex, pattern.flags, beyond=False)), located


def _literal(text: str) -> bytes:
    """A Hyperscan expression for ``text`` as it is (ASCII; empty: fails to compile, so never trusted)."""
    return "".join(f"\\x{b:02x}" for b in text.encode()).encode()
