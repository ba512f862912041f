"""Key scope through routing: rules on client headers or metadata, fallbacks and shadows never carry a
call to a model its key may not use. Real keys in a SQLite store; what each fake upstream received."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest

from crossroads.metering.keys import create_key
from crossroads.store import make_engine, upgrade
from tests.routing.conftest import Up, chat, chat_stream, gateway, group, settings

RULES = [
    {"name": "tier", "when": {"tier": ["premium"]}, "use": "premium"},
    {"name": "route", "when": {"route": ["premium"]}, "use": "premium"},
    {"name": "meta", "when": {"metadata": {"plan": "gold"}}, "use": "premium"},
    {"name": "alt", "when": {"route": ["alt"]}, "use": "alt"},
]


def raw(ups: dict[str, Up], tmp_path: Path, **models: Any) -> dict[str, Any]:
    base = {
        "cheap": group("a", fallbacks=["premium"], shadow=[{"backend": "b", "upstream_model": "big", "sample": 1.0}]),
        "premium": {"deployments": [{"backend": "b", "upstream_model": "big"}]},
        "alt": group("l"),
    }
    config = settings(ups, {**base, **models}, rules=RULES, shadow_log=str(tmp_path / "shadow.jsonl"))
    return {**config, "metering": {"enabled": True, "database_url": f"sqlite:///{tmp_path / 'keys.db'}"}}


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """Two keys: 'narrow' may use cheap and alt; 'wide' may use every model."""
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    upgrade(engine)
    _, narrow = create_key(engine, "narrow", models=["cheap", "alt"])
    _, wide = create_key(engine, "wide")
    engine.dispose()
    return {"narrow": narrow, "wide": wide}


def big_requests(up: Up) -> int:
    return sum(1 for r in up.posts() if r["json"]["model"] == "big")


async def as_key(client: openai.AsyncOpenAI, key: str) -> openai.AsyncOpenAI:
    return client.with_options(api_key=key)


@pytest.mark.parametrize(
    "asks",
    [
        {"extra_headers": {"x-crossroads-tier": "premium"}},
        {"extra_headers": {"x-crossroads-route": "premium"}},
        {"metadata": {"tier": "premium"}},
        {"metadata": {"route": "premium"}},
        {"metadata": {"plan": "gold"}},
    ],
    ids=["tier-header", "route-header", "tier-metadata", "route-metadata", "metadata-pair"],
)
async def test_a_rule_on_client_input_never_reaches_a_model_the_key_may_not_use(
    ups: dict[str, Up], tmp_path: Path, keys: dict[str, str], asks: dict[str, Any]
) -> None:
    async with gateway(raw(ups, tmp_path, cheap=group("a"))) as (client, _):
        narrow_text, narrow = await chat(await as_key(client, keys["narrow"]), "cheap", **asks)
        wide_text, wide = await chat(await as_key(client, keys["wide"]), "cheap", **asks)
    assert narrow["x-crossroads-backend"] == "a" and narrow_text
    assert wide["x-crossroads-backend"] == "b" and wide_text  # the rule does fire for a key that may
    assert big_requests(ups["b"]) == 1 and ups["a"].received() == 1


async def test_a_rule_to_an_allowed_model_still_applies(ups: dict[str, Up], tmp_path: Path, keys: dict) -> None:
    async with gateway(raw(ups, tmp_path)) as (client, _):
        _, headers = await chat(
            await as_key(client, keys["narrow"]), "cheap", extra_headers={"x-crossroads-route": "alt"}
        )
    assert headers["x-crossroads-backend"] == "l"
    assert ups["l"].received() == 1 and ups["a"].received() == 0


async def test_a_fallback_to_a_model_the_key_may_not_use_is_not_tried(
    ups: dict[str, Up], tmp_path: Path, keys: dict[str, str]
) -> None:
    config = raw(ups, tmp_path, cheap=group("a", fallbacks=["premium"]))
    async with gateway(config) as (client, _):
        ups["a"].fail_next(*[{"status": 500}] * 3)
        with pytest.raises(openai.InternalServerError) as failed:
            await chat(await as_key(client, keys["narrow"]), "cheap")
        ups["a"].state.faults.clear()
        ups["a"].fail_next({"status": 500})
        _, wide = await chat(await as_key(client, keys["wide"]), "cheap")
    assert failed.value.status_code == 502
    assert wide["x-crossroads-backend"] == "b"
    assert big_requests(ups["b"]) == 1  # only the wide key's fallback


async def test_a_streamed_fallback_obeys_the_key_too(ups: dict[str, Up], tmp_path: Path, keys: dict) -> None:
    async with gateway(raw(ups, tmp_path, cheap=group("a", fallbacks=["premium"]))) as (client, _):
        ups["a"].fail_next(*[{"status": 503}] * 3)
        with pytest.raises(openai.APIStatusError):
            await chat_stream(await as_key(client, keys["narrow"]), "cheap")
    assert big_requests(ups["b"]) == 0 and ups["a"].received() >= 1


async def test_a_shadow_to_a_model_the_key_may_not_use_is_skipped(
    ups: dict[str, Up], tmp_path: Path, keys: dict[str, str]
) -> None:
    async with gateway(raw(ups, tmp_path)) as (client, app):
        await chat(await as_key(client, keys["narrow"]), "cheap")
        await chat(await as_key(client, keys["wide"]), "cheap")
        shadower = app.state.gateway.router.shadower
        await asyncio.gather(*shadower.tasks)
    assert ups["a"].received() == 2
    assert big_requests(ups["b"]) == 1  # the wide key's request was mirrored, the narrow key's not
