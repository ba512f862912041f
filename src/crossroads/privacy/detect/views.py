"""What the detectors read for a list of texts, and how their findings map back onto those texts.

Each text is read as ``normalize`` leaves it (escapes decoded, invisible characters dropped, look-alikes
folded); findings move back onto the original characters. Two more kinds of view:

- a word that is base64 of readable text (``am9obkBleGFtcGxlLmNvbQ==``) is decoded and read; a finding in it
  makes the whole word a finding of that type;
- where neighbouring message texts meet, the end of one and the start of the next are read together (joined
  as they are and with a space), so a value split across two messages is found — each part becomes a finding.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from crossroads.privacy.detect.normalize import Normalized, normalize
from crossroads.privacy.spans import Span, resolve

EDGE = 64  # characters either side of a meeting point read together
_BASE64_WORD = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
Scan = Callable[[list[str]], Awaitable[list[list[Span]]]]  # texts -> findings per text
Mapper = Callable[[list[Span]], list[tuple[int, Span]]]  # a view's findings -> (text index, finding)


@dataclass(frozen=True, slots=True)
class View:
    text: str
    back: Mapper
    whole: bool  # the text itself (read by every detector); else an extra view (structured detectors only)


def views(texts: Sequence[str], prose: Sequence[bool]) -> list[View]:
    found: list[View] = []
    for i, text in enumerate(texts):
        norm = normalize(text)
        if norm is None:
            found.append(View(text, _on(i), True))
        else:
            found.append(View(norm.text, _moved(i, norm), True))
        if len(text) >= 16:
            found += _base64_words(i, text)
    for a, b in zip(range(len(texts)), range(1, len(texts)), strict=False):
        if prose[a] and prose[b] and texts[a].strip() and texts[b].strip():
            found += _meeting(a, texts[a], b, texts[b])
    return found


async def read_views(texts: Sequence[str], prose: Sequence[bool], scan_all: Scan, scan_extra: Scan) -> list[list[Span]]:
    """Findings per text, over every view of it; overlapping findings resolved."""
    all_views = views(texts, prose)
    whole = [v for v in all_views if v.whole]
    extra = [v for v in all_views if not v.whole]
    per_text: list[list[Span]] = [[] for _ in texts]
    for view_list, scan in ((whole, scan_all), (extra, scan_extra)):
        if not view_list:
            continue
        for view, spans in zip(view_list, await scan([v.text for v in view_list]), strict=True):
            for i, span in view.back(spans) if spans else ():
                per_text[i].append(span)
    return [resolve(spans) if len(spans) > 1 else spans for spans in per_text]


def _moved(i: int, norm: Normalized) -> Mapper:
    return lambda spans: [(i, s) for s in norm.original(spans)]


def _whole_word(i: int, start: int, end: int) -> Mapper:
    return lambda spans: [(i, spans[0]._replace(start=start, end=end))]


def _on(i: int) -> Mapper:
    return lambda spans: [(i, s) for s in spans]


def _base64_words(i: int, text: str) -> list[View]:
    found = []
    for match in _BASE64_WORD.finditer(text):
        decoded = _readable(match[0])
        if decoded is not None:
            found.append(View(decoded, _whole_word(i, *match.span()), False))
    return found


def _readable(word: str) -> str | None:
    if len(word) % 4 or word.isalpha() or word.isdigit():
        return None
    try:
        text = base64.b64decode(word, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if text.isprintable() else None


def _meeting(a: int, left: str, b: int, right: str) -> list[View]:
    tail, head = left[-EDGE:], right[:EDGE]
    base = len(left) - len(tail)
    return [View(tail + glue + head, _crossing(a, base, len(tail), len(glue), b), False) for glue in ("", " ")]


def _crossing(a: int, base: int, cut: int, glue: int, b: int) -> Mapper:
    """Findings that span the meeting point, as a part in each text (findings inside one text are its own)."""

    def back(spans: list[Span]) -> list[tuple[int, Span]]:
        out = []
        for span in spans:
            if span.start < cut and span.end > cut + glue:
                out.append((a, span._replace(start=base + span.start, end=base + cut)))
                out.append((b, span._replace(start=0, end=span.end - cut - glue)))
        return out

    return back


def windows(text: str, size: int, overlap: int = EDGE) -> list[tuple[int, str]]:
    """``text`` in pieces of at most ``size`` characters, cut at white space where there is some, each starting
    ``overlap`` characters before the previous one ended (a name on a cut is whole in one of them)."""
    if len(text) <= size:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = max(text.rfind(" ", start + size // 2, end), text.rfind("\n", start + size // 2, end))
            end = cut if cut > start else end
        out.append((start, text[start:end]))
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return out
