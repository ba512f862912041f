"""A Responses request as a Chat Completions request.

    instructions                        → a first ``system`` message
    input (a string)                    → one ``user`` message
    input items:
      message (role, content)           → a message; parts input_text/output_text → text, input_image →
                                          image_url (detail kept), input_file → file, input_audio → input_audio
      function_call (call_id, name, …)  → a ``tool_calls`` entry of an assistant message (consecutive calls share one)
      function_call_output              → a ``tool`` message (``tool_call_id`` = ``call_id``)
      reasoning                         → dropped (chat has no place for it; the model reasons again)
    tools (type function)               → chat's nested ``function`` tools; a hosted tool → 400 (``HOSTED_TOOLS``)
    tool_choice                         → chat's; ``{"type": "function", "name"}`` nested
    text.format                         → ``response_format`` (json_schema's name/schema/strict nested)
    reasoning.effort                    → ``reasoning_effort``
    max_output_tokens                   → ``max_tokens``
    RENAMED / KEPT fields               → as named there; DROPPED fields have no chat meaning
    any other field                     → passed on as it came (read by the guard like the rest)

``store`` and ``previous_response_id`` are the gateway's own (``api/responses_api.py``); they never reach here.
"""

from __future__ import annotations

from typing import Any

from crossroads.backends.base import Body
from crossroads.errors import InvalidRequest

KEPT = ("model", "temperature", "top_p", "parallel_tool_calls", "metadata", "user", "service_tier", "stream",
        "safety_identifier", "prompt_cache_key", "top_logprobs")  # fmt: skip
RENAMED = {"max_output_tokens": "max_tokens"}
DROPPED = frozenset({
    "input", "instructions", "tools", "tool_choice", "text", "reasoning", "store", "previous_response_id",
    "include", "truncation", "background", "max_tool_calls", "prompt_cache_retention", "stream_options",
    "conversation", "context_management",
})  # fmt: skip
HOSTED_TOOLS = frozenset({
    "web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11", "file_search",
    "code_interpreter", "computer_use_preview", "computer_use", "image_generation", "mcp", "local_shell", "shell",
    "apply_patch", "custom",
})  # fmt: skip
ROLES = {"developer": "system"}  # every chat server knows system; OpenAI reads it as developer for its models
PARTS: dict[str, str] = {"input_text": "text", "output_text": "text", "text": "text"}


def to_chat(body: Body) -> Body:
    chat: Body = {key: body[key] for key in KEPT if key in body}
    chat.update({new: body[old] for old, new in RENAMED.items() if body.get(old) is not None})
    if chat.get("top_logprobs"):
        chat["logprobs"] = True
    chat["messages"] = _messages(body)
    if body.get("tools"):
        chat["tools"] = [_tool(tool, i) for i, tool in enumerate(body["tools"])]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    response_format = _response_format((body.get("text") or {}).get("format"))
    if response_format is not None:
        chat["response_format"] = response_format
    effort = (body.get("reasoning") or {}).get("effort")
    if effort:
        chat["reasoning_effort"] = effort
    if body.get("stream"):
        chat["stream_options"] = {"include_usage": True}  # usage goes in response.completed
    for key, value in body.items():  # fields unknown to the Responses API pass on as they came
        if key not in chat and key not in DROPPED and key not in RENAMED and key not in KEPT:
            chat[key] = value
    return chat


def _messages(body: Body) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        messages.append({"role": "system", "content": body["instructions"]})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
        return messages
    for i, item in enumerate(given or []):
        if not isinstance(item, dict):
            raise InvalidRequest(f"Invalid input item at input[{i}]: expected an object.", param=f"input[{i}]")
        kind = item.get("type") or "message"
        add = ITEMS.get(kind)
        if add is None:
            raise InvalidRequest(
                f"Input items of type '{kind}' can only be sent to a backend that speaks the Responses API "
                "natively (responses: native); this model's backend takes Chat Completions.",
                param=f"input[{i}]",
                code="unsupported_input_item",
            )
        add(messages, item)
    return messages


def _message(messages: list[dict[str, Any]], item: dict[str, Any]) -> None:
    role = item.get("role") or "user"
    role = ROLES.get(role, role)
    content = item.get("content")
    if isinstance(content, list):
        parts = [_part(p) for p in content]
        if role != "user" and all(p.get("type") == "text" for p in parts):
            content = "".join(str(p.get("text", "")) for p in parts)  # system and assistant: plain text
        else:
            content = parts
    messages.append({"role": role, "content": content})


def _part(part: Any) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise InvalidRequest("Each content part must be an object with a 'type'.", param="input")
    kind = part.get("type")
    if kind in PARTS:
        return {"type": "text", "text": part.get("text", "")}
    if kind == "refusal":
        return {"type": "text", "text": part.get("refusal", "")}
    if kind == "input_image":
        url = part.get("image_url") or part.get("file_id")
        image = {"url": url, **({"detail": part["detail"]} if part.get("detail") else {})}
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        keys = ("file_data", "file_id", "filename")
        return {"type": "file", "file": {k: part[k] for k in keys if part.get(k) is not None}}
    if kind == "input_audio":
        return {"type": "input_audio", "input_audio": part.get("input_audio", {})}
    raise InvalidRequest(f"Unsupported content part type '{kind}'.", param="input", code="unsupported_content_part")


def _function_call(messages: list[dict[str, Any]], item: dict[str, Any]) -> None:
    call = {
        "id": item.get("call_id") or item.get("id"),
        "type": "function",
        "function": {"name": item.get("name"), "arguments": item.get("arguments") or "{}"},
    }
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant" and last.get("tool_calls") is not None:
        last["tool_calls"].append(call)
    elif last is not None and last["role"] == "assistant" and not last.get("tool_calls"):
        last["tool_calls"] = [call]
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _function_output(messages: list[dict[str, Any]], item: dict[str, Any]) -> None:
    output = item.get("output")
    content: Any = output if isinstance(output, str) else [_part(p) for p in output or []]
    messages.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": content})


def _skip(messages: list[dict[str, Any]], item: dict[str, Any]) -> None:
    return None


ITEMS = {"message": _message, "function_call": _function_call, "function_call_output": _function_output,
         "reasoning": _skip}  # fmt: skip


def _tool(tool: Any, index: int) -> dict[str, Any]:
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind != "function":
        raise InvalidRequest(
            f"The tool '{kind}' is a hosted tool: only a backend that speaks the Responses API natively "
            "(responses: native) can run it, and this model's backend does not. Use function tools, or a model "
            "served by such a backend.",
            param=f"tools[{index}]",
            code="unsupported_tool",
        )
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        return choice.get("mode", "auto")
    kind = choice.get("type") if isinstance(choice, dict) else choice
    raise InvalidRequest(
        f"tool_choice '{kind}' names a hosted tool, which this model's backend cannot run.",
        param="tool_choice",
        code="unsupported_tool",
    )


def _response_format(fmt: Any) -> dict[str, Any] | None:
    if not isinstance(fmt, dict) or fmt.get("type") in (None, "text"):
        return None
    if fmt.get("type") == "json_schema":
        keys = ("name", "schema", "strict", "description")
        return {"type": "json_schema", "json_schema": {k: fmt[k] for k in keys if fmt.get(k) is not None}}
    return {"type": fmt["type"]}
