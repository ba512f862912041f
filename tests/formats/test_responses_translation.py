"""The Responses ↔ Chat Completions mappers on their own: round trips of usage, stop reasons, refusals, roles."""

from __future__ import annotations

import pytest

from crossroads.errors import InvalidRequest
from crossroads.formats.responses import FORMAT
from crossroads.formats.responses_answer import chat_usage, responses_usage
from tests.formats.spec import check_response

URL = "https://x.test/a.png"
CHAT_USAGE = {
    "prompt_tokens": 40,
    "completion_tokens": 12,
    "total_tokens": 52,
    "prompt_tokens_details": {"cached_tokens": 32},
    "completion_tokens_details": {"reasoning_tokens": 5},
}


def test_usage_round_trips_with_cached_and_reasoning_tokens() -> None:
    usage = responses_usage(CHAT_USAGE)
    assert usage == {
        "input_tokens": 40,
        "input_tokens_details": {"cached_tokens": 32, "cache_write_tokens": 0},
        "output_tokens": 12,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 52,
    }
    back = chat_usage(usage)
    assert back is not None and {k: back[k] for k in CHAT_USAGE} == {
        **CHAT_USAGE,
        "prompt_tokens_details": {"cached_tokens": 32, "cache_write_tokens": 0},
    }


@pytest.mark.parametrize(
    ("finish", "status", "reason"),
    [("stop", "completed", None), ("tool_calls", "completed", None), ("length", "incomplete", "max_output_tokens"),
     ("content_filter", "incomplete", "content_filter")],
)  # fmt: skip
def test_stop_reasons_become_status_and_incomplete_details(finish: str, status: str, reason: str | None) -> None:
    message = {"role": "assistant", "content": "Hi", "refusal": None}
    answer = FORMAT.from_chat({"model": "m", "choices": [{"message": message, "finish_reason": finish}]}, {})
    check_response(answer)
    assert answer["status"] == status
    assert answer["incomplete_details"] == ({"reason": reason} if reason else None)


def test_a_refusal_is_a_refusal_part() -> None:
    message = {"role": "assistant", "content": None, "refusal": "I cannot help with that."}
    answer = FORMAT.from_chat({"model": "m", "choices": [{"message": message, "finish_reason": "stop"}]}, {})
    check_response(answer)
    assert answer["output"][0]["content"] == [{"type": "refusal", "refusal": "I cannot help with that."}]


def test_roles_parts_and_reasoning_items() -> None:
    chat = FORMAT.to_chat({
        "model": "m",
        "input": [
            {"role": "developer", "content": [{"type": "input_text", "text": "Be brief."}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                         {"type": "input_image", "image_url": URL, "detail": "low"}]},
        ],
        "reasoning": {"effort": "low"},
        "top_logprobs": 2,
        "store": True,
        "previous_response_id": "resp_1",
        "custom_field": {"kept": True},
    })  # fmt: skip
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": URL, "detail": "low"}}]},
    ]  # fmt: skip
    assert chat["reasoning_effort"] == "low" and chat["logprobs"] is True and chat["top_logprobs"] == 2
    assert chat["custom_field"] == {"kept": True}
    assert "store" not in chat and "previous_response_id" not in chat


def test_native_bodies_lose_what_the_gateway_answers_itself() -> None:
    body = {
        "model": "m",
        "input": "hi",
        "store": True,
        "previous_response_id": "resp_1",
        "tools": [{"type": "web_search"}],
    }
    assert FORMAT.native(body) == {"model": "m", "input": "hi", "tools": [{"type": "web_search"}], "store": False}


def test_what_chat_cannot_carry_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="hosted tool") as refused:
        FORMAT.to_chat({"model": "m", "input": "x", "tools": [{"type": "file_search", "vector_store_ids": ["v"]}]})
    assert refused.value.param == "tools[0]" and refused.value.code == "unsupported_tool"
    with pytest.raises(InvalidRequest) as item:
        FORMAT.to_chat({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]})
    assert item.value.param == "input[0]"
