"""Where the text is in a request and in an answer, so the guard can scan, rewrite and restore it.

Scanned in a request:

- chat: message ``content`` (strings and ``text`` parts), ``name``, assistant
  ``tool_calls[].function.arguments`` and legacy ``function_call.arguments``;
  ``tools[].function`` and legacy ``functions[]``: ``description`` and the ``parameters`` schema;
  ``response_format.json_schema``: ``description`` and ``schema``;
  ``prediction.content`` (predicted output);
- completions ``prompt`` and ``suffix``; embeddings ``input`` (strings);
- chat and completions ``stop`` strings: rewritten like the prompt, so the answer still stops where the client
  asked (upstream sees the placeholder where the prompt had the value, and stops on it);
- every endpoint: the end-user id ``user`` and the string values of ``metadata``.

In a JSON schema only the strings people write prose or data into are scanned: ``title``,
``description``, ``$comment``, and every string inside ``enum``, ``const``, ``default`` and
``examples`` — in the schema and in every subschema (``properties``, ``items``, ``anyOf``/``oneOf``/
``allOf``, ``$defs``/``definitions``…). Property names and structural keywords (``type``, ``$ref``,
``format``, ``pattern``, ``required``…) are never scanned nor rewritten, so the schema keeps its shape;
nor is a ``title`` that only spells its property's (definition's, function's) name.

Restored in an answer: ``message.content``, ``tool_calls[].function.arguments`` (JSON-escaped),
completions ``text``, legacy ``function_call.arguments`` (JSON-escaped) — in whole answers and in stream
deltas.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, Literal

from crossroads.backends.base import Body, Endpoint
from crossroads.privacy.restore import PLACEHOLDER

Path = tuple[str | int, ...]
# how a JSON schema value is walked: a schema, a list of schemas, a map of name → schema, data
# (every string inside is scanned), prose (scanned if a string)
Walk = Literal["schema", "schemas", "map", "data", "prose"]
KEYWORDS: dict[str, Walk] = {
    "title": "prose", "description": "prose", "$comment": "prose",
    "enum": "data", "const": "data", "default": "data", "examples": "data",
    "properties": "map", "patternProperties": "map", "$defs": "map", "definitions": "map",
    "dependentSchemas": "map",
    "items": "schema", "additionalItems": "schema", "additionalProperties": "schema", "contains": "schema",
    "not": "schema", "if": "schema", "then": "schema", "else": "schema", "propertyNames": "schema",
    "unevaluatedItems": "schema", "unevaluatedProperties": "schema",
    "prefixItems": "schemas", "anyOf": "schemas", "oneOf": "schemas", "allOf": "schemas",
}  # fmt: skip
# what the items of a list are, by the walk of the list (``items: [...]`` is the older tuple form)
IN_LIST: dict[Walk, Walk | None] = {"schema": "schema", "schemas": "schema", "data": "data", "map": None, "prose": None}
IN_DICT: dict[Walk, Walk | None] = {"map": "schema", "data": "data", "schemas": None, "prose": None}
SCANNED: frozenset[Walk] = frozenset({"data", "prose"})
Node = tuple[Path, Any, Walk | None, str | None]  # path, value, how it is walked, the name of its schema


def schema_slots(schema: Any, base: Path, name: str | None = None) -> list[Path]:
    """The paths of the scanned strings of a JSON schema, in document order (walked without recursion).

    A ``title`` that only spells the name its schema goes by (``"Order Status"`` for the property
    ``order_status``, the function or definition name) is a name, not prose: it is not scanned, like
    the name itself. Client libraries write one on every property.
    """
    found: list[Path] = []
    todo: list[Node] = [(base, schema, "schema", name)]
    while todo:
        path, node, walk, name = todo.pop()
        if walk is None:
            continue
        if isinstance(node, str):
            if walk in SCANNED and not (path[-1] == "title" and _spells(node, name)):
                found.append(path)
        elif isinstance(node, list):
            todo.extend(((*path, i), v, IN_LIST[walk], None) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, dict):
            todo.extend(_in_dict((*path, k), v, walk, name) for k, v in reversed(node.items()))
    return found


def _in_dict(path: Path, value: Any, walk: Walk, name: str | None) -> Node:
    key = path[-1]
    if walk == "schema":
        inner = KEYWORDS.get(str(key))
        return path, value, inner, name if inner == "prose" else None
    return path, value, IN_DICT[walk], str(key) if walk == "map" else None


def _spells(title: str, name: str | None) -> bool:
    return name is not None and _letters(title) == _letters(name)


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _described_schema(owner: Any, base: Path, schema: str) -> Iterator[Path]:
    """A tool function's (legacy function's, response format's) ``description`` and its JSON schema."""
    if not isinstance(owner, dict):
        return
    if isinstance(owner.get("description"), str):
        yield (*base, "description")
    if isinstance(owner.get(schema), dict):
        name = owner.get("name")
        yield from schema_slots(owner[schema], (*base, schema), name if isinstance(name, str) else None)


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
    for k, call in enumerate(_list(message.get("tool_calls"))):
        if isinstance(call, dict) and isinstance((call.get("function") or {}).get("arguments"), str):
            yield (*base, "tool_calls", k, "function", "arguments")
    legacy = message.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
        yield (*base, "function_call", "arguments")


