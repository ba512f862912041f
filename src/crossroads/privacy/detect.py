"""Fast detectors: compiled regexes with validators (the built-in table and user-defined ones) and deny-lists.

Every detector has ``name`` and ``detect(text) -> list[Span]``; a ``Scanner`` runs a list of them and
resolves overlaps. These run in microseconds on a prompt, so they run on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from crossroads.privacy.patterns import ANCHORS, Pattern
from crossroads.privacy.spans import Span, resolve
from crossroads.privacy.validators import VALIDATORS, Validator

CONTEXT_WINDOW = 60  # characters before a match searched for a context word
MAX_LEFT = 64  # characters a finding may extend left of its match (an email's local part)
NO_CONTEXT_FACTOR = 0.5  # a match with context words configured but none nearby keeps half its score
# ASCII characters Unicode ``\s`` matches but ASCII ``\s`` does not: a text without them (and without
# non-ASCII characters) matches alike under re.ASCII, which is faster (no Unicode tables for \d, \w, \s)
_UNICODE_ONLY_SPACE = "\x1c\x1d\x1e\x1f"


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
    not_after: frozenset[str] | None = None
    word_not_after: bool = False
    extend_left: re.Pattern[str] | None = None
    prefilter: tuple[str, ...] = ()  # the row runs only if one of these occurs in the text
    prefilter_lower: bool = False  # look for the prefilter in the lower-cased text
    validates: bool = True  # False when the validator accepts everything


def compile_pattern(pattern: Pattern, context: Iterable[str] = ()) -> _Compiled:
    return _Compiled(
        pattern,
        re.compile(pattern.regex, pattern.flags),
        _ascii(pattern.regex, pattern.flags),
        VALIDATORS[pattern.validator],
        tuple(w.lower() for w in context),
        frozenset(pattern.not_after.replace("w", "")) if pattern.not_after else None,
        "w" in pattern.not_after,
        _left_regex(pattern.extend_left) if pattern.extend_left else None,
        pattern.prefilter,
        bool(pattern.flags & re.I),
        pattern.validator != "none",
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


def _is_in(char: str, chars: frozenset[str] | None, word: bool) -> bool:
    return (chars is not None and char in chars) or (word and (char.isalnum() or char == "_"))


def _left_edge(row: _Compiled, text: str, start: int) -> int:
    """Where the finding starts: extended left over ``extend_left``; -1 when the character before is barred."""
    if row.extend_left is not None:
        floor = max(0, start - MAX_LEFT)
        barrier = row.extend_left.match(text, floor, start)
        left = barrier.end() if barrier is not None else floor
        if left == start:
            return -1
        start = left
    if start > 0 and _is_in(text[start - 1], row.not_after, row.word_not_after):
        return -1
    return start


class RegexDetector:
    """Runs a table of patterns; a candidate counts only if its validator accepts it."""

    name = "regex"

    def __init__(self, patterns: Iterable[Pattern | _Compiled]) -> None:
        self.rows = [p if isinstance(p, _Compiled) else compile_pattern(p) for p in patterns]
        self.anchors = {name: (re.compile(a.regex), _ascii(a.regex, 0), a) for name, a in ANCHORS.items()}

    def detect(self, text: str) -> list[Span]:
        lower = text.lower()
        spans: list[Span] = []
        windows: dict[str, list[tuple[int, int, int]]] = {}
        whole = [(0, len(text), len(text))]
        ascii_only = _ascii_only(text)
        for row in self.rows:
            if row.prefilter and not any(
                literal in (lower if row.prefilter_lower else text) for literal in row.prefilter
            ):
                continue
            name = row.pattern.anchor
            if name and name not in windows:
                windows[name] = self._windows(name, text, lower, ascii_only)
            min_run, regex = row.pattern.min_run, row.ascii_regex if ascii_only else row.regex
            for start, end, longest in windows[name] if name else whole:
                if longest >= min_run:
                    _matches(row, regex, text, lower, start, end, spans)
        return spans

    def _windows(self, name: str, text: str, lower: str, ascii_only: bool) -> list[tuple[int, int, int]]:
        """Merged windows around the anchor's matches, each with the length of its longest match."""
        unicode_regex, ascii_regex, anchor = self.anchors[name]
        haystack = lower if anchor.lower else text
        if anchor.literals:
            found = sorted(_occurrences(haystack, anchor.literals))
        else:
            found = [m.span() for m in (ascii_regex if ascii_only else unicode_regex).finditer(haystack)]
        merged: list[tuple[int, int, int]] = []
        for first, until in found:
            start, end = max(0, first - anchor.left), min(len(text), until + anchor.right)
            if merged and start <= merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(end, last[1]), max(until - first, last[2]))
            else:
                merged.append((start, end, until - first))
        return merged


def _occurrences(text: str, literals: Iterable[str]) -> Iterable[tuple[int, int]]:
    for literal in literals:
        at = text.find(literal)
        while at >= 0:
            yield at, at + len(literal)
            at = text.find(literal, at + 1)


def _matches(
    row: _Compiled, regex: re.Pattern[str], text: str, lower: str, pos: int, endpos: int, out: list[Span]
) -> None:
    """Appends to ``out`` the row's validated findings in ``text[pos:endpos]``."""
    p = row.pattern
    checks_left = row.not_after is not None or row.extend_left is not None
    for match in regex.finditer(text, pos, endpos):
        start, end = match.span(p.group)
        if start >= 0 and checks_left:
            start = _left_edge(row, text, start)
        if start < 0 or (row.validates and not row.validate(text[start:end])):
            continue
        score = p.score
        if row.context and not any(w in lower[max(0, start - CONTEXT_WINDOW) : start] for w in row.context):
            score *= NO_CONTEXT_FACTOR
        out.append(Span(p.entity_type, start, end, score, p.name))


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
