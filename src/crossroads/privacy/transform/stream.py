"""Restoring a stream of answer chunks: one ``StreamRestorer`` per choice and per text field in it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from crossroads.backends.base import Body
from crossroads.formats import EventRestorer
from crossroads.privacy.transform.restore import StreamRestorer, json_string, plain

Key = tuple[int, str, int]  # (choice index, field, tool call index)
LEGACY_CALL = -1  # the "tool call index" of a legacy ``function_call``


class ChunkRestorer:
    """``json_content``: the content is JSON (a JSON response format), so restored values are JSON-escaped in it,
    as they always are in tool-call arguments."""

    def __init__(self, reverse: Mapping[str, str], json_content: bool = False) -> None:
        self.reverse = reverse
        self.parts: dict[Key, StreamRestorer] = {}
        self.json_fields = {"args", "content"} if json_content else {"args"}

    def _feed(self, key: Key, text: str) -> str:
        part = self.parts.get(key)
        if part is None:
            escape = json_string if key[1] in self.json_fields else plain
            part = self.parts[key] = StreamRestorer(self.reverse, escape)
        return part.feed(text)

    def chunk(self, chunk: Body) -> Body:
        for choice in chunk.get("choices") or []:
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(index, delta)
            if isinstance(choice.get("text"), str):
                choice["text"] = self._feed((index, "text", 0), choice["text"])
            if choice.get("finish_reason") is not None:
                self._flush_into(index, choice)
        return chunk

    def _delta(self, index: int, delta: dict[str, Any]) -> None:
        if isinstance(delta.get("content"), str):
            delta["content"] = self._feed((index, "content", 0), delta["content"])
        for call in delta.get("tool_calls") or []:
            function = call.get("function") or {}
            if isinstance(function.get("arguments"), str):
                function["arguments"] = self._feed((index, "args", call.get("index", 0)), function["arguments"])
        legacy = delta.get("function_call")
        if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
            legacy["arguments"] = self._feed((index, "args", LEGACY_CALL), legacy["arguments"])

    def _flush_into(self, index: int, choice: dict[str, Any]) -> None:
        for key in [k for k in self.parts if k[0] == index]:
            rest = self.parts.pop(key).flush()
            if rest:
                _append(choice, key, rest)

    def leftover(self, last: Body | None) -> Body | None:
        """A final chunk carrying what is still held (a stream that ended without a finish reason)."""
        if not self.parts or last is None:
            return None
        choices: dict[int, dict[str, Any]] = {}
        for key in list(self.parts):
            rest = self.parts.pop(key).flush()
            if rest:
                choice = choices.setdefault(key[0], {"index": key[0], "delta": {}, "finish_reason": None})
                _append(choice, key, rest)
        return {**last, "choices": list(choices.values())} if choices else None


def _append(choice: dict[str, Any], key: Key, rest: str) -> None:
    _, field, call_index = key
    if field == "text":
        choice["text"] = (choice.get("text") or "") + rest
        return
    delta = choice.setdefault("delta", {})
    if field == "content":
        delta["content"] = (delta.get("content") or "") + rest
        return
    if call_index == LEGACY_CALL:
        legacy = delta.setdefault("function_call", {})
        legacy["arguments"] = (legacy.get("arguments") or "") + rest
        return
    calls = delta.setdefault("tool_calls", [])
    call = next((c for c in calls if c.get("index", 0) == call_index), None)
    if call is None:
        call = {"index": call_index, "function": {"arguments": ""}}
        calls.append(call)
    function = call.setdefault("function", {})
    function["arguments"] = (function.get("arguments") or "") + rest


async def restored(
    chunks: AsyncIterator[Body], reverse: Mapping[str, str], done: Callable[[], None], json_content: bool = False
) -> AsyncIterator[Body]:
    """``chunks`` with placeholders restored; ``done`` runs when the stream ends, however it ends."""
    restorer, last = ChunkRestorer(reverse, json_content), None
    try:
        async for chunk in chunks:
            last = chunk
            yield restorer.chunk(chunk)
        tail = restorer.leftover(last)
        if tail is not None:
            yield tail
    finally:
        done()
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


async def restored_events(
    events: AsyncIterator[Body], restorer: EventRestorer, done: Callable[[], None]
) -> AsyncIterator[Body]:
    """A stream in another format (``crossroads.formats``) with placeholders restored by its ``restorer``."""
    try:
        async for event in events:
            for out in restorer.event(event):
                yield out
        for out in restorer.leftover():
            yield out
    finally:
        done()
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
