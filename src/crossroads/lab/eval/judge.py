"""Model as judge: rubric scores with reasons, and pairwise verdicts asked in both orders.

Rubric: the judge sees the question, the reference (if any), one answer and the rubric, and replies
``{"score": 1-5, "reason": "..."}`` (a JSON schema is requested; free text with ``score: N`` is
accepted too). The score is stored as ``(score - 1) / 4`` in [0, 1] under the metric ``judge``.

Pairwise (position swap): for answers X and Y the judge is asked twice, once with X shown as
"A" and once with Y shown as "A". A verdict counts only when both orders name the same winner (or
both say tie); otherwise it is *inconsistent* (a sign of position bias) and counted as a tie. The
inconsistency rate is reported with the win rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crossroads.lab.eval.assertions import parse_json_answer
from crossroads.lab.eval.caller import Caller

DEFAULT_RUBRIC = (
    "Is the answer correct, complete and to the point? 5 = fully correct and concise, 1 = wrong or off-topic."
)
JUDGE_PARAMS: dict[str, Any] = {"temperature": 0, "max_tokens": 200}


def _object(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    properties = {name: spec, "reason": {"type": "string"}}
    return {"type": "object", "properties": properties, "required": [name, "reason"]}


_SCORE = _object("score", {"type": "integer", "enum": [1, 2, 3, 4, 5]})
_VERDICT = _object("winner", {"type": "string", "enum": ["A", "B", "tie"]})


def _format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


@dataclass(frozen=True, slots=True)
class Grade:
    score: float | None  # in [0, 1]
    reason: str


def _question(messages: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages)


def rubric_prompt(
    messages: list[dict[str, Any]], reference: str | None, answer: str, rubric: str
) -> list[dict[str, Any]]:
    ref = f"\n\nReference answer:\n{reference}" if reference else ""
    user = (
        f"Conversation:\n{_question(messages)}{ref}\n\nAnswer to grade:\n{answer}\n\nRubric: {rubric}\n\n"
        'Reply with JSON only: {"score": <1-5>, "reason": "<one sentence>"}'
    )
    return [
        {"role": "system", "content": "You are a strict, fair grader of answers."},
        {"role": "user", "content": user},
    ]


def pairwise_prompt(
    messages: list[dict[str, Any]], reference: str | None, first: str, second: str
) -> list[dict[str, Any]]:
    ref = f"\n\nReference answer:\n{reference}" if reference else ""
    user = (
        f"Conversation:\n{_question(messages)}{ref}\n\nAnswer A:\n{first}\n\nAnswer B:\n{second}\n\n"
        "Which answer is better? Ignore the order in which they are shown. "
        'Reply with JSON only: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}'
    )
    return [
        {"role": "system", "content": "You are a strict, fair judge of answers."},
        {"role": "user", "content": user},
    ]


def parse_grade(text: str) -> Grade:
    try:
        data = parse_json_answer(text)
        score = int(data["score"])
    except (ValueError, KeyError, TypeError):
        match = re.search(r"score\W{0,3}([1-5])", text, re.IGNORECASE)
        if match is None:
            return Grade(None, f"judge reply not understood: {text[:120]!r}")
        return Grade((int(match.group(1)) - 1) / 4, text.strip()[:300])
    if not 1 <= score <= 5:
        return Grade(None, f"judge score {score} is outside 1..5")
    return Grade((score - 1) / 4, str(data.get("reason", "")))


def parse_verdict(text: str) -> str | None:
    """'A', 'B', 'tie' or None when the reply says none of them."""
    try:
        winner = str(parse_json_answer(text)["winner"]).strip()
    except (ValueError, KeyError, TypeError):
        match = re.search(r"winner\W{0,4}(A|B|tie)\b", text, re.IGNORECASE)
        winner = match.group(1) if match else ""
    low = winner.lower()
    return {"a": "A", "b": "B", "tie": "tie"}.get(low)


class Judge:
    def __init__(self, caller: Caller, model: str, rubric: str = DEFAULT_RUBRIC) -> None:
        self.caller, self.model, self.rubric = caller, model, rubric

    async def grade(self, messages: list[dict[str, Any]], reference: str | None, answer: str) -> Grade:
        params = {**JUDGE_PARAMS, "response_format": _format("grade", _SCORE)}
        reply = await self.caller.ask(self.model, rubric_prompt(messages, reference, answer, self.rubric), params)
        if reply.error is not None:
            return Grade(None, f"judge failed: {reply.error}")
        return parse_grade(reply.text or "")

    async def verdict(
        self, messages: list[dict[str, Any]], reference: str | None, first: str, second: str
    ) -> str | None:
        params = {**JUDGE_PARAMS, "response_format": _format("verdict", _VERDICT)}
        reply = await self.caller.ask(self.model, pairwise_prompt(messages, reference, first, second), params)
        return None if reply.error is not None else parse_verdict(reply.text or "")

    async def compare(self, messages: list[dict[str, Any]], reference: str | None, x: str, y: str) -> tuple[int, bool]:
        """(+1 X better, -1 Y better, 0 tie or undecided; consistent across both orders)."""
        forward = await self.verdict(messages, reference, x, y)
        backward = await self.verdict(messages, reference, y, x)
        return combine(forward, backward)


def combine(forward: str | None, backward: str | None) -> tuple[int, bool]:
    """Verdicts of (X as A, Y as B) and (Y as A, X as B) -> (outcome for X, consistent)."""
    as_x = {"A": 1, "B": -1, "tie": 0}
    first = as_x.get(forward or "")
    second = {"A": -1, "B": 1, "tie": 0}.get(backward or "")
    if first is None or second is None or first != second:
        return 0, False
    return first, True
