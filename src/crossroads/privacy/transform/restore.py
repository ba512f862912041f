"""Restore: placeholders in an answer become the values they stand for — whole answers and streams.

In a stream a placeholder may arrive split across chunks. ``StreamRestorer`` holds back only the
shortest tail that could still be the start of a known placeholder (from its last ``<``), and emits
everything else at once: a chunk that cannot contain a placeholder passes with no delay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
Escape = Callable[[str], str]


def plain(value: str) -> str:
    return value


def json_string(value: str) -> str:
    """A value put back inside a JSON string (tool-call arguments): escaped as JSON."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def restore(text: str, reverse: Mapping[str, str], escape: Escape = plain) -> str:
    if "<" not in text or not reverse:
        return text
    return PLACEHOLDER.sub(lambda m: escape(reverse[m[0]]) if m[0] in reverse else m[0], text)


class StreamRestorer:
    """Feed the pieces of one text stream in order; each call returns what can be emitted now."""

    def __init__(self, reverse: Mapping[str, str], escape: Escape = plain) -> None:
        self.reverse = reverse
        self.escape = escape
        self.held = ""

    def feed(self, piece: str) -> str:
        text = self.held + piece
        cut = self._hold_from(text)
        self.held = text[cut:]
        return restore(text[:cut], self.reverse, self.escape)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return restore(text, self.reverse, self.escape)

    def _hold_from(self, text: str) -> int:
        start = text.rfind("<")
        if start < 0 or ">" in text[start:]:
            return len(text)
        tail = text[start:]
        if any(p.startswith(tail) for p in self.reverse):
            return start
        return len(text)
