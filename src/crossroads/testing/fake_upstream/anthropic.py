"""The fake upstream's Anthropic half: ``POST /v1/messages`` and ``/v1/messages/count_tokens`` in Anthropic's
wire format, with the same fault injection and request record as its OpenAI routes.

Faithful to Anthropic's API where a client can tell: ``x-api-key`` and ``anthropic-version`` headers (401
``authentication_error`` / 400 without them), ``max_tokens`` required, answers ``{"type": "message", …}`` with
``msg_…`` ids, stop reasons ``end_turn`` / ``max_tokens`` / ``stop_sequence`` / ``tool_use``, usage with cache
fields, named stream events (``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``,
``content_block_stop``, ``message_delta``, ``message_stop``), and errors ``{"type": "error", "error": {…}}``
(429 ``rate_limit_error``, 529 ``overloaded_error`` …). Faults (``fake_faults.Fault``) come from the
``x-fake-fault`` header, the scripted queue or the default, as on the OpenAI routes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crossroads.testing.fake_upstream import content
from crossroads.testing.fake_upstream.endpoints import Call
from crossroads.testing.fake_upstream.faults import Fault
from crossroads.testing.fake_upstream.state import FakeError, FakeState, json_response, request_id_header
from crossroads.testing.fake_upstream.stream import SSEResponse
from crossroads.testing.fake_upstream.wire import Event

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit (injected by the fake upstream).",
    500: "Internal server error (injected by the fake upstream).",
    529: "Overloaded (injected by the fake upstream).",
}


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> FakeError:
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_" + uuid.uuid4().hex}
    return FakeError(status, body, headers)


def _fault_error(fault: Fault) -> FakeError:
    status = fault.status or 500
    headers = {} if fault.retry_after is None else {"retry-after": f"{fault.retry_after:g}"}
    message = fault.message or MESSAGES.get(status, f"Error {status} (injected by the fake upstream).")
    return error(status, message, headers)


def _admit(request: Request, state: FakeState, body: Any) -> None:
    key = state.config.api_key
    if key is not None and request.headers.get("x-api-key") != key:
        missing = "x-api-key" not in request.headers
        raise error(401, "x-api-key header is required" if missing else "invalid x-api-key")
    if not request.headers.get("anthropic-version"):
        raise error(400, "anthropic-version: header is required")
    if not isinstance(body, dict):
        raise error(400, "There was an error parsing the body of your request: not a JSON object")


def _require(body: Mapping[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if body.get(name) is None:
            raise error(400, f"{name}: Field required")
    if not isinstance(body["messages"], list) or not body["messages"]:
        raise error(400, "messages: at least one message is required")


def _api(handler: Callable[[Mapping[str, Any], Fault | None, FakeState], Awaitable[Response]]) -> Any:
    async def endpoint(request: Request) -> Response:
        state: FakeState = request.app.state.fake
        raw = await request.body()
        body: Any
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        state.record(request.scope, body)
        try:
            _admit(request, state, body)
            fault = state.next_fault(request.headers, body)
            if fault is not None and fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault is not None and fault.status is not None:
                raise _fault_error(fault)
            return await handler(body, fault, state)
        except FakeError as exc:
            return exc.response()

    return endpoint


# ---- what the fake model says -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_text(b.get("text") or b.get("content")) for b in value if isinstance(b, Mapping))
    return ""


def input_tokens(body: Mapping[str, Any]) -> int:
    """One token per word of the system prompt and every text block and tool result (as on the OpenAI routes)."""
    words = content.count_words(_text(body.get("system")))
    return words + sum(content.count_words(_text(m.get("content"))) for m in body.get("messages") or ())


def _last_user_text(body: Mapping[str, Any]) -> str:
    for message in reversed(body.get("messages") or ()):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return _text(message.get("content"))
    return ""


def _tool(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    choice = body.get("tool_choice") or {}
    tools = [t for t in body.get("tools") or () if isinstance(t, Mapping) and "input_schema" in t]
    if choice.get("type") == "none" or not tools:
        return None
    if choice.get("type") == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), tools[0])
    return tools[0]


def answer(body: Mapping[str, Any], fault: Fault | None) -> tuple[list[dict[str, Any]], list[str], str, str | None]:
    """(content blocks, the output's tokens, stop_reason, stop_sequence)."""
    forced = content.forced_text(fault)
    tool = _tool(body) if forced is None else None
    if tool is not None:
        arguments = content.fill_schema(tool.get("input_schema"))
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": "toolu_" + uuid.uuid4().hex[:24],
            "name": tool.get("name"),
            "input": {},
        }
        return [block | {"input": arguments}], content.tokenize(orjson.dumps(arguments).decode()), "tool_use", None
    text = forced if forced is not None else content.ANSWER_PREFIX + _last_user_text(body)
    stops = [s for s in body.get("stop_sequences") or () if isinstance(s, str) and s and s in text]
    first = min(stops, key=text.find) if stops else None
    cut = content.truncate(text, first, body.get("max_tokens"))
    reason = "max_tokens" if cut.finish_reason == "length" else ("stop_sequence" if first else "end_turn")
    return [{"type": "text", "text": cut.text}], cut.tokens, reason, first if reason == "stop_sequence" else None


