"""Messages and forced tool calls for the embedded backend.

A forced call (``tool_choice`` naming a function, or ``"required"``) is generated under a grammar
for ``{"name": <one of the tools>, "arguments": <its parameters schema>}``, after a system hint that
describes the tools, so the answer always parses. ``tool_choice: "none"`` ignores the tools.
``"auto"`` (the default when tools are sent) is refused: small local models have no reliable way to
decide between answering and calling, and guessing would be dishonest.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from crossroads.backends.base import Body
from crossroads.errors import InvalidRequest, Unsupported


@dataclass(frozen=True)
class ToolPlan:
    names: list[str]
    grammar: Any
    hint: str


def _functions(tools: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(tools, list) or not tools:
        raise InvalidRequest("tools must be a non-empty list of {'type': 'function', 'function': {...}}", param="tools")
    out: dict[str, dict[str, Any]] = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest("each tool must be {'type': 'function', 'function': {'name': ...}}", param="tools")
        out[function["name"]] = function
    return out


def _chosen(choice: Any, functions: dict[str, dict[str, Any]]) -> list[str] | None:
    """Names the model must choose from, or None to ignore the tools."""
    if choice == "none":
        return None
    if choice == "required":
        return list(functions)
    name = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if isinstance(name, str):
        if name not in functions:
            raise InvalidRequest(f"tool_choice names '{name}', which is not in tools", param="tool_choice")
        return [name]
    if choice in (None, "auto"):
        raise Unsupported(
            "tool_choice 'auto' is not supported by the embedded backend: force a call with tool_choice "
            "{'type': 'function', 'function': {'name': ...}} or 'required', or send tool_choice 'none'",
            param="tool_choice",
        )
    raise InvalidRequest("tool_choice must be 'none', 'auto', 'required' or a named function", param="tool_choice")


def _parameters(function: dict[str, Any]) -> dict[str, Any]:
    parameters = function.get("parameters")
    return parameters if isinstance(parameters, dict) and parameters else {"type": "object"}


def _schema(names: list[str], functions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    options = [
        {
            "type": "object",
            "properties": {"name": {"const": name}, "arguments": _parameters(functions[name])},
            "required": ["name", "arguments"],
        }
        for name in names
    ]
    return options[0] if len(options) == 1 else {"anyOf": options}


def _hint(names: list[str], functions: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"- {name}: {functions[name].get('description', '')} parameters: {json.dumps(_parameters(functions[name]))}"
        for name in names
    ]
    return (
        "You call a function. Reply with only a JSON object "
        '{"name": <function name>, "arguments": {...}} for one of these functions:\n' + "\n".join(lines)
    )


def json_grammar(schema: dict[str, Any] | None, param: str) -> Any:
    """A LlamaGrammar for any JSON object (schema None) or for ``schema``."""
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar, json_schema_to_gbnf

    if schema is None:
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    try:
        gbnf = json_schema_to_gbnf(json.dumps(schema))
    except (AssertionError, AttributeError, KeyError, TypeError, ValueError, RecursionError) as exc:
        raise InvalidRequest(f"{param}: cannot turn the JSON schema into a grammar: {exc}", param=param) from None
    # strings must not hold raw control characters, or strict JSON parsers reject the output
    gbnf = gbnf.replace('char ::= [^"\\\\] |', 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |')
    return LlamaGrammar.from_string(gbnf, verbose=False)


def tool_plan(body: Body) -> ToolPlan | None:
    if body.get("tools") is None:
        if body.get("tool_choice") not in (None, "none", "auto"):
            raise InvalidRequest("tool_choice needs tools", param="tool_choice")
        return None
    functions = _functions(body["tools"])
    names = _chosen(body.get("tool_choice"), functions)
    if names is None:
        return None
    grammar = json_grammar(_schema(names, functions), "tools")
    return ToolPlan(names=names, grammar=grammar, hint=_hint(names, functions))


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise Unsupported(f"the embedded backend reads text only, not '{kind}' content parts", param="messages")
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise InvalidRequest("message content must be a string or a list of text parts", param="messages")


def _message(message: Any) -> dict[str, str]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise InvalidRequest("each message must be an object with a role and content", param="messages")
    role = "system" if message["role"] == "developer" else message["role"]
    text = _text(message.get("content"))
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        text += json.dumps({"name": function.get("name"), "arguments": _loads(function.get("arguments"))})
    return {"role": role, "content": text}


def _loads(arguments: Any) -> Any:
    try:
        return json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        return arguments


def messages_for_llama(messages: Any, tools: ToolPlan | None) -> list[dict[str, str]]:
    """Plain ``{role, content: str}`` messages; a forced tool call adds its hint to the system message."""
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list", param="messages")
    out = [_message(m) for m in messages]
    if tools is not None:
        if out[0]["role"] == "system":
            out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + tools.hint}
        else:
            out.insert(0, {"role": "system", "content": tools.hint})
    return out


def tool_calls(text: str) -> list[dict[str, Any]] | None:
    """OpenAI ``tool_calls`` from the grammar-shaped text, or None when it is cut short."""
    try:
        call = json.loads(text)
    except json.JSONDecodeError:
        return None
    function = {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}
    return [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function", "function": function}]
