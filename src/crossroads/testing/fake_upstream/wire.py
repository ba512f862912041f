"""OpenAI wire shapes: response bodies and SSE stream events, built from ``Answer`` values.

Shapes follow the openai/openai-openapi spec and the official client's types: ``chat.completion``
(message with ``refusal`` and ``annotations``, ``logprobs: null``, usage details, ``service_tier``,
``system_fingerprint``), ``chat.completion.chunk`` (same id/created in every chunk, ``usage: null``
on every chunk when usage was asked for, then a ``choices: []`` usage chunk), ``text_completion``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from crossroads.testing.fake_upstream.content import Answer

FINGERPRINT = "fp_fake0c0ffee"
DONE = b"data: [DONE]\n\n"
MODEL_CREATED = 1_700_000_000


@dataclass(frozen=True, slots=True)
class Event:
    """One SSE event due ``at`` seconds after the response started."""

    at: float
    data: bytes


@dataclass(frozen=True, slots=True)
class Head:
    """What every body and chunk of one response shares."""

    id: str
    created: int
    model: str

    @classmethod
    def new(cls, prefix: str, model: str) -> Head:
        return cls(prefix + uuid.uuid4().hex[:29], int(time.time()), model)


def usage(prompt: int, completion: int, details: bool = True, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    """``reasoning`` tokens are billed within ``completion_tokens``; ``cached`` ones are part of the prompt."""
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion + reasoning,
        "total_tokens": prompt + completion + reasoning,
    }
    if details:
        body["prompt_tokens_details"] = {"cached_tokens": min(cached, prompt), "audio_tokens": 0}
        body["completion_tokens_details"] = {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        }
    return body


def sse(payload: Mapping[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


# ---- chat completions -------------------------------------------------------------------------


def chat_message(answer: Answer) -> dict[str, Any]:
    call = answer.tool_call
    message: dict[str, Any] = {"role": "assistant", "content": None if call else answer.text, "refusal": None}
    if call is not None:
        function = {"name": call.name, "arguments": call.arguments}
        message["tool_calls"] = [{"id": call.id, "type": "function", "function": function}]
    message["annotations"] = []
    return message


def chat_completion(head: Head, answers: list[Answer], use: dict[str, Any]) -> dict[str, Any]:
    choices = [
        {"index": i, "message": chat_message(a), "logprobs": None, "finish_reason": a.finish_reason}
        for i, a in enumerate(answers)
    ]
    return {
        "id": head.id,
        "object": "chat.completion",
        "created": head.created,
        "model": head.model,
        "choices": choices,
        "usage": use,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


class ChunkMaker:
    """Builds ``chat.completion.chunk`` events sharing one head."""

    def __init__(self, head: Head, with_usage: bool, obfuscate: bool) -> None:
        self.base: dict[str, Any] = {
            "id": head.id,
            "object": "chat.completion.chunk",
            "created": head.created,
            "model": head.model,
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
        }
        if with_usage:
            self.base["usage"] = None
        self.obfuscate = obfuscate

    def choice(self, index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk = {**self.base, "choices": [choice]}
        if self.obfuscate:
            chunk["obfuscation"] = "x" * (12 - len(str(delta)) % 12)
        return sse(chunk)

    def usage(self, use: dict[str, Any]) -> bytes:
        return sse({**self.base, "choices": [], "usage": use})


def _first_delta(answer: Answer) -> dict[str, Any]:
    call = answer.tool_call
    if call is None:
        return {"role": "assistant", "content": "", "refusal": None}
    function = {"name": call.name, "arguments": ""}
    tool_calls = [{"index": 0, "id": call.id, "type": "function", "function": function}]
    return {"role": "assistant", "content": None, "tool_calls": tool_calls, "refusal": None}


def _token_delta(answer: Answer, token: str) -> dict[str, Any]:
    if answer.tool_call is None:
        return {"content": token}
    return {"tool_calls": [{"index": 0, "function": {"arguments": token}}]}


def chat_events(maker: ChunkMaker, answers: list[Answer], ttft: float, gap: float) -> list[Event]:
    """Role chunk at ``ttft``, token k at ``ttft + k*gap``, then the finish chunks."""
    events = [Event(ttft, maker.choice(i, _first_delta(a))) for i, a in enumerate(answers)]
    longest = max(len(a.tokens) for a in answers)
    for k in range(longest):
        at = ttft + k * gap
        events += [
            Event(at, maker.choice(i, _token_delta(a, a.tokens[k]))) for i, a in enumerate(answers) if k < len(a.tokens)
        ]
    end = ttft + max(longest - 1, 0) * gap
    events += [Event(end, maker.choice(i, {}, a.finish_reason)) for i, a in enumerate(answers)]
    return events


# ---- legacy completions -----------------------------------------------------------------------


def text_completion(head: Head, answers: list[Answer], use: dict[str, Any] | None) -> dict[str, Any]:
    choices = [
        {"text": a.text, "index": i, "logprobs": None, "finish_reason": a.finish_reason} for i, a in enumerate(answers)
    ]
    body = {
        "id": head.id,
        "object": "text_completion",
        "created": head.created,
        "model": head.model,
        "choices": choices,
        "system_fingerprint": FINGERPRINT,
    }
    if use is not None:
        body["usage"] = use
    return body


def completion_events(head: Head, answers: list[Answer], ttft: float, gap: float) -> list[Event]:
    def chunk(index: int, text: str, finish: str | None) -> bytes:
        choice = {"text": text, "index": index, "logprobs": None, "finish_reason": finish}
        return sse(text_completion(head, [], None) | {"choices": [choice]})

    longest = max(len(a.tokens) for a in answers)
    events = []
    for k in range(longest):
        at = ttft + k * gap
        events += [Event(at, chunk(i, a.tokens[k], None)) for i, a in enumerate(answers) if k < len(a.tokens)]
    end = ttft + max(longest - 1, 0) * gap
    return events + [Event(end, chunk(i, "", a.finish_reason)) for i, a in enumerate(answers)]


def completion_usage_event(head: Head, use: dict[str, Any], at: float) -> Event:
    return Event(at, sse(text_completion(head, [], use)))
