"""The gate: one Hyperscan scan of a text tells which detector rows can match it, so most rows never run.

The scan reads the text one byte per character (each character beyond ASCII as the byte 0x80) and each row as a
*widened* copy of its regex (``regex_bytes``: from Python's own parse of it, so Python-only syntax means what
Python means). Wherever a row matches, in the whole text or in a window of it, its widened copy matches the same
characters, so a row the scan does not report cannot match. Rows that cannot be translated or compiled always
run. ASCII texts get a database without 0x80 (faster) that also finds the anchors' literals.

Rows on a ``located`` anchor whose matches have a bounded length are scanned for every match end, not just once:
such a row runs only in windows ``[end - longest match, end + look-ahead reach]`` around the ends, instead of
around the anchor's matches. Every match Python's regex finds in the whole text ends at a reported end, so it lies
in one window, whole, with what its look-aheads read; a match in a window is one in the whole text (see
``located_windows``). Where it is safe, a final negative look-ahead is scanned as a test of the next character
(``terminated``): a run of hex digits and colons then reports one end, not one per character.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crossroads.privacy.detect.patterns import Anchor, Pattern
from crossroads.privacy.detect.regex_bytes import extent, gate_bytes, terminated, widened


class GateScan:
    """What one scan found: the rows that may match and, for an ASCII text, the anchors' literals."""

    __slots__ = ("admitted", "anchors", "ends", "limit", "literals", "windows")

    def __init__(self, admitted: bytearray, limit: int) -> None:
        self.admitted = admitted  # per row, 1 if it may match
        self.limit = limit  # more match ends of located rows than this: the scan stops (the text runs ungated)
        self.literals: list[tuple[int, int]] = []  # (expression id, end) of each literal found
        self.anchors: Mapping[str, Sequence[tuple[int, int]]] = {}  # anchor → where its literals are, sorted
        self.ends: list[tuple[int, int]] = []  # (expression id, end) of each match of a located row
        self.windows: dict[int, list[tuple[int, int, int]]] = {}  # located row → where it runs


