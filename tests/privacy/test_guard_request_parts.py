"""The guard on the request parts beyond messages — tool and function schemas, ``response_format``, ``user`` —
and placeholders a client types itself; through the real gateway, the official openai client and the fake
upstream over a socket (what it received is asserted)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from crossroads.testing.fake_upstream import FakeState
from tests.privacy.conftest import EchoBackend
from tests.privacy.test_guard_gateway import HEADER, POLICY, SECRET, client_for, gateway, sent, settings, user

ANN, BOB = "ann@example.com", "bob@example.org"
SSN = "078-05-1120"
CONVERSATION = "x-crossroads-conversation"


@pytest.fixture
async def client(fake: tuple[str, FakeState]) -> AsyncIterator[openai.AsyncOpenAI]:
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}))):
        yield c


def received(state: FakeState) -> dict[str, Any]:
    body: dict[str, Any] = state.requests[-1]["json"]
    return body


def mail_tool() -> dict[str, Any]:
    recipient = {"type": "string", "description": f"Who gets it, e.g. {BOB}", "enum": [ANN, BOB]}
    parameters = {"type": "object", "properties": {"to": recipient}, "required": ["to"]}
    return {
        "type": "function",
        "function": {"name": "send_mail", "description": f"Mail {ANN}", "parameters": parameters},
    }


async def arguments_of(reply: Any, stream: bool) -> str:
    if not stream:
        return str(reply.choices[0].message.tool_calls[0].function.arguments)
    return "".join([
        call.function.arguments or ""
        async for chunk in reply if chunk.choices
        for call in chunk.choices[0].delta.tool_calls or [] if call.function
    ])  # fmt: skip


async def text_of(reply: Any, stream: bool) -> str:
    if not stream:
        return str(reply.choices[0].message.content)
    return "".join([c.choices[0].delta.content or "" async for c in reply if c.choices])


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_schema_pseudonymized_upstream_and_restored_in_tool_call_arguments(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState], stream: bool
) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt", messages=user(f"write to {BOB}"), tools=[mail_tool()], stream=stream
    )  # type: ignore[call-overload]
    arguments = await arguments_of(raw.parse(), stream)
    assert json.loads(arguments) == {"to": ANN}  # the fake calls the tool with the enum's first value
    assert raw.headers[HEADER] == "pseudonymized=EMAIL_ADDRESS:5"
    body = received(fake[1])
    function = body["tools"][0]["function"]
    assert body["messages"][0]["content"] == "write to <EMAIL_ADDRESS_1>"
    assert function["description"] == "Mail <EMAIL_ADDRESS_2>"
    assert function["parameters"]["properties"]["to"] == {
        "type": "string",
        "description": "Who gets it, e.g. <EMAIL_ADDRESS_1>",
        "enum": ["<EMAIL_ADDRESS_2>", "<EMAIL_ADDRESS_1>"],
    }
    assert "@" not in sent(fake[1])


async def test_enum_of_customers_with_a_deny_list_is_pseudonymized_consistently(fake: tuple[str, FakeState]) -> None:
    privacy = {"default": {**POLICY, "CUSTOMER": "pseudonymize"}, "deny_lists": {"CUSTOMER": ["Globex", "Initech"]}}
    customer = {"type": "string", "enum": ["Initech", "Globex", "none"], "description": "Initech or Globex"}
    schema = {"type": "object", "properties": {"customer": customer}, "required": ["customer"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "pick", "schema": schema}}
    async for c in client_for(gateway(settings(fake[0], privacy))):
        reply = await c.chat.completions.create(
            model="gpt",
            messages=user("Which is bigger, Globex or Initech?"),
            response_format=response_format,  # type: ignore[arg-type]
        )
    assert json.loads(reply.choices[0].message.content or "") == {"customer": "Initech"}  # the enum's first value
    body = received(fake[1])
    assert body["messages"][0]["content"] == "Which is bigger, <CUSTOMER_1> or <CUSTOMER_2>?"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["customer"] == {
        "type": "string",
        "enum": ["<CUSTOMER_2>", "<CUSTOMER_1>", "none"],
        "description": "<CUSTOMER_2> or <CUSTOMER_1>",
    }


async def test_enum_items_redacted_alike_are_kept_once(fake: tuple[str, FakeState]) -> None:
    """Two addresses redacted to the same text would make a schema's enum repeat an item: it keeps one."""
    recipient = {"type": "string", "enum": [ANN, "nobody", BOB, ANN.upper()]}
    schema = {"type": "object", "properties": {"to": recipient}, "required": ["to"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "pick", "schema": schema}}
    async for c in client_for(gateway(settings(fake[0], {"default": {"EMAIL_ADDRESS": "redact"}}))):
        await c.chat.completions.create(
            model="gpt",
            messages=user("Who?"),
            response_format=response_format,  # type: ignore[arg-type]
        )
    sent_enum = received(fake[1])["response_format"]["json_schema"]["schema"]["properties"]["to"]["enum"]
    assert sent_enum == ["[EMAIL_ADDRESS]", "nobody"]
    assert recipient["enum"] == [ANN, "nobody", BOB, ANN.upper()]  # the client's schema is not touched


