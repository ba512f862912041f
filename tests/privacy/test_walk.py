"""Where the guard reads a request (every string, key and long number, at any depth), how it rebuilds it, and
what the detectors see once escapes and invisible characters are undone."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from crossroads.privacy.detect.normalize import normalize
from crossroads.privacy.detect.views import windows
from crossroads.privacy.spans import Span
from crossroads.privacy.transform.body import placeholders_in, restore_answer
from crossroads.privacy.transform.restore import json_string, restore
from crossroads.privacy.walk import leaves, rebuild


def kinds(body: Any) -> list[tuple[str, Any]]:
    return [(leaf.kind, leaf.value) for leaf in leaves(body)]


def test_every_string_key_and_long_number_is_read_but_parameters_and_enums_are_not() -> None:
    body = {
        "model": "ann@example.com",
        "temperature": 0.5,
        "seed": 123456789,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "extra": "x"}]}],
        "notes": {"who": ["John Smith", 4155550132, 12, True, None]},
        "metadata": {"customer": {"mail": "a@b.example"}},
        "role-play": "user",
    }
    assert kinds(body) == [
        ("text", "hi"),
        ("key", "extra"),
        ("text", "x"),
        ("key", "notes"),
        ("key", "who"),
        ("text", "John Smith"),
        ("number", "4155550132"),
        ("key", "customer"),
        ("key", "mail"),
        ("text", "a@b.example"),
        ("key", "role-play"),
        ("text", "user"),  # not the role field: read
    ]


def test_an_enum_value_outside_its_set_is_read() -> None:
    assert kinds({"messages": [{"role": "ann@example.com", "content": "x"}]}) == [
        ("text", "ann@example.com"),
        ("text", "x"),
    ]


def test_json_in_a_string_is_read_as_json_and_written_back_only_when_changed() -> None:
    arguments = '{"to": "ann\\u0040example.com", "n": 4155550132, "ok": "yes"}'
    body = {"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": arguments}}]}]}
    assert ("text", "ann@example.com") in kinds(body)
    same = rebuild(body, lambda i, leaf: None)
    assert same is body
    changed = rebuild(body, lambda i, leaf: "<EMAIL_ADDRESS_1>" if leaf.value == "ann@example.com" else None)
    arguments_sent = changed["messages"][0]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments_sent) == {"to": "<EMAIL_ADDRESS_1>", "n": 4155550132, "ok": "yes"}
    assert body["messages"][0]["tool_calls"][0]["function"]["arguments"] == arguments  # the client's body untouched


def test_keys_are_renamed_in_place_and_order_is_kept() -> None:
    body = {"metadata": {"a": 1, "ann@example.com": "x", "z": 2}}
    new = rebuild(body, lambda i, leaf: "<EMAIL_ADDRESS_1>" if leaf.value == "ann@example.com" else None)
    assert list(new["metadata"]) == ["a", "<EMAIL_ADDRESS_1>", "z"]


def test_payloads_token_ids_and_data_urls() -> None:
    png = "data:image/png;base64," + base64.b64encode(bytes(range(256))).decode()
    text_url = "data:text/plain;base64," + base64.b64encode(b"mail ann@example.com").decode()
    body = {
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png}}]}],
        "input_audio": {"data": "UklGRg==", "format": "wav"},
        "doc": text_url,
    }
    assert [k for k, _ in kinds(body)] == ["opaque", "opaque", "key", "text"]
    assert kinds(body)[-1] == ("text", "mail ann@example.com")
    new = rebuild(body, lambda i, leaf: "mail [EMAIL_ADDRESS]" if leaf.kind == "text" else None)
    assert base64.b64decode(new["doc"].split(",", 1)[1]) == b"mail [EMAIL_ADDRESS]"
    assert kinds({"prompt": [1, 2, 3]}) == [("tokens", [1, 2, 3])]
    assert kinds({"input": [[1], [2, 3]]}) == [("tokens", [1]), ("tokens", [2, 3])]
    assert kinds({"logit_bias": {"50256": -100, "x@y.z": 1}}) == [("tokens", [50256]), ("key", "x@y.z")]


def test_enum_items_made_equal_by_a_rewrite_are_kept_once() -> None:
    body = {"tools": [{"function": {"parameters": {"enum": ["a@b.example", "c@d.example", "x"]}}}]}
    new = rebuild(body, lambda i, leaf: "[EMAIL_ADDRESS]" if "@" in leaf.value else None)
    assert new["tools"][0]["function"]["parameters"]["enum"] == ["[EMAIL_ADDRESS]", "x"]


def test_normalize_undoes_evasions_and_maps_back() -> None:
    cases = {
        "john.smith\u200b@example.com": "john.smith@example.com",
        "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ": "john@example.com",
        "jоhn@exаmple.com": "john@example.com",  # Cyrillic о and а
        "john.smith%40example.com": "john.smith@example.com",
        "john\\u0040example.com": "john@example.com",
        "john&#64;example.com &commat;": "john@example.com @",
        "4111\u20131111\u00ad1111": "4111-11111111",
        "AKIA\x00IOSFODNN7EXAMPLE": "AKIAIOSFODNN7EXAMPLE",
    }
    for raw, expected in cases.items():
        norm = normalize(raw)
        assert norm is not None and norm.text == expected, raw
        whole = norm.original([Span("X", 0, len(norm.text), 1.0, "t")])[0]
        assert (whole.start, whole.end) == (0, len(raw))
    assert normalize("plain ASCII text, nothing to undo") is None
    assert normalize("Привет, мир") is None  # a Russian word stays Russian
    assert normalize("café") is None


def test_windows_cover_the_text_with_overlap() -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    parts = windows(text, 500)
    assert all(len(p) <= 500 for _, p in parts)
    assert all(text[o : o + len(p)] == p for o, p in parts)
    assert parts[-1][0] + len(parts[-1][1]) == len(text)
    assert all(b[0] < a[0] + len(a[1]) for a, b in itertools.pairwise(parts))  # they overlap


def test_placeholders_anywhere_in_a_request() -> None:
    body = {"messages": [{"content": "<EMAIL_ADDRESS_1> <b>"}], "<PERSON_2>": [{"x": "a<IBAN_CODE_3>b"}], "n": 1}
    assert placeholders_in(body) == {"<EMAIL_ADDRESS_1>", "<PERSON_2>", "<IBAN_CODE_3>"}


def test_legacy_function_call_arguments_are_restored_in_whole_answers() -> None:
    reverse = {"<PERSON_1>": 'Zoë "Z" O\'Brien'}
    message = {"content": None, "function_call": {"name": "f", "arguments": json.dumps({"who": "<PERSON_1>"})}}
    answer = restore_answer(
        {"choices": [{"message": message}]},
        lambda text, is_json: restore(text, reverse, json_string if is_json else lambda v: v),
    )
    assert json.loads(answer["choices"][0]["message"]["function_call"]["arguments"]) == {"who": 'Zoë "Z" O\'Brien'}
