"""The gateway's own OpenAPI document, true to what this gateway does with its settings.

Every ``$ref`` resolves (request and answer schemas are lifted into ``components``); each operation lists
the statuses it really returns, errors with OpenAI's error schema; request bounds from ``server:`` (the
models served, ``max_tokens``, messages) are in the schemas; admin, metrics and key auth appear only when
metering is on. Answer bodies are the official client's types (``openai.types``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from crossroads.api.schemas import ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ResponsesRequest
from crossroads.config import Settings
from crossroads.formats.anthropic_schema import (
    ANTHROPIC_ERROR_SCHEMA,
    COUNT_TOKENS_SCHEMA,
    MESSAGE_SCHEMA,
    CountTokensRequest,
    MessagesRequest,
)

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "An OpenAI-compatible gateway in front of hosted and self-hosted models. Errors use OpenAI's shape; "
    "unknown request fields are passed on to the upstream."
)
ERROR = "ErrorResponse"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
WHY = {
    "400": "The request is invalid (bad JSON, a missing or ill-typed field, a bound in server: passed)",
    "401": "No API key, or an unknown or revoked one",
    "403": "The key may not use this model, or a budgeted key asked for a model without a price",
    "404": "No such model (or path)",
    "408": "The request body did not arrive within server.body_timeout_seconds",
    "413": "The request body is larger than server.max_body_bytes",
    "429": "A rate limit or budget of the key, or every deployment is rate limited upstream",
    "4XX": "Another client error an upstream answered, passed through unchanged",
    "500": "The gateway failed (a bug; it is logged)",
    "502": "The upstream failed or answered something malformed",
    "503": "No deployment can serve now (not loaded, circuit open, no local backend for a private request)",
    "504": "The upstream did not answer in time",
    "529": "No deployment can serve now (Anthropic's overloaded_error; 503 on the OpenAI routes)",
}
ANTHROPIC_ERROR = "AnthropicError"
ERRORS = {"/v1/messages": ANTHROPIC_ERROR, "/v1/messages/count_tokens": ANTHROPIC_ERROR}  # else OpenAI's shape
MESSAGES = ("400", "403", "404", "408", "413", "429", "4XX", "500", "502", "504", "529")
GENERATION = ("400", "403", "404", "408", "413", "429", "4XX", "500", "502", "503", "504")
KEYED = ("/v1/", "/admin/", "/metrics", "/ready")  # paths a key (or the master key) is checked on
METERED = ("/admin/", "/metrics")  # paths that exist only with metering on
TEXT_CHUNK = {  # a /v1/completions stream chunk (openai.types.Completion requires a finish_reason)
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "object": {"const": "text_completion"},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "text"],
                "properties": {
                    "index": {"type": "integer"},
                    "text": {"type": "string"},
                    "finish_reason": {"enum": ["stop", "length", "content_filter", None]},
                },
            },
        },
    },
}
STREAMS: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"$ref": REF.format(model="ChatCompletionChunk")},
    "/v1/completions": TEXT_CHUNK,
    "/v1/messages": {"type": "object", "required": ["type"]},  # Anthropic's events, named by their type
    "/v1/responses": {"$ref": REF.format(model="ResponseStreamEvent")},
}
TYPED_STREAMS = {"/v1/responses"}  # events named by an ``event:`` line, no [DONE] at the end


def _answer(model: type[BaseModel] | None = None, list_of: type[BaseModel] | None = None) -> Callable[[], Any]:
    def schema() -> Any:
        if list_of is not None:
            items = _schema(list_of)
            data = {"type": "array", "items": items}
            return {"type": "object", "properties": {"object": {"const": "list"}, "data": data}}
        return _schema(model) if model is not None else {"type": "object"}

    return schema


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=REF, mode="serialization")


def _answers() -> dict[tuple[str, str], tuple[str, Callable[[], Any], tuple[str, ...]]]:
    """(path, method) -> (success status, its schema, the error statuses)."""
    from openai.types import Completion, CreateEmbeddingResponse, Model
    from openai.types.chat import ChatCompletion
    from openai.types.responses import Response

    from crossroads.ui import api as dashboard

    admin = ("400", "401", "403", "404", "500")
    return {
        ("/v1/chat/completions", "post"): ("200", _answer(ChatCompletion), GENERATION),
        ("/v1/completions", "post"): ("200", _answer(Completion), GENERATION),
        ("/v1/embeddings", "post"): ("200", _answer(CreateEmbeddingResponse), GENERATION),
        ("/v1/messages", "post"): ("200", lambda: MESSAGE_SCHEMA, MESSAGES),
        ("/v1/messages/count_tokens", "post"): ("200", lambda: COUNT_TOKENS_SCHEMA, ("400", "404", "413", "500")),
        ("/v1/responses", "post"): ("200", _answer(Response), GENERATION),
        ("/v1/responses/{response_id}", "get"): ("200", _answer(Response), ("404", "500")),
        ("/v1/responses/{response_id}", "delete"): ("200", _answer(), ("404", "500")),
        ("/v1/responses/{response_id}/input_items", "get"): ("200", _answer(), ("404", "500")),
        ("/v1/models", "get"): ("200", _answer(list_of=Model), ("429", "500")),
        ("/v1/models/{model_id}", "get"): ("200", _answer(Model), ("404", "429", "500")),
        ("/health", "get"): ("200", _answer(), ()),
        ("/ready", "get"): ("200", _answer(), ("503",)),
        ("/metrics", "get"): ("200", _answer(), ("404", "500")),
        ("/admin/keys", "get"): ("200", _answer(), admin),
        ("/admin/keys", "post"): ("201", _answer(), (*admin, "413")),
        ("/admin/keys/{key}", "delete"): ("200", _answer(), admin),
        ("/admin/keys/{key}/rotate", "post"): ("201", _answer(), (*admin, "413")),
        ("/admin/audit/verify", "get"): ("200", _answer(), admin),
        **dashboard.answers(admin),
    }


REQUESTS: dict[str, type[BaseModel]] = {
    "/v1/chat/completions": ChatCompletionRequest,
    "/v1/completions": CompletionRequest,
    "/v1/embeddings": EmbeddingRequest,
    "/v1/messages": MessagesRequest,
    "/v1/messages/count_tokens": CountTokensRequest,
    "/v1/responses": ResponsesRequest,
}


def document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    doc = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
    from openai.types.chat import ChatCompletionChunk
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter

    components: dict[str, Any] = {ERROR: ERROR_SCHEMA, ANTHROPIC_ERROR: ANTHROPIC_ERROR_SCHEMA}
    components["ChatCompletionChunk"] = _lift(_schema(ChatCompletionChunk), components, "ChatCompletionChunk")
    events = TypeAdapter(ResponseStreamEvent).json_schema(ref_template=REF, mode="serialization")
    components["ResponseStreamEvent"] = _lift(events, components, "ResponseStreamEvent")
    metered = settings.metering.enabled
    answers = _answers()
    paths = {p: ops for p, ops in doc["paths"].items() if metered or not p.startswith(METERED)}
    for path, ops in paths.items():
        for method, op in ops.items():
            success, schema, errors = answers[path, method]
            keyed = metered and path.startswith(KEYED)
            answer = schema()
            op["responses"] = _responses(
                path, success, _lift(answer, components, answer.get("title", "")), errors, keyed
            )
            if path in REQUESTS:
                body = _lift(_request_schema(REQUESTS[path], settings), components, REQUESTS[path].__name__)
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            _plain_parameters(op)
            if keyed:  # a key once any exists; open (the empty requirement) until then
                op["security"] = [{"bearer": []}, {}]
    if "Embedding" in components:  # with encoding_format: base64, a string of little-endian float32s
        vector = components["Embedding"]["properties"]["embedding"]
        components["Embedding"]["properties"]["embedding"] = {"anyOf": [vector, {"type": "string"}]}
    from crossroads.ui.api import add_range_parameter

    add_range_parameter(paths)
    doc["paths"] = paths
    doc["components"] = {"schemas": components}
    if metered:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return doc


def _responses(path: str, success: str, schema: Any, errors: tuple[str, ...], keyed: bool) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success", "content": {"application/json": {"schema": schema}}}
    if path == "/metrics":
        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
    if path in STREAMS:
        typed = path in TYPED_STREAMS
        event = _event(STREAMS[path], ERRORS.get(path, ERROR), typed)
        read_whole = path in ERRORS or typed  # the stream, read whole: its events
        whole = {"type": "array", "items": event} if read_whole else {"type": "string"}
        ok["content"]["text/event-stream"] = {"schema": whole, "itemSchema": event}
        ok["description"] = (
            "The answer; with stream: true, typed server-sent events ending with response.completed"
            if typed
            else "The answer; with stream: true, server-sent events of chunks ending with [DONE]"
        )
    statuses = sorted({*errors, *(("401", "403") if keyed else ())})
    error = {"application/json": {"schema": {"$ref": REF.format(model=ERRORS.get(path, ERROR))}}}
    return {success: ok, **{s: {"description": WHY.get(s, "Error"), "content": error} for s in statuses}}


def _event(chunk: dict[str, Any], error: str = ERROR, typed: bool = False) -> dict[str, Any]:
    """One server-sent event: a chunk, an error (a failure after the stream began), or ``[DONE]``; a typed
    stream's events (the error event among them) carry an ``event`` name and never ``[DONE]``."""
    payload = chunk if typed else {"anyOf": [chunk, {"$ref": REF.format(model=error)}]}
    json_data = {"type": "string", "contentMediaType": "application/json", "contentSchema": payload}
    if typed:
        props = {"event": {"type": "string"}, "data": json_data}
        return {"type": "object", "required": ["event", "data"], "properties": props}
    return {"type": "object", "required": ["data"], "properties": {"data": {"anyOf": [{"const": "[DONE]"}, json_data]}}}


