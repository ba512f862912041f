"""Restoring placeholders in Responses answers and events (the guard's last step on this format).

Restored: ``output_text`` parts of message items (JSON-escaped when the request asked for JSON) and
``function_call`` arguments (always JSON-escaped) — in a whole ``response``, in stream deltas
(``response.output_text.delta``, ``response.function_call_arguments.delta``, a placeholder split across
deltas held back until it is whole), and in the events that repeat them (``*.done``, ``content_part.done``,
``output_item.done``, ``response.completed`` / ``incomplete``). Held text left when a part ends goes out as
one more delta before its ``done``; ``sequence_number`` is renumbered as events pass, so it stays 0, 1, 2 ….
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossroads.backends.base import Body
from crossroads.formats import Fix
from crossroads.privacy.transform.restore import StreamRestorer, json_string, plain, restore

Key = tuple[str, int, int]  # (text | args, output_index, content_index)


def restore_answer(answer: Body, fix: Fix, json_content: bool) -> Body:
    for item in answer.get("output") or ():
        restore_item(item, fix, json_content)
    return answer


def restore_item(item: Any, fix: Fix, json_content: bool) -> None:
    if not isinstance(item, dict):
        return
    if item.get("type") == "function_call" and isinstance(item.get("arguments"), str):
        item["arguments"] = fix(item["arguments"], True)
    for part in item.get("content") or ():
        restore_part(part, fix, json_content)


def restore_part(part: Any, fix: Fix, json_content: bool) -> None:
    if isinstance(part, dict) and part.get("type") == "output_text" and isinstance(part.get("text"), str):
        part["text"] = fix(part["text"], json_content)


class ResponsesRestorer:
    def __init__(self, reverse: Mapping[str, str], json_content: bool) -> None:
        self.reverse = reverse
        self.json_content = json_content
        self.parts: dict[Key, StreamRestorer] = {}
        self.item_ids: dict[Key, Any] = {}
        self.seq = 0

    def _fix(self, text: str, is_json: bool) -> str:
        return restore(text, self.reverse, json_string if is_json else plain)

    def _feed(self, key: Key, text: str, item_id: Any) -> str:
        part = self.parts.get(key)
        if part is None:
            self.item_ids[key] = item_id
            is_json = key[0] == "args" or self.json_content
            part = self.parts[key] = StreamRestorer(self.reverse, json_string if is_json else plain)
        return part.feed(text)

    def _numbered(self, events: list[Body]) -> list[Body]:
        for event in events:
            event["sequence_number"] = self.seq
            self.seq += 1
        return events

    def event(self, event: Body) -> list[Body]:
        kind = event.get("type")
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        return self._numbered(handler(self, event) if handler is not None else [event])

    def _text_delta(self, event: Body) -> list[Body]:
        if isinstance(event.get("delta"), str):
            event["delta"] = self._feed(_key("text", event), event["delta"], event.get("item_id"))
        return [event]

    def _args_delta(self, event: Body) -> list[Body]:
        if isinstance(event.get("delta"), str):
            event["delta"] = self._feed(_key("args", event), event["delta"], event.get("item_id"))
        return [event]

    def _text_done(self, event: Body) -> list[Body]:
        out = self._held(_key("text", event), event, "response.output_text.delta", content_index=True)
        if isinstance(event.get("text"), str):
            event["text"] = self._fix(event["text"], self.json_content)
        return [*out, event]

    def _args_done(self, event: Body) -> list[Body]:
        out = self._held(_key("args", event), event, "response.function_call_arguments.delta", content_index=False)
        if isinstance(event.get("arguments"), str):
            event["arguments"] = self._fix(event["arguments"], True)
        return [*out, event]

    def _held(self, key: Key, done: Body, kind: str, content_index: bool) -> list[Body]:
        part = self.parts.pop(key, None)
        rest = part.flush() if part is not None else ""
        if not rest:
            return []
        delta: Body = {"type": kind, "item_id": done.get("item_id"), "output_index": done.get("output_index", 0)}
        if content_index:
            delta.update(content_index=done.get("content_index", 0), logprobs=[])
        delta["delta"] = rest
        return [delta]

    def _part_done(self, event: Body) -> list[Body]:
        restore_part(event.get("part"), self._fix, self.json_content)
        return [event]

    def _item_done(self, event: Body) -> list[Body]:
        restore_item(event.get("item"), self._fix, self.json_content)
        return [event]

    def _finished(self, event: Body) -> list[Body]:
        out = self._flush_all()
        if isinstance(event.get("response"), dict):
            restore_answer(event["response"], self._fix, self.json_content)
        return [*out, event]

    def leftover(self) -> list[Body]:
        return self._numbered(self._flush_all())

    def _flush_all(self) -> list[Body]:
        out: list[Body] = []
        for key in list(self.parts):
            kind, output_index, content_index = key
            rest = self.parts.pop(key).flush()
            base = {"item_id": self.item_ids.get(key), "output_index": output_index}
            if rest and kind == "text":
                out.append({"type": "response.output_text.delta", **base, "content_index": content_index,
                            "delta": rest, "logprobs": []})  # fmt: skip
            elif rest:
                out.append({"type": "response.function_call_arguments.delta", **base, "delta": rest})
        return out


def _key(kind: str, event: Body) -> Key:
    return (kind, int(event.get("output_index") or 0), int(event.get("content_index") or 0))


HANDLERS = {
    "response.output_text.delta": ResponsesRestorer._text_delta,
    "response.function_call_arguments.delta": ResponsesRestorer._args_delta,
    "response.output_text.done": ResponsesRestorer._text_done,
    "response.function_call_arguments.done": ResponsesRestorer._args_done,
    "response.content_part.done": ResponsesRestorer._part_done,
    "response.output_item.done": ResponsesRestorer._item_done,
    "response.completed": ResponsesRestorer._finished,
    "response.incomplete": ResponsesRestorer._finished,
    "response.failed": ResponsesRestorer._finished,
}