def function_with(where: str, value: str) -> dict[str, Any]:
    """Request fields with ``value`` in one schema place: a tool's default, a legacy function, a response format."""
    schema = {"type": "object", "properties": {"key": {"type": "string", "default": value}}}
    if where == "tool_default":
        return {"tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}
    if where == "function_description":
        return {"functions": [{"name": "f", "description": f"uses {value}", "parameters": {"type": "object"}}]}
    json_schema = {"name": "out", "description": f"about {value}", "schema": {"type": "object"}}
    return {"response_format": {"type": "json_schema", "json_schema": json_schema}}


WHERE = ["tool_default", "function_description", "response_format_description"]


@pytest.mark.parametrize("where", WHERE)
async def test_secret_in_a_schema_is_blocked_without_its_value(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState], where: str
) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        await client.chat.completions.create(model="gpt", messages=user("hi"), extra_body=function_with(where, SECRET))
    assert info.value.code == "privacy_blocked" and "SECRET_API_KEY (1)" in info.value.message
    assert SECRET not in info.value.message and SECRET not in info.value.response.text
    assert info.value.response.headers[HEADER] == "blocked=SECRET_API_KEY:1"
    assert len(fake[1].requests) == 0


@pytest.mark.parametrize("stream", [False, True])
async def test_keep_local_found_only_in_response_format_never_reaches_hosted(
    fake: tuple[str, FakeState], stream: bool
) -> None:
    echo = EchoBackend()
    fields = function_with("response_format_description", SSN)
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}), echo)):
        with pytest.raises(openai.APIStatusError) as info:
            await c.chat.completions.create(model="gpt", messages=user("hi"), extra_body=fields, stream=stream)
        assert info.value.status_code == 403 and info.value.code == "privacy_kept_local"
        assert "US_SSN" in info.value.message and SSN not in info.value.message
        await c.chat.completions.create(model="echo", messages=user("hi"), extra_body=fields)
    assert len(fake[1].requests) == 0
    assert echo.calls[0]["response_format"] == fields["response_format"]  # served locally, untouched


@pytest.mark.parametrize("endpoint", ["chat", "completions", "embeddings"])
async def test_user_field_is_redacted(fake: tuple[str, FakeState], endpoint: str) -> None:
    async for c in client_for(gateway(settings(fake[0], {"default": {"EMAIL_ADDRESS": "redact"}}))):
        if endpoint == "chat":
            raw: Any = await c.chat.completions.with_raw_response.create(model="gpt", messages=user("hi"), user=ANN)
        elif endpoint == "completions":
            raw = await c.completions.with_raw_response.create(model="gpt", prompt="hi", user=ANN)
        else:
            raw = await c.embeddings.with_raw_response.create(model="gpt", input="hi", user=ANN)
        assert raw.headers[HEADER] == "redacted=EMAIL_ADDRESS:1"
    assert received(fake[1])["user"] == "[EMAIL_ADDRESS]"
    assert ANN not in sent(fake[1])


async def test_metadata_and_predicted_output_are_redacted(fake: tuple[str, FakeState]) -> None:
    async for c in client_for(gateway(settings(fake[0], {"default": {"EMAIL_ADDRESS": "redact"}}))):
        raw: Any = await c.chat.completions.with_raw_response.create(
            model="gpt",
            messages=user("hi"),
            metadata={"customer": ANN, "tier": "gold"},
            prediction={"type": "content", "content": f"Dear {ANN},"},
        )
        assert raw.headers[HEADER] == "redacted=EMAIL_ADDRESS:2"
    body = received(fake[1])
    assert body["metadata"] == {"customer": "[EMAIL_ADDRESS]", "tier": "gold"}
    assert body["prediction"]["content"] == "Dear [EMAIL_ADDRESS],"
    assert ANN not in sent(fake[1])


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("endpoint", ["chat", "completions"])
async def test_stop_strings_are_rewritten_and_still_stop_the_answer(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState], stream: bool, endpoint: str
) -> None:
    """A stop string with an address in it leaves as its placeholder, the one the prompt got: upstream stops where
    the client asked, and the address never leaves."""
    text = f"Copy: before {ANN} after"
    if endpoint == "chat":
        reply: Any = await client.chat.completions.create(
            model="gpt", messages=user(text), stop=[ANN, "zzz"], stream=stream
        )
        answer = await text_of(reply, stream)
    else:
        reply = await client.completions.create(model="gpt", prompt=text, stop=ANN, max_tokens=50, stream=stream)
        answer = reply.choices[0].text if not stream else "".join([c.choices[0].text async for c in reply])
    assert answer.rstrip().endswith("Copy: before") and "after" not in answer and ANN not in answer
    stop = received(fake[1])["stop"]
    assert (stop if isinstance(stop, str) else stop[0]) == received_placeholder(received(fake[1]), endpoint)
    assert ANN not in sent(fake[1])


