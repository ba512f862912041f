"""Restoring placeholders: whole texts, JSON arguments, and streams split at every possible point."""

from __future__ import annotations

import json

import pytest

from crossroads.privacy.transform.restore import StreamRestorer, json_string, plain, restore
from crossroads.privacy.transform.stream import ChunkRestorer

REVERSE = {"<PERSON_1>": "Zoë O'Brien", "<EMAIL_ADDRESS_12>": 'a"b\\c@example.com'}
ANSWER = "Dear <PERSON_1>, we wrote to <EMAIL_ADDRESS_12>. <PERSON_2> and <b>bold</b> stay; a < b."
RESTORED = "Dear Zoë O'Brien, we wrote to a\"b\\c@example.com. <PERSON_2> and <b>bold</b> stay; a < b."


def test_restore_whole_text_leaves_unknown_placeholders() -> None:
    assert restore(ANSWER, REVERSE) == RESTORED


def test_restore_json_arguments_escapes_values() -> None:
    arguments = json.dumps({"to": "<EMAIL_ADDRESS_12>", "name": "<PERSON_1>"})
    assert json.loads(restore(arguments, REVERSE, json_string)) == {"to": 'a"b\\c@example.com', "name": "Zoë O'Brien"}


@pytest.mark.parametrize("split", range(len(ANSWER) + 1))
def test_every_split_point_of_two_chunks(split: int) -> None:
    restorer = StreamRestorer(REVERSE)
    first = restorer.feed(ANSWER[:split])
    assert RESTORED.startswith(first)  # never a partial placeholder
    held = restorer.held
    assert held == "" or any(p.startswith(held) for p in REVERSE)  # only a possible prefix is held
    second = restorer.feed(ANSWER[split:])
    assert first + second + restorer.flush() == RESTORED


@pytest.mark.parametrize("split", range(1, len("<EMAIL_ADDRESS_12>")))
def test_holds_back_only_a_possible_placeholder_prefix(split: int) -> None:
    restorer = StreamRestorer(REVERSE)
    text = "to " + "<EMAIL_ADDRESS_12>"[:split]
    assert restorer.feed(text) == "to "  # nothing partial is emitted
    assert restorer.feed("<EMAIL_ADDRESS_12>"[split:] + " ok") == 'a"b\\c@example.com ok'


def test_no_delay_for_text_that_cannot_be_a_placeholder() -> None:
    restorer = StreamRestorer(REVERSE)
    assert restorer.feed("a < b and <b") == "a < b and <b"  # '<b' is no prefix of a known placeholder
    assert restorer.feed("one by one") == "one by one"
    assert restorer.feed("<PERSON_3") == "<PERSON_3"  # a placeholder this request never made


def test_one_character_chunks() -> None:
    restorer = StreamRestorer(REVERSE)
    assert "".join(restorer.feed(c) for c in ANSWER) + restorer.flush() == RESTORED


def test_chunks_with_tool_call_arguments_and_final_flush() -> None:
    restorer = ChunkRestorer({"<PERSON_1>": 'Ann "A"'})
    arguments = json.dumps({"name": "<PERSON_1>"})
    out = []
    for i in range(0, len(arguments), 4):
        call = {"index": 0, "function": {"arguments": arguments[i : i + 4]}}
        out.append(restorer.chunk({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]}))
    out.append(restorer.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
    text = "".join(c["function"]["arguments"] for o in out for c in o["choices"][0]["delta"].get("tool_calls", []))
    assert json.loads(text) == {"name": 'Ann "A"'}


def test_content_held_at_the_end_is_flushed_into_the_finish_chunk() -> None:
    restorer = ChunkRestorer({"<PERSON_1>": "Ann"})
    first = restorer.chunk({"choices": [{"index": 0, "delta": {"content": "bye <PERS"}, "finish_reason": None}]})
    last = restorer.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    assert first["choices"][0]["delta"]["content"] == "bye "
    assert last["choices"][0]["delta"]["content"] == "<PERS"
    assert restorer.leftover(last) is None


def test_leftover_when_the_stream_ends_without_a_finish_reason() -> None:
    restorer = ChunkRestorer({"<PERSON_1>": "Ann"})
    chunk = restorer.chunk({"id": "x", "choices": [{"index": 0, "text": "hi <PERSON_", "finish_reason": None}]})
    assert chunk["choices"][0]["text"] == "hi "
    tail = restorer.leftover(chunk)
    assert tail is not None and tail["id"] == "x" and tail["choices"][0]["text"] == "<PERSON_"


def test_json_answers_get_values_json_escaped_whole_and_streamed() -> None:
    from crossroads.privacy.transform.body import json_answer, restore_answer

    reverse = {"<CUSTOMER_1>": 'Acme "West" \\ Co'}
    body = {"response_format": {"type": "json_object"}}
    assert json_answer(body) and not json_answer({"response_format": {"type": "text"}}) and not json_answer({})
    answer = {"choices": [{"message": {"content": '{"customer": "<CUSTOMER_1>"}'}}]}
    restored = restore_answer(
        answer, lambda text, j: restore(text, reverse, json_string if j else plain), json_answer(body)
    )
    assert json.loads(restored["choices"][0]["message"]["content"]) == {"customer": 'Acme "West" \\ Co'}
    restorer = ChunkRestorer(reverse, json_content=True)
    pieces = ['{"customer": "<CUS', 'TOMER_1>"}']
    out = ""
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": "stop" if last else None}]}
        out += restorer.chunk(chunk)["choices"][0]["delta"].get("content") or ""
    assert json.loads(out) == {"customer": 'Acme "West" \\ Co'}
    plain_restorer = ChunkRestorer(reverse)  # not a JSON answer: values as they are
    chunk = {"choices": [{"index": 0, "delta": {"content": "<CUSTOMER_1>"}, "finish_reason": "stop"}]}
    assert plain_restorer.chunk(chunk)["choices"][0]["delta"]["content"] == 'Acme "West" \\ Co'


def test_streamed_legacy_function_call_arguments_are_restored_across_chunks() -> None:
    reverse = {"<PERSON_1>": 'Zoë "Z" Lee'}
    restorer = ChunkRestorer(reverse)
    pieces = ['{"who": "<PER', "SON_1", '>"}']
    out = ""
    for i, piece in enumerate(pieces):
        finish = "function_call" if i == len(pieces) - 1 else None
        chunk = {"choices": [{"index": 0, "delta": {"function_call": {"arguments": piece}}, "finish_reason": finish}]}
        out += restorer.chunk(chunk)["choices"][0]["delta"]["function_call"]["arguments"]
    assert json.loads(out) == {"who": 'Zoë "Z" Lee'}
    held = ChunkRestorer(reverse)
    chunk = {
        "choices": [{"index": 0, "delta": {"function_call": {"arguments": '{"who": "<PERSON_'}}, "finish_reason": None}]
    }
    assert held.chunk(chunk)["choices"][0]["delta"]["function_call"]["arguments"] == '{"who": "'
    tail = held.leftover({"id": "x", "choices": []})
    assert tail is not None and tail["choices"][0]["delta"]["function_call"]["arguments"] == "<PERSON_"
