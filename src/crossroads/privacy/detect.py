"""Fast detectors: compiled regexes with validators (the built-in table and user-defined ones) and deny-lists.

Every detector has ``name`` and ``detect(text) -> list[Span]``; a ``Scanner`` runs a list of them and
resolves overlaps. These run in microseconds on a prompt, so they run on the event loop. With the ``hyperscan``
package installed, one scan of the text first rules out the rows that cannot match it (see ``Gate``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, Protocol

from crossroads.privacy.patterns import ANCHORS, Anchor, Pattern
from crossroads.privacy.spans import Span, resolve
from crossroads.privacy.validators import VALIDATORS, Validator

CONTEXT_WINDOW = 60  # characters before a match searched for a context word
MAX_LEFT = 64  # characters a finding may extend left of its match (an email's local part)
NO_CONTEXT_FACTOR = 0.5  # a match with context words configured but none nearby keeps half its score
# ASCII characters Unicode ``\s`` matches but ASCII ``\s`` does not: a text without them (and without
# non-ASCII characters) matches alike under re.ASCII, which is faster (no Unicode tables for \d, \w, \s)
_UNICODE_ONLY_SPACE = "\x1c\x1d\x1e\x1f"
_ASCII_WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


class Detector(Protocol):
    name: str

    def detect(self, text: str) -> list[Span]: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    pattern: Pattern
    regex: re.Pattern[str]
    ascii_regex: re.Pattern[str]  # the same regex under re.ASCII, for texts where both match alike
    validate: Validator
    context: tuple[str, ...] = ()
    not_after: frozenset[str] | None = None  # the characters barred before a finding, ASCII word characters included
    word_not_after: bool = False  # word characters beyond ASCII barred too
    extend_left: re.Pattern[str] | None = None
    prefilter: tuple[str, ...] = ()  # the row runs only if one of these occurs in the text
    prefilter_lower: bool = False  # look for the prefilter in the lower-cased text
    validates: bool = True  # False when the validator accepts everything
    word_prefix: tuple[re.Pattern[str], re.Pattern[str]] | None = None  # the pattern's, (Unicode, ASCII)


def compile_pattern(pattern: Pattern, context: Iterable[str] = ()) -> _Compiled:
    return _Compiled(
        pattern,
        re.compile(pattern.regex, pattern.flags),
        _ascii(pattern.regex, pattern.flags),
        VALIDATORS[pattern.validator],
        tuple(w.lower() for w in context),
        frozenset(pattern.not_after.replace("w", _ASCII_WORD)) if pattern.not_after else None,
        "w" in pattern.not_after,
        _left_regex(pattern.extend_left) if pattern.extend_left else None,
        pattern.prefilter,
        bool(pattern.flags & re.I),
        pattern.validator != "none",
        (re.compile(pattern.word_prefix, pattern.flags), _ascii(pattern.word_prefix, pattern.flags))
        if pattern.word_prefix
        else None,
    )


def _ascii(regex: str, flags: int) -> re.Pattern[str]:
    """``regex`` under re.ASCII; as written if it asks for Unicode matching itself (``(?u)``) or is not ASCII
    (with re.IGNORECASE, a pattern's ``ſ`` or Kelvin sign matches ASCII ``s`` or ``k`` only under Unicode)."""
    if not regex.isascii():
        return re.compile(regex, flags)
    try:
        return re.compile(regex, flags | re.ASCII)
    except ValueError:
        return re.compile(regex, flags)


def _ascii_only(text: str) -> bool:
    return text.isascii() and not any(char in text for char in _UNICODE_ONLY_SPACE)  # memchr: fast


def _left_regex(chars: str) -> re.Pattern[str]:
    """Matches up to the last character *not* in ``chars`` ("w" = word characters) before the match: the
    finding extends from there (one backtracking pass in C, not a search from every position)."""
    word = r"\w" if "w" in chars else ""
    return re.compile(f"(?s:.*)[^{word}{re.escape(chars.replace('w', ''))}]")


# up to the last non-word character: a word starts after it (Unicode, ASCII)
_WORD_START = (re.compile(r"(?s:.*)\W"), re.compile(r"(?s:.*)\W", re.ASCII))


def _key_word_matches(
    row: _Compiled, regex: re.Pattern[str], text: str, pos: int, endpos: int
) -> Iterator[re.Match[str]]:
    """The matches ``finditer`` would give if the regex began with a word boundary and the row's ``word_prefix``: those
    whose key word's whole word, from a start at or after where the search resumed, is that prefix then the key
    word. A match rejected gives way to one further on, even inside it."""
    assert row.word_prefix is not None
    ascii_mode = bool(regex.flags & re.ASCII)
    prefix, word_start = row.word_prefix[ascii_mode], _WORD_START[ascii_mode]
    floor = pos  # where the search resumed: the finditer matches before it were consumed
    while (match := regex.search(text, pos, endpos)) is not None:
        at = match.start()
        left = word_start.match(text, floor - 1 if floor else 0, at)  # a character before floor: is it a word's?
        start = left.end() if left is not None else 0
        if (left is not None or floor == 0) and prefix.fullmatch(text, start, at):
            yield match
            pos = floor = match.end()
        else:
            pos = at + 1


def _extended(extend_left: re.Pattern[str], text: str, start: int) -> int:
    """Where the finding starts, extended left over the row's ``extend_left``; -1 when there is nothing to extend
    over."""
    floor = max(0, start - MAX_LEFT)
    barrier = extend_left.match(text, floor, start)
    left = barrier.end() if barrier is not None else floor
    return -1 if left == start else left


class RegexDetector:
    """Runs a table of patterns; a candidate counts only if its validator accepts it."""

    name = "regex"

    def __init__(self, patterns: Iterable[Pattern | _Compiled], gate: bool = True) -> None:
        """``gate``: skip the rows a Hyperscan pre-scan rules out (when the ``hyperscan`` package is installed)."""
        self.rows = [p if isinstance(p, _Compiled) else compile_pattern(p) for p in patterns]
        self.anchors = {
            name: (re.compile(a.regex), _ascii(a.regex, 0), a, class_letters(a.regex) if a.regex else None)
            for name, a in ANCHORS.items()
        }
        self.gate = Gate.build(self.rows, ANCHORS) if gate else None

    def detect(self, text: str) -> list[Span]:
        scan = self.gate.scan(text) if self.gate is not None else None
        rows = self.rows if scan is None else compress(self.rows, scan.admitted)
        found = scan.anchors if scan is not None else {}
        lower = text.lower()
        spans: list[Span] = []
        windows: dict[str, list[tuple[int, int, int]]] = {}
        whole = [(0, len(text), len(text))]
        ascii_only = _ascii_only(text)
        prefilter = scan is None  # the gate checks more than the prefilter
        for row in rows:
            if (
                prefilter
                and row.prefilter
                and not any(literal in (lower if row.prefilter_lower else text) for literal in row.prefilter)
            ):
                continue
            name = row.pattern.anchor
            if name and name not in windows:
                windows[name] = self._windows(name, text, lower, ascii_only, found.get(name))
            regex = row.ascii_regex if ascii_only else row.regex
            _matches(row, regex, text, lower, windows[name] if name else whole, spans)
        return spans

    def _windows(
        self, name: str, text: str, lower: str, ascii_only: bool, found: list[tuple[int, int]] | None
    ) -> list[tuple[int, int, int]]:
        """Merged windows around the anchor's matches (``found`` by the gate, or found here), each with the length
        of its longest match."""
        unicode_regex, ascii_regex, anchor, letters = self.anchors[name]
        if found is None:
            haystack = lower if anchor.lower else text
            if anchor.literals:
                found = sorted(_occurrences(haystack, anchor.literals))
            elif ascii_only and letters is not None:
                table, letters_regex = letters
                found = [m.span() for m in letters_regex.finditer(haystack.encode().translate(table))]
            else:
                found = [m.span() for m in (ascii_regex if ascii_only else unicode_regex).finditer(haystack)]
        merged: list[tuple[int, int, int]] = []
        left, right, size = anchor.left, anchor.right, len(text)
        begin, stop, longest = 0, -1, 0  # the window being merged into (none yet: stop < 0, below any start)
        for first, until in found:
            start = first - left if first > left else 0
            end = until + right if until + right < size else size
            if start <= stop:  # overlaps or touches the window being merged into
                stop = end if end > stop else stop
                longest = until - first if until - first > longest else longest
            else:
                if stop >= 0:
                    merged.append((begin, stop, longest))
                begin, stop, longest = start, end, until - first
        if stop >= 0:
            merged.append((begin, stop, longest))
        return merged


def _occurrences(text: str, literals: Iterable[str]) -> Iterable[tuple[int, int]]:
    for literal in literals:
        at = text.find(literal)
        while at >= 0:
            yield at, at + len(literal)
            at = text.find(literal, at + 1)


def _matches(
    row: _Compiled,
    regex: re.Pattern[str],
    text: str,
    lower: str,
    windows: Iterable[tuple[int, int, int]],
    out: list[Span],
) -> None:
    """Appends to ``out`` the row's validated findings in each window ``text[pos:endpos]`` whose longest anchor
    match is long enough."""
    p = row.pattern
    group, barred, word, extend_left = p.group, row.not_after, row.word_not_after, row.extend_left
    validate = row.validate if row.validates else None
    for pos, endpos, anchor_run in windows:
        if anchor_run < p.min_run:
            continue
        matches = (
            regex.finditer(text, pos, endpos)
            if row.word_prefix is None
            else _key_word_matches(row, regex, text, pos, endpos)
        )
        for match in matches:
            start, end = match.span(group)
            if start < 0:
                continue
            if extend_left is not None and (start := _extended(extend_left, text, start)) < 0:
                continue
            if start and barred is not None and ((char := text[start - 1]) in barred or (word and char.isalnum())):
                continue  # barred before the finding ("w": ASCII ones are in ``barred``)
            if validate is not None and not validate(text[start:end]):
                continue
            score = p.score
            if row.context and not any(w in lower[max(0, start - CONTEXT_WINDOW) : start] for w in row.context):
                score *= NO_CONTEXT_FACTOR
            out.append(Span(p.entity_type, start, end, score, p.name))


# The gate: one Hyperscan scan over the text tells which rows can match it, so most rows never run. The scan
# reads the text one byte per character (each character beyond ASCII as the byte 0x80) and each row as a
# *widened* copy of its regex, translated from Python's own parse of it, so Python-only syntax means what
# Python means: zero-width tests (look-arounds, \b, anchors) dropped, a back-reference replaced by its group,
# every character test widened to a set of bytes (with 0x80 where it may match a character beyond ASCII).
# Wherever a row matches, in the whole text or in a window of it, its widened copy matches the same characters,
# so a row the scan does not report cannot match. Rows that cannot be translated or compiled always run.
# ASCII texts get a database without 0x80 (faster) that also finds the anchors' literals.

_BEYOND = 0x80  # stands for any character beyond ASCII
_ASCII = frozenset(range(128))
_ALL = _ASCII | {_BEYOND}
_DIGITS = frozenset(b"0123456789")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_FOLDS = frozenset(b"IKSiks")  # ASCII letters that, ignoring case, match letters beyond ASCII too (İ ı K ſ)
_WORD = _LETTERS | _DIGITS | {ord("_")}
_SPACE = frozenset(b" \t\n\r\f\v")
_UNICODE_SPACE = _SPACE | frozenset(_UNICODE_ONLY_SPACE.encode())
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

    __slots__ = ("admitted", "anchors", "literals", "rows")

    def __init__(self, admitted: bytearray) -> None:
        self.admitted = admitted  # per row, 1 if it may match
        self.rows = len(admitted)
        self.literals: list[tuple[int, int]] = []  # (expression id, end) of each literal found
        self.anchors: dict[str, list[tuple[int, int]]] = {}  # anchor → where its literals are, sorted


class _Database:
    """Compiled expressions (each id a row, or a literal past the rows) and per thread the scratch a scan needs."""

    def __init__(self, hyperscan: Any, expressions: dict[int, tuple[bytes, int]], rows: int) -> None:
        self.hyperscan = hyperscan
        self.database = _compile(hyperscan, expressions)
        if self.database is None:  # one does not compile: find it, and compile the others
            expressions = {i: e for i, e in expressions.items() if _compile(hyperscan, {i: e}) is not None}
            self.database = _compile(hyperscan, expressions)
        self.ids = set(expressions) if self.database is not None else set()
        self.ungated = bytearray(int(i not in self.ids) for i in range(rows))
        self._local = threading.local()

    def scan(self, data: bytes) -> GateScan:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self.hyperscan.Scratch(self.database)
        found = GateScan(self.ungated.copy())
        self.database.scan(data, match_event_handler=_on_match, context=found, scratch=scratch)
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


def _on_match(id: int, start: int, end: int, flags: int, found: GateScan) -> None:
    if id < found.rows:
        found.admitted[id] = 1
    else:
        found.literals.append((id, end))


class Gate:
    """One Hyperscan scan admits the rows that can match a text (the others are skipped) and finds the
    anchors' literals in an ASCII text."""

    def __init__(self, hyperscan: Any, rows: Sequence[_Compiled], anchors: dict[str, Anchor]) -> None:
        gate = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH
        ascii_texts: dict[int, tuple[bytes, int]] = {}
        any_texts: dict[int, tuple[bytes, int]] = {}
        for index, row in enumerate(rows):
            try:
                any_texts[index] = (widened(row.pattern.regex, row.pattern.flags), gate)
                ascii_texts[index] = (widened(row.pattern.regex, row.pattern.flags, beyond=False), gate)
            except Exception:  # syntax the translation does not know: the row always runs
                any_texts.pop(index, None)
        self.literals: dict[int, tuple[str, int]] = {}  # expression id → (anchor, literal length)
        for name, anchor in anchors.items():
            for literal in anchor.literals:
                if anchor.lower and literal != literal.lower():
                    continue  # never in the lower-cased text
                self.literals[len(rows) + len(self.literals)] = (name, len(literal))
                flags = hyperscan.HS_FLAG_CASELESS if anchor.lower else 0  # ASCII: caseless = in lower-cased
                ascii_texts[len(rows) + len(self.literals) - 1] = (_literal(literal), flags)
        self.error: type[Exception] = hyperscan.error
        self.ascii = _Database(hyperscan, ascii_texts, len(rows))
        self.any = _Database(hyperscan, any_texts, len(rows))
        missing = {self.literals[i][0] for i in self.literals if i not in self.ascii.ids}
        self.anchors = {name for name, a in anchors.items() if a.literals and name not in missing}

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
        if ascii_text:
            found.anchors = {name: [] for name in self.anchors}
            for id, end in found.literals:
                name, length = self.literals[id]
                found.anchors[name].append((end - length, end))
            for occurrences in found.anchors.values():
                occurrences.sort()
        return found


def _literal(text: str) -> bytes:
    """A Hyperscan expression for ``text`` as it is (ASCII; empty: fails to compile, so never trusted)."""
    return "".join(f"\\x{b:02x}" for b in text.encode()).encode()


class DenyListDetector:
    """Exact terms (project code names, customer names), whole words, any case."""

    def __init__(self, entity_type: str, terms: Sequence[str], name: str | None = None) -> None:
        self.entity_type = entity_type
        self.name = name or f"deny_list:{entity_type}"
        alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        self.regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)

    def detect(self, text: str) -> list[Span]:
        return [Span(self.entity_type, m.start(), m.end(), 1.0, self.name) for m in self.regex.finditer(text)]


class Scanner:
    """Several detectors over one text; the result has no overlaps."""

    def __init__(self, detectors: Sequence[Detector], min_score: float = 0.5) -> None:
        self.detectors = list(detectors)
        self.min_score = min_score

    def scan(self, text: str) -> list[Span]:
        found: list[Span] = []
        for detector in self.detectors:
            found.extend(detector.detect(text))
        return resolve(found, self.min_score)