def _request_schema(model: type[BaseModel], settings: Settings) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    props = schema["properties"]
    names = sorted({*settings.models, *(a for m in settings.models.values() for a in m.aliases)})
    props["model"] = {"type": "string", "enum": names, "description": "a model this gateway serves (or an alias)"}
    for name in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        if name in props:
            _bound(props[name], "maximum", settings.server.max_tokens)
    if "messages" in props:
        props["messages"]["maxItems"] = settings.server.max_messages
    if model is ResponsesRequest and not _speaks_responses(settings):
        _drop_branches(schema, NATIVE_ONLY)
    if model is ResponsesRequest and settings.responses.storage == "off":
        del props["previous_response_id"]  # refused: nothing is kept to continue from
    return schema


NATIVE_ONLY = ("HostedTool", "OtherItem", "HostedChoice")  # Responses parts only a backend that speaks Responses takes


def _speaks_responses(settings: Settings) -> bool:
    return any(getattr(b, "responses", None) == "native" for b in settings.backends.values())


def _drop_branches(schema: Any, names: tuple[str, ...]) -> None:
    """Remove the union branches that refer to ``names`` (and their definitions) from ``schema``."""
    refs = {REF.format(model=n) for n in names}
    for name in names:
        schema.get("$defs", {}).pop(name, None)
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            for key in ("oneOf", "anyOf"):
                if isinstance(node.get(key), list):
                    node[key] = [b for b in node[key] if not (isinstance(b, dict) and b.get("$ref") in refs)]
            mapping = (
                node.get("discriminator", {}).get("mapping") if isinstance(node.get("discriminator"), dict) else None
            )
            if isinstance(mapping, dict):
                for tag in [t for t, ref in mapping.items() if ref in refs]:
                    del mapping[tag]
            todo += node.values()
        elif isinstance(node, list):
            todo += node


