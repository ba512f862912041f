"""Training examples: one prompt (chat messages) and the answer a hosted model gave to it.

Examples are de-duplicated by prompt (the oldest answer kept) and split by time: the oldest go to
train, then validation, the newest to test — a tuned model is judged on traffic it came before, as
it would be in production. Files are the OpenAI fine-tuning chat format, one ``{"messages": [...]}``
per line; the test split is also written as an eval suite (``crossroads eval run test.eval.jsonl``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True, slots=True)
class Example:
    at: float  # when the hosted model answered (unix seconds)
    messages: tuple[tuple[str, str], ...]  # (role, content) of the prompt
    answer: str
    model: str  # the public model name the client asked for
    teacher: str  # backend:upstream_model that answered
    source: str  # "content" (the encrypted content log) or "shadow"
    request_id: str = ""

    def prompt_key(self) -> str:
        text = json.dumps([list(m) for m in self.messages], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def chat(self) -> dict[str, Any]:
        """The OpenAI fine-tuning chat format."""
        turns = [{"role": r, "content": c} for r, c in self.messages]
        return {"messages": [*turns, {"role": "assistant", "content": self.answer}]}

    def eval_case(self, assertions: list[dict[str, Any]]) -> dict[str, Any]:
        """A case of a ``crossroads eval`` suite: the prompt, the hosted answer as the reference."""
        case: dict[str, Any] = {
            "id": self.request_id or self.prompt_key()[:12],
            "messages": self.chat()["messages"][:-1],
        }
        case["reference"] = self.answer
        if assertions:
            case["assert"] = assertions
        return case


@dataclass
class Split:
    train: list[Example] = field(default_factory=list)
    validation: list[Example] = field(default_factory=list)
    test: list[Example] = field(default_factory=list)

    def parts(self) -> dict[str, list[Example]]:
        return {"train": self.train, "validation": self.validation, "test": self.test}


def dedupe(examples: Iterable[Example]) -> tuple[list[Example], int]:
    """One example per prompt (the oldest answer), oldest first; and how many were dropped."""
    ordered = sorted(examples, key=lambda e: (e.at, e.request_id))
    seen: set[str] = set()
    kept = []
    for example in ordered:
        key = example.prompt_key()
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept, len(ordered) - len(kept)


def split_by_time(examples: Sequence[Example], validation: float, test: float) -> Split:
    """Oldest to train, then validation, newest to test (shares of the total, rounded; each share > 0 gets
    at least one example when there are enough to go round)."""
    ordered = sorted(examples, key=lambda e: (e.at, e.request_id))
    n = len(ordered)
    n_test = _share(n, test)
    n_val = max(0, min(_share(n, validation), n - n_test - 1))
    cut_val, cut_test = n - n_test - n_val, n - n_test
    return Split(ordered[:cut_val], ordered[cut_val:cut_test], ordered[cut_test:])


def _share(n: int, fraction: float) -> int:
    if fraction <= 0 or n < 3:
        return 0
    return min(n - 1, max(1, round(n * fraction)))


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_chat_jsonl(path: Path) -> list[list[dict[str, str]]]:
    """The conversations of a chat JSONL file; each must end with the assistant's answer."""
    conversations = []
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
            except (ValueError, KeyError, TypeError):
                raise ValueError(f'{path}:{number}: not a chat line — expected {{"messages": [...]}}') from None
            if not messages or messages[-1].get("role") != "assistant":
                raise ValueError(f"{path}:{number}: the last message must be the assistant's answer")
            conversations.append([{"role": str(m["role"]), "content": str(m["content"])} for m in messages])
    return conversations


@dataclass
class CollectResult:
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "files": {k: str(v) for k, v in self.files.items()},
            "counts": self.counts,
            "read": self.read,
            "skipped": dict(self.skipped),
            "duplicates": self.duplicates,
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
        }
