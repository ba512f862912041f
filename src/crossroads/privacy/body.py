"""Where the text is in a request and in an answer, so the guard can scan, rewrite and restore it.

Scanned in a request: chat message ``content`` (strings and ``text`` parts), ``name``, assistant
``tool_calls[].function.arguments``; completions ``prompt``; embeddings ``input`` (strings).
Restored in an answer: ``message.content``, ``tool_calls[].function.arguments`` (JSON-escaped),
completions ``text`` — in whole answers and in stream deltas.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from crossroads.backends.base import Body, Endpoint

Path = tuple[str | int, ...]


def _message_slots(message: Any, base: Path) -> Iterator[Path]:
    if not isinstance(message, dict):
        return
    content = message.get("content")
    if isinstance(content, str):
        yield (*base, "content")
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield (*base, "content", j, "text")
    if isinstance(message.get("name"), str):
        yield (*base, "name")
    for k, call in enumerate(message.get("tool_calls") or []):
        if isinstance(call, dict) and isinstance((call.get("function") or {}).get("arguments"), str):
            yield (*base, "tool_calls", k, "function", "arguments")


def text_slots(endpoint: Endpoint, body: Body) -> list[Path]:
    if endpoint is Endpoint.CHAT:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return []
        return [p for i, m in enumerate(messages) for p in _message_slots(m, ("messages", i))]
    field = "prompt" if endpoint is Endpoint.COMPLETIONS else "input"
    value = body.get(field)
    if isinstance(value, str):
        return [(field,)]
    if isinstance(value, list):
        return [(field, i) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def get(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


def with_texts(body: Body, changes: dict[Path, str]) -> Body:
    """A copy of ``body`` with the text at each path replaced (the client's body is not touched)."""
    if not changes:
        return body
    out = dict(body)
    for root in {str(path[0]) for path in changes}:
        out[root] = copy.deepcopy(body[root])
    for path, text in changes.items():
        get(out, path[:-1])[path[-1]] = text
    return out


Restore = Callable[[str, bool], str]  # (text, is_json) -> restored text


def restore_answer(answer: Body, fix: Restore) -> Body:
    """Restore in place every choice of a whole answer."""
    for choice in answer.get("choices") or []:
        _restore_part(choice.get("message") or {}, fix)
        if isinstance(choice.get("text"), str):
            choice["text"] = fix(choice["text"], False)
    return answer


def _restore_part(part: dict[str, Any], fix: Restore) -> None:
    if isinstance(part.get("content"), str):
        part["content"] = fix(part["content"], False)
    for call in part.get("tool_calls") or []:
        function = call.get("function") or {}
        if isinstance(function.get("arguments"), str):
            function["arguments"] = fix(function["arguments"], True)
