"""A backend that reports the usage it is told to (and honours stream_options.include_usage)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body, Endpoint, Location
from tests.support.doubles import NoLifecycle


@dataclass
class UsageBackend(NoLifecycle):
    name: str = "usage"
    location: Location = "hosted"
    prompt_tokens: int = 1500
    completion_tokens: int = 500
    report_usage: bool = True
    reply: str = "Paris is the capital of France."
    snapshot: str | None = None  # the model name the upstream reports (e.g. a dated snapshot)
    delay: float = 0.0
    calls: list[Body] = field(default_factory=list)

    def _usage(self) -> dict[str, int]:
        total = self.prompt_tokens + self.completion_tokens
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens, "total_tokens": total}

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        self.calls.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = {"role": "assistant", "content": self.reply, "refusal": None}
        out: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.calls)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.snapshot or body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        }
        if self.report_usage:
            out["usage"] = self._usage()
        return out

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        self.calls.append(body)
        include = bool((body.get("stream_options") or {}).get("include_usage")) and self.report_usage
        base = {
            "id": "chatcmpl-s",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.snapshot or body["model"],
        }
        extra: dict[str, Any] = {"usage": None} if include else {}
        for i, word in enumerate(self.reply.split(" ")):
            delta = {"content": (" " if i else "") + word}
            yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}], **extra}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], **extra}
        if include:
            yield {**base, "choices": [], "usage": self._usage()}
