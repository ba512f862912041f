"""What the OpenAI spec requires of an answer, filled in when an OpenAI-compatible upstream leaves it out.

Known departures (llama.cpp's server, some vLLM and Ollama versions): an assistant message without
``refusal``, an answer without ``created`` / ``object`` / ``usage``, and no usage chunk at the end of a
stream although the client sent ``stream_options.include_usage``. The gateway fills each from what it
knows; usage it counted itself (tiktoken) is a ``CountedUsage``, so the ledger can say so.
"""

from __future__ import annotations

import time
from typing import Any

from crossroads.backends.base import Body, Endpoint

OBJECTS = {Endpoint.CHAT: "chat.completion", Endpoint.COMPLETIONS: "text_completion"}


class CountedUsage(dict[str, Any]):
    """A ``usage`` object the gateway counted itself because the upstream sent none (serialises as a dict)."""


def counted_usage(model: str, request: Body, completion_text: str) -> CountedUsage:
    from crossroads.metering import tokens  # tiktoken: loaded only when an upstream leaves usage out

    prompt = tokens.count_prompt(model, request)
    completion = tokens.count_text(model, completion_text)
    return CountedUsage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


def fill_answer(endpoint: Endpoint, request: Body, answer: Body) -> Body:
    """A complete (non-streamed) answer with every field the spec requires."""
    if endpoint is Endpoint.EMBEDDINGS:
        return answer
    answer.setdefault("object", OBJECTS[endpoint])
    answer.setdefault("created", int(time.time()))
    answer.setdefault("model", request.get("model"))
    for choice in answer.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            message.setdefault("refusal", None)
    if not isinstance(answer.get("usage"), dict):
        text = "".join(_choice_text(c) for c in answer.get("choices") or () if isinstance(c, dict))
        answer["usage"] = counted_usage(str(answer.get("model") or request.get("model")), request, text)
    return answer


def _choice_text(choice: dict[str, Any], part: str = "message") -> str:
    """The text a choice generated: its ``message`` (or stream ``delta``) content and tool calls, or ``text``."""
    message = choice.get(part)
    if isinstance(message, dict):
        content = message.get("content")
        pieces = [content if isinstance(content, str) else ""]
        pieces += [str(call) for call in message.get("tool_calls") or ()]
        return "".join(pieces)
    text = choice.get("text")
    return text if isinstance(text, str) else ""


class StreamFiller:
    """Watches a stream's chunks; ``last()`` is the usage chunk to add when the client asked for usage
    and the upstream sent none."""

    def __init__(self, endpoint: Endpoint, request: Body) -> None:
        self.endpoint = endpoint
        self.request = request
        options = request.get("stream_options")
        self.wanted = isinstance(options, dict) and bool(options.get("include_usage"))
        self.parts: list[str] = []
        self.base: dict[str, Any] = {}
        self.usage_seen = False

    def fill(self, chunk: Body) -> Body:
        if not self.base:
            self.base = {k: chunk[k] for k in ("id", "object", "created", "model") if k in chunk}
        if chunk.get("usage"):
            self.usage_seen = True
        if self.wanted and "usage" not in chunk:
            chunk["usage"] = None  # the spec: every chunk carries usage (null) when the client asked for it
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict):
                self.parts.append(_choice_text(choice, "delta"))
        return chunk

    def last(self) -> Body | None:
        if not self.wanted or self.usage_seen:
            return None
        model = str(self.base.get("model") or self.request.get("model"))
        usage = counted_usage(model, self.request, "".join(self.parts))
        return {**self.base, "choices": [], "usage": usage}