def _bound(prop: dict[str, Any], key: str, value: int) -> None:
    """Set ``key`` on the integer branch of an optional integer (``anyOf: [integer, null]``)."""
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "integer":
            branch[key] = value


def _lift(schema: Any, components: dict[str, Any], owner: str | None = None) -> Any:
    """Move a schema's ``$defs`` into ``components`` (their refs already point there). A name already taken
    by a different schema (``Choice`` of an answer and of a chunk) gets ``owner`` in front, refs rewritten."""
    if not isinstance(schema, dict) or "$defs" not in schema:
        return schema
    defs = schema.pop("$defs")
    owner = schema.get("title", "") if owner is None else owner
    taken = [n for n, d in defs.items() if n in components and components[n] != d]
    if taken:
        text = json.dumps({"schema": schema, "defs": defs})
        for name in taken:
            text = text.replace(f'"{REF.format(model=name)}"', f'"{REF.format(model=owner + name)}"')
        renamed = json.loads(text)
        schema.clear()
        schema.update(renamed["schema"])
        defs = {(owner + n if n in taken else n): d for n, d in renamed["defs"].items()}
    for name, definition in defs.items():
        components.setdefault(name, definition)
    return schema


def _plain_parameters(op: dict[str, Any]) -> None:
    """Path parameters are any non-empty text (a model id may contain slashes)."""
    for parameter in op.get("parameters", ()):
        parameter["schema"] = {"type": "string", "minLength": 1}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve ``document`` at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
