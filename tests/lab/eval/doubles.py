"""Test doubles for eval: backends whose answers are a function of the request, so rates are known."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body, Endpoint, Location
from crossroads.config import Settings, parse_settings
from crossroads.errors import CrossroadsError
from tests.support.doubles import NoLifecycle


@dataclass
class RuleBackend(NoLifecycle):
    """Answers ``rule(last user message)``; a rule may raise a CrossroadsError. Records every call."""

    name: str
    rule: Callable[[str], str]
    location: Location = "hosted"
    calls: list[Body] = field(default_factory=list)

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        self.calls.append(body)
        if endpoint is Endpoint.EMBEDDINGS:
            return {"data": [{"index": i, "embedding": _vector(t)} for i, t in enumerate(body["input"])], "usage": {}}
        prompt = body["messages"][-1]["content"] if endpoint is Endpoint.CHAT else body["prompt"]
        text = self.rule(prompt)
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if endpoint is Endpoint.COMPLETIONS:
            return {"choices": [{"index": 0, "text": text, "finish_reason": "stop"}], "usage": usage}
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}], "usage": usage}

    def stream(self, endpoint: Endpoint, body: Body) -> Any:
        raise NotImplementedError


def _vector(text: str) -> list[float]:
    """A bag-of-letters vector: equal texts have cosine 1."""
    return [float(text.lower().count(c)) for c in "abcdefghijklmnopqrstuvwxyz"]


def case_number(prompt: str) -> int:
    return int(re.search(r"case (\d+)", prompt).group(1))  # type: ignore[union-attr]


def says_yes_on(numbers: set[int]) -> Callable[[str], str]:
    return lambda prompt: "yes" if case_number(prompt) in numbers else "no"


def failing_on(numbers: set[int], error: CrossroadsError) -> Callable[[str], str]:
    def rule(prompt: str) -> str:
        if case_number(prompt) in numbers:
            raise error
        return "yes"

    return rule


def fair_judge(prompt: str) -> str:
    """Prefers the answer saying yes; grades yes 5 and anything else 1. Ignores the position."""
    if "Answer A:" in prompt:
        first = prompt.split("Answer A:\n", 1)[1].split("\n\nAnswer B:", 1)[0]
        second = prompt.split("Answer B:\n", 1)[1].split("\n\n", 1)[0]
        a, b = "yes" in first, "yes" in second
        return json.dumps({"winner": "tie" if a == b else ("A" if a else "B"), "reason": "yes beats no"})
    answer = prompt.split("Answer to grade:\n", 1)[1].split("\n\n", 1)[0]
    return json.dumps({"score": 5 if "yes" in answer else 1, "reason": "checked for yes"})


def biased_judge(prompt: str) -> str:
    """Always picks the first answer shown: pure position bias."""
    if "Answer A:" in prompt:
        return '{"winner": "A", "reason": "first is best"}'
    return '{"score": 3, "reason": "meh"}'


def settings_for(*names: str, local: tuple[str, ...] = ()) -> Settings:
    backends: dict[str, Any] = {}
    for n in names:
        backends[n] = {"type": "embedded"} if n in local else {"type": "openai_compat", "base_url": f"http://{n}/v1"}
    return parse_settings({"backends": backends, "models": {n: {"backend": n} for n in names}}, "test")


def suite_lines(n: int, assertion: dict[str, Any] | None = None, reference: str | None = None) -> str:
    rows = []
    for i in range(1, n + 1):
        row: dict[str, Any] = {"id": f"c{i}", "prompt": f"case {i}: say yes"}
        if assertion:
            row["assert"] = [assertion]
        if reference:
            row["reference"] = reference
        rows.append(json.dumps(row))
    return "\n".join(rows) + "\n"
