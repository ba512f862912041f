"""The generation endpoints: chat completions, legacy completions, embeddings.

Each builder takes a validated ``Call`` and returns a Starlette response; timing and fault handling
that all of them share live on ``Call``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from crossroads.testing.fake_upstream import content
from crossroads.testing.fake_upstream.content import Answer
from crossroads.testing.fake_upstream.faults import Fault
from crossroads.testing.fake_upstream.state import FakeConfig, invalid_request, json_response, request_id_header
from crossroads.testing.fake_upstream.stream import DropResponse, SSEResponse
from crossroads.testing.fake_upstream.wire import (
    DONE,
    ChunkMaker,
    Event,
    Head,
    chat_completion,
    chat_events,
    completion_events,
    completion_usage_event,
    text_completion,
    usage,
)

LEGACY_DEFAULT_MAX_TOKENS = 16  # /v1/completions stops at 16 tokens unless max_tokens says otherwise


@dataclass(frozen=True, slots=True)
class Call:
    """One generation request: its body, the model it targets, the fault that applies."""

    body: Mapping[str, Any]
    model: str
    fault: Fault | None
    config: FakeConfig

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    def option(self, name: str, default: bool) -> bool:
        options = self.body.get("stream_options")
        value = options.get(name) if isinstance(options, Mapping) else None
        return default if value is None else value is True

    def gaps(self) -> tuple[float, float]:
        """Seconds before the first chunk and between chunks."""
        fault = self.fault
        return (fault.ttft_ms / 1000, fault.token_delay_ms / 1000) if fault else (0.0, 0.0)

    def stream_response(self, events: list[Event]) -> Response:
        events.append(Event(events[-1].at if events else 0.0, DONE))
        return SSEResponse(events, self.fault, request_id_header())

    async def json_response(self, body: dict[str, Any], tokens: int) -> Response:
        """The complete body, after the time a stream of ``tokens`` tokens would have taken."""
        fault = self.fault
        if fault is None:
            return json_response(body)
        if fault.delays:
            await asyncio.sleep((fault.ttft_ms + tokens * fault.token_delay_ms) / 1000)
        if fault.disconnect_after is not None:
            return DropResponse()
        if fault.malformed_after is not None:
            broken = orjson.dumps(body)[: fault.malformed_after or 1]
            return Response(broken, headers=request_id_header(), media_type="application/json")
        return json_response(body)


# ---- chat completions -------------------------------------------------------------------------


def _limit(body: Mapping[str, Any], default: int | None = None) -> int | None:
    limit = body.get("max_completion_tokens")
    return body.get("max_tokens", default) if limit is None else limit


def chat_answers(body: Mapping[str, Any], fault: Fault | None) -> list[Answer]:
    forced = content.forced_text(fault)
    tool = content.chosen_tool(body) if forced is None else None
    if tool is not None:
        answer = content.tool_call_answer(tool)
    else:
        text = content.chat_text(body) if forced is None else forced
        answer = content.truncate(text, body.get("stop"), _limit(body))
    return [answer] * (body.get("n") or 1)


async def chat(call: Call) -> Response:
    answers = chat_answers(call.body, call.fault)
    fault = call.fault or Fault()
    prompt, completion = content.chat_prompt_tokens(call.body["messages"]), sum(len(a.tokens) for a in answers)
    use = usage(prompt, completion, cached=fault.cached_tokens, reasoning=fault.reasoning_tokens)
    head = Head.new("chatcmpl-", call.model)
    departs = call.fault is not None and call.fault.spec_departures
    if not call.stream:
        body = chat_completion(head, answers, use)
        return await call.json_response(departed(body) if departs else body, len(answers[0].tokens))
    with_usage = call.option("include_usage", False) and not departs
    maker = ChunkMaker(head, with_usage, call.option("include_obfuscation", True))
    events = chat_events(maker, answers, *call.gaps())
    if with_usage:
        events.append(Event(events[-1].at, maker.usage(use)))
    return call.stream_response(events)


def departed(body: dict[str, Any]) -> dict[str, Any]:
    """An answer as llama.cpp's server gives it: no ``refusal`` in the message, no ``usage``."""
    for choice in body["choices"]:
        choice["message"].pop("refusal", None)
    body.pop("usage", None)
    return body


