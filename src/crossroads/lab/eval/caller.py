"""Calling models for an eval: through the in-process ``Gateway``, cached on disk, timed.

A model is asked in ``chat`` style (the case's messages) or ``completion`` style (the messages
flattened into one plain prompt, for base models without a chat template, e.g. gemma3-270m).
Each backend gets its own concurrency limit: an embedded backend answers ``slots`` requests at a
time, so more in flight would only add queueing to the measured latency.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Literal

from crossroads.backends import Endpoint
from crossroads.config import Settings
from crossroads.errors import CrossroadsError
from crossroads.gateway import Gateway
from crossroads.lab.eval.cache import ResponseCache, cache_key

Style = Literal["chat", "completion"]
COMPLETION_STOP = ["\n\n", "\nQuestion:"]


@dataclass(frozen=True, slots=True)
class Reply:
    text: str | None
    error: str | None
    latency_s: float | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False

    def to_cache(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("text", "latency_s", "prompt_tokens", "completion_tokens")}


def plain_prompt(messages: list[dict[str, Any]]) -> str:
    """Messages as one completion prompt: system text, then ``Question:``/``Answer:`` turns."""
    parts = []
    for m in messages:
        role, content = m["role"], str(m["content"]).strip()
        parts.append(content if role == "system" else f"{'Question' if role == 'user' else 'Answer'}: {content}")
    return "\n\n".join(parts) + "\nAnswer:"


class Caller:
    """Asks models through a gateway; one cache lookup per (model identity, parameters, prompt)."""

    def __init__(self, gateway: Gateway, cache: ResponseCache, *, concurrency: int = 4) -> None:
        self.gateway = gateway
        self.cache = cache
        self.concurrency = concurrency
        self._limits: dict[str, asyncio.Semaphore] = {}

    @property
    def settings(self) -> Settings:
        return self.gateway.settings

    def identity(self, model: str) -> dict[str, Any]:
        """What makes answers of ``model`` differ: its model entry and its backend's configuration."""
        entry = self.settings.models[model]
        backend = self.settings.backends[entry.backend]
        return {"model": model, "upstream": self.settings.upstream_name(model), "backend": backend.model_dump()}

    def _limit(self, model: str) -> asyncio.Semaphore:
        backend = self.settings.backends[self.settings.models[model].backend]
        slots = getattr(backend, "slots", None)
        size = min(self.concurrency, slots) if isinstance(slots, int) else self.concurrency
        return self._limits.setdefault(backend.model_dump_json(), asyncio.Semaphore(size))

    async def ask(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], style: Style = "chat"
    ) -> Reply:
        endpoint, body = _request(model, messages, params, style)
        key = cache_key(self.identity(model), {**params, "style": style}, body.get("messages") or body.get("prompt"))
        hit = self.cache.get(key)
        if hit is not None:
            return Reply(error=None, cached=True, **hit)
        async with self._limit(model):
            reply = await self._send(endpoint, body)
        if reply.error is None:
            self.cache.put(key, reply.to_cache())
        return reply

    async def _send(self, endpoint: Endpoint, body: dict[str, Any]) -> Reply:
        began = time.perf_counter()
        try:
            response = await self.gateway.send(endpoint, body)
        except CrossroadsError as exc:
            return Reply(text=None, error=exc.message, latency_s=time.perf_counter() - began)
        latency = time.perf_counter() - began
        usage = response.get("usage") or {}
        return Reply(
            text=_text(response),
            error=None,
            latency_s=latency,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )


def _request(
    model: str, messages: list[dict[str, Any]], params: dict[str, Any], style: Style
) -> tuple[Endpoint, dict[str, Any]]:
    if style == "completion":
        stop = params.get("stop", COMPLETION_STOP)
        return Endpoint.COMPLETIONS, {**params, "model": model, "prompt": plain_prompt(messages), "stop": stop}
    return Endpoint.CHAT, {**params, "model": model, "messages": messages}


def _text(response: dict[str, Any]) -> str:
    choice = (response.get("choices") or [{}])[0]
    if "message" in choice:
        return str(choice["message"].get("content") or "")
    return str(choice.get("text") or "")
