"""Fast detectors: compiled regexes with validators (the built-in table and user-defined ones) and deny-lists.

Every detector has ``name`` and ``detect(text) -> list[Span]``; a ``Scanner`` runs a list of them and
resolves overlaps. These run in microseconds on a prompt, so they run on the event loop. With the ``hyperscan``
package installed, one scan of the text first rules out the rows that cannot match it, and tells the rows on a
``located`` anchor (numbers, IPv6) where their matches can end, so they run only there (``gate``);
without it, rows on an anchor run in windows around the anchor's matches.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import Protocol

from crossroads.privacy.detect.gate import Gate
from crossroads.privacy.detect.patterns import ANCHORS, Pattern
from crossroads.privacy.detect.regex_bytes import UNICODE_ONLY_SPACE, class_letters
from crossroads.privacy.detect.validators import VALIDATORS, Validator
from crossroads.privacy.spans import Span, resolve

CONTEXT_WINDOW = 60  # characters before a match searched for a context word
MAX_LEFT = 64  # characters a finding may extend left of its match (an email's local part)
NO_CONTEXT_FACTOR = 0.5  # a match with context words configured but none nearby keeps half its score
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
    at_anchor: bool = False  # the pattern's: every match starts where one of its anchor's literals occurs


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
        pattern.at_anchor,
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
    return text.isascii() and not any(char in text for char in UNICODE_ONLY_SPACE)  # memchr: fast


def _left_regex(chars: str) -> re.Pattern[str]:
    """Matches up to the last character *not* in ``chars`` ("w" = word characters) before the match: the
    finding extends from there (one backtracking pass in C, not a search from every position)."""
    word = r"\w" if "w" in chars else ""
    return re.compile(f"(?s:.*)[^{word}{re.escape(chars.replace('w', ''))}]")


_span = tuple.__new__  # Span(...) without the Python-level __new__ a named tuple has: a span per finding, on a hot path

_ASCII_FLAG = int(re.ASCII)

# up to the last non-word character: a word starts after it (Unicode, ASCII)
_WORD_START = (re.compile(r"(?s:.*)\W"), re.compile(r"(?s:.*)\W", re.ASCII))


def _key_word_matches(
    row: _Compiled,
    regex: re.Pattern[str],
    text: str,
    pos: int,
    endpos: int,
    starts: Sequence[tuple[int, int]] | None = None,
) -> Iterator[re.Match[str]]:
    """The matches ``finditer`` would give if the regex began with a word boundary and the row's ``word_prefix``: those
    whose key word's whole word, from a start at or after where the search resumed, is that prefix then the key
    word. A match rejected gives way to one further on, even inside it. ``starts``: where the row's anchor literals
    occur (sorted), when every match starts at one of them."""
    assert row.word_prefix is not None
    ascii_mode = bool(regex.flags & _ASCII_FLAG)  # an int: RegexFlag's & is Python code
    prefix, word_start = row.word_prefix[ascii_mode], _WORD_START[ascii_mode]
    floor = pos  # where the search resumed: the finditer matches before it were consumed
    while (match := _search(regex, text, pos, endpos, starts)) is not None:
        at = match.start()
        left = word_start.match(text, floor - 1 if floor else 0, at)  # a character before floor: is it a word's?
        start = left.end() if left is not None else 0
        if (left is not None or floor == 0) and prefix.fullmatch(text, start, at):
            yield match
            pos = floor = match.end()
        else:
            pos = at + 1


def _search(
    regex: re.Pattern[str], text: str, pos: int, endpos: int, starts: Sequence[tuple[int, int]] | None
) -> re.Match[str] | None:
    """``regex.search(text, pos, endpos)``; with ``starts`` (every position a match can start at, sorted), the regex
    is tried there only: the first that matches is where the search would have found it."""
    if starts is None:
        return regex.search(text, pos, endpos)
    for index in range(bisect_left(starts, pos, key=_first), len(starts)):  # by index: islice would walk from 0
        at = starts[index][0]
        if at >= endpos:
            break
        if (match := regex.match(text, at, endpos)) is not None:
            return match
    return None


_first = itemgetter(0)


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
            name: (
                re.compile(a.regex) if a.regex else _caseless(a.literals),
                _ascii(a.regex, 0),
                a,
                class_letters(a.regex) if a.regex else None,
            )
            for name, a in ANCHORS.items()
        }
        self.gate = Gate.build([row.pattern for row in self.rows], ANCHORS) if gate else None

    def detect(self, text: str) -> list[Span]:
        scan = self.gate.scan(text) if self.gate is not None else None
        rows = enumerate(self.rows) if scan is None else compress(enumerate(self.rows), scan.admitted)
        found = scan.anchors if scan is not None else {}
        located = scan.windows if scan is not None else {}  # rows the gate located: where they run
        lower = text.lower() if scan is None else None  # with the gate, seldom needed: made where it is
        spans: list[Span] = []
        windows: dict[str, list[tuple[int, int, int]]] = {}
        whole = [(0, len(text), len(text))]
        ascii_only = _ascii_only(text)
        for index, row in rows:
            if (
                lower is not None  # no gate: it checks more than the prefilter
                and row.prefilter
                and not any(literal in (lower if row.prefilter_lower else text) for literal in row.prefilter)
            ):
                continue
            name = row.pattern.anchor
            regex = row.ascii_regex if ascii_only else row.regex
            where = located.get(index)
            if where is None:
                if name and name not in windows:
                    windows[name] = self._windows(name, text, lower, ascii_only, found.get(name))
                where = windows[name] if name else whole
            # the gate's literal positions are positions in ``text`` too for an ASCII text
            starts = found.get(name) if row.at_anchor and ascii_only else None
            _matches(row, regex, text, where, spans, starts)
        return spans

    def _windows(
        self, name: str, text: str, lower: str | None, ascii_only: bool, found: Sequence[tuple[int, int]] | None
    ) -> list[tuple[int, int, int]]:
        """Merged windows around the anchor's matches (``found`` by the gate, or found here), each with the length
        of its longest match. ``lower``: the lower-cased text, if already made."""
        # for an anchor of literals, ``unicode_regex`` finds them ignoring case (see ``__init__``)
        unicode_regex, ascii_regex, anchor, letters = self.anchors[name]
        if found is None:
            haystack = (lower if lower is not None else text.lower()) if anchor.lower else text
            if anchor.literals and anchor.lower and not text.isascii():
                # lower-casing may change lengths beyond ASCII ("İ" becomes two characters): find the literals
                # ignoring case in the text itself, so positions are the text's
                found = [m.span(1) for m in unicode_regex.finditer(text)]
            elif anchor.literals:
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


def _caseless(literals: Iterable[str]) -> re.Pattern[str]:
    """Every occurrence of any of ``literals`` ignoring case, overlapping ones too (group 1: the literal)."""
    return re.compile("(?=(" + "|".join(re.escape(literal) for literal in literals) + "))", re.IGNORECASE)


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
    windows: Iterable[tuple[int, int, int]],
    out: list[Span],
    starts: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Appends to ``out`` the row's validated findings in each window ``text[pos:endpos]`` whose longest anchor
    match is long enough. ``starts``: where the anchor's literals are, for a row whose matches start there."""
    p = row.pattern
    group, barred, word, extend_left = p.group, row.not_after, row.word_not_after, row.extend_left
    validate = row.validate if row.validates else None
    entity_type, name, min_run = p.entity_type, p.name, p.min_run
    for pos, endpos, anchor_run in windows:
        if anchor_run < min_run:
            continue
        matches = (
            regex.finditer(text, pos, endpos)
            if row.word_prefix is None
            else _key_word_matches(row, regex, text, pos, endpos, starts)
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
            if row.context:
                # the characters before the finding, lower-cased (not a slice of the lower-cased text: beyond
                # ASCII, lower-casing may change lengths, so positions there are not the text's)
                before = text[max(0, start - CONTEXT_WINDOW) : start].lower()
                if not any(w in before for w in row.context):
                    score *= NO_CONTEXT_FACTOR
            out.append(_span(Span, (entity_type, start, end, score, name)))


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
