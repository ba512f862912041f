"""The guard in the real gateway, driven by the official openai client: a real fake upstream over a socket
is the hosted backend (what it received is asserted), an echo backend is the self-hosted one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.backends import Endpoint, build_backend
from crossroads.config import Settings, parse_settings
from crossroads.gateway import Gateway
from crossroads.metering.keys import KeyRecord
from crossroads.pipeline import Call, Next, PassThrough
from crossroads.pipeline.call import PrivacyFacts
from crossroads.privacy.detect.analyzer import Analyzer
from crossroads.privacy.stage import PrivacyGuard
from crossroads.testing.fake_upstream import FakeState
from crossroads.testing.server import free_port
from tests.privacy.conftest import EchoBackend

POLICY = {
    "EMAIL_ADDRESS": "pseudonymize",
    "PHONE_NUMBER": "pseudonymize",
    "CREDIT_CARD": "redact",
    "US_SSN": "keep_local",
    "SECRET_API_KEY": "block",
    "PRIVATE_KEY": "block",
}
SECRET = "AKIAIOSFODNN7EXAMPLE"
HEADER = "x-crossroads-privacy"


def settings(url: str, privacy: dict[str, Any] | None = None, **models: Any) -> Settings:
    raw: dict[str, Any] = {
        "backends": {
            "up": {"type": "openai_compat", "base_url": url},
            "local": {"type": "embedded"},
            "down": {"type": "openai_compat", "base_url": f"http://127.0.0.1:{free_port()}/v1", "location": "local"},
        },
        "models": {"gpt": {"backend": "up"}, "echo": {"backend": "local"}, **models},
    }
    if privacy is not None:
        raw["privacy"] = privacy
    return parse_settings(raw, "test")


def gateway(s: Settings, echo: EchoBackend | None = None) -> Gateway:
    backends = {name: build_backend(name, cfg) for name, cfg in s.backends.items() if name != "local"}
    return Gateway(s, backends={**backends, "local": echo or EchoBackend()})


async def client_for(gw: Gateway) -> AsyncIterator[openai.AsyncOpenAI]:
    app = create_app(gateway=gw)
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30) as http:
            yield openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)


@pytest.fixture
async def client(fake: tuple[str, FakeState]) -> AsyncIterator[openai.AsyncOpenAI]:
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}))):
        yield c


def sent(state: FakeState) -> str:
    return json.dumps([r["json"] for r in state.requests])


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


async def test_hosted_round_trip_pseudonymizes_and_restores(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState]
) -> None:
    text = "Mail ann@example.com or bob@example.org, call +44 20 7946 0958, card 4111 1111 1111 1111; ann@example.com"
    raw = await client.chat.completions.with_raw_response.create(model="gpt", messages=user(text))
    answer = raw.parse().choices[0].message.content
    assert answer == "This is a fake answer to: " + text.replace("4111 1111 1111 1111", "[CREDIT_CARD]")
    assert raw.headers[HEADER] == "pseudonymized=EMAIL_ADDRESS:3,PHONE_NUMBER:1; redacted=CREDIT_CARD:1"
    upstream = fake[1].requests[-1]["json"]["messages"][0]["content"]
    assert upstream == (
        "Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>, call <PHONE_NUMBER_1>, card [CREDIT_CARD]; <EMAIL_ADDRESS_1>"
    )


async def test_hosted_stream_round_trip(client: openai.AsyncOpenAI, fake: tuple[str, FakeState]) -> None:
    text = "Forward to ann@example.com and bob@example.org please"
    stream = await client.chat.completions.create(model="gpt", messages=user(text), stream=True)
    answer = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert answer == "This is a fake answer to: " + text
    assert "@" not in sent(fake[1])


@pytest.mark.parametrize("stream", [False, True])
async def test_local_echo_round_trip_with_tool_call_arguments(fake: tuple[str, FakeState], stream: bool) -> None:
    echo = EchoBackend(piece=3)
    text = 'Email "ann"@example.com then ann@example.com, phone +1 415 555 0132'
    tools = [{"type": "function", "function": {"name": "send", "parameters": {"type": "object"}}}]
    async for c in client_for(gateway(settings(fake[0], {"default": POLICY}), echo)):
        if stream:
            chunks = await c.chat.completions.create(model="echo", messages=user(text), tools=tools, stream=True)  # type: ignore[arg-type]
            arguments = "".join([
                call.function.arguments or ""
                async for chunk in chunks if chunk.choices
                for call in chunk.choices[0].delta.tool_calls or [] if call.function
            ])  # fmt: skip
        else:
            reply = await c.chat.completions.create(model="echo", messages=user(text), tools=tools)  # type: ignore[arg-type]
            assert reply.choices[0].message.content == text
            tool_calls = reply.choices[0].message.tool_calls or []
            arguments = tool_calls[0].function.arguments  # type: ignore[union-attr]
    assert json.loads(arguments) == {"text": text}
    assert (
        echo.calls[0]["messages"][0]["content"]
        == 'Email "ann"@example.com then <EMAIL_ADDRESS_1>, phone <PHONE_NUMBER_1>'
    )


@pytest.mark.parametrize("stream", [False, True])
async def test_keep_local_never_reaches_hosted(
    client: openai.AsyncOpenAI, fake: tuple[str, FakeState], stream: bool
) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="gpt", messages=user("my SSN is 078-05-1120"), stream=stream)
    assert (
        info.value.status_code == 403 and info.value.code == "privacy_kept_local"
    )  # the model has no local deployment
    assert "US_SSN" in info.value.message and "078-05-1120" not in info.value.message
    assert len(fake[1].requests) == 0
    reply = await client.chat.completions.create(model="echo", messages=user("my SSN is 078-05-1120"))
    assert reply.choices[0].message.content == "my SSN is 078-05-1120"  # served locally, untouched


@pytest.mark.parametrize(
    "private",
    [
        {"backend": "down", "fallbacks": ["gpt"]},
        {"deployments": [{"backend": "down"}, {"backend": "up", "priority": 1}]},
    ],
    ids=["fallback", "group"],
)
async def test_local_backend_down_with_hosted_fallback_gets_503(
    fake: tuple[str, FakeState], private: dict[str, Any]
) -> None:
    s = settings(fake[0], {"default": POLICY}, private=private)
    async for c in client_for(gateway(s)):
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as info:
                await c.chat.completions.create(model="private", messages=user("SSN 078-05-1120"), stream=stream)
            assert info.value.status_code == 503
        reply = await c.chat.completions.create(model="private", messages=user("no personal data here"))
        assert reply.choices[0].message.content  # without a finding the fallback is allowed
    assert "078-05-1120" not in sent(fake[1]) and "SSN" not in sent(fake[1])


async def test_block_lists_types_never_values(client: openai.AsyncOpenAI, fake: tuple[str, FakeState]) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        await client.chat.completions.create(model="gpt", messages=user(f"key {SECRET} and a@b.example"))
    assert "SECRET_API_KEY (1)" in info.value.message and SECRET not in info.value.message
    assert info.value.code == "privacy_blocked"
    assert info.value.response.headers[HEADER] == "blocked=SECRET_API_KEY:1; pseudonymized=EMAIL_ADDRESS:1"
    assert len(fake[1].requests) == 0


class Broken(Analyzer):
    def scan_fast(self, text: str) -> list[Any]:
        raise RuntimeError("detector exploded")


@pytest.mark.parametrize("on_error", ["block", "keep_local"])
async def test_detector_failure_fails_closed(
    fake: tuple[str, FakeState], on_error: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = settings(fake[0], {"default": POLICY, "on_error": on_error})
    gw = gateway(s)
    guard = gw.stages[0]
    guard.analyzer = Broken(s.privacy)  # type: ignore[attr-defined,arg-type]
    async for c in client_for(gw):
        with pytest.raises(openai.APIStatusError) as info:
            await c.chat.completions.create(model="gpt", messages=user("mail ann@example.com"))
        assert info.value.status_code == 503
        assert info.value.code == ("privacy_scan_failed" if on_error == "block" else "no_local_backend")
        if on_error == "keep_local":
            reply = await c.chat.completions.create(model="echo", messages=user("mail ann@example.com"))
            assert reply.choices[0].message.content == "mail ann@example.com"
    assert len(fake[1].requests) == 0
    assert "ann@example.com" not in caplog.text


async def test_conversation_keeps_placeholders_across_requests(fake: tuple[str, FakeState]) -> None:
    """Without keys, a conversation is one the gateway issued: the client asks for one with any value, gets the
    issued id back, and sends it again; another client naming its own id gets an empty conversation."""
    echo = EchoBackend()
    s = settings(fake[0], {"default": POLICY})
    gw = gateway(s, echo)
    conversation = "x-crossroads-conversation"
    async for c in client_for(gw):
        first = await c.chat.completions.with_raw_response.create(
            model="echo", messages=user("first bob@example.org"), extra_headers={conversation: "new"}
        )
        issued = first.headers[conversation]
        assert issued != "new" and len(issued) >= 22  # at least 128 random bits
        await c.chat.completions.create(
            model="echo",
            messages=user("then ann@example.com and bob@example.org"),
            extra_headers={conversation: issued},
        )
        guessed = await c.chat.completions.with_raw_response.create(
            model="echo", messages=user("<EMAIL_ADDRESS_1> ann@example.com"), extra_headers={conversation: "new"}
        )
        assert guessed.parse().choices[0].message.content == "<EMAIL_ADDRESS_1> ann@example.com"
        assert guessed.headers[conversation] not in ("new", issued)
        await c.chat.completions.create(model="echo", messages=user("ann@example.com"))
    sent_texts = [call["messages"][0]["content"] for call in echo.calls]
    assert sent_texts == [
        "first <EMAIL_ADDRESS_1>",
        "then <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>",
        "<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2>",  # a new conversation: the client's own text is not anybody's value
        "<EMAIL_ADDRESS_1>",
    ]
    assert len(gw.stages[0].vault) == 2  # type: ignore[attr-defined]  # the two conversations; requests' are gone


async def test_facts_for_the_ledger(fake: tuple[str, FakeState]) -> None:
    gw = gateway(settings(fake[0], {"default": POLICY}))
    await gw.start()
    try:
        call = gw.new_call(
            Endpoint.CHAT, {"model": "echo", "messages": user("a@b.example c@d.example SSN 078-05-1120")}
        )
        await gw.run(call)
    finally:
        await gw.aclose()
    assert call.facts.privacy == PrivacyFacts("keep_local", {"EMAIL_ADDRESS": 2, "US_SSN": 1}, local_only=True)
    assert call.local_only


async def test_completions_and_embeddings_are_scanned(client: openai.AsyncOpenAI, fake: tuple[str, FakeState]) -> None:
    await client.completions.create(model="gpt", prompt=["write to ann@example.com", "nothing"])
    await client.embeddings.create(model="gpt", input="ann@example.com")
    assert "ann@example.com" not in sent(fake[1]) and "<EMAIL_ADDRESS_1>" in sent(fake[1])


async def test_no_privacy_section_changes_nothing(fake: tuple[str, FakeState]) -> None:
    async for c in client_for(gateway(settings(fake[0]))):
        raw = await c.chat.completions.with_raw_response.create(model="gpt", messages=user("ann@example.com"))
        assert HEADER not in raw.headers
    assert "ann@example.com" in sent(fake[1])


async def test_names_found_by_the_real_spacy_model(fake: tuple[str, FakeState]) -> None:
    policy = {"default": {**POLICY, "PERSON": "pseudonymize", "LOCATION": "redact"}}
    async for c in client_for(gateway(settings(fake[0], policy))):
        text = "Please tell Angela Merkel that the meeting in Berlin moved."
        raw = await c.chat.completions.with_raw_response.create(model="gpt", messages=user(text))
        assert raw.parse().choices[0].message.content == "This is a fake answer to: " + text.replace(
            "Berlin", "[LOCATION]"
        )
    assert fake[1].requests[-1]["json"]["messages"][0]["content"] == (
        "Please tell <PERSON_1> that the meeting in [LOCATION] moved."
    )


class AsKey(PassThrough):
    """Stands in for the metering stage: sets ``call.key`` to a key of that name."""

    def __init__(self, name: str) -> None:
        self.key = KeyRecord(id=f"id-{name}", name=name, prefix="sk-cr-")

    async def send(self, call: Call, next: Next) -> Any:
        call.key = self.key
        return await next(call)


@pytest.mark.parametrize(("key", "expected"), [("analytics", "ann@example.com"), ("other", "<EMAIL_ADDRESS_1>")])
async def test_policy_per_key(fake: tuple[str, FakeState], key: str, expected: str) -> None:
    s = settings(fake[0], {"default": POLICY, "keys": {"analytics": {"EMAIL_ADDRESS": "allow"}}})
    echo = EchoBackend()
    backends = {name: build_backend(name, cfg) for name, cfg in s.backends.items() if name != "local"}
    assert s.privacy is not None
    gw = Gateway(s, backends={**backends, "local": echo}, stages=[AsKey(key), PrivacyGuard(s.privacy)])
    await gw.send(Endpoint.CHAT, {"model": "echo", "messages": user("ann@example.com")})
    assert echo.calls[0]["messages"][0]["content"] == expected