# ---- legacy completions -----------------------------------------------------------------------


def prompt_items(prompt: Any) -> list[str | list[int]]:
    """A completions prompt or embeddings input as a list of strings / token-id arrays."""
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str | list) for p in prompt):
        return list(prompt)
    raise invalid_request("Invalid value: expected a string, an array of strings or of token arrays.", None)


def completion_answers(body: Mapping[str, Any], fault: Fault | None) -> list[Answer]:
    forced = content.forced_text(fault)
    answers = []
    for item in prompt_items(body["prompt"]):
        text = forced if forced is not None else content.ANSWER_PREFIX + _describe(item)
        answers += [content.truncate(text, body.get("stop"), _limit(body, LEGACY_DEFAULT_MAX_TOKENS))] * (
            body.get("n") or 1
        )
    return answers


def _describe(item: str | list[int]) -> str:
    return item if isinstance(item, str) else f"{len(item)} prompt tokens"


async def completions(call: Call) -> Response:
    answers = completion_answers(call.body, call.fault)
    prompt = sum(content.prompt_size(p) for p in prompt_items(call.body["prompt"]))
    use = usage(prompt, sum(len(a.tokens) for a in answers), details=False)
    head = Head.new("cmpl-", call.model)
    if not call.stream:
        return await call.json_response(text_completion(head, answers, use), len(answers[0].tokens))
    events = completion_events(head, answers, *call.gaps())
    if call.option("include_usage", False):
        events.append(completion_usage_event(head, use, events[-1].at))
    return call.stream_response(events)


# ---- embeddings -------------------------------------------------------------------------------


async def embeddings(call: Call) -> Response:
    items = prompt_items(call.body["input"])
    dim = call.body.get("dimensions") or call.config.embedding_dim
    as_base64 = call.body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(items):
        vector = content.embedding(item, dim)
        encoded: Any = base64.b64encode(content.float32_le(vector)).decode() if as_base64 else vector.tolist()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(content.prompt_size(i) for i in items)
    body = {
        "object": "list",
        "data": data,
        "model": call.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return await call.json_response(body, 0)


# ---- validation and the table the app routes from ----------------------------------------------


def _count(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


_PARAMS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "messages": (lambda v: isinstance(v, list) and v != [], "a non-empty array of messages"),
    "stream": (lambda v: isinstance(v, bool), "a boolean"),
    "n": (_count(1, 128), "an integer from 1 to 128"),
    "max_tokens": (_count(0, 1 << 31), "an integer >= 0"),
    "max_completion_tokens": (_count(0, 1 << 31), "an integer >= 0"),
    "dimensions": (_count(1, 1 << 16), "an integer from 1 to 65536"),
}


def validate(body: Mapping[str, Any], required: tuple[str, ...]) -> None:
    """400 naming the parameter that is missing or ill-typed, as the OpenAI API answers."""
    for name in required:
        if body.get(name) is None:
            raise invalid_request(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    for name, (check, expected) in _PARAMS.items():
        value = body.get(name)
        if value is not None and not check(value):
            message = f"Invalid value for '{name}': expected {expected}, but got {value!r}."
            raise invalid_request(message, name, "invalid_type")


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str  # below /v1/ (or an Azure deployment)
    required: tuple[str, ...]  # body fields besides model
    build: Callable[[Call], Awaitable[Response]]


ENDPOINTS = (
    Endpoint("chat/completions", ("messages",), chat),
    Endpoint("completions", ("prompt",), completions),
    Endpoint("embeddings", ("input",), embeddings),
)
