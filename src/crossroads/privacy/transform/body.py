"""Placeholders a client's request already holds, and restoring an answer (what is read in a request is
listed in ``walk``).

Restored in an answer: ``message.content``, ``tool_calls[].function.arguments`` (JSON-escaped),
completions ``text``, legacy ``function_call.arguments`` (JSON-escaped) — in whole answers and in stream
deltas (``stream``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossroads.backends.base import Body
from crossroads.privacy.transform.restore import PLACEHOLDER


def placeholders_in(body: Body) -> frozenset[str]:
    """Every placeholder-shaped text anywhere in a request (what the client typed, not what the guard made)."""
    found: set[str] = set()
    todo: list[Any] = [body]
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            found.update(PLACEHOLDER.findall(node) if "<" in node else ())
        elif isinstance(node, dict):
            todo += [*node.keys(), *node.values()]
        elif isinstance(node, list):
            todo += node
    return frozenset(found)


Restore = Callable[[str, bool], str]  # (text, is_json) -> restored text


def json_answer(body: Body) -> bool:
    """The request asks for a JSON answer (``response_format`` ``json_object`` or ``json_schema``): restored
    values go into its content JSON-escaped, like tool-call arguments."""
    response_format = body.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in {"json_object", "json_schema"}


def restore_answer(answer: Body, fix: Restore, json_content: bool = False) -> Body:
    """Restore in place every choice of a whole answer."""
    for choice in answer.get("choices") or []:
        _restore_part(choice.get("message") or {}, fix, json_content)
        if isinstance(choice.get("text"), str):
            choice["text"] = fix(choice["text"], False)
    return answer


def _restore_part(part: dict[str, Any], fix: Restore, json_content: bool) -> None:
    if isinstance(part.get("content"), str):
        part["content"] = fix(part["content"], json_content)
    calls = [call.get("function") or {} for call in part.get("tool_calls") or []]
    for function in [*calls, part.get("function_call") or {}]:
        if isinstance(function.get("arguments"), str):
            function["arguments"] = fix(function["arguments"], True)
