"""Bounds on what a client may ask (``server:`` in crossroads.yaml), each answered 400 beyond:
output tokens (``max_tokens``, ``max_completion_tokens``), messages per chat, nesting depth of the body."""

from __future__ import annotations

from typing import Any

from crossroads.errors import InvalidRequest

TOKEN_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def depth_over(data: Any, limit: int) -> bool:
    """Is ``data`` nested deeper than ``limit`` objects and lists? (iterative: no recursion limit to hit)"""
    level: list[Any] = [data]
    for _ in range(limit):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def check_depth(data: Any, limit: int) -> None:
    if depth_over(data, limit):
        raise InvalidRequest(
            f"The request body nests objects and lists more than {limit} levels deep; flatten it, or raise "
            "server.max_json_depth.",
            code="json_too_deep",
        )


def check_bounds(body: dict[str, Any], server: Any) -> None:
    """``max_tokens`` and the message count within the configured bounds (after schema validation)."""
    for name in TOKEN_FIELDS:
        value = body.get(name)
        if isinstance(value, int) and value > server.max_tokens:
            raise InvalidRequest(
                f"Invalid '{name}': {value} is more than this gateway allows ({server.max_tokens}). Ask for fewer "
                "tokens, or raise server.max_tokens.",
                param=name,
                code="integer_above_max_value",
            )
    messages = body.get("messages")
    if isinstance(messages, list) and len(messages) > server.max_messages:
        raise InvalidRequest(
            f"Invalid 'messages': {len(messages)} messages, more than this gateway allows ({server.max_messages}). "
            "Send fewer, or raise server.max_messages.",
            param="messages",
            code="array_above_max_length",
        )