def received_placeholder(body: dict[str, Any], endpoint: str) -> str:
    prompt = body["messages"][0]["content"] if endpoint == "chat" else body["prompt"]
    return str(prompt).removeprefix("Copy: before ").removesuffix(" after")


@pytest.mark.parametrize("stream", [False, True])
async def test_placeholder_the_client_typed_is_never_restored(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState], stream: bool
) -> None:
    text = f"I typed <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_3> myself; mail {ANN} and {BOB}"
    reply = await client.chat.completions.create(model="gpt", messages=user(text), stream=stream)
    assert await text_of(reply, stream) == "This is a fake answer to: " + text
    assert received(fake[1])["messages"][0]["content"] == (
        "I typed <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_3> myself; mail <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_4>"
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_placeholder_typed_in_another_part_is_skipped_too(fake: tuple[str, FakeState], stream: bool) -> None:
    echo = EchoBackend(piece=3)
    tool = mail_tool()
    tool["function"]["description"] = "Mail <EMAIL_ADDRESS_1> (a literal name)"
    text = f"send to {ANN}"
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}), echo)):
        reply = await c.chat.completions.create(model="echo", messages=user(text), tools=[tool], stream=stream)  # type: ignore[call-overload]
        assert json.loads(await arguments_of(reply, stream)) == {"text": text}
    assert echo.calls[0]["messages"][0]["content"] == "send to <EMAIL_ADDRESS_2>"
    assert echo.calls[0]["tools"][0]["function"]["description"] == "Mail <EMAIL_ADDRESS_1> (a literal name)"


async def test_placeholder_given_earlier_in_the_conversation_stands_for_its_value(fake: tuple[str, FakeState]) -> None:
    echo = EchoBackend()
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}), echo)):
        first = await c.chat.completions.with_raw_response.create(
            model="echo", messages=user(f"remember {ANN}"), extra_headers={CONVERSATION: "new"}
        )
        issued = first.headers[CONVERSATION]
        text = f"who are <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>? and {BOB}"
        second = await c.chat.completions.create(
            model="echo", messages=user(text), extra_headers={CONVERSATION: issued}
        )
    assert first.parse().choices[0].message.content == f"remember {ANN}"
    assert [call["messages"][0]["content"] for call in echo.calls] == [
        "remember <EMAIL_ADDRESS_1>",
        "who are <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>? and <EMAIL_ADDRESS_3>",
    ]
    assert second.choices[0].message.content == f"who are {ANN} and <EMAIL_ADDRESS_2>? and {BOB}"


async def test_property_names_refs_and_required_are_rewritten_alike(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState]
) -> None:
    """A property name is read like any key; the same value gets the same placeholder everywhere, so the schema
    stays whole (``required`` and ``$ref`` still name what exists); keywords and patterns are left alone."""
    address = {"type": "string", "format": "email", "pattern": "^[a-z]+@example[.]com$", "title": "Ann's mail"}
    parameters = {
        "type": "object",
        "title": "send",
        "properties": {
            ANN: {"$ref": f"#/$defs/{BOB}"},
            "description": {"type": "string", "description": f"Write to {ANN}", "default": ANN},
        },
        "required": [ANN, "description"],
        "$defs": {BOB: address},
        "additionalProperties": False,
    }
    tool = {"type": "function", "function": {"name": "send", "parameters": parameters}}
    await client.chat.completions.create(model="gpt", messages=user("hi"), tools=[tool])  # type: ignore[list-item]
    got = received(fake[1])["tools"][0]["function"]["parameters"]
    assert got == {
        "type": "object",
        "title": "send",
        "properties": {
            "<EMAIL_ADDRESS_1>": {"$ref": "#/$defs/<EMAIL_ADDRESS_2>"},
            "description": {
                "type": "string",
                "description": "Write to <EMAIL_ADDRESS_1>",
                "default": "<EMAIL_ADDRESS_1>",
            },
        },
        "required": ["<EMAIL_ADDRESS_1>", "description"],
        "$defs": {"<EMAIL_ADDRESS_2>": address},
        "additionalProperties": False,
    }


async def test_titles_that_only_spell_a_name_are_left_alone(fake: tuple[str, FakeState]) -> None:
    """Client libraries give every property a title from its name; the NER model would take some for names."""
    policy = {"default": {**POLICY, "PERSON": "pseudonymize"}}
    email = {"title": "Email", "type": "string"}
    written = {"title": "Ask Angela Merkel", "type": "string"}
    schema = {"title": "Order", "type": "object", "properties": {"email": email, "note": written}}
    response_format = {"type": "json_schema", "json_schema": {"name": "Order", "schema": schema}}
    async for c in client_for(gateway(settings(fake[0], policy))):
        await c.chat.completions.create(model="gpt", messages=user("hi"), response_format=response_format)  # type: ignore[arg-type]
    properties = received(fake[1])["response_format"]["json_schema"]["schema"]["properties"]
    assert properties == {"email": email, "note": {"title": "Ask <PERSON_1>", "type": "string"}}
