"""A scripted in-process backend: answers from a list, records every call. For pipeline tests."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body, Endpoint, Location
from crossroads.errors import CrossroadsError


@dataclass
class ScriptedBackend:
    """Replies with ``answers`` in turn (the last one repeats); an answer may be an error to raise."""

    name: str = "scripted"
    answers: list[str | CrossroadsError] = field(default_factory=lambda: ["Hello from the script."])
    location: Location = "local"
    delay: float = 0.0
    calls: list[tuple[Endpoint, Body]] = field(default_factory=list)
    not_ready: str | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def ready(self) -> str | None:
        return self.not_ready

    async def _next(self, endpoint: Endpoint, body: Body) -> str:
        self.calls.append((endpoint, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]
        if isinstance(answer, CrossroadsError):
            raise answer
        return answer

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        text = await self._next(endpoint, body)
        if endpoint is Endpoint.EMBEDDINGS:
            return _embedding(body)
        return _completion(endpoint, body, text, f"scripted-{next(self._ids)}")

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        text = await self._next(endpoint, body)
        ident, created = f"scripted-{next(self._ids)}", int(time.time())
        for i, word in enumerate(text.split(" ")):
            yield _chunk(endpoint, body, ident, created, {"content": (" " if i else "") + word}, None)
        yield _chunk(endpoint, body, ident, created, {}, "stop")


def _usage(body: Body, text: str) -> dict[str, int]:
    prompt = len(str(body.get("messages") or body.get("prompt") or body.get("input")).split())
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(endpoint: Endpoint, body: Body, text: str, ident: str) -> Body:
    if endpoint is Endpoint.COMPLETIONS:
        choice: dict[str, Any] = {"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}
        kind = "text_completion"
    else:
        message = {"role": "assistant", "content": text, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        kind = "chat.completion"
    return {
        "id": ident,
        "object": kind,
        "created": int(time.time()),
        "model": body["model"],
        "choices": [choice],
        "usage": _usage(body, text),
    }


def _chunk(endpoint: Endpoint, body: Body, ident: str, created: int, delta: Body, finish: str | None) -> Body:
    if endpoint is Endpoint.COMPLETIONS:
        choice = {"index": 0, "text": delta.get("content", ""), "logprobs": None, "finish_reason": finish}
        kind = "text_completion"
    else:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        kind = "chat.completion.chunk"
    return {"id": ident, "object": kind, "created": created, "model": body["model"], "choices": [choice]}


def _embedding(body: Body) -> Body:
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [{"object": "embedding", "index": i, "embedding": [float(len(str(x))), 1.0]} for i, x in enumerate(inputs)]
    tokens = sum(len(str(x).split()) for x in inputs)
    return {
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
