"""Anthropic Messages ↔ Chat Completions: requests, answers and streams, both ways, round-tripping."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from crossroads.errors import InvalidRequest, PrivacyRefused, QuotaExceeded, ServiceUnavailable, Unsupported
from crossroads.formats import anthropic
from crossroads.formats.anthropic_answer import answer_from_chat, answer_to_chat, usage_from_chat, usage_to_chat
from crossroads.formats.anthropic_errors import error_body
from crossroads.formats.anthropic_stream import ChunkReader, EventWriter

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

FULL: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 300,
    "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture, and what is the weather in Paris?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "A dot. Let me check the weather."},
                {"type": "tool_use", "id": "toolu_01", "name": "weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_02", "name": "weather", "input": {"city": "Lyon"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18 °C, sunny"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_02",
                    "is_error": True,
                    "content": [{"type": "text", "text": "station offline"}],
                },
                {"type": "text", "text": "Thanks. Summarise."},
            ],
        },
    ],
    "tools": [
        {
            "name": "weather",
            "description": "Weather now",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    "stop_sequences": ["\n\nHuman:"],
    "temperature": 0.2,
    "top_p": 0.9,
    "top_k": 40,
    "metadata": {"user_id": "user-1234"},
    "thinking": {"type": "disabled"},
}


def test_full_request_round_trips() -> None:
    chat = anthropic.to_chat(copy.deepcopy(FULL))
    assert anthropic.from_chat(chat, default_max_tokens=1) == FULL


def test_request_to_chat_reads_as_chat_completions() -> None:
    chat = anthropic.to_chat(copy.deepcopy(FULL))
    roles = [m["role"] for m in chat["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user"]
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
    assert chat["messages"][1]["content"][1] == image
    assert chat["messages"][2]["tool_calls"][0] == {
        "id": "toolu_01",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
    }
    assert chat["messages"][2]["content"] == "A dot. Let me check the weather."
    assert chat["messages"][4]["is_error"] is True
    assert chat["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert chat["tool_choice"] == "required" and chat["parallel_tool_calls"] is False
    assert chat["stop"] == ["\n\nHuman:"] and chat["user"] == "user-1234" and chat["top_k"] == 40
    assert chat["thinking"] == {"type": "disabled"}  # unknown fields pass on


@pytest.mark.parametrize(
    ("choice", "chat"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "weather"}, {"type": "function", "function": {"name": "weather"}}),
    ],
)
def test_tool_choice_both_ways(choice: dict[str, Any], chat: Any) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "tool_choice": choice}
    translated = anthropic.to_chat(body)
    assert translated["tool_choice"] == chat
    assert anthropic.from_chat(translated, 1)["tool_choice"] == choice


def test_plain_string_shapes_round_trip() -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "system": "Be kind.",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": "bye"},
        ],
        "stream": True,
    }
    chat = anthropic.to_chat(copy.deepcopy(body))
    assert chat["messages"][0] == {"role": "system", "content": "Be kind."}
    assert chat["stream_options"] == {"include_usage": True}
    assert anthropic.from_chat(chat, 1) == body


def test_chat_request_to_messages() -> None:
    chat = {
        "model": "claude",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "hi", "name": "ann"},
        ],
        "stop": "END",
        "seed": 3,
        "stream_options": {"include_usage": True},
        "stream": True,
    }
    out = anthropic.from_chat(chat, default_max_tokens=64)
    assert out == {
        "model": "claude",
        "max_tokens": 64,
        "system": "sys",
        "messages": [{"role": "user", "content": "hi"}],
        "stop_sequences": ["END"],
        "stream": True,
    }


@pytest.mark.parametrize(
    ("field", "value"), [("n", 2), ("logprobs", True), ("response_format", {"type": "json_object"})]
)
def test_chat_features_messages_lacks_are_refused(field: str, value: Any) -> None:
    with pytest.raises(Unsupported) as info:
        anthropic.from_chat({"model": "m", "messages": [{"role": "user", "content": "x"}], field: value}, 5)
    assert info.value.param == field and info.value.status == 400


def test_tool_arguments_that_are_not_json_are_refused() -> None:
    bad = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    chat = {"model": "m", "messages": [{"role": "assistant", "content": None, "tool_calls": [bad]}]}
    with pytest.raises(InvalidRequest):
        anthropic.from_chat(chat, 5)


def test_chat_only_strips_what_only_anthropic_knows() -> None:
    chat = anthropic.to_chat(copy.deepcopy(FULL))
    plain = anthropic.chat_only(chat)
    dumped = orjson.dumps(plain).decode()
    assert "cache_control" not in dumped and "is_error" not in dumped
    assert plain["messages"][4]["content"] == [{"type": "text", "text": "station offline"}]
    assert "cache_control" in orjson.dumps(chat).decode()  # the gateway's own body is left as it was
    untouched = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert anthropic.chat_only(untouched) is untouched


def _chat_answer(**choice: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": choice.pop("content", "Hi"), "refusal": None}
    if "tool_calls" in choice:
        message["tool_calls"] = choice.pop("tool_calls")
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "model": "small",
        "choices": [{"index": 0, "message": message, "finish_reason": choice.pop("finish", "stop"), **choice}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37,
                  "prompt_tokens_details": {"cached_tokens": 10}},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("finish", "extra", "reason", "sequence"),
    [
        ("stop", {}, "end_turn", None),
        ("length", {}, "max_tokens", None),
        ("tool_calls", {}, "tool_use", None),
        ("stop", {"stop_reason": "END"}, "stop_sequence", "END"),
        ("stop", {"stop_reason": "other"}, "end_turn", None),
    ],
)
def test_answer_stop_reasons(finish: str, extra: dict[str, Any], reason: str, sequence: str | None) -> None:
    message = answer_from_chat(_chat_answer(finish=finish, **extra), {"model": "small", "stop_sequences": ["END"]})
    assert (message["stop_reason"], message["stop_sequence"]) == (reason, sequence)


def test_answer_with_tool_use_and_usage() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
    message = answer_from_chat(_chat_answer(content=None, tool_calls=[call], finish="tool_calls"), {"model": "x"})
    assert message["id"] == "msg_abc123" and message["type"] == "message" and message["role"] == "assistant"
    assert message["content"] == [{"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Oslo"}}]
    assert message["usage"] == {
        "input_tokens": 20,
        "output_tokens": 7,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 10,
    }


def test_answer_round_trips_through_chat() -> None:
    upstream = {
        "id": "msg_01XYZ",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {"city": "Rome"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 9, "cache_creation_input_tokens": 3,
                  "cache_read_input_tokens": 5},
    }  # fmt: skip
    chat = answer_to_chat(upstream)
    assert chat["usage"]["prompt_tokens"] == 20 and chat["usage"]["prompt_tokens_details"]["cached_tokens"] == 5
    assert answer_from_chat(chat, {"model": "claude-sonnet-4-5"}) == upstream


def test_usage_tables_are_inverse() -> None:
    usage = {"input_tokens": 4, "output_tokens": 2, "cache_creation_input_tokens": 1, "cache_read_input_tokens": 3}
    assert usage_from_chat(usage_to_chat(usage)) == usage


def _chunks() -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-s1", "object": "chat.completion.chunk", "model": "small"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    call = {"index": 0, "id": "call_7", "type": "function", "function": {"name": "weather", "arguments": ""}}
    return [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Let me "}),
        chunk({"content": "look."}),
        chunk({"tool_calls": [call]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Oslo"}'}}]}),
        chunk({}, "tool_calls"),
        {**base, "choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 6, "total_tokens": 17}},
    ]


def _events(chunks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    writer = EventWriter({"model": "small"})
    events = [e for c in chunks for e in writer.chunk(c)]
    return events + list(writer.end())


def test_stream_events_in_anthropics_order() -> None:
    events = _events(_chunks())
    assert [name for name, _ in events] == [
        "message_start", "ping",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(name == data["type"] for name, data in events)
    assert events[0][1]["message"]["id"] == "msg_s1"
    block = {"type": "tool_use", "id": "call_7", "name": "weather", "input": {}}
    assert events[6][1] == {"type": "content_block_start", "index": 1, "content_block": block}
    assert events[7][1]["delta"] == {"type": "input_json_delta", "partial_json": '{"city":'}
    assert events[10][1]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert events[10][1]["usage"]["output_tokens"] == 6 and events[10][1]["usage"]["input_tokens"] == 11


def test_stream_round_trips_through_anthropic_events() -> None:
    """Chat chunks → Anthropic events → chat chunks (the anthropic backend's reader) keep text, tools, usage."""
    reader = ChunkReader(include_usage=True)
    back = [c for _, data in _events(_chunks()) for c in reader.event(data)]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in back if c["choices"])
    calls = [call for c in back if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls", [])]
    arguments = "".join(call["function"]["arguments"] for call in calls)
    assert text == "Let me look." and orjson.loads(arguments) == {"city": "Oslo"}
    assert [c["choices"][0]["finish_reason"] for c in back if c["choices"]][-1] == "tool_calls"
    assert back[-1]["usage"]["prompt_tokens"] == 11 and back[-1]["usage"]["completion_tokens"] == 6


@pytest.mark.parametrize(
    ("exc", "kind", "status"),
    [
        (InvalidRequest("x"), "invalid_request_error", 400),
        (PrivacyRefused("x", code="privacy_blocked"), "permission_error", 403),
        (QuotaExceeded("x"), "rate_limit_error", 429),
        (ServiceUnavailable("x"), "overloaded_error", 529),
    ],
)
def test_errors_in_anthropics_shape(exc: Any, kind: str, status: int) -> None:
    body, sent = error_body(exc)
    assert body == {"type": "error", "error": {"type": kind, "message": "x"}} and sent == status
