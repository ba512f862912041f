"""A regression floor per genre: small labelled texts (template text, news, social posts, documents) shipped with the
tests, written for them. The figures that matter come from public test sets (benchmarks/privacy_accuracy.py);
these only keep what was reached from slipping back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer

DATA = Path(__file__).parent / "data" / "genres.txt"
_MARK = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]")
STRUCTURED = {"PHONE_NUMBER", "CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "DATE_OF_BIRTH", "STREET_ADDRESS"}


def parse(line: str) -> tuple[str, list[tuple[str, int, int]]]:
    """A line with ``[[TYPE:value]]`` marks as the plain text and its labelled spans (``\\n`` is a line break)."""
    line = line.replace("\\n", "\n")
    text, spans, at = "", [], 0
    for match in _MARK.finditer(line):
        text += line[at : match.start()]
        spans.append((match[1], len(text), len(text) + len(match[2])))
        text += match[2]
        at = match.end()
    return text + line[at:], spans


def genres() -> dict[str, list[tuple[str, list[tuple[str, int, int]]]]]:
    out: dict[str, list[tuple[str, list[tuple[str, int, int]]]]] = {}
    genre = ""
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("@"):
            genre = line[1:]
            continue
        out.setdefault(genre, []).append(parse(line))
    return out


def test_the_marks_parse() -> None:
    text, spans = parse("Call [[PERSON:Ann Lee]] on [[PHONE_NUMBER:0490 39 07 81]].\\nBye")
    assert text == "Call Ann Lee on 0490 39 07 81.\nBye"
    assert [(t, text[s:e]) for t, s, e in spans] == [("PERSON", "Ann Lee"), ("PHONE_NUMBER", "0490 39 07 81")]
    assert set(genres()) == {"template", "news", "social", "documents"}


@pytest.mark.parametrize("genre", ["template", "news", "social", "documents"])
def test_structured_values_are_all_found_and_nothing_else(genre: str) -> None:
    """Phones announced by context in many national shapes, 12–19-digit cards of every network, dates of birth,
    street addresses of several countries: every one found, with its type, and no structured finding elsewhere."""
    analyzer = Analyzer(PrivacyConfig())
    missed, extra = [], []
    for text, spans in genres()[genre]:
        gold = [(t, s, e) for t, s, e in spans if t in STRUCTURED]
        found = [f for f in analyzer.scan_fast(text) if f.entity_type in STRUCTURED]
        missed += [
            text[s:e] for t, s, e in gold if not any(f.entity_type == t and f.start < e and s < f.end for f in found)
        ]
        extra += [
            text[f.start : f.end]
            for f in found
            if not any(f.entity_type == t and f.start < e and s < f.end for t, s, e in gold)
        ]
    assert missed == []
    assert extra == []
