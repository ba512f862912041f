"""Cascade validators as data: each config ``type`` builds a check of an answer's text.

A check returns None when the answer passes, else a short reason. ``judge`` asks another model
(through the router, so the call's privacy pin holds) to score the answer from 0 to 10.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from crossroads import formats
from crossroads.backends.base import Endpoint
from crossroads.errors import InvalidRequest
from crossroads.routing.config import ValidatorConfig

Judge = Callable[[str, str], Awaitable[str]]  # (judge model, prompt) -> its reply text
Check = Callable[[str, str, Judge], Awaitable[str | None]]  # (question, answer, judge) -> reason or None

REFUSALS = (
    "i can't help",
    "i cannot help",
    "i can't assist",
    "i cannot assist",
    "i'm sorry, but",
    "i am sorry, but",
    "i'm unable to",
    "i am unable to",
    "as an ai",
)

JUDGE_PROMPT = (
    "Rate how well the answer responds to the request, from 0 (useless) to 10 (excellent). "
    "Reply with the number only.\n\nRequest:\n{question}\n\nAnswer:\n{answer}"
)


def _json(config: ValidatorConfig) -> Check:
    async def check(question: str, answer: str, judge: Judge) -> str | None:
        try:
            json.loads(answer)
        except ValueError:
            return "not valid JSON"
        return None

    return check


def _json_schema(config: ValidatorConfig) -> Check:
    import jsonschema

    validator = jsonschema.Draft202012Validator(config.json_schema or {})

    async def check(question: str, answer: str, judge: Judge) -> str | None:
        try:
            data = json.loads(answer)
        except ValueError:
            return "not valid JSON"
        error = next(iter(validator.iter_errors(data)), None)
        return None if error is None else f"schema: {error.message[:80]}"

    return check


def _regex(config: ValidatorConfig) -> Check:
    pattern = re.compile(config.pattern or "")

    async def check(question: str, answer: str, judge: Judge) -> str | None:
        return None if pattern.search(answer) else f"does not match /{pattern.pattern}/"

    return check


def _min_length(config: ValidatorConfig) -> Check:
    chars = config.chars or 0

    async def check(question: str, answer: str, judge: Judge) -> str | None:
        return None if len(answer.strip()) >= chars else f"shorter than {chars} chars"

    return check


def _no_refusal(config: ValidatorConfig) -> Check:
    phrases = tuple(p.lower() for p in config.phrases) if config.phrases else REFUSALS

    async def check(question: str, answer: str, judge: Judge) -> str | None:
        lowered = answer.lower()
        found = next((p for p in phrases if p in lowered), None)
        return None if found is None else f"refusal ({found!r})"

    return check


def _judge(config: ValidatorConfig) -> Check:
    model, threshold = config.model or "", config.threshold

    async def check(question: str, answer: str, judge: Judge) -> str | None:
        reply = await judge(model, JUDGE_PROMPT.format(question=question, answer=answer))
        score = parse_score(reply)
        if score is None:
            return f"judge gave no score ({reply[:40]!r})"
        return None if score >= threshold else f"judge score {score:g} < {threshold:g}"

    return check


def parse_score(reply: str) -> float | None:
    found = re.search(r"-?\d+(?:\.\d+)?", reply)
    return float(found.group()) if found else None


VALIDATORS: dict[str, Callable[[ValidatorConfig], Check]] = {
    "json": _json,
    "json_schema": _json_schema,
    "regex": _regex,
    "min_length": _min_length,
    "no_refusal": _no_refusal,
    "judge": _judge,
}


def build_checks(configs: list[ValidatorConfig]) -> tuple[Check, ...]:
    return tuple(VALIDATORS[c.type](c) for c in configs)


async def first_failure(checks: tuple[Check, ...], question: str, answer: str, judge: Judge) -> str | None:
    for check in checks:
        reason = await check(question, answer, judge)
        if reason is not None:
            return reason
    return None


def answer_text(body: dict[str, Any], endpoint: Endpoint = Endpoint.CHAT) -> str:
    """The text of a chat or completions answer (tool-call arguments when there is no content)."""
    fmt = formats.format_for(endpoint)
    if fmt is not None:
        return fmt.answer_text(body)
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    if isinstance(message, dict) and message:
        if message.get("content"):
            return str(message["content"])
        calls = message.get("tool_calls") or []
        return "".join(str((c.get("function") or {}).get("arguments", "")) for c in calls if isinstance(c, dict))
    return str(choice.get("text") or "")


def question_text(body: dict[str, Any], endpoint: Endpoint = Endpoint.CHAT) -> str:
    fmt = formats.format_for(endpoint)
    if fmt is not None:
        try:
            body = fmt.to_chat(body)
        except InvalidRequest:
            return ""
    messages = body.get("messages")
    if isinstance(messages, list):
        return "\n".join(str(m.get("content")) for m in messages if isinstance(m, dict) and m.get("content"))
    return str(body.get("prompt") or "")
