# Over 400 lines: one catalogue of attempts, each checked by the same decoder of what reached the upstream.
"""Trying to get a protected value to a hosted backend: every field, encoding, endpoint and routing path.

The hosted backend is a fake OpenAI upstream over a socket that records every request; each attempt asserts on
what it received — never on what the gateway says it did. An attempt may be refused (a 4xx or 503 in the
OpenAI error shape) or served with the value replaced; it may never reach the upstream in any form: the check
decodes what arrived (Unicode compatibility forms, invisible characters, percent, HTML and JSON escapes, base64
words, token ids) before looking for the value, its digits, or its letters.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.metering.tokens import encoding
from crossroads.testing.fake_upstream import FakeState
from crossroads.testing.server import free_port
from tests.privacy.conftest import EchoBackend, gateway_with

EMAIL = "john.smith@example.com"
CARD = "4111 1111 1111 1111"
SSN = "536-22-8145"
KEY = "AKIAIOSFODNN7EXAMPLE"
PHONE = "+1 415 555 0132"
IBAN = "DE89 3704 0044 0532 0130 00"
POLICY = {
    "EMAIL_ADDRESS": "pseudonymize",
    "PHONE_NUMBER": "pseudonymize",
    "CREDIT_CARD": "redact",
    "IBAN_CODE": "redact",
    "US_SSN": "keep_local",
    "SECRET_API_KEY": "block",
    "PRIVATE_KEY": "block",
    "PASSWORD": "redact",
}
VALUES = {"email": EMAIL, "card": CARD, "ssn": SSN, "key": KEY, "phone": PHONE, "iban": IBAN}
SERVED_OR_REFUSED = {200, 400, 403, 502, 503}  # 502: the fake upstream itself refused a malformed part


@dataclass
class Attempt:
    body: dict[str, Any]
    path: str = "/v1/chat/completions"
    headers: dict[str, str] = field(default_factory=dict)


def chat(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt", "messages": [{"role": "user", "content": content}], **extra}


# ---- where a value can hide in a chat request (each applied to every value) --------------------------------------
FIELDS: dict[str, Callable[[str], Attempt]] = {
    "content": lambda v: Attempt(chat(f"my detail is {v}, thanks")),
    "unknown top-level field": lambda v: Attempt(chat("hi", notes=f"customer detail {v}")),
    "extra_body nested object": lambda v: Attempt(chat("hi", extra={"deep": [{"x": f"is {v}"}]})),
    "extra key in a text part": lambda v: Attempt(chat([{"type": "text", "text": "hi", "note": f"val {v}"}])),
    "extra key on a message": lambda v: Attempt(
        {"model": "gpt", "messages": [{"role": "user", "content": "hi", "context": f"is {v}"}]}
    ),
    "text part whose text is an object": lambda v: Attempt(chat([{"type": "text", "text": {"v": f"is {v}"}}])),
    "metadata object": lambda v: Attempt(chat("hi", metadata={"customer": {"detail": f"is {v}"}})),
    "metadata list": lambda v: Attempt(chat("hi", metadata={"customer": [f"is {v}"]})),
    "object key": lambda v: Attempt(chat("hi", metadata={f"is {v}": "x"})),
    "tool call arguments as an object": lambda v: Attempt(
        {
            "model": "gpt",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"to": f"is {v}"}}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "done"},
            ],
        }
    ),
    "tool call arguments as JSON with escapes": lambda v: Attempt(
        {
            "model": "gpt",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": json.dumps({"to": f"is {v}"}, ensure_ascii=True)},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "done"},
            ],
        }
    ),
    "tool call id": lambda v: Attempt(
        {
            "model": "gpt",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": f"is {v}", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "tool", "tool_call_id": f"is {v}", "content": "ok"},
            ],
        }
    ),
    "tool result content": lambda v: Attempt(
        {
            "model": "gpt",
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "tool", "tool_call_id": "c", "content": json.dumps({"record": {"detail": v}})},
            ],
        }
    ),
    "function name": lambda v: Attempt(
        chat("hi", tools=[{"type": "function", "function": {"name": f"lookup {v}", "parameters": {"type": "object"}}}])
    ),
    "tool description": lambda v: Attempt(
        chat("hi", tools=[{"type": "function", "function": {"name": "f", "description": f"for {v}"}}])
    ),
    "schema property name": lambda v: Attempt(
        chat(
            "hi",
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": {"type": "object", "properties": {v: {"type": "string"}}, "required": [v]},
                    },
                }
            ],
        )
    ),
    "schema enum": lambda v: Attempt(
        chat(
            "hi",
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "parameters": {"type": "object", "properties": {"a": {"type": "string", "enum": [v, "x"]}}},
                    },
                }
            ],
        )
    ),
    "json_schema name and description": lambda v: Attempt(
        chat(
            "hi",
            response_format={
                "type": "json_schema",
                "json_schema": {"name": f"is {v}", "description": f"is {v}", "schema": {"type": "object"}},
            },
        )
    ),
    "image url query string": lambda v: Attempt(
        chat(
            [
                {"type": "text", "text": "describe"},
                {"type": "image_url", "image_url": {"url": "https://img.example/a.png?who=" + urllib.parse.quote(v)}},
            ]
        )
    ),
    "file name": lambda v: Attempt(
        chat(
            [{"type": "text", "text": "read"}, {"type": "file", "file": {"file_id": "file-1", "filename": f"{v}.pdf"}}]
        )
    ),
    "assistant refusal": lambda v: Attempt(
        {
            "model": "gpt",
            "messages": [
                {"role": "assistant", "content": None, "refusal": f"not for {v}"},
                {"role": "user", "content": "hi"},
            ],
        }
    ),
    "web search user location": lambda v: Attempt(
        chat("hi", web_search_options={"user_location": {"type": "approximate", "approximate": {"city": f"at {v}"}}})
    ),
    "stop string": lambda v: Attempt(chat("hi", stop=[f"{v}"])),
    "user field": lambda v: Attempt(chat("hi", user=f"{v}")),
    "predicted output": lambda v: Attempt(chat("hi", prediction={"type": "content", "content": f"for {v}"})),
    "message name": lambda v: Attempt(
        {"model": "gpt", "messages": [{"role": "user", "name": v.replace(" ", ""), "content": "hi"}]}
    ),
    "deeply nested": lambda v: Attempt(chat("hi", extra=_nested({"v": f"is {v}"}, 60))),
    "completions prompt": lambda v: Attempt({"model": "gpt", "prompt": f"write to {v}"}, "/v1/completions"),
    "completions prompt list": lambda v: Attempt({"model": "gpt", "prompt": ["x", f"write to {v}"]}, "/v1/completions"),
    "completions suffix": lambda v: Attempt({"model": "gpt", "prompt": "a", "suffix": f"{v}"}, "/v1/completions"),
    "embeddings input": lambda v: Attempt({"model": "gpt", "input": f"{v}"}, "/v1/embeddings"),
    "embeddings input list": lambda v: Attempt({"model": "gpt", "input": ["a", f"is {v}"]}, "/v1/embeddings"),
    "streamed with n=2": lambda v: Attempt(chat(f"is {v}", stream=True, n=2)),
}


def _nested(leaf: dict[str, Any], depth: int) -> dict[str, Any]:
    node: dict[str, Any] = leaf
    for _ in range(depth):
        node = {"a": node}
    return node


# ---- how a value can be disguised (each applied to the values it fits) -------------------------------------------
def zero_width(v: str) -> str:
    return v[:4] + "\u200b" + v[4:]


ENCODINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "zero-width space": ("email", zero_width),
    "zero-width in a key": ("key", zero_width),
    "NUL in a key": ("key", lambda v: v[:6] + "\x00" + v[6:]),
    "soft hyphen": ("card", lambda v: v.replace(" ", "\u00ad")),
    "word joiner": ("ssn", lambda v: v.replace("-", "\u2060-")),
    "bidi controls": ("email", lambda v: "\u202e" + v + "\u202c"),
    "BOM inside": ("phone", lambda v: v.replace(" ", " \ufeff")),
    "full-width at sign": ("email", lambda v: v.replace("@", "＠")),
    "full-width everything": ("email", lambda v: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in v)),
    "full-width digits": ("card", lambda v: "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in v)),
    "Cyrillic letter in the domain": ("email", lambda v: v.replace("example", "exаmple")),
    "Greek omicron": ("email", lambda v: v.replace("john", "jοhn")),
    "percent-encoded": ("email", lambda v: urllib.parse.quote(v)),
    "percent-encoded every character": ("email", lambda v: "".join(f"%{ord(c):02X}" for c in v)),
    "literal \\u escapes": ("email", lambda v: v.replace("@", "\\u0040")),
    "HTML numeric reference": ("email", lambda v: v.replace("@", "&#64;")),
    "HTML named reference": ("email", lambda v: v.replace("@", "&commat;")),
    "upper case": ("email", str.upper),
    "mailto URL": ("email", lambda v: f"mailto:{v}"),
    "in a URL query": ("email", lambda v: f"https://crm.example/find?mail={v}&x=1"),
    "base64 word": ("email", lambda v: base64.b64encode(v.encode()).decode()),
    "base64 text data URL": ("email", lambda v: "data:text/plain;base64," + base64.b64encode(v.encode()).decode()),
    "en-dashes": ("card", lambda v: v.replace(" ", "\u2013")),
    "dots": ("card", lambda v: v.replace(" ", ".")),
    "mixed separators": ("card", lambda v: "4111-1111 1111-1111"),
    "no separators": ("card", lambda v: v.replace(" ", "")),
    "SSN with dots": ("ssn", lambda v: v.replace("-", ".")),
    "SSN with spaces": ("ssn", lambda v: v.replace("-", " ")),
    "phone with dots": ("phone", lambda v: "415.555.0132"),
    "phone in parentheses": ("phone", lambda v: "(415) 555-0132"),
    "phone with en-dashes": ("phone", lambda v: "415\u2013555\u20130132"),
    "IBAN without spaces": ("iban", lambda v: v.replace(" ", "")),
    "IBAN lower case": ("iban", str.lower),
    "tab and newline around": ("ssn", lambda v: f"\t{v}\n"),
    "inside JSON text": ("card", lambda v: json.dumps({"card": v})),
}


def base_attempts() -> list[tuple[str, str, Attempt]]:
    out = []
    for where, make in FIELDS.items():
        for name, value in VALUES.items():
            out.append((f"{where} / {name}", value, make(value)))
    for how, (name, disguise) in ENCODINGS.items():
        for where in ("content", "unknown top-level field", "tool call arguments as an object"):
            out.append((f"{how} / {where}", VALUES[name], FIELDS[where](disguise(VALUES[name]))))
    return out


ATTEMPTS = base_attempts()


# ---- the oracle: does anything the upstream received hold the value? --------------------------------------------
def _strings(node: Any) -> list[str]:
    out: list[str] = []
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
            if item[:1] in "{[":
                with contextlib.suppress(ValueError):
                    todo.append(json.loads(item))
        elif isinstance(item, dict):
            todo += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            if item and all(isinstance(i, int) and not isinstance(i, bool) for i in item):
                out += [_decode_ids(item)]
            todo += item
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(str(item))
    return out


def _decode_ids(ids: list[int]) -> str:
    texts = []
    for name in ("cl100k_base", "o200k_base"):
        try:
            texts.append(encoding(name).decode(ids))
        except (KeyError, ValueError):
            continue
    return "\n".join(texts)


def canonical(text: str) -> str:
    text = html.unescape(urllib.parse.unquote(text))
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c in "\n\t")
    text = text.translate(str.maketrans("аеорсхуіοα", "aeopcxyioa"))
    for word in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        try:
            text += "\n" + base64.b64decode(word, validate=True).decode()
        except ValueError:
            continue
    return text.lower()


def leaked(value: str, received: list[dict[str, Any]]) -> list[str]:
    """The received strings holding ``value`` (as written, by its letters and digits, or by its digits)."""
    letters = re.sub(r"[^a-z0-9]", "", value.lower())
    digits = re.sub(r"\D", "", value)
    found = []
    for text in (canonical(s) for body in received for s in _strings(body)):
        squeezed = re.sub(r"[^a-z0-9]", "", text)
        if value.lower() in text or letters in squeezed or (len(digits) >= 9 and digits in re.sub(r"\D", "", text)):
            found.append(text[:200])
    return found


# ---- the gateway under attack ---------------------------------------------------------------------------------------
def red_team_settings(url: str, **privacy: Any) -> Any:
    raw: dict[str, Any] = {
        "backends": {
            "up": {"type": "openai_compat", "base_url": url},
            "local": {"type": "embedded"},
            "down": {"type": "openai_compat", "base_url": f"http://127.0.0.1:{free_port()}/v1", "location": "local"},
        },
        "models": {
            "gpt": {"backend": "up", "upstream_model": "gpt-4o-mini", "aliases": ["gpt-alias"]},
            "echo": {"backend": "local"},
            "open-local": {"backend": "down", "fallbacks": ["gpt"]},
            "premium": {"backend": "up", "upstream_model": "gpt-4o"},
            "mystery": {"backend": "up", "upstream_model": "mystery-model-1"},
            "mirrored": {"backend": "local", "shadow": [{"backend": "up", "upstream_model": "gpt-4o", "sample": 1.0}]},
        },
        "routing": {"rules": [{"name": "tiered", "when": {"tier": ["gold"]}, "use": "premium"}]},
        "privacy": {"default": POLICY, **privacy},
    }
    return parse_settings(raw, "red-team")


async def client_for(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway=gateway_with(settings, {"local": EchoBackend()}))
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30) as http:
            yield http


@pytest.fixture
async def gw_client(fake_upstream: tuple[str, FakeState]) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(red_team_settings(fake_upstream[0])):
        yield http


async def attack(http: httpx.AsyncClient, attempt: Attempt) -> httpx.Response:
    response = await http.post(attempt.path, json=attempt.body, headers=attempt.headers)
    await response.aread()
    return response


def check(response: httpx.Response, value: str, state: FakeState) -> None:
    assert response.status_code in SERVED_OR_REFUSED, response.text[:300]
    if response.status_code != 200:
        error = response.json()["error"]
        assert error["message"] and error["type"]
        assert value not in error["message"]
    assert leaked(value, [r["json"] for r in state.requests]) == []


@pytest.mark.parametrize(("name", "value", "attempt"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
async def test_no_value_reaches_the_hosted_backend(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState], name: str, value: str, attempt: Attempt
) -> None:
    check(await attack(gw_client, attempt), value, fake[1])


def test_the_suite_is_as_large_as_promised() -> None:
    assert len(ATTEMPTS) + len(ROUTES) + len(OPAQUE) >= 150


# ---- split values, token ids, payloads the guard cannot read, routing paths -----------------------------------------
SPLITS = {
    "card split across messages": (CARD, ["my card is 4111 1111", "1111 1111 thanks"]),
    "email split across messages": (EMAIL, ["write to john.smith@exa", "mple.com please"]),
}


@pytest.mark.parametrize("name", list(SPLITS))
async def test_a_value_split_across_messages_is_found(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState], name: str
) -> None:
    value, parts = SPLITS[name]
    body = {"model": "gpt", "messages": [{"role": "user", "content": p} for p in parts]}
    check(await attack(gw_client, Attempt(body)), value, fake[1])


def _ids(text: str) -> list[int]:
    """Token ids as an OpenAI client would send them for gpt-4o-mini (o200k_base)."""
    return list(encoding("o200k_base").encode(text))


TOKENS = {
    "completions prompt as token ids": Attempt(
        {"model": "gpt", "prompt": _ids(f"My SSN is {SSN}.")}, "/v1/completions"
    ),
    "completions prompt as a list of token id lists": Attempt(
        {"model": "gpt", "prompt": [_ids("hello"), _ids(f"email {EMAIL}")]}, "/v1/completions"
    ),
    "embeddings input as token ids": Attempt({"model": "gpt", "input": _ids(f"card {CARD}")}, "/v1/embeddings"),
    "token ids for a model with an unknown tokenizer": Attempt(
        {"model": "mystery", "prompt": _ids(f"email {EMAIL}")}, "/v1/completions"
    ),
}


@pytest.mark.parametrize("name", list(TOKENS))
async def test_token_ids_are_decoded_or_refused(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState], name: str
) -> None:
    response = await attack(gw_client, TOKENS[name])
    for value in (SSN, EMAIL, CARD):
        check(response, value, fake[1])


async def test_token_ids_with_a_known_tokenizer_are_rewritten_not_refused(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState]
) -> None:
    response = await attack(
        gw_client, Attempt({"model": "gpt", "prompt": _ids(f"mail {EMAIL} now")}, "/v1/completions")
    )
    assert response.status_code == 200, response.text
    prompt = fake[1].requests[-1]["json"]["prompt"]
    assert encoding("o200k_base").decode(prompt) == "mail <EMAIL_ADDRESS_1> now"
    assert response.json()["choices"][0]["text"].count(EMAIL) >= 0  # restored where echoed


PNG = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 2).decode()
OPAQUE = {
    "image data URL": Attempt(
        chat([{"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": PNG}}])
    ),
    "input audio": Attempt(
        chat(
            [
                {
                    "type": "input_audio",
                    "input_audio": {"data": base64.b64encode(b"RIFF" + bytes(300)).decode(), "format": "wav"},
                }
            ]
        )
    ),
    "file data": Attempt(
        chat(
            [
                {
                    "type": "file",
                    "file": {
                        "filename": "a.pdf",
                        "file_data": "data:application/pdf;base64," + base64.b64encode(bytes(300)).decode(),
                    },
                }
            ]
        )
    ),
    "long base64 blob in an unknown field": Attempt(chat("hi", blob=base64.b64encode(bytes(range(256)) * 3).decode())),
}


@pytest.mark.parametrize("name", list(OPAQUE))
async def test_what_cannot_be_read_does_not_go_to_a_hosted_backend(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState], name: str
) -> None:
    response = await attack(gw_client, OPAQUE[name])
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "privacy_kept_local"
    assert "UNSCANNABLE" in response.json()["error"]["message"]
    assert len(fake[1].requests) == 0


async def test_unreadable_content_is_allowed_out_when_the_policy_says_so(fake_upstream: tuple[str, FakeState]) -> None:
    fake_upstream[1].requests.clear()
    settings = red_team_settings(fake_upstream[0], models={"gpt": {"UNSCANNABLE": "allow"}})
    async for http in client_for(settings):
        response = await attack(http, OPAQUE["image data URL"])
    assert response.status_code == 200
    assert fake_upstream[1].requests[-1]["json"]["messages"][0]["content"][1]["image_url"]["url"] == PNG


ROUTES = {
    "rule on a client header sends to a hosted model": Attempt(
        chat(f"SSN {SSN}", model="echo"), headers={"x-crossroads-tier": "gold"}
    ),
    "rule on metadata sends to a hosted model": Attempt(
        {**chat(f"SSN {SSN}"), "model": "echo", "metadata": {"tier": "gold"}}
    ),
    "keep_local value to a hosted-only model": Attempt(chat(f"SSN {SSN}")),
    "keep_local value, streamed": Attempt(chat(f"SSN {SSN}", stream=True)),
    "alias of a hosted model": Attempt({**chat(f"SSN {SSN}"), "model": "gpt-alias"}),
    "shadow copy of a keep_local request": Attempt({**chat(f"SSN {SSN}"), "model": "mirrored"}),
}


@pytest.mark.parametrize("name", list(ROUTES))
async def test_routing_never_carries_a_kept_value_out(
    gw_client: httpx.AsyncClient, fake: tuple[str, FakeState], name: str
) -> None:
    response = await attack(gw_client, ROUTES[name])
    check(response, SSN, fake[1])


async def test_a_local_model_allowed_everything_falls_back_to_a_hosted_one_under_its_policy(
    fake_upstream: tuple[str, FakeState],
) -> None:
    """The local model's policy allows every value; its backend is down, so the fallback serves — under the
    hosted model's policy (the default), decided for the attempt that goes out."""
    fake_upstream[1].requests.clear()
    settings = red_team_settings(fake_upstream[0], models={"open-local": {"*": "allow", "US_SSN": "allow"}})
    async for http in client_for(settings):
        response = await attack(http, Attempt({**chat(f"mail {EMAIL}, card {CARD}"), "model": "open-local"}))
    assert response.status_code == 200, response.text
    sent = fake_upstream[1].requests[-1]["json"]["messages"][0]["content"]
    assert sent == "mail <EMAIL_ADDRESS_1>, card [CREDIT_CARD]"
    assert response.json()["choices"][0]["message"]["content"].endswith(f"mail {EMAIL}, card [CREDIT_CARD]")


async def test_a_policy_under_an_alias_applies_to_its_model(fake_upstream: tuple[str, FakeState]) -> None:
    fake_upstream[1].requests.clear()
    settings = red_team_settings(fake_upstream[0], models={"gpt-alias": {"EMAIL_ADDRESS": "block"}})
    async for http in client_for(settings):
        response = await attack(http, Attempt(chat(f"mail {EMAIL}")))
    assert response.status_code == 403 and response.json()["error"]["code"] == "privacy_blocked"
    assert len(fake_upstream[1].requests) == 0
