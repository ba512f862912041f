"""The OpenAI Responses API as a ``Format``: the request, answer, stream and restore mappers put together,
and where a Responses answer keeps its usage and text (for the ledger, budgets and routing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from crossroads.backends.base import Body, Endpoint
from crossroads.formats import Fix, Usage
from crossroads.formats.responses_answer import chat_usage, from_chat
from crossroads.formats.responses_request import to_chat
from crossroads.formats.responses_restore import ResponsesRestorer, restore_answer
from crossroads.formats.responses_stream import stream_from_chat

GATEWAY_FIELDS = frozenset({"previous_response_id", "store"})
FINISHED = frozenset({"response.completed", "response.incomplete", "response.failed"})
TEXT_DELTAS = frozenset({"response.output_text.delta", "response.function_call_arguments.delta"})


class ResponsesFormat:
    endpoint = Endpoint.RESPONSES
    output_limits = ("max_output_tokens",)

    def to_chat(self, body: Body) -> Body:
        return to_chat(body)

    def native(self, body: Body) -> Body:
        """The gateway keeps conversations itself (``responses_store``): the upstream never gets a
        ``previous_response_id`` (its input already holds the conversation) and is asked to keep nothing."""
        return {**{k: v for k, v in body.items() if k not in GATEWAY_FIELDS}, "store": False}

    def from_chat(self, answer: Body, request: Body) -> Body:
        return from_chat(answer, request)

    def stream_from_chat(self, chunks: AsyncIterator[Body], request: Body) -> AsyncIterator[Body]:
        return stream_from_chat(chunks, request)

    def usage(self, answer: Body) -> Usage | None:
        return chat_usage(answer.get("usage"))

    def event_usage(self, event: Body) -> Usage | None:
        if event.get("type") not in FINISHED or not isinstance(event.get("response"), dict):
            return None
        return chat_usage(event["response"].get("usage"))

    def answer_text(self, answer: Body) -> str:
        return "".join(_item_text(item) for item in answer.get("output") or () if isinstance(item, dict))

    def event_text(self, event: Body) -> str:
        delta = event.get("delta") if event.get("type") in TEXT_DELTAS else None
        return delta if isinstance(delta, str) else ""

    def json_answer(self, request: Body) -> bool:
        fmt = (request.get("text") or {}).get("format") if isinstance(request.get("text"), dict) else None
        return isinstance(fmt, dict) and fmt.get("type") in {"json_object", "json_schema"}

    def restore_answer(self, answer: Body, fix: Fix, json_content: bool) -> Body:
        return restore_answer(answer, fix, json_content)

    def restorer(self, reverse: Mapping[str, str], json_content: bool) -> ResponsesRestorer:
        return ResponsesRestorer(reverse, json_content)


def _item_text(item: dict[str, Any]) -> str:
    if item.get("type") == "function_call":
        return str(item.get("arguments") or "")
    parts = item.get("content") or ()
    return "".join(str(p.get("text") or "") for p in parts if isinstance(p, dict))


FORMAT = ResponsesFormat()
