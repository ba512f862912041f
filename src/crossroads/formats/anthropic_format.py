"""Anthropic's Messages API as a ``Format``: the request, answer and stream mappers put together, where a
Messages answer keeps its usage and text (ledger, budgets, routing), and how placeholders are restored in it.

A Messages call keeps its format through the pipeline; a backend that does not speak it (``native``) gets
``to_chat(body)`` — Chat Completions only, what only Anthropic knows left out (``anthropic.chat_only``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson

from crossroads.backends.base import Body, Endpoint
from crossroads.formats import Fix, Usage
from crossroads.formats.anthropic import chat_only, to_chat
from crossroads.formats.anthropic_answer import answer_from_chat, usage_to_chat
from crossroads.formats.anthropic_restore import MessagesRestorer, restore_answer
from crossroads.formats.anthropic_stream import EventWriter

TEXT_DELTAS = {"text_delta": "text", "input_json_delta": "partial_json"}  # delta type → its text field


class MessagesFormat:
    endpoint = Endpoint.MESSAGES
    output_limits = ("max_tokens",)

    def to_chat(self, body: Body) -> Body:
        return chat_only(to_chat(body))

    def native(self, body: Body) -> Body:
        return body  # the gateway answers no Messages field itself: all of it goes to a backend that speaks it

    def from_chat(self, answer: Body, request: Body) -> Body:
        return answer_from_chat(answer, request)

    def stream_from_chat(self, chunks: AsyncIterator[Body], request: Body) -> AsyncIterator[Body]:
        return _events(chunks, request)

    def usage(self, answer: Body) -> Usage | None:
        usage = answer.get("usage")
        return usage_to_chat(usage) if isinstance(usage, dict) else None

    def event_usage(self, event: Body) -> Usage | None:
        """``message_delta`` carries the whole usage (the anthropic backend makes it so for older upstreams);
        ``message_start`` the prompt's, in case the stream ends before its end."""
        kind = event.get("type")
        usage = event.get("usage") if kind == "message_delta" else None
        if kind == "message_start" and isinstance(event.get("message"), dict):
            usage = event["message"].get("usage")
        return usage_to_chat(usage) if isinstance(usage, dict) else None

    def answer_text(self, answer: Body) -> str:
        return "".join(_block_text(b) for b in answer.get("content") or () if isinstance(b, dict))

    def event_text(self, event: Body) -> str:
        delta = event.get("delta") if event.get("type") == "content_block_delta" else None
        field = TEXT_DELTAS.get(str(delta.get("type"))) if isinstance(delta, dict) else None
        text = delta.get(field) if field and isinstance(delta, dict) else None
        return text if isinstance(text, str) else ""

    def json_answer(self, request: Body) -> bool:
        return False  # Messages has no JSON output mode; tool inputs are JSON and restored as such

    def restore_answer(self, answer: Body, fix: Fix, json_content: bool) -> Body:
        return restore_answer(answer, fix)

    def restorer(self, reverse: Mapping[str, str], json_content: bool) -> MessagesRestorer:
        return MessagesRestorer(reverse)


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "tool_use":
        return orjson.dumps(block.get("input") or {}).decode()
    text = block.get("text")
    return text if isinstance(text, str) else ""


async def _events(chunks: AsyncIterator[Body], request: Body) -> AsyncIterator[Body]:
    writer = EventWriter(request)
    try:
        async for chunk in chunks:
            for _, data in writer.chunk(chunk):
                yield data
        for _, data in writer.end():
            yield data
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


FORMAT = MessagesFormat()
