"""A Chat Completions chunk stream as the Responses API's typed events.

    first chunk          → response.created, response.in_progress
    delta.content        → (response.output_item.added + response.content_part.added) response.output_text.delta
    delta.tool_calls[i]  → (response.output_item.added) response.function_call_arguments.delta
    a new item begins    → the open text item ends: output_text.done, content_part.done, output_item.done
    finish               → every open item ends (function_call_arguments.done, output_item.done), then
                           response.completed — or response.incomplete for ``length`` / ``content_filter``

Every event carries ``sequence_number`` (0, 1, 2 …); the first event waits for the first chat chunk, so a
backend that fails before answering fails the attempt (and the client gets a status code).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from crossroads.backends.base import Body
from crossroads.formats.responses_answer import (
    STATUS,
    call_item,
    message_item,
    new_id,
    response,
    responses_usage,
    text_part,
)


class _Item:
    """One output item being streamed: a message with one text part, or a function call."""

    def __init__(self, index: int, kind: str, call_id: Any = None, name: Any = None) -> None:
        self.index = index
        self.kind = kind
        self.id = new_id("msg" if kind == "message" else "fc")
        self.call_id = call_id or (new_id("call") if kind == "function_call" else None)  # a message has none
        self.name = name or ""
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def body(self, status: str) -> Body:
        if self.kind == "message":
            parts = [text_part(self.text)] if status == "completed" else []
            return message_item(self.id, parts, status)
        return call_item(self.id, self.call_id, self.name, self.text if status == "completed" else "", status)


class EventMaker:
    def __init__(self, request: Body) -> None:
        self.request = request
        self.seq = 0
        self.id = new_id("resp")
        self.created_at: int | None = None
        self.model: Any = None
        self.items: list[_Item] = []
        self.open: list[_Item] = []
        self.text_item: _Item | None = None
        self.calls: dict[int, _Item] = {}
        self.finish: str | None = None
        self.usage: Any = None
        self.echoed: Body | None = None

    def event(self, kind: str, **fields: Any) -> Body:
        event = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return event

    def snapshot(self, status: str, incomplete: str | None = None, usage: Any = None) -> Body:
        """The response so far; the request's echoed settings are built once, on the first snapshot."""
        if self.echoed is None:
            model = self.model or self.request.get("model")
            self.echoed = response(self.request, status=status, output=[], model=model, ident=self.id,
                                   created_at=self.created_at)  # fmt: skip
        answer = dict(self.echoed)  # the same keys in the same order, each snapshot its own dict
        answer["status"] = status
        answer["incomplete_details"] = {"reason": incomplete} if incomplete else None
        if status != "in_progress":
            answer["output"] = [item.body("completed") for item in self.items]
        if usage is not None:
            answer["usage"] = usage
        return answer

    def start(self, chunk: Body) -> list[Body]:
        self.created_at = chunk.get("created")
        self.model = chunk.get("model")
        snapshot = self.snapshot("in_progress")
        return [
            self.event("response.created", response=snapshot),
            self.event("response.in_progress", response=snapshot),
        ]

    def chunk(self, chunk: Body) -> list[Body]:
        out: list[Body] = []
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue  # Responses has one answer per request
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str) and delta["content"]:
                out += self._text(delta["content"])
            for call in delta.get("tool_calls") or ():
                out += self._call(call)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return out

    def _add(self, item: _Item) -> Body:
        self.items.append(item)
        self.open.append(item)
        return self.event("response.output_item.added", output_index=item.index, item=item.body("in_progress"))

    def _text(self, text: str) -> list[Body]:
        out: list[Body] = []
        item = self.text_item
        if item is None:
            item = self.text_item = _Item(len(self.items), "message")
            out.append(self._add(item))
            out.append(self._part_event("response.content_part.added", item, text_part("")))
        item.parts.append(text)
        out.append(
            self.event(
                "response.output_text.delta",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                delta=text,
                logprobs=[],
            )
        )
        return out

    def _call(self, call: Body) -> list[Body]:
        out: list[Body] = []
        function = call.get("function") or {}
        item = self.calls.get(call.get("index", 0))
        if item is None:
            if self.text_item is not None:
                out += self._close(self.text_item)
            item = _Item(len(self.items), "function_call", call.get("id"), function.get("name"))
            self.calls[call.get("index", 0)] = item
            out.append(self._add(item))
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            item.parts.append(arguments)
            out.append(
                self.event(
                    "response.function_call_arguments.delta", item_id=item.id, output_index=item.index, delta=arguments
                )
            )
        return out

    def _part_event(self, kind: str, item: _Item, part: Body) -> Body:
        return self.event(kind, item_id=item.id, output_index=item.index, content_index=0, part=part)

    def _close(self, item: _Item) -> list[Body]:
        self.open.remove(item)
        out: list[Body] = []
        if item.kind == "message":
            self.text_item = None
            out.append(
                self.event(
                    "response.output_text.done",
                    item_id=item.id,
                    output_index=item.index,
                    content_index=0,
                    text=item.text,
                    logprobs=[],
                )
            )
            out.append(self._part_event("response.content_part.done", item, text_part(item.text)))
        else:
            out.append(
                self.event(
                    "response.function_call_arguments.done",
                    item_id=item.id,
                    output_index=item.index,
                    name=item.name,
                    arguments=item.text,
                )
            )
        out.append(self.event("response.output_item.done", output_index=item.index, item=item.body("completed")))
        return out

    def end(self) -> list[Body]:
        out: list[Body] = []
        for item in list(self.open):
            out += self._close(item)
        status, incomplete = STATUS.get(self.finish, ("completed", None))
        snapshot = self.snapshot(status, incomplete, responses_usage(self.usage))
        out.append(self.event(f"response.{status}", response=snapshot))
        return out


async def stream_from_chat(chunks: AsyncIterator[Body], request: Body) -> AsyncIterator[Body]:
    maker = EventMaker(request)
    started = False
    try:
        async for chunk in chunks:
            if not started:
                started = True
                for event in maker.start(chunk):
                    yield event
            for event in maker.chunk(chunk):
                yield event
        if started:
            for event in maker.end():
                yield event
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
