"""Rules: privacy class, key, prompt size, tier, route header / metadata — first match wins, default last."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.backends import Body, Endpoint
from crossroads.config import parse_settings
from crossroads.gateway import Gateway
from crossroads.metering.keys import KeyRecord
from crossroads.pipeline import Call
from crossroads.pipeline.call import PrivacyFacts
from crossroads.routing.rules import compile_rules
from crossroads.routing.stage import RoutingStage
from tests.support.scripted import ScriptedBackend

RULES = [
    {"name": "guarded", "when": {"privacy": ["keep_local"], "model": ["strong"]}, "use": "local"},
    {"name": "private", "when": {"privacy": ["local_only", "redact"]}, "use": "local"},
    {"name": "vip", "when": {"key": ["team-vip"], "model": ["auto"]}, "use": "strong"},
    {"name": "long", "when": {"min_prompt_chars": 40, "model": ["auto"]}, "use": "strong"},
    {"name": "premium", "when": {"tier": ["premium"]}, "use": "strong"},
    {"name": "cheap", "when": {"route": ["cheap"]}, "use": "local"},
    {"name": "eu", "when": {"metadata": {"region": "eu"}}, "use": "local"},
    {"name": "default", "when": {"model": ["auto"]}, "use": "cheap"},
]


def raw() -> dict[str, Any]:
    backends = {n: {"type": "openai_compat", "base_url": "http://unused/v1"} for n in ("s", "c")}
    return {
        "backends": {**backends, "l": {"type": "embedded"}},
        "models": {
            "auto": {"backend": "c", "aliases": ["router"]},
            "strong": {"backend": "s"},
            "cheap": {"backend": "c"},
            "local": {"backend": "l"},
        },
        "routing": {"rules": RULES, "reason_header": "full"},
    }


def backends() -> dict[str, ScriptedBackend]:
    return {
        "s": ScriptedBackend("s", location="hosted"),
        "c": ScriptedBackend("c", location="hosted"),
        "l": ScriptedBackend("l"),
    }


async def routed(call: Call) -> tuple[str, str]:
    settings = parse_settings(raw(), "test")
    gw = Gateway(settings, backends=dict(backends()), stages=[])
    stage = RoutingStage(compile_rules(settings.routing.rules, settings.resolve))

    async def inner(c: Call) -> Body:
        return await gw.router.send(c)

    await stage.send(call, inner)
    return call.facts.backend, call.facts.route_reason


def make(content: str = "hi", model: str = "auto", **kw: Any) -> Call:
    body = {"model": model, "messages": [{"role": "user", "content": content}], **kw.pop("body", {})}
    return Call(Endpoint.CHAT, body, model, **kw)


@pytest.mark.parametrize(
    ("call", "backend", "rule"),
    [
        (make(local_only=True), "l", "private"),
        (make(key=KeyRecord(id="k1", name="team-vip", prefix="sk-cr-")), "s", "vip"),
        (make(key=KeyRecord(id="k2", name="team-other", prefix="sk-cr-")), "c", "default"),
        (make("x" * 40), "s", "long"),
        (make(headers={"x-crossroads-tier": "premium"}), "s", "premium"),
        (make(body={"metadata": {"tier": "premium"}}), "s", "premium"),
        (make(headers={"x-crossroads-route": "cheap"}), "l", "cheap"),
        (make(body={"metadata": {"region": "eu", "team": "x"}}), "l", "eu"),
        (make(), "c", "default"),
    ],
    ids=["privacy", "key", "other-key", "prompt-size", "tier-header", "tier-metadata", "route", "metadata", "default"],
)
async def test_first_matching_rule_wins(call: Call, backend: str, rule: str) -> None:
    served, reason = await routed(call)
    assert served == backend
    assert reason.startswith(f"rule {rule} -> ")


@pytest.mark.parametrize(("action", "pinned"), [("redact", False), ("keep_local", True)])
async def test_privacy_class_comes_from_the_guard(action: str, pinned: bool) -> None:
    call = make(local_only=pinned)
    call.facts.privacy = PrivacyFacts(action, {"EMAIL": 1}, pinned)
    assert (await routed(call))[0] == "l"


async def test_the_guards_action_is_a_privacy_class_too() -> None:
    call = make(model="strong", local_only=True)
    call.facts.privacy = PrivacyFacts("keep_local", {"US_SSN": 1}, True)
    served, reason = await routed(call)
    assert served == "l" and reason.startswith("rule guarded -> local")


async def test_rules_only_apply_to_their_models() -> None:
    served, reason = await routed(make(model="strong"))
    assert served == "s" and reason == "model strong; priority -> s:strong"


async def test_rules_through_the_api_with_the_openai_client() -> None:
    app = create_app(gateway=Gateway(parse_settings(raw(), "test"), backends=dict(backends())))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            client = openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)
            raw_reply = await client.chat.completions.with_raw_response.create(
                model="router",
                messages=[{"role": "user", "content": "hi"}],
                extra_headers={"x-crossroads-route": "cheap"},
            )
    assert raw_reply.headers["x-crossroads-backend"] == "l"
    assert raw_reply.headers["x-crossroads-route-reason"] == "rule cheap -> local; priority -> l:local"
