"""``POST /v1/responses``: the OpenAI Responses API as OpenAI answers it — a ``response`` object, or typed
events (``event:`` lines, ``sequence_number``, no ``[DONE]``) — with the same fault injection as chat.

The answer is chat's (``content``): the last user text after the fake prefix, a call of the chosen function
tool, JSON filled from ``text.format``'s schema, cut at ``max_output_tokens`` (status ``incomplete``). A
``web_search`` tool adds a ``web_search_call`` item, as hosted tools do. ``previous_response_id`` is answered
404, as OpenAI answers an id it never stored.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from crossroads.testing.fake_upstream import content
from crossroads.testing.fake_upstream.content import Answer
from crossroads.testing.fake_upstream.endpoints import Call
from crossroads.testing.fake_upstream.faults import error_body
from crossroads.testing.fake_upstream.state import FakeError, request_id_header
from crossroads.testing.fake_upstream.stream import SSEResponse
from crossroads.testing.fake_upstream.wire import Event

HOSTED_SEARCH = ("web_search", "web_search_preview")


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _texts(given: Any) -> list[tuple[str, str]]:
    """(role, text) of each message in ``input`` (a string is one user message)."""
    if isinstance(given, str):
        return [("user", given)]
    out = []
    for item in given or []:
        if isinstance(item, Mapping) and item.get("type", "message") in ("message", None):
            parts = item.get("content")
            text = parts if isinstance(parts, str) else " ".join(
                str(p.get("text", "")) for p in parts or [] if isinstance(p, Mapping)
            )  # fmt: skip
            out.append((str(item.get("role")), text))
    return out


def _answer(body: Mapping[str, Any], call: Call) -> Answer:
    forced = content.forced_text(call.fault)
    functions = [t for t in body.get("tools") or [] if isinstance(t, Mapping) and t.get("type") == "function"]
    choice = body.get("tool_choice")
    if forced is None and functions and choice != "none":
        named = choice.get("name") if isinstance(choice, Mapping) else None
        return content.tool_call_answer(next((f for f in functions if f.get("name") == named), functions[0]))
    user = [text for role, text in _texts(body.get("input")) if role == "user"]
    text = forced if forced is not None else content.ANSWER_PREFIX + (user[-1] if user else "")
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), Mapping) else None
    if forced is None and isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        text = json.dumps(content.fill_schema(fmt.get("schema") or {}))
    return content.truncate(text, None, body.get("max_output_tokens"))


def _usage(body: Mapping[str, Any], answer: Answer, call: Call) -> dict[str, Any]:
    words = sum(content.count_words(t) for _, t in _texts(body.get("input")))
    prompt = words + content.count_words(str(body.get("instructions") or ""))
    fault = call.fault
    cached, reasoning = (fault.cached_tokens, fault.reasoning_tokens) if fault else (0, 0)
    output = len(answer.tokens) + reasoning
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": min(cached, prompt), "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + output,
    }


def _items(body: Mapping[str, Any], answer: Answer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if any(isinstance(t, Mapping) and t.get("type") in HOSTED_SEARCH for t in body.get("tools") or []):
        query = next((t for r, t in reversed(_texts(body.get("input"))) if r == "user"), "")
        action = {"type": "search", "query": query}
        items.append({"type": "web_search_call", "id": _id("ws"), "status": "completed", "action": action})
    if answer.tool_call is not None:
        call = answer.tool_call
        items.append({"type": "function_call", "id": _id("fc"), "call_id": call.id, "name": call.name,
                      "arguments": call.arguments, "status": "completed"})  # fmt: skip
    else:
        part = {"type": "output_text", "text": answer.text, "annotations": [], "logprobs": []}
        items.append({"type": "message", "id": _id("msg"), "status": "completed", "role": "assistant",
                      "content": [part]})  # fmt: skip
    return items


def _response(body: Mapping[str, Any], call: Call, status: str, output: list[Any], use: Any) -> dict[str, Any]:
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    tools = [{"parameters": None, "strict": True, **t} if t.get("type") == "function" else t
             for t in body.get("tools") or []]  # fmt: skip
    answer = {
        "id": _id("resp"), "object": "response", "created_at": int(time.time()), "status": status, "error": None,
        "incomplete_details": incomplete, "instructions": body.get("instructions"), "model": call.model,
        "output": output, "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": body.get("temperature", 1.0), "top_p": body.get("top_p", 1.0),
        "tool_choice": body.get("tool_choice", "auto"), "tools": tools, "metadata": body.get("metadata") or {},
        "max_output_tokens": body.get("max_output_tokens"), "store": body.get("store", True),
        "text": body.get("text") or {"format": {"type": "text"}}, "truncation": "disabled",
        "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "service_tier": "default",
    }  # fmt: skip
    if use is not None:
        answer["usage"] = use
    return answer


async def responses(call: Call) -> Response:
    body = call.body
    if body.get("previous_response_id"):
        message = f"Previous response with id '{body['previous_response_id']}' not found."
        error = error_body(message, "invalid_request_error", "previous_response_id", "previous_response_not_found")
        raise FakeError(404, error)
    answer = _answer(body, call)
    status = "incomplete" if answer.finish_reason == "length" else "completed"
    items = _items(body, answer)
    use = _usage(body, answer, call)
    if not call.stream:
        return await call.json_response(_response(body, call, status, items, use), len(answer.tokens))
    return SSEResponse(_events(_response(body, call, status, items, use), answer, call), call.fault,
                       request_id_header())  # fmt: skip


def _events(done: dict[str, Any], answer: Answer, call: Call) -> list[Event]:
    ttft, gap = call.gaps()
    started = {**done, "status": "in_progress", "output": [], "incomplete_details": None}
    started.pop("usage", None)
    out: list[tuple[float, dict[str, Any]]] = [
        (0.0, {"type": "response.created", "response": started}),
        (0.0, {"type": "response.in_progress", "response": started}),
    ]
    at = ttft
    for index, item in enumerate(done["output"]):
        opened = {**item, "status": "in_progress"}
        if item["type"] == "message":
            opened["content"] = []
        if item["type"] == "function_call":
            opened["arguments"] = ""
        out.append((at, {"type": "response.output_item.added", "output_index": index, "item": opened}))
        out += _item_events(item, index, answer, at, gap)
        at += gap * len(answer.tokens) if item["type"] != "web_search_call" else 0
        out.append((at, {"type": "response.output_item.done", "output_index": index, "item": item}))
    out.append((at, {"type": f"response.{done['status']}", "response": done}))
    return [Event(t, _sse(e, seq)) for seq, (t, e) in enumerate(out)]


def _item_events(item: dict[str, Any], index: int, answer: Answer, at: float, gap: float) -> list[Any]:
    ident = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        deltas = [(at + i * gap, {"type": "response.function_call_arguments.delta", **ident, "delta": token})
                  for i, token in enumerate(answer.tokens)]  # fmt: skip
        done = {"type": "response.function_call_arguments.done", **ident, "name": item["name"],
                "arguments": item["arguments"]}  # fmt: skip
        return [*deltas, (at + gap * len(answer.tokens), done)]
    if item["type"] != "message":
        return []
    part = item["content"][0]
    where = {**ident, "content_index": 0}
    end = at + gap * len(answer.tokens)
    return [
        (at, {"type": "response.content_part.added", **where, "part": {**part, "text": ""}}),
        *[(at + i * gap, {"type": "response.output_text.delta", **where, "delta": token, "logprobs": []})
          for i, token in enumerate(answer.tokens)],
        (end, {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}),
        (end, {"type": "response.content_part.done", **where, "part": part}),
    ]  # fmt: skip


def _sse(event: dict[str, Any], seq: int) -> bytes:
    payload = {"type": event["type"], "sequence_number": seq, **{k: v for k, v in event.items() if k != "type"}}
    return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
