"""The plain value every detector returns, and how overlapping findings are resolved."""

from __future__ import annotations

from collections.abc import Iterable
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
    """Non-overlapping spans in text order: the higher score wins an overlap, then the longer span."""
    ranked = sorted(
        (s for s in spans if s.score >= min_score and s.end > s.start),
        key=lambda s: (-s.score, s.start - s.end, s.start),
    )
    kept: list[Span] = []
    for span in ranked:
        for k in kept:
            if span.start < k.end and k.start < span.end:
                break
        else:
            kept.append(span)
    kept.sort(key=_start)
    return kept


def _start(span: Span) -> int:
    return span.start


def count_types(spans: Iterable[Span]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.entity_type] = counts.get(span.entity_type, 0) + 1
    return dict(sorted(counts.items()))
