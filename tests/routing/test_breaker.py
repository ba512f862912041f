"""Circuit breaker transitions, alone and in front of fake upstreams; /ready shows the state."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from crossroads.routing.breaker import CLOSED, HALF_OPEN, OPEN, Breaker
from crossroads.routing.config import BreakerConfig
from crossroads.testing.server import serving
from tests.cli.test_cli import run
from tests.routing.conftest import Up, chat, gateway, group, router_of, settings

MASTER = "cr-master-test-breakers"

CONFIG = BreakerConfig(failures=3, window=10, cooldown=5)


def test_opens_after_n_failures_within_the_window() -> None:
    b = Breaker(CONFIG)
    b.failure("x", now=0)
    b.failure("x", now=1)
    assert b.state == CLOSED and b.allows(1)
    b.failure("x", now=2)
    assert b.state == OPEN and not b.allows(3)
    assert b.status(now=3)["retry_in_s"] == 4


def test_failures_outside_the_window_are_forgotten() -> None:
    b = Breaker(CONFIG)
    for t in (0, 1, 11.5):
        b.failure("x", now=t)
    assert b.state == CLOSED and len(b.failures) == 1


def test_half_open_lets_one_probe_through_and_closes_on_success() -> None:
    b = Breaker(CONFIG)
    b.open(5, "down", now=0)
    assert not b.allows(4.9)
    assert b.allows(5.0) and b.state == HALF_OPEN
    assert not b.allows(5.1)  # only one probe at a time
    b.success()
    assert b.state == CLOSED and b.allows(5.2) and b.reason is None


def test_a_failed_probe_opens_again() -> None:
    b = Breaker(CONFIG)
    b.open(5, "down", now=0)
    assert b.allows(6)
    b.failure("still down", now=6)
    assert b.state == OPEN and b.open_until == 11 and "probe failed" in str(b.reason)


def test_disabled_breaker_always_allows() -> None:
    b = Breaker(BreakerConfig(enabled=False))
    b.open(60, "x", now=0)
    assert b.allows(1) and b.status()["state"] == "disabled"


async def test_breaker_in_front_of_upstreams(ups: dict[str, Up], monkeypatch: pytest.MonkeyPatch) -> None:
    """a fails 3 times -> open: traffic goes to b without touching a; after the cooldown one probe
    reaches a, succeeds, and the breaker closes."""
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    ups["a"].fail_next(*[{"status": 500}] * 3)
    raw = settings(ups, {"chat": group("a", "b")}, breaker={"failures": 3, "window": 10, "cooldown": 0.3})
    async with gateway(raw) as (client, app):
        for _ in range(5):
            _, headers = await chat(client)
            assert headers["x-crossroads-backend"] == "b"
        assert ups["a"].received() == 3
        assert router_of(app).breakers()["a:gpt-4o-mini"]["state"] == "open"
        ready = (await client._client.get("/ready", headers={"authorization": f"Bearer {MASTER}"})).json()
        assert ready["breakers"]["a:gpt-4o-mini"]["state"] == "open"
        assert ready["breakers"]["b:gpt-4o-mini"] == {
            "state": "closed",
            "failures": 0,
            "retry_in_s": None,
            "reason": None,
            "location": "hosted",
            "models": ["chat"],
        }
        await asyncio.sleep(0.35)
        _, headers = await chat(client)
        assert headers["x-crossroads-backend"] == "a"  # the half-open probe, answered
        assert router_of(app).breakers()["a:gpt-4o-mini"]["state"] == "closed"


async def test_every_circuit_open_is_503_with_retry_after(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 500})
    raw = settings(ups, {"chat": group("a")}, breaker={"failures": 1, "cooldown": 30})
    async with gateway(raw) as (client, _):
        response = await client._client.post(
            "/v1/chat/completions", json={"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
        )
        assert response.status_code == 502
        response = await client._client.post(
            "/v1/chat/completions", json={"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "circuit_open"
    assert 25 <= int(response.headers["retry-after"]) <= 30
    assert ups["a"].received() == 1


async def test_health_check_opens_an_unreachable_deployment(ups: dict[str, Up]) -> None:
    raw = settings(ups, {"chat": group("refused", "b")}, health={"interval": 0.05})
    async with gateway(raw) as (client, app):
        for _ in range(100):
            if router_of(app).breakers()["refused:gpt-4o-mini"]["state"] == "open":
                break
            await asyncio.sleep(0.02)
        _, headers = await chat(client)
        state = router_of(app).breakers()["refused:gpt-4o-mini"]
    assert state["state"] == "open" and state["reason"].startswith("health check: cannot reach")
    assert "after refused" not in headers["x-crossroads-route-reason"]  # skipped, not tried


def test_models_list_shows_deployments_and_breakers(ups: dict[str, Up], tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(settings(ups, {"chat": group("refused", "b", strategy="weighted")})))
    code, out = run("models", "list", "--config", str(path), "--json")
    assert code == 0, out
    rows = json.loads(out)
    assert [(r["model"], r["backend"], r["breaker"]) for r in rows] == [
        ("chat", "refused", "open (health check)"),
        ("chat", "b", "closed"),
    ]
    assert rows[0]["strategy"] == "weighted" and rows[0]["status"].startswith("unavailable: cannot reach")


def test_models_list_reads_a_running_gateway(
    ups: dict[str, Up], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--url: the breakers of the gateway that serves, even while /ready says 503 (a backend is down);
    /ready's details need the master key, which the command reads from the gateway's variable."""
    from crossroads.api import create_app
    from crossroads.config import parse_settings

    ups["a"].fail_next({"status": 500})
    raw = settings(ups, {"chat": group("a", "b")}, breaker={"failures": 1})
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(raw))
    with serving(create_app(parse_settings(raw, "t"))) as url:
        reply = httpx.post(
            url + "/v1/chat/completions", json={"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
        )
        assert reply.headers["x-crossroads-backend"] == "b"
        assert httpx.get(url + "/ready").status_code == 503  # 'refused' is configured and down
        code, without = run("models", "list", "--config", str(path), "--url", url, "--json")
        assert code != 0 and "set CROSSROADS_MASTER_KEY" in without
        monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
        code, out = run("models", "list", "--config", str(path), "--url", url, "--json")
    assert code == 0, out
    breakers = {r["backend"]: r["breaker"] for r in json.loads(out)}
    assert breakers["a"].startswith("open (1 failed in 30s; probe in ") and breakers["b"] == "closed"


async def test_health_check_opens_then_lets_a_probe_through_when_healthy_again() -> None:
    from crossroads.routing import health
    from crossroads.routing.deployment import Deployment
    from tests.support.scripted import ScriptedBackend

    backend = ScriptedBackend("gpu", not_ready="cannot reach the GPU box")
    d = Deployment(backend, "llama", BreakerConfig(cooldown=60))
    await health.check([d], interval=60)
    assert d.breaker.state == OPEN and not d.breaker.allows(time.monotonic())
    backend.not_ready = None
    await health.check([d], interval=60)
    assert d.breaker.allows(time.monotonic()) and d.breaker.state == HALF_OPEN
    d.breaker.success()
    assert d.breaker.state == CLOSED
