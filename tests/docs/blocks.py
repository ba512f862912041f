"""Fenced examples of the documentation, and how a transcript's expected output is matched.

A block is checked when its info string carries the word ``check`` after the language
(```` ```console check ````); renderers show only the language. Options follow as ``name=value``:
``config=PATH`` (the configuration a ``python``/``bash`` block's gateway serves), ``suite`` (a ``yaml`` or
``json`` block that is an eval suite, not a configuration), ``file=PATH`` (the block shows that file as it
is). A ``text output`` block right after a checked ``python`` block is what it prints, matched like a
transcript's output.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(`{3,})(\S*)(.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # styles a terminal shows
_EXIT = re.compile(r"\s+#\s*exits? (\d+)\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    options: dict[str, str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass
class Step:
    """One ``$ command`` of a transcript, the exit status it states and the output shown under it."""

    argv: list[str]
    exit_code: int = 0
    expected: list[str] = field(default_factory=list)


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page`` (fences of three or more backticks, closed by the same)."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        ticks, lang, rest = fence.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == ticks), len(lines))
        words = rest.split()
        options = dict(w.split("=", 1) if "=" in w else (w, "") for w in words)
        found.append(Block(page, i + 1, lang, options, "\n".join(lines[i + 1 : end])))
        i = end + 1
    return found


def checked(lang: str) -> list[Block]:
    return [b for page in PAGES for b in blocks(page) if b.lang == lang and "check" in b.options]


def output_of(block: Block) -> list[str] | None:
    """The lines of the ``text output`` block that follows ``block`` on its page, if one does."""
    found = blocks(block.page)
    after = next((b for b in found if b.line > block.line), None)
    if after is None or after.lang != "text" or "output" not in after.options:
        return None
    return after.text.splitlines()


def transcript(text: str) -> list[Step]:
    """``$ cmd`` lines (continued by a trailing backslash) and the output lines under each."""
    steps: list[Step] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            status = _EXIT.search(command)
            command = _EXIT.sub("", command)
            argv = shlex.split(command, comments=True)
            steps.append(Step(argv, int(status.group(1)) if status else 0))
        elif steps:
            steps[-1].expected.append(line)
        i += 1
    return steps


def _squeeze(line: str) -> str:
    return " ".join(line.split())


def _pattern(line: str) -> re.Pattern[str]:
    """An expected line as a pattern: ``…`` stands for anything, runs of blanks for any blanks."""
    parts = [re.escape(p) for p in _squeeze(line).split("…")]
    return re.compile("^" + ".*".join(parts) + "$")


def missing_lines(expected: list[str], actual: str) -> list[str]:
    """The expected lines not found, in order, among the actual ones (table borders are not compared)."""
    wanted = [e for e in expected if any(c.isalnum() for c in e)]
    got = [_squeeze(_ANSI.sub("", a)) for a in actual.splitlines()]
    missing, at = [], 0
    for line in wanted:
        pattern = _pattern(line)
        hit = next((k for k in range(at, len(got)) if pattern.match(got[k])), None)
        if hit is None:
            missing.append(line)
        else:
            at = hit + 1
    return missing