def _usage(body: Mapping[str, Any], fault: Fault | None, output: int) -> dict[str, Any]:
    cached = fault.cached_tokens if fault else 0
    return {
        "input_tokens": input_tokens(body),
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "service_tier": "standard",
    }


async def _messages(body: Mapping[str, Any], fault: Fault | None, state: FakeState) -> Response:
    _require(body, ("model", "max_tokens", "messages"))
    blocks, tokens, reason, sequence = answer(body, fault)
    message = {
        "id": "msg_" + uuid.uuid4().hex[:24],
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": blocks,
        "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": _usage(body, fault, len(tokens)),
    }
    call = Call(body, str(body["model"]), fault, state.config)
    if body.get("stream") is not True:
        return await call.json_response(message, len(tokens))
    return SSEResponse(stream_events(message, tokens, *call.gaps()), fault, request_id_header())


def _event(at: float, data: dict[str, Any]) -> Event:
    return Event(at, b"event: " + data["type"].encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n")


def stream_events(message: dict[str, Any], tokens: list[str], ttft: float, gap: float) -> list[Event]:
    """Anthropic's event sequence for ``message``: one delta per token, at ``ttft + k * gap``."""
    block = message["content"][0]
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**usage, "output_tokens": 1}}  # fmt: skip
    empty = {**block, "input": {}} if block["type"] == "tool_use" else {"type": "text", "text": ""}
    kind, field = ("input_json_delta", "partial_json") if block["type"] == "tool_use" else ("text_delta", "text")
    events = [
        _event(ttft, {"type": "message_start", "message": start}),
        _event(ttft, {"type": "content_block_start", "index": 0, "content_block": empty}),
        _event(ttft, {"type": "ping"}),
    ]
    events += [
        _event(ttft + k * gap, {"type": "content_block_delta", "index": 0, "delta": {"type": kind, field: token}})
        for k, token in enumerate(tokens)
    ]
    end = ttft + max(len(tokens) - 1, 0) * gap
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events += [
        _event(end, {"type": "content_block_stop", "index": 0}),
        _event(end, {"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage["output_tokens"]}}),
        _event(end, {"type": "message_stop"}),
    ]
    return events


async def _count_tokens(body: Mapping[str, Any], fault: Fault | None, state: FakeState) -> Response:
    if body.get("model") is None or not body.get("messages"):
        raise error(400, "model and messages: Field required")
    return json_response({"input_tokens": input_tokens(body)})


def anthropic_routes() -> list[Route]:
    return [
        Route("/v1/messages", _api(_messages), methods=["POST"]),
        Route("/v1/messages/count_tokens", _api(_count_tokens), methods=["POST"]),
    ]