def _chat_slots(body: Body) -> Iterator[Path]:
    for i, message in enumerate(_list(body.get("messages"))):
        yield from _message_slots(message, ("messages", i))
    for i, tool in enumerate(_list(body.get("tools"))):
        if isinstance(tool, dict):
            yield from _described_schema(tool.get("function"), ("tools", i, "function"), "parameters")
    for i, function in enumerate(_list(body.get("functions"))):
        yield from _described_schema(function, ("functions", i), "parameters")
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        json_schema = response_format.get("json_schema")
        yield from _described_schema(json_schema, ("response_format", "json_schema"), "schema")
    prediction = body.get("prediction")
    if isinstance(prediction, dict):  # predicted output: the text the answer is expected to resemble
        yield from _message_slots({"content": prediction.get("content")}, ("prediction",))


def _input_slots(field: str, body: Body) -> Iterator[Path]:
    value = body.get(field)
    if isinstance(value, str):
        yield (field,)
    elif isinstance(value, list):
        yield from ((field, i) for i, v in enumerate(value) if isinstance(v, str))


def text_slots(endpoint: Endpoint, body: Body) -> list[Path]:
    if endpoint is Endpoint.CHAT:
        slots = list(_chat_slots(body))
    else:
        slots = list(_input_slots("prompt" if endpoint is Endpoint.COMPLETIONS else "input", body))
    if endpoint is Endpoint.COMPLETIONS and isinstance(body.get("suffix"), str):
        slots.append(("suffix",))
    if endpoint in (Endpoint.CHAT, Endpoint.COMPLETIONS):
        slots += _input_slots("stop", body)
    if isinstance(body.get("user"), str):
        slots.append(("user",))
    metadata = body.get("metadata")
    if isinstance(metadata, dict):  # stored with the request by providers that keep it
        slots += [("metadata", k) for k, v in metadata.items() if isinstance(v, str)]
    return slots


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


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


def get(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


def with_texts(body: Body, changes: dict[Path, str]) -> Body:
    """A copy of ``body`` with the text at each path replaced (the client's body is not touched). A JSON schema's
    ``enum`` whose items the rewrite made equal (two addresses redacted alike) keeps one of each: a schema's enum
    items must be unique."""
    if not changes:
        return body
    out = dict(body)
    for root in {str(path[0]) for path in changes}:
        out[root] = copy.deepcopy(body[root])
    for path, text in changes.items():
        get(out, path[:-1])[path[-1]] = text
    for owner in {path[:-1] for path in changes if len(path) > 1 and path[-2] == "enum"}:
        items = get(out, owner)
        unique: list[Any] = []
        for item in items:  # items may be unhashable (objects in an enum)
            if item not in unique:
                unique.append(item)
        items[:] = unique
    return out


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
