"""Restoring placeholders in Messages answers and stream events (the guard's last step on this format).

Restored: the text of ``text`` blocks and every string (and key) of a ``tool_use`` block's ``input`` in a
whole message; in a stream, ``text_delta`` text and ``input_json_delta`` JSON (values JSON-escaped there),
a placeholder split across deltas held back until it is whole. What a block still holds when it stops goes
out as one more delta before its ``content_block_stop``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crossroads.backends.base import Body
from crossroads.formats import Fix
from crossroads.privacy.transform.restore import StreamRestorer, json_string, plain

FIELDS = {"text_delta": "text", "input_json_delta": "partial_json"}


def restore_answer(answer: Body, fix: Fix) -> Body:
    for block in answer.get("content") or ():
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            block["text"] = fix(block["text"], False)
        elif block.get("type") == "tool_use" and "input" in block:
            block["input"] = _restored(block["input"], fix)
    return answer


def _restored(value: Any, fix: Fix) -> Any:
    if isinstance(value, str):
        return fix(value, False)
    if isinstance(value, dict):
        return {fix(k, False): _restored(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v, fix) for v in value]
    return value


class MessagesRestorer:
    def __init__(self, reverse: Mapping[str, str]) -> None:
        self.reverse = reverse
        self.parts: dict[int, tuple[str, StreamRestorer]] = {}  # block index → (delta type, its restorer)

    def event(self, event: Body) -> list[Body]:
        kind = event.get("type")
        if kind == "content_block_delta":
            self._delta(event.get("index", 0), event.get("delta"))
            return [event]
        if kind == "content_block_stop":
            return [*self._flush(event.get("index", 0)), event]
        return [event]

    def leftover(self) -> list[Body]:
        return [e for index in list(self.parts) for e in self._flush(index)]

    def _delta(self, index: int, delta: Any) -> None:
        field = FIELDS.get(str(delta.get("type"))) if isinstance(delta, dict) else None
        if field is None or not isinstance(delta.get(field), str):
            return
        if index not in self.parts:
            escape = json_string if field == "partial_json" else plain
            self.parts[index] = (delta["type"], StreamRestorer(self.reverse, escape))
        delta[field] = self.parts[index][1].feed(delta[field])

    def _flush(self, index: int) -> list[Body]:
        if index not in self.parts:
            return []
        kind, part = self.parts.pop(index)
        rest = part.flush()
        if not rest:
            return []
        return [{"type": "content_block_delta", "index": index, "delta": {"type": kind, FIELDS[kind]: rest}}]
