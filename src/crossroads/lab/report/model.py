"""The report as plain values: sections of blocks (text, bullets, tables, plots), rendered to HTML or Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crossroads.lab.report.consistency import Mismatch


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass(frozen=True)
class Plot:
    """A PNG image; ``name`` is its file name when written beside a Markdown report."""

    name: str
    title: str
    png: bytes
    alt: str


Block = Paragraph | Bullets | Table | Plot


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendation:
    verdict: str  # names the model and fleet, and what the quality evidence says about them
    reasons: list[str]
    caveats: list[str] = field(default_factory=list)  # what this does not know, each with how to close it
    mismatches: list[Mismatch] = field(default_factory=list)  # inputs that disagree (also among the caveats)
    summary: Table | None = None  # the five axes per option, above the verdict


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: str
    recommendation: Recommendation
    sections: list[Section]
    assumptions: list[tuple[str, str]]

    def plots(self) -> list[Plot]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Plot)]
