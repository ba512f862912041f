"""Fail closed: a call the guard keeps local is never retried, fallen back, cascaded or shadowed to a
hosted deployment — under every fault. The hosted fakes ('a', 'b') must receive nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from crossroads import gateway as gateway_module
from crossroads.api import create_app
from crossroads.backends import Body
from crossroads.config import Settings, parse_settings
from crossroads.pipeline import Call, Next, NextStream, PassThrough, Stage
from crossroads.pipeline.call import PrivacyFacts
from tests.routing.conftest import Up, chat, chat_stream, gateway, settings

FAULTS = [
    {"status": 429, "retry_after": 0},
    {"status": 500},
    {"status": 503},
    {"latency_ms": 1500, "ttft_ms": 1500},
    {"disconnect_after": 0},
    {"malformed_after": 0},
]


class Sensitive(PassThrough):
    """Plays the privacy guard: pins every call local (or only reports entities found)."""

    def __init__(self, pin: bool = True) -> None:
        self.pin = pin

    def _mark(self, call: Call) -> None:
        call.local_only = self.pin
        call.facts.privacy = PrivacyFacts("pin_local" if self.pin else "pseudonymize", {"EMAIL": 1}, self.pin)

    async def send(self, call: Call, next: Next) -> Body:
        self._mark(call)
        return await next(call)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        self._mark(call)
        return await next(call)


def mixed(**extra: Any) -> dict[str, Any]:
    """A group whose first choice is hosted, with a hosted fallback model: only 'l' is local."""
    deployments = [
        {"backend": "a", "upstream_model": "gpt-4o-mini", "priority": 0},
        {"backend": "l", "upstream_model": "llama", "priority": 1},
    ]
    return {"chat": {"deployments": deployments, "fallbacks": ["hosted"], **extra}, "hosted": {"backend": "b"}}


@pytest.fixture(autouse=True)
def _guard_stage(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The guard's place in the chain (outside the router); which one a test uses is its 'pin' parameter."""
    pin = request.node.callspec.params.get("pin", True) if hasattr(request.node, "callspec") else True
    real = gateway_module.build_stages

    def with_guard(settings: Settings, metering: Any) -> list[Stage]:
        return [Sensitive(pin), *real(settings, metering)]

    monkeypatch.setattr(gateway_module, "build_stages", with_guard)


def app_for(ups: dict[str, Up], models: dict[str, Any], **routing: Any) -> Any:
    return create_app(parse_settings(settings(ups, models, **routing), "test"))


def hosted_received(ups: dict[str, Up]) -> int:
    return ups["a"].received() + ups["b"].received()


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: next(iter(f)) + str(next(iter(f.values()))))
async def test_local_failure_never_falls_back_to_hosted(
    ups: dict[str, Up], fault: dict[str, Any], stream: bool
) -> None:
    ups["l"].fail_next(fault, fault)
    app = app_for(ups, mixed(), retry={"retries": 1, "attempt_timeout": 0.5, "backoff": 0.01})
    async with gateway({}, app) as (client, _):
        with pytest.raises(openai.APIStatusError) as info:
            await (chat_stream(client) if stream else chat(client))
    assert info.value.status_code in (429, 502, 504)
    assert "local only" in info.value.response.headers["x-crossroads-route-reason"]
    assert ups["l"].received() == 2  # retried, on the local deployment only
    assert hosted_received(ups) == 0


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
async def test_local_call_is_served_locally_even_when_hosted_comes_first(ups: dict[str, Up], stream: bool) -> None:
    async with gateway({}, app_for(ups, mixed())) as (client, _):
        text, headers = await (chat_stream(client) if stream else chat(client))
    assert text and headers["x-crossroads-backend"] == "l"
    assert ups["l"].posts()[0]["json"]["model"] == "llama"
    assert hosted_received(ups) == 0


async def test_hosted_only_model_refuses_a_local_call(ups: dict[str, Up]) -> None:
    async with gateway({}, app_for(ups, mixed())) as (client, _):
        with pytest.raises(openai.APIStatusError) as info:
            await chat(client, model="hosted")
    assert info.value.status_code == 503 and info.value.code == "no_local_backend"
    assert hosted_received(ups) == 0


async def test_cascade_does_not_escalate_to_hosted(ups: dict[str, Up]) -> None:
    models = mixed(cascade={"validators": [{"type": "regex", "pattern": "^never$"}]}, strategy="priority")
    models["chat"]["deployments"] = list(reversed(models["chat"]["deployments"]))
    async with gateway({}, app_for(ups, models)) as (client, _):
        text, headers = await chat(client)
    assert text and headers["x-crossroads-backend"] == "l"
    assert hosted_received(ups) == 0


async def test_judge_of_a_local_call_must_be_local(ups: dict[str, Up]) -> None:
    validators = [{"type": "judge", "model": "hosted", "threshold": 5}]
    models = mixed(cascade={"validators": validators})
    models["chat"]["deployments"] = [
        {"backend": "l", "upstream_model": "llama"},
        {"backend": "l", "upstream_model": "big"},
    ]
    async with gateway({}, app_for(ups, models)) as (client, _):
        _, headers = await chat(client)
    assert "judge failed" in headers["x-crossroads-route-reason"]  # the hosted judge was refused
    assert headers["x-crossroads-backend"] == "l"
    assert hosted_received(ups) == 0


@pytest.mark.parametrize("pin", [True, False], ids=["local_only", "entities_found"])
async def test_sensitive_calls_are_shadowed_to_local_candidates_only(
    ups: dict[str, Up], pin: bool, tmp_path: Any
) -> None:
    shadow = [{"backend": "a", "sample": 1.0}, {"backend": "l", "upstream_model": "candidate", "sample": 1.0}]
    models = {"chat": {"backend": "l", "upstream_model": "llama", "shadow": shadow}}
    log = tmp_path / "shadow.jsonl"
    async with gateway({}, app_for(ups, models, shadow_log=str(log))) as (client, _):
        await chat(client)
        for _ in range(100):
            if ups["l"].received() >= 2:
                break
            await asyncio.sleep(0.02)
    assert [r["json"]["model"] for r in ups["l"].posts()] == ["llama", "candidate"]
    assert ups["a"].received() == 0
