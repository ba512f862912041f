"""A Chat Completions answer as a Responses ``response`` object, and usage both ways.

    message.content          → a ``message`` item with one ``output_text`` part
    message.refusal          → a ``refusal`` part of that item
    message.tool_calls[]     → ``function_call`` items (``call_id`` = the chat call's ``id``)
    finish_reason            → ``STATUS``: status and ``incomplete_details.reason``
    usage                    → ``USAGE`` (input/output tokens, cached and reasoning tokens in their details)

The request's own settings are echoed the way OpenAI echoes them (``ECHOED``, with their defaults).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from crossroads.backends.base import Body

STATUS: dict[str | None, tuple[str, str | None]] = {
    "stop": ("completed", None),
    "tool_calls": ("completed", None),
    "function_call": ("completed", None),
    "length": ("incomplete", "max_output_tokens"),
    "content_filter": ("incomplete", "content_filter"),
}
# (Responses usage path, Chat Completions usage path)
USAGE = (
    (("input_tokens",), ("prompt_tokens",)),
    (("output_tokens",), ("completion_tokens",)),
    (("total_tokens",), ("total_tokens",)),
    (("input_tokens_details", "cached_tokens"), ("prompt_tokens_details", "cached_tokens")),
    (("input_tokens_details", "cache_write_tokens"), ("prompt_tokens_details", "cache_write_tokens")),
    (("output_tokens_details", "reasoning_tokens"), ("completion_tokens_details", "reasoning_tokens")),
)
ECHOED: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "service_tier": "default",
    "store": False,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_logprobs": 0,
    "top_p": 1.0,
    "truncation": "disabled",
    "background": False,
}
ECHOED_WHEN_SET = ("user", "safety_identifier", "prompt_cache_key")  # absent unless the request had them


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def response(
    request: Body,
    *,
    status: str,
    output: list[Body],
    model: Any,
    ident: str | None = None,
    created_at: int | None = None,
    usage: Body | None = None,
    incomplete: str | None = None,
) -> Body:
    """A ``response`` object for ``request`` with the request's settings echoed."""
    answer: Body = {
        "id": ident or new_id("resp"),
        "object": "response",
        "created_at": created_at or int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "model": model or request.get("model"),
        "output": output,
    }
    for key, default in ECHOED.items():
        value = request.get(key)
        answer[key] = default if value is None else value
    answer["tools"] = [_echoed_tool(tool) for tool in answer["tools"]]
    for key in ECHOED_WHEN_SET:
        if request.get(key) is not None:
            answer[key] = request[key]
    if usage is not None:
        answer["usage"] = usage
    return answer


def _echoed_tool(tool: Any) -> Any:
    """A function tool as a response echoes it: ``parameters`` and ``strict`` always there (null if not given)."""
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return tool
    return {"parameters": None, "strict": None, **tool}


def from_chat(answer: Body, request: Body) -> Body:
    choices = answer.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    status, incomplete = STATUS.get(choice.get("finish_reason"), ("completed", None))
    return response(
        request,
        status=status,
        output=message_items(choice.get("message") or {}),
        model=answer.get("model"),
        created_at=answer.get("created"),
        usage=responses_usage(answer.get("usage")),
        incomplete=incomplete,
    )


def message_items(message: Body) -> list[Body]:
    items: list[Body] = []
    parts: list[Body] = []
    if isinstance(message.get("content"), str) and message["content"]:
        parts.append(text_part(message["content"]))
    if message.get("refusal"):
        parts.append({"type": "refusal", "refusal": message["refusal"]})
    if parts:
        items.append(message_item(new_id("msg"), parts, "completed"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        items.append(
            call_item(new_id("fc"), call.get("id"), function.get("name"), function.get("arguments"), "completed")
        )
    return items


def text_part(text: str) -> Body:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(ident: str, parts: list[Body], status: str) -> Body:
    return {"type": "message", "id": ident, "status": status, "role": "assistant", "content": parts}


def call_item(ident: str, call_id: Any, name: Any, arguments: Any, status: str) -> Body:
    return {
        "type": "function_call",
        "id": ident,
        "call_id": call_id or new_id("call"),
        "name": name or "",
        "arguments": arguments or "",
        "status": status,
    }


def responses_usage(usage: Any) -> Body | None:
    """Chat Completions usage → Responses usage (the details always present, as OpenAI sends them)."""
    if not isinstance(usage, dict):
        return None
    out: Body = {
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    for (*r_path, r_key), c_path in USAGE:
        value = _get(usage, c_path)
        if isinstance(value, int):
            _at(out, r_path)[r_key] = value
    out.setdefault("input_tokens", 0)
    out.setdefault("output_tokens", 0)
    out.setdefault("total_tokens", out["input_tokens"] + out["output_tokens"])
    return {k: out[k] for k in ("input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details",
                                "total_tokens")}  # fmt: skip


def chat_usage(usage: Any) -> Body | None:
    """Responses usage → Chat Completions usage (what the ledger, budgets and prices read)."""
    if not isinstance(usage, dict):
        return None
    out: Body = {}
    for r_path, (*c_path, c_key) in USAGE:
        value = _get(usage, r_path)
        if isinstance(value, int):
            _at(out, c_path)[c_key] = value
    return out


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _at(data: Body, path: list[str]) -> Body:
    for key in path:
        data = data.setdefault(key, {})
    return data
