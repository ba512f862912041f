"""Anthropic Messages answers ↔ Chat Completions answers, and usage and stop reasons between the two.

``answer_from_chat`` gives a Messages client its answer from the gateway's chat answer; ``answer_to_chat``
turns an Anthropic upstream's answer into a chat answer (the ``anthropic`` backend). Stop reasons and usage
fields are tables; a stop sequence that ended the text is told by the chat choice's ``stop_reason`` (vLLM's
field, which the ``anthropic`` backend fills too).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from crossroads.backends.base import Body

# chat finish_reason → Messages stop_reason
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
# Messages stop_reason → chat finish_reason
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
    "model_context_window_exceeded": "length",
}
# Messages usage fields that count prompt tokens besides input_tokens: field → chat prompt_tokens_details field
PROMPT_PARTS = {"cache_read_input_tokens": "cached_tokens", "cache_creation_input_tokens": "cache_creation_tokens"}


def message_id(chat_id: Any) -> str:
    """``msg_…`` for a chat answer's id (an id that already is one is kept)."""
    text = str(chat_id or "")
    if text.startswith("msg_"):
        return text
    tail = text.removeprefix("chatcmpl-")
    return "msg_" + (tail if tail and tail.replace("-", "").replace("_", "").isalnum() else uuid.uuid4().hex)


def stop_reason(finish: Any, choice: Body, stops: Any) -> tuple[str | None, str | None]:
    """(stop_reason, stop_sequence) for a chat choice's finish reason."""
    matched = choice.get("stop_reason")
    if finish == "stop" and isinstance(matched, str) and matched in (stops or ()):
        return "stop_sequence", matched
    return (STOP_REASONS.get(finish, "end_turn") if finish is not None else None), None


def usage_from_chat(usage: Any) -> Body:
    usage = usage if isinstance(usage, dict) else {}
    details = usage.get("prompt_tokens_details") or {}
    parts = {name: int(details.get(chat) or usage.get(name) or 0) for name, chat in PROMPT_PARTS.items()}
    prompt = int(usage.get("prompt_tokens") or 0)
    return {
        "input_tokens": max(prompt - sum(parts.values()), 0),
        "output_tokens": int(usage.get("completion_tokens") or 0),
        "cache_creation_input_tokens": parts["cache_creation_input_tokens"],
        "cache_read_input_tokens": parts["cache_read_input_tokens"],
    }


def usage_to_chat(usage: Any) -> Body:
    usage = usage if isinstance(usage, dict) else {}
    parts = {chat: int(usage.get(name) or 0) for name, chat in PROMPT_PARTS.items()}
    prompt = int(usage.get("input_tokens") or 0) + sum(parts.values())
    completion = int(usage.get("output_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": parts,
    }


def answer_from_chat(answer: Body, request: Body) -> Body:
    """The Messages answer for a chat answer to the Messages ``request`` (its first choice)."""
    choice = (answer.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Body] = []
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    content += [tool_use(call) for call in message.get("tool_calls") or ()]
    reason, sequence = stop_reason(choice.get("finish_reason"), choice, request.get("stop_sequences"))
    return {
        "id": message_id(answer.get("id")),
        "type": "message",
        "role": "assistant",
        "model": answer.get("model") or request.get("model"),
        "content": content,
        "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": usage_from_chat(answer.get("usage")),
    }


def tool_use(call: Body) -> Body:
    function = call.get("function") or {}
    return {"type": "tool_use", "id": call.get("id"), "name": function.get("name"), "input": _input(function)}


def _input(function: Body) -> Any:
    raw = function.get("arguments")
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"arguments": raw}  # the model wrote something that is not JSON: given as it is, not lost
    return value if isinstance(value, dict) else {"value": value}


def answer_to_chat(answer: Body) -> Body:
    """The chat answer for an Anthropic upstream's Messages answer."""
    texts, calls = [], []
    for block in answer.get("content") or ():
        if block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            function = {"name": block.get("name"), "arguments": arguments}
            calls.append({"id": block.get("id"), "type": "function", "function": function})
    message: Body = {"role": "assistant", "content": "".join(texts) if texts or not calls else None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    choice: Body = {"index": 0, "message": message, "finish_reason": finish_reason(answer.get("stop_reason")),
                    "logprobs": None}  # fmt: skip
    if answer.get("stop_sequence"):
        choice["stop_reason"] = answer["stop_sequence"]
    return {
        "id": answer.get("id") or message_id(None),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.get("model"),
        "choices": [choice],
        "usage": usage_to_chat(answer.get("usage")),
    }


def finish_reason(reason: Any) -> str | None:
    return None if reason is None else FINISH_REASONS.get(str(reason), "stop")
