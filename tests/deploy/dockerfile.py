"""A small Dockerfile reader: stages, build arguments, environment and instructions, for the recipe tests."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Instruction:
    keyword: str  # RUN, COPY, ENV, …
    text: str  # the rest of the line, continuations joined
    flags: list[str] = field(default_factory=list)  # --mount=…, --from=…


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def args(self) -> dict[str, str]:
        """ARG defaults of this stage."""
        pairs = (i.text.partition("=") for i in self.all("ARG"))
        return {name: default for name, _, default in pairs}

    def env(self) -> dict[str, str]:
        """ENV of this stage, in order (KEY=VALUE pairs, shell-quoted values)."""
        out: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.text):
                key, _, value = pair.partition("=")
                out[key] = value
        return out


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def _flags(rest: str) -> tuple[list[str], str]:
    flags = []
    while match := re.match(r"(--\S+)\s+", rest):
        flags.append(match.group(1))
        rest = rest[match.end() :]
    return flags, rest


def parse(path: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults (before the first FROM) and the stages."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            base, _, name = rest.partition(" AS ")
            stages.append(Stage(name.strip(), base.strip()))
        elif not stages:
            name, _, default = rest.partition("=")
            global_args[name] = default
        else:
            flags, rest = _flags(rest)
            stages[-1].instructions.append(Instruction(keyword, rest, flags))
    return global_args, stages


def stage(name: str) -> Stage:
    return next(s for s in parse()[1] if s.name == name)
