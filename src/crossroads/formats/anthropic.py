"""Anthropic Messages requests ↔ Chat Completions requests, by tables.

``to_chat(body)`` turns a Messages request into the Chat Completions request the gateway runs (guard,
metering, routing); ``from_chat(body)`` turns a Chat Completions request into a Messages request (the
``anthropic`` backend). The two round-trip: a Messages request that goes to chat and back is the same request.

What Chat Completions cannot say travels with it as Anthropic's own field names (so the two round-trip), and
``chat_only`` removes it for a backend that speaks only chat: ``cache_control`` (and any other field) of a
block, ``is_error`` of a tool result, blocks with no chat counterpart (``document``, ``thinking``) as content
parts of their own type. Unknown top-level fields pass through as they are.
"""

from __future__ import annotations

from typing import Any

import orjson

from crossroads.backends.base import Body
from crossroads.errors import InvalidRequest, Unsupported

# top-level fields with the same meaning in both formats: Messages name → Chat name
RENAMED = {
    "model": "model",
    "max_tokens": "max_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "stream": "stream",
    "stop_sequences": "stop",
}
CHAT_RENAMED = {chat: messages for messages, chat in RENAMED.items()}
# the Messages fields translated by a function below (everything else passes through)
TRANSLATED = frozenset({*RENAMED, "system", "messages", "tools", "tool_choice", "metadata"})
CHAT_TRANSLATED = frozenset({
    *CHAT_RENAMED, "messages", "tools", "tool_choice", "user", "metadata", "max_completion_tokens",
    "parallel_tool_calls", "stream_options",
})  # fmt: skip
# chat fields with no Messages counterpart: dropped (hints) or refused (they change what the answer is)
CHAT_DROPPED = frozenset({"seed", "store", "service_tier", "presence_penalty", "frequency_penalty", "logit_bias"})
CHAT_REFUSED = {
    "n": "n > 1",
    "logprobs": "logprobs",
    "top_logprobs": "top_logprobs",
    "response_format": "response_format",
    "audio": "audio output",
    "modalities": "modalities",
    "prediction": "prediction",
}
HARMLESS: dict[str, Any] = {"n": 1, "response_format": {"type": "text"}}  # refused fields' values that ask nothing
TOOL_CHOICE = {"auto": "auto", "any": "required", "none": "none"}  # Messages type → chat string
CHAT_TOOL_CHOICE = {chat: messages for messages, chat in TOOL_CHOICE.items()}
# Messages block fields with a chat counterpart; any other field of the block rides along on the chat part
TEXT_FIELDS = frozenset({"type", "text"})
IMAGE_FIELDS = frozenset({"type", "source"})
RESULT_FIELDS = frozenset({"type", "tool_use_id", "content", "is_error"})
USE_FIELDS = frozenset({"type", "id", "name", "input"})
# chat-side extension fields (Anthropic's names) that a backend without Messages does not get
EXTENSION_FIELDS = frozenset({"cache_control", "is_error", "citations"})
CHAT_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file"})


# ---- Messages → Chat ------------------------------------------------------------------------------------------


def to_chat(body: Body) -> Body:
    """The Chat Completions request for a Messages request (already checked against ``MessagesRequest``)."""
    chat: Body = {RENAMED[k]: v for k, v in body.items() if k in RENAMED}
    messages = _system_to_chat(body.get("system"))
    for message in body["messages"]:
        messages += _message_to_chat(message)
    chat["messages"] = messages
    if body.get("tools") is not None:
        chat["tools"] = [_tool_to_chat(t) for t in body["tools"]]
    if body.get("tool_choice") is not None:
        chat.update(_tool_choice_to_chat(body["tool_choice"]))
    if body.get("metadata") is not None:
        chat.update(_metadata_to_chat(body["metadata"]))
    if chat.get("stream"):
        chat["stream_options"] = {"include_usage": True}
    chat.update({k: v for k, v in body.items() if k not in TRANSLATED})
    return chat


def _system_to_chat(system: Any) -> list[Body]:
    if system is None or system == "" or system == []:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    return [{"role": "system", "content": [_part(block) for block in system]}]


def _message_to_chat(message: Body) -> list[Body]:
    extra = {k: v for k, v in message.items() if k not in ("role", "content")}
    content = message["content"]
    if isinstance(content, str):
        return [{"role": message["role"], "content": content, **extra}]
    if message["role"] == "assistant":
        return [_assistant_to_chat(content, extra)]
    results = [_tool_result_to_chat(b) for b in content if b.get("type") == "tool_result"]
    rest = [_part(b) for b in content if b.get("type") != "tool_result"]
    return results + ([{"role": "user", "content": rest, **extra}] if rest or not results else [])


