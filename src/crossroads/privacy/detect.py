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


class Detector(Protocol):
    name: str

    def detect(self, text: str) -> list[Span]: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    pattern: Pattern
    regex: re.Pattern[str]
    validate: Validator
    context: tuple[str, ...] = ()
    not_after: frozenset[str] | None = None
    word_not_after: bool = False
    extend_left: re.Pattern[str] | None = None


def compile_pattern(pattern: Pattern, context: Iterable[str] = ()) -> _Compiled:
    return _Compiled(
        pattern,
        re.compile(pattern.regex, pattern.flags),
        VALIDATORS[pattern.validator],
        tuple(w.lower() for w in context),
        frozenset(pattern.not_after.replace("w", "")) if pattern.not_after else None,
        "w" in pattern.not_after,
        _left_regex(pattern.extend_left) if pattern.extend_left else None,
    )


def _left_regex(chars: str) -> re.Pattern[str]:
    """Up to ``MAX_LEFT`` of ``chars`` ("w" = word characters) ending where the match starts."""
    word = r"\w" if "w" in chars else ""
    return re.compile(f"[{word}{re.escape(chars.replace('w', ''))}]{{1,{MAX_LEFT}}}\\Z")


def _is_in(char: str, chars: frozenset[str] | None, word: bool) -> bool:
    return (chars is not None and char in chars) or (word and (char.isalnum() or char == "_"))


def _left_edge(row: _Compiled, text: str, start: int) -> int:
    """Where the finding starts: extended left over ``extend_left``; -1 when the character before is barred."""
    if row.extend_left is not None:
        left = row.extend_left.search(text, max(0, start - MAX_LEFT), start)
        if left is None:
            return -1
        start = left.start()
    if start > 0 and _is_in(text[start - 1], row.not_after, row.word_not_after):
        return -1
    return start


class RegexDetector:
    """Runs a table of patterns; a candidate counts only if its validator accepts it."""

    name = "regex"

    def __init__(self, patterns: Iterable[Pattern | _Compiled]) -> None:
        self.rows = [p if isinstance(p, _Compiled) else compile_pattern(p) for p in patterns]
        self.anchors = {name: (re.compile(a.regex), a) for name, a in ANCHORS.items()}

    def detect(self, text: str) -> list[Span]:
        lower = text.lower()
        spans: list[Span] = []
        windows: dict[str, list[tuple[int, int]]] = {}
        for row in self.rows:
            name = row.pattern.anchor
            if name and name not in windows:
                windows[name] = self._windows(name, text, lower)
            for start, end in windows[name] if name else [(0, len(text))]:
                spans.extend(_matches(row, text, lower, start, end))
        return spans

    def _windows(self, name: str, text: str, lower: str) -> list[tuple[int, int]]:
        regex, anchor = self.anchors[name]
        merged: list[tuple[int, int]] = []
        for match in regex.finditer(lower if anchor.lower else text):
            start, end = max(0, match.start() - anchor.left), min(len(text), match.end() + anchor.right)
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged


def _matches(row: _Compiled, text: str, lower: str, pos: int, endpos: int) -> Iterable[Span]:
    p = row.pattern
    for match in row.regex.finditer(text, pos, endpos):
        start, end = match.span(p.group)
        if start >= 0 and (row.not_after is not None or row.extend_left is not None):
            start = _left_edge(row, text, start)
        if start < 0 or not row.validate(text[start:end]):
            continue
        score = p.score
        if row.context and not any(w in lower[max(0, start - CONTEXT_WINDOW) : start] for w in row.context):
            score *= NO_CONTEXT_FACTOR
        yield Span(p.entity_type, start, end, score, p.name)


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