class _Database:
    """Compiled expressions (each id a row, or a literal past the rows) and per thread the scratch a scan needs."""

    def __init__(self, hyperscan: Any, expressions: dict[int, tuple[bytes, int]], rows: int) -> None:
        self.hyperscan = hyperscan
        self.database = _compile(hyperscan, expressions)
        if self.database is None:  # one does not compile: find it, and compile the others
            expressions = {i: e for i, e in expressions.items() if _compile(hyperscan, {i: e}) is not None}
            self.database = _compile(hyperscan, expressions)
        self.ids = set(expressions) if self.database is not None else set()
        self.ungated = bytearray(int(i not in self.ids and rows + i not in self.ids) for i in range(rows))
        self._local = threading.local()
        self._on_match = _match_handler(rows)

    def scan(self, data: bytes) -> GateScan:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self.hyperscan.Scratch(self.database)
        found = GateScan(self.ungated.copy(), len(data) // ENDS_PER_CHARACTER + MIN_ENDS)
        self.database.scan(data, match_event_handler=self._on_match, context=found, scratch=scratch)
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


# A text whose located rows report more match ends than one per ENDS_PER_CHARACTER characters (and MIN_ENDS) is
# not gated: a megabyte of spaced digit groups would report most of its digits, and the ungated path (anchor
# windows) is faster there. Prompts report about one per hundred characters.
ENDS_PER_CHARACTER = 24
MIN_ENDS = 256


def _match_handler(rows: int) -> Callable[[int, int, int, int, GateScan], bool]:
    """What a scan calls for each match: ids below ``rows`` are rows, then located rows (``rows`` + the row), then
    literals."""
    located = 2 * rows

    def on_match(id: int, start: int, end: int, flags: int, found: GateScan) -> bool:
        if id < rows:
            found.admitted[id] = 1
        elif id < located:
            ends = found.ends
            ends.append((id, end))
            return len(ends) > found.limit  # true: stop the scan (a text made of long number runs runs ungated)
        else:
            found.literals.append((id, end))
        return False

    return on_match


class Gate:
    """One Hyperscan scan admits the rows that can match a text (the others are skipped), tells located rows where
    their matches can end (``located_windows``) and finds the anchors' literals in an ASCII text."""

    def __init__(self, hyperscan: Any, rows: Sequence[Pattern], anchors: dict[str, Anchor]) -> None:
        once = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH
        ascii_texts: dict[int, tuple[bytes, int]] = {}
        any_texts: dict[int, tuple[bytes, int]] = {}
        self.rows = len(rows)
        # per row, for a located one: its longest match and look-ahead reach
        self.extents: list[tuple[int, int] | None] = [None] * len(rows)
        for index, pattern in enumerate(rows):
            try:
                (for_any, for_ascii), located = _scanned(pattern, anchors.get(pattern.anchor))
            except Exception:  # any syntax the translation does not know: the row always runs
                continue
            # a located row reports every match end (id: rows + the row), another its first match only
            id, flags = (len(rows) + index, hyperscan.HS_FLAG_PREFILTER) if located else (index, once)
            any_texts[id], ascii_texts[id] = (for_any, flags), (for_ascii, flags)
            self.extents[index] = located
        self.literals: dict[int, tuple[str, int]] = {}  # expression id → (anchor, literal length)
        for name, anchor in anchors.items():
            for literal in anchor.literals:
                if anchor.lower and literal != literal.lower():
                    continue  # never in the lower-cased text
                self.literals[2 * len(rows) + len(self.literals)] = (name, len(literal))
                flags = hyperscan.HS_FLAG_CASELESS if anchor.lower else 0  # ASCII: caseless = in lower-cased
                ascii_texts[2 * len(rows) + len(self.literals) - 1] = (_literal(literal), flags)
        self.error: type[Exception] = hyperscan.error
        self.ascii = _Database(hyperscan, ascii_texts, len(rows))
        self.any = _Database(hyperscan, any_texts, len(rows))
        missing = {self.literals[i][0] for i in self.literals if i not in self.ascii.ids}
        self.anchors = {name for name, a in anchors.items() if a.literals and name not in missing}
        self._no_literals: dict[str, Sequence[tuple[int, int]]] = {name: () for name in self.anchors}

    @classmethod
    def build(cls, rows: Sequence[Pattern], anchors: dict[str, Anchor]) -> Gate | None:
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
        if found.ends:
            found.windows = self.located_windows(found, len(data))
        if ascii_text:
            if not found.literals:  # none of the anchors' literals occurs: the same answer every time
                found.anchors = self._no_literals
                return found
            anchors: dict[str, list[tuple[int, int]]] = {name: [] for name in self.anchors}
            for id, end in found.literals:
                name, length = self.literals[id]
                anchors[name].append((end - length, end))
            for occurrences in anchors.values():
                occurrences.sort()
            found.anchors = anchors
        return found

    def located_windows(self, found: GateScan, size: int) -> dict[int, list[tuple[int, int, int]]]:
        """Per located row with a match end, where it runs: ``[end - longest, end + reach]`` around each end,
        merged where they overlap (the third member, the text's length, passes any ``min_run``).

        A match the row finds in the whole text ends at a reported end (the widened copy matches its characters):
        it lies whole in that end's window, with what its look-aheads read. In a window, the row finds the matches
        it finds there in the whole text: no match in the whole text starts before a window and ends inside it
        (its own window would overlap this one, and be merged into it); a match found in a window that would
        continue past the window's end in the whole text would end at a reported end further on, whose window
        would have been merged in; and what a match reads stays inside the window."""
        windows: dict[int, list[tuple[int, int, int]]] = {}
        admitted, extents, rows = found.admitted, self.extents, self.rows
        found.ends.sort()
        current = -1
        merged: list[tuple[int, int, int]] = []
        begin = stop = longest = reach = 0
        for id, end in found.ends:
            start = end - longest if end > longest else 0
            if id == current and start <= stop:  # overlaps or touches the window being merged into
                stop = end + reach if end + reach < size else size
                continue
            if current >= 0:
                merged.append((begin, stop, size))
            if id != current:
                current = id
                row = id - rows
                admitted[row] = 1
                bounds = extents[row]
                assert bounds is not None  # only located rows report ends
                longest, reach = bounds
                merged = windows[row] = []
                start = end - longest if end > longest else 0
            begin, stop = start, end + reach if end + reach < size else size
        if current >= 0:
            merged.append((begin, stop, size))
        return windows


def _scanned(pattern: Pattern, anchor: Anchor | None) -> tuple[tuple[bytes, bytes], tuple[int, int] | None]:
    """What the gate scans for a row (in any text, in an ASCII text) and, for a located row, its longest match and
    look-ahead reach, counted from a reported end."""
    located = extent(pattern.regex, pattern.flags) if anchor is not None and anchor.located else None
    if located is not None:
        ends = terminated(pattern.regex, pattern.flags), terminated(pattern.regex, pattern.flags, beyond=False)
        if ends[0] is not None and ends[1] is not None:  # a match ends a character before a reported end
            return (ends[0], ends[1]), (located[0] + 1, located[1])
    return (widened(pattern.regex, pattern.flags), widened(pattern.regex, pattern.flags, beyond=False)), located


def _literal(text: str) -> bytes:
    """A Hyperscan expression for ``text`` as it is (ASCII; empty: fails to compile, so never trusted)."""
    return "".join(f"\\x{b:02x}" for b in text.encode()).encode()
