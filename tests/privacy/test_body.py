"""Where the guard looks in a request: the scanned strings of JSON schemas, ``user``, literal placeholders."""

from __future__ import annotations

import json
from typing import Any

import openai
import pydantic

from crossroads.backends.base import Endpoint
from crossroads.privacy.body import get, placeholders_in, restore_answer, schema_slots, text_slots
from crossroads.privacy.restore import json_string, restore

SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "A title",
    "description": "prose",
    "$comment": "a note",
    "properties": {
        "description": {"type": "string", "description": "the field's prose", "enum": ["a", 1, "b"]},
        "to": {"$ref": "#/$defs/who", "default": {"key": "value", "list": ["item"]}},
        "tags": {"type": "array", "items": {"type": "string", "examples": ["x"]}},
        "pair": {"type": "array", "prefixItems": [{"const": "first"}, {"const": 2}]},
    },
    "required": ["description", "to"],
    "patternProperties": {"^x-": {"title": "Extension"}},
    "additionalProperties": {"description": "any other"},
    "$defs": {"who": {"anyOf": [{"const": "c"}, {"type": "null"}], "pattern": "^.+@.+$", "format": "email"}},
    "definitions": {"old": {"not": {"title": "Never this"}}},
}


def test_schema_strings_of_prose_and_data_never_names_or_keywords() -> None:
    texts = [get({"s": SCHEMA}, path) for path in schema_slots(SCHEMA, ("s",))]
    assert texts == [
        "A title",
        "prose",
        "a note",
        "the field's prose",
        "a",
        "b",
        "value",
        "item",
        "x",
        "first",
        "Extension",
        "any other",
        "c",
        "Never this",
    ]


def test_deep_schemas_are_walked_without_recursion() -> None:
    schema: dict[str, Any] = {"description": "bottom"}
    for _ in range(5000):
        schema = {"type": "array", "items": schema}
    (path,) = schema_slots(schema, ())
    assert len(path) == 5001 and get(schema, path) == "bottom"


def test_titles_that_spell_a_property_or_the_function_name_are_not_scanned() -> None:
    class Address(pydantic.BaseModel):
        city: str = pydantic.Field(title="Where Ann lives")

    class OrderStatus(pydantic.BaseModel):
        """Where an order is."""

        order_status: str
        email: str
        address: Address

    tool: Any = openai.pydantic_function_tool(OrderStatus)
    body = {"messages": [], "tools": [tool]}
    assert [get(body, p) for p in text_slots(Endpoint.CHAT, body)] == [
        "Where an order is.",  # the function's description
        "Where Ann lives",
        "Where an order is.",  # the schema's
    ]


def test_every_scanned_part_of_a_chat_request() -> None:
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {}}]},
            {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
        ],
        "tools": [{"type": "function", "function": {"name": "t", "description": "td", "parameters": {"title": "p"}}}],
        "functions": [{"name": "f", "description": "fd", "parameters": {"enum": ["e"]}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "description": "rd", "schema": {}}},
        "user": "u",
        "tool_choice": {"type": "function", "function": {"name": "t"}},
    }
    assert text_slots(Endpoint.CHAT, body) == [
        ("messages", 0, "content", 0, "text"),
        ("messages", 1, "function_call", "arguments"),
        ("tools", 0, "function", "description"),
        ("tools", 0, "function", "parameters", "title"),
        ("functions", 0, "description"),
        ("functions", 0, "parameters", "enum", 0),
        ("response_format", "json_schema", "description"),
        ("user",),
    ]


def test_user_on_every_endpoint() -> None:
    assert text_slots(Endpoint.COMPLETIONS, {"prompt": ["a", [1]], "user": "u"}) == [("prompt", 0), ("user",)]
    assert text_slots(Endpoint.EMBEDDINGS, {"input": "a", "user": None}) == [("input",)]


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


def test_predicted_output_suffix_and_metadata_are_scanned() -> None:
    chat = {
        "messages": [{"role": "user", "content": "hi"}],
        "prediction": {"type": "content", "content": [{"type": "text", "text": "for ann@example.com"}]},
        "metadata": {"customer": "ann@example.com", "count": 3},
    }
    assert text_slots(Endpoint.CHAT, chat) == [
        ("messages", 0, "content"),
        ("prediction", "content", 0, "text"),
        ("metadata", "customer"),
    ]
    assert text_slots(Endpoint.CHAT, {"messages": [], "prediction": {"content": "x"}}) == [("prediction", "content")]
    assert text_slots(Endpoint.COMPLETIONS, {"prompt": "def f(", "suffix": "# ann"}) == [("prompt",), ("suffix",)]
    assert text_slots(Endpoint.EMBEDDINGS, {"input": "a", "suffix": "not a field here"}) == [("input",)]
