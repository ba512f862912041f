"""Anthropic's stream events ↔ Chat Completions chunks.

``EventWriter`` turns the gateway's chat chunks into Anthropic's event sequence for a Messages client::

    message_start, ping, (content_block_start, content_block_delta…, content_block_stop)…,
    message_delta (stop_reason, usage), message_stop

``ChunkReader`` turns an Anthropic upstream's events into chat chunks (the ``anthropic`` backend).
Events are ``(name, data)`` pairs; the data carries its own ``type``, as Anthropic's do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from crossroads.backends.base import Body
from crossroads.formats.anthropic_answer import (
    finish_reason,
    message_id,
    stop_reason,
    usage_from_chat,
    usage_to_chat,
)

Event = tuple[str, Body]


def event(data: Body) -> Event:
    return data["type"], data


class EventWriter:
    """Feed chat chunks in order (``chunk``), then ``end``; each returns the events to send now."""

    def __init__(self, request: Body) -> None:
        self.request = request
        self.started = False
        self.index = -1  # the open content block (-1: none yet)
        self.open: tuple[str, int] | None = None  # ("text", 0) or ("tool", chat tool call index)
        self.finish: Any = None
        self.choice: Body = {}
        self.usage: Any = None

    def chunk(self, chunk: Body) -> Iterator[Event]:
        if not self.started:
            self.started = True
            yield from self._start(chunk)
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            yield from self._delta(choice.get("delta") or {})
            if choice.get("finish_reason") is not None:
                self.finish, self.choice = choice["finish_reason"], choice

    def end(self) -> Iterator[Event]:
        if not self.started:
            yield from self._start({})
        yield from self._close()
        reason, sequence = stop_reason(self.finish, self.choice, self.request.get("stop_sequences"))
        usage = usage_from_chat(self.usage)
        yield event({"type": "message_delta", "delta": {"stop_reason": reason or "end_turn", "stop_sequence": sequence},
                     "usage": usage})  # fmt: skip
        yield event({"type": "message_stop"})

    def _start(self, chunk: Body) -> Iterator[Event]:
        message: Body = {
            "id": message_id(chunk.get("id")),
            "type": "message",
            "role": "assistant",
            "model": chunk.get("model") or self.request.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        yield event({"type": "message_start", "message": message})
        yield event({"type": "ping"})

    def _delta(self, delta: Body) -> Iterator[Event]:
        text = delta.get("content")
        if isinstance(text, str) and text:
            yield from self._open(("text", 0), {"type": "text", "text": ""})
            yield event({"type": "content_block_delta", "index": self.index,
                         "delta": {"type": "text_delta", "text": text}})  # fmt: skip
        for call in delta.get("tool_calls") or ():
            function = call.get("function") or {}
            key = ("tool", call.get("index", 0))
            if self.open != key:
                block = {"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": {}}
                yield from self._open(key, block)
            arguments = function.get("arguments")
            if isinstance(arguments, str) and arguments:
                yield event({"type": "content_block_delta", "index": self.index,
                             "delta": {"type": "input_json_delta", "partial_json": arguments}})  # fmt: skip

    def _open(self, key: tuple[str, int], block: Body) -> Iterator[Event]:
        if self.open == key:
            return
        yield from self._close()
        self.index += 1
        self.open = key
        yield event({"type": "content_block_start", "index": self.index, "content_block": block})

    def _close(self) -> Iterator[Event]:
        if self.open is not None:
            self.open = None
            yield event({"type": "content_block_stop", "index": self.index})


class ChunkReader:
    """Feed an Anthropic upstream's event data in order (``event``); each returns the chat chunks it makes."""

    def __init__(self, include_usage: bool) -> None:
        self.include_usage = include_usage
        self.base: Body = {"object": "chat.completion.chunk", "created": int(time.time())}
        self.usage: Body = {}
        self.tools: dict[int, int] = {}  # content block index → chat tool call index
        self.stop_sequence: Any = None

    def event(self, data: Body) -> list[Body]:
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") or {}
            self.base.update(id=message.get("id"), model=message.get("model"))
            self.usage.update(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(data.get("index", 0), data.get("content_block") or {})
        if kind == "content_block_delta":
            return self._block_delta(data.get("index", 0), data.get("delta") or {})
        if kind == "message_delta":
            return self._message_delta(data)
        if kind == "message_stop" and self.include_usage:
            return [{**self.base, "choices": [], "usage": usage_to_chat(self.usage)}]
        return []  # ping, content_block_stop, and events this gateway does not know

    def _block_start(self, index: int, block: Body) -> list[Body]:
        if block.get("type") == "tool_use":
            self.tools[index] = len(self.tools)
            function = {"name": block.get("name"), "arguments": ""}
            call = {"index": self.tools[index], "id": block.get("id"), "type": "function", "function": function}
            return [self._chunk({"tool_calls": [call]})]
        if block.get("type") == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        return []

    def _block_delta(self, index: int, delta: Body) -> list[Body]:
        if delta.get("type") == "text_delta":
            return [self._chunk({"content": delta.get("text") or ""})]
        if delta.get("type") == "input_json_delta" and index in self.tools:
            call = {"index": self.tools[index], "function": {"arguments": delta.get("partial_json") or ""}}
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _message_delta(self, data: Body) -> list[Body]:
        self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
        delta = data.get("delta") or {}
        choice: Body = {"index": 0, "delta": {}, "finish_reason": finish_reason(delta.get("stop_reason")),
                        "logprobs": None}  # fmt: skip
        if delta.get("stop_sequence"):
            choice["stop_reason"] = delta["stop_sequence"]
        return [{**self.base, "choices": [choice]}]

    def _chunk(self, delta: Body) -> Body:
        return {**self.base, "choices": [{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}]}