def _assistant_to_chat(content: list[Body], extra: Body) -> Body:
    parts = [_part(b) for b in content if b.get("type") != "tool_use"]
    calls = [_tool_call(b) for b in content if b.get("type") == "tool_use"]
    plain = all(p.keys() == TEXT_FIELDS and p["type"] == "text" for p in parts)
    text: Any = "".join(p["text"] for p in parts) if plain else parts
    message: Body = {"role": "assistant", "content": text if text or not calls else None, **extra}
    if calls:
        message["tool_calls"] = calls
    return message


def _part(block: Body) -> Body:
    """A content block as a chat content part; a block with no chat counterpart stays as it is."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text"), **_extra(block, TEXT_FIELDS)}
    if kind == "image" and isinstance(block.get("source"), dict):
        return {"type": "image_url", "image_url": {"url": _image_url(block["source"])}, **_extra(block, IMAGE_FIELDS)}
    return dict(block)


def _image_url(source: Body) -> Any:
    if source.get("type") == "base64":
        return f"data:{source.get('media_type')};base64,{source.get('data')}"
    if source.get("type") == "url":
        return source.get("url")
    raise Unsupported(
        f"Image source type '{source.get('type')}' is not supported here; send the image as base64 or a URL.",
        param="messages.content.source.type",
    )


def _tool_call(block: Body) -> Body:
    arguments = orjson.dumps(block.get("input", {})).decode()
    call = {"id": block.get("id"), "type": "function", "function": {"name": block.get("name"), "arguments": arguments}}
    return {**call, **_extra(block, USE_FIELDS)}


def _tool_result_to_chat(block: Body) -> Body:
    content = block.get("content", "")
    message: Body = {"role": "tool", "tool_call_id": block.get("tool_use_id")}
    message["content"] = content if isinstance(content, str) else [_part(b) for b in content]
    if block.get("is_error"):
        message["is_error"] = True
    return {**message, **_extra(block, RESULT_FIELDS)}


def _tool_to_chat(tool: Body) -> Body:
    if "input_schema" not in tool:  # a server tool (web search, code execution): Anthropic's own, as it is
        return dict(tool)
    function = {"name": tool.get("name"), "parameters": tool["input_schema"]}
    if "description" in tool:
        function["description"] = tool["description"]
    extra = _extra(tool, frozenset({"name", "description", "input_schema", "type"}))
    return {"type": "function", "function": function, **extra}


def _tool_choice_to_chat(choice: Body) -> Body:
    kind = choice.get("type")
    out: Body = {}
    if kind == "tool":
        out["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    else:
        out["tool_choice"] = TOOL_CHOICE[str(kind)]
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False
    return out


def _metadata_to_chat(metadata: Body) -> Body:
    out: Body = {}
    if metadata.get("user_id") is not None:
        out["user"] = metadata["user_id"]
    rest = {k: v for k, v in metadata.items() if k != "user_id"}
    if rest:
        out["metadata"] = rest
    return out


def _extra(block: Body, known: frozenset[str]) -> Body:
    return {k: v for k, v in block.items() if k not in known}


# ---- Chat → Messages ------------------------------------------------------------------------------------------


def from_chat(body: Body, default_max_tokens: int) -> Body:
    """The Messages request for a Chat Completions request (the ``anthropic`` backend)."""
    for name, what in CHAT_REFUSED.items():
        value = body.get(name)
        if value is not None and value is not False and value != HARMLESS.get(name):
            raise Unsupported(f"{what} is not supported by Anthropic's Messages API.", param=name)
    out: Body = {CHAT_RENAMED[k]: v for k, v in body.items() if k in CHAT_RENAMED}
    out["max_tokens"] = body.get("max_tokens") or body.get("max_completion_tokens") or default_max_tokens
    if isinstance(out.get("stop_sequences"), str):
        out["stop_sequences"] = [out["stop_sequences"]]
    system, messages = _messages_from_chat(body.get("messages") or [])
    if system is not None:
        out["system"] = system
    out["messages"] = messages
    if body.get("tools") is not None:
        out["tools"] = [_tool_from_chat(t) for t in body["tools"]]
    choice = _tool_choice_from_chat(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None:
        out["tool_choice"] = choice
    metadata = {**(body.get("metadata") or {}), **({"user_id": body["user"]} if body.get("user") else {})}
    if metadata:
        out["metadata"] = metadata
    skipped = CHAT_TRANSLATED | CHAT_DROPPED | frozenset(CHAT_REFUSED)
    out.update({k: v for k, v in body.items() if k not in skipped})
    return out


def _messages_from_chat(messages: list[Body]) -> tuple[Any, list[Body]]:
    system: list[Body] = []
    out: list[Body] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system += _blocks(message.get("content"))
        elif role == "tool":
            _add_user_blocks(out, [_tool_result_from_chat(message)])
        elif role == "assistant":
            out.append(_assistant_from_chat(message))
        else:
            _add_user(out, message)
    if not system:
        return None, out
    plain = len(system) == 1 and system[0].keys() == TEXT_FIELDS
    return (system[0]["text"] if plain else system), out


def _add_user(out: list[Body], message: Body) -> None:
    extra = {k: v for k, v in message.items() if k not in ("role", "content", "name")}
    content = message.get("content")
    if out and out[-1]["role"] == "user" and _is_results(out[-1]):  # tool results and the user's words: one turn
        out[-1]["content"] += _blocks(content)
        out[-1].update(extra)
        return
    out.append({"role": "user", "content": content if isinstance(content, str) else _blocks(content), **extra})


def _add_user_blocks(out: list[Body], blocks: list[Body]) -> None:
    if out and out[-1]["role"] == "user" and _is_results(out[-1]):
        out[-1]["content"] += blocks
    else:
        out.append({"role": "user", "content": blocks})


def _is_results(message: Body) -> bool:
    content = message["content"]
    return isinstance(content, list) and all(b.get("type") == "tool_result" for b in content)


def _blocks(content: Any) -> list[Body]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [_block(part) for part in content]


def _block(part: Body) -> Body:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part.get("text"), **_extra(part, TEXT_FIELDS)}
    if kind == "image_url":
        extra = _extra(part, frozenset({"type", "image_url"}))
        return {"type": "image", "source": _image_source(part.get("image_url") or {}), **extra}
    if kind in CHAT_PART_TYPES:
        raise Unsupported(f"Content parts of type '{kind}' are not supported by Anthropic's Messages API.")
    return dict(part)


def _image_source(image: Body) -> Body:
    url = str(image.get("url") or "")
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        media_type = head[len("data:") :].removesuffix(";base64")
        return {"type": "base64", "media_type": media_type, "data": data}
    return {"type": "url", "url": url}


def _assistant_from_chat(message: Body) -> Body:
    content = message.get("content")
    if isinstance(content, str) and content and not message.get("tool_calls"):
        return {"role": "assistant", "content": content}
    blocks = _blocks(content)
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        block = {"type": "tool_use", "id": call.get("id"), "name": function.get("name")}
        block["input"] = _arguments(function.get("arguments"))
        blocks.append({**block, **_extra(call, frozenset({"id", "type", "function"}))})
    return {"role": "assistant", "content": blocks}


def _arguments(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest(
            "A tool call's arguments are not JSON; Anthropic's Messages API needs them as a JSON object.",
            param="messages.tool_calls.function.arguments",
        ) from None
    return value if isinstance(value, dict) else {"value": value}


def _tool_result_from_chat(message: Body) -> Body:
    content = message.get("content")
    block: Body = {"type": "tool_result", "tool_use_id": message.get("tool_call_id")}
    block["content"] = content if isinstance(content, str) or content is None else _blocks(content)
    if block["content"] is None:
        del block["content"]
    if message.get("is_error"):
        block["is_error"] = True
    return {**block, **_extra(message, frozenset({"role", "tool_call_id", "content", "is_error", "name"}))}


def _tool_from_chat(tool: Body) -> Body:
    if tool.get("type") != "function":
        return dict(tool)
    function = tool.get("function") or {}
    out = {"name": function.get("name")}
    if function.get("description") is not None:
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    return {**out, **_extra(tool, frozenset({"type", "function"}))}


def _tool_choice_from_chat(choice: Any, parallel: Any) -> Body | None:
    if choice is None:
        out: Body | None = {"type": "auto"} if parallel is False else None
    elif isinstance(choice, str):
        out = {"type": CHAT_TOOL_CHOICE.get(choice, choice)}
    else:
        out = {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    if out is not None and parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


# ---- what a backend without Messages gets -----------------------------------------------------------------------


def chat_only(body: Body) -> Body:
    """``body`` without the fields only Anthropic knows (see the module docstring): what an OpenAI-compatible
    backend gets. Only the messages that carry such a field are copied."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not any(_has_extension(m) for m in messages):
        return body
    return {**body, "messages": [_strip(m) if _has_extension(m) else m for m in messages]}


def _has_extension(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    if "is_error" in message:
        return True
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(p, dict) and (p.get("type") not in CHAT_PART_TYPES or not EXTENSION_FIELDS.isdisjoint(p))
        for p in content
    )


def _strip(message: Body) -> Body:
    out = {k: v for k, v in message.items() if k != "is_error"}
    content = message.get("content")
    if isinstance(content, list):
        parts = [{k: v for k, v in p.items() if k not in EXTENSION_FIELDS} for p in content if isinstance(p, dict)]
        out["content"] = [p for p in parts if p.get("type") in CHAT_PART_TYPES]
    if message.get("is_error") and isinstance(out.get("content"), str):
        out["content"] = "Error: " + out["content"]
    return out
