"""The plain value every detector returns, and how overlapping findings are resolved."""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any, NamedTuple


class Span(NamedTuple):
    """One finding: ``text[start:end]`` is an ``entity_type`` (Presidio's names, plus our secret types).
    A named tuple: a prompt yields dozens, and a tuple is the cheapest immutable value to make."""

    entity_type: str
    start: int
    end: int
    score: float
    detector: str

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def as_dict(self, text: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = self._asdict()
        if text is not None:
            data["text"] = text[self.start : self.end]
        return data


def resolve(spans: Iterable[Span], min_score: float = 0.0) -> list[Span]:
    """Non-overlapping spans in text order: the higher score wins an overlap, then the longer span, then the earlier.

    Spans are taken in that order of rank and each is kept unless it overlaps one kept before. Only spans that
    overlap, directly or through others, can affect each other: in text order, each run of overlapping spans is
    decided by rank on its own, and a span that overlaps nothing (most of them) is kept as it is."""
    ordered = [s for s in spans if s.score >= min_score and s.end > s.start]
    ordered.sort(key=_start)
    kept: list[Span] = []
    run: list[Span] = []  # overlapping spans, in text order, not decided yet
    reach = -1  # where the run ends
    for span in ordered:
        if span.start >= reach:  # overlaps nothing in the run: the run is complete
            if len(run) == 1:
                kept.append(run[0])
            elif run:
                kept.extend(_by_rank(run))
            run = [span]
            reach = span.end
        else:
            run.append(span)
            reach = span.end if span.end > reach else reach
    if len(run) == 1:
        kept.append(run[0])
    elif run:
        kept.extend(_by_rank(run))
    return kept


def _by_rank(run: list[Span]) -> list[Span]:
    """The spans of an overlapping run kept by rank, in text order."""
    kept: list[Span] = []
    for span in sorted(run, key=_rank):
        for k in kept:
            if span.start < k.end and k.start < span.end:
                break
        else:
            kept.append(span)
    kept.sort(key=_start)
    return kept


def _rank(span: Span) -> tuple[float, int, int]:
    return -span.score, span.start - span.end, span.start


_start = itemgetter(1)  # a span's start


def count_types(spans: Iterable[Span]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.entity_type] = counts.get(span.entity_type, 0) + 1
    return dict(sorted(counts.items()))
