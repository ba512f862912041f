"""Key changes across replicas (PostgreSQL notifications), failing closed when keys cannot be re-read,
expiry and rotation without downtime."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import openai
import pytest
from sqlalchemy import Engine

from crossroads.metering.keys import create_key, revoke_key, rotate_key, utcnow
from crossroads.store import make_engine, upgrade
from tests.cli.test_cli import run
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


async def served(app: object, key: str) -> bool:
    try:
        await client_for(app, key).chat.completions.create(model="gpt-4o", messages=HELLO)
    except openai.AuthenticationError:
        return False
    return True


async def until(check: object, seconds: float = 10.0) -> bool:
    """Poll ``check()`` (an async callable) until it is true or ``seconds`` pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_revocation_reaches_every_replica_at_once_on_postgresql(pg_url: str) -> None:
    """Two gateways on one PostgreSQL, re-reading keys only every 10 minutes: a revocation made by the
    CLI's code path (no gateway involved) is refused by both as soon as it commits."""
    engine = make_engine(pg_url)
    upgrade(engine)
    _, plaintext = create_key(engine, "team")
    settings = metered_settings(pg_url, key_refresh_seconds=600)
    async with running(settings, usage_backends()) as (a, _), running(settings, usage_backends()) as (b, _):
        assert await served(a, plaintext) and await served(b, plaintext)
        revoke_key(engine, "team")
        refused_a = await until(lambda: _refused(a, plaintext))
        refused_b = await until(lambda: _refused(b, plaintext))
    engine.dispose()
    assert refused_a and refused_b  # long before the 600 s re-read


async def _refused(app: object, key: str) -> bool:
    return not await served(app, key)


async def test_a_replica_that_cannot_reread_keys_fails_closed(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    _, plaintext = create_key(sqlite_engine, "team")
    settings = metered_settings(sqlite_url, key_reread_failures=2)
    async with running(settings, usage_backends()) as (app, gateway):
        keys = gateway.stages[0].keys
        store = keys.engine
        keys.engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")  # the store is gone
        await keys.refresh()
        assert await served(app, plaintext)  # one failed re-read: the known keys still serve
        await keys.refresh()
        with pytest.raises(openai.APIStatusError) as closed:
            await client_for(app, plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
        keys.engine.dispose()
        keys.engine = store
        await keys.refresh()
        back = await served(app, plaintext)
    assert closed.value.status_code == 503 and closed.value.code == "keys_unavailable"
    assert back


async def test_expired_keys_are_refused(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, old = create_key(sqlite_engine, "old", expires_at=utcnow() - timedelta(seconds=1))
    _, fresh = create_key(sqlite_engine, "fresh", expires_at=utcnow() + timedelta(days=1))
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        with pytest.raises(openai.AuthenticationError) as expired:
            await client_for(app, old).chat.completions.create(model="gpt-4o", messages=HELLO)
        assert await served(app, fresh)
    assert "expired at" in expired.value.message


async def test_rotation_keeps_both_keys_working_until_the_grace_ends(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, first = create_key(sqlite_engine, "team", models=["gpt-4o"], rpm=100)
    old, new, second = rotate_key(sqlite_engine, "team", timedelta(hours=1))
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, gateway):
        both = await served(app, first) and await served(app, second)
        _, _, third = rotate_key(sqlite_engine, new.id, timedelta(0))  # no grace: the second stops at once
        await gateway.stages[0].keys.reread()
        after = (await served(app, second), await served(app, third), await served(app, first))
    assert both and after == (False, True, True)  # the first still has its hour
    assert new.models == old.models == frozenset({"gpt-4o"}) and new.rpm == 100 and new.name == "team"
    assert old.expires_at is not None and new.expires_at is None


def test_cli_rotate_and_expiring_create(sqlite_url: str, sqlite_engine: Engine) -> None:
    code, out = run("keys", "create", "--name", "ci", "--expires-in", "30d", "--database", sqlite_url)
    assert code == 0, out
    code, out = run("keys", "rotate", "ci", "--grace", "2h", "--database", sqlite_url)
    assert code == 0 and "expires at" in out and "sk-cr-" in out, out
    code, out = run("keys", "create", "--name", "x", "--expires-in", "soon", "--database", sqlite_url)
    assert code != 0 and "90m, 12h or 30d" in out
    code, out = run("keys", "rotate", "nobody", "--database", sqlite_url)
    assert code != 0 and "No active key" in out


async def test_admin_api_expiry_and_rotation(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("CROSSROADS_MASTER_KEY", "cr-master-test-rotate")
    admin = {"authorization": "Bearer cr-master-test-rotate"}
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            bad = await http.post("/admin/keys", json={"name": "a", "expires_at": "tomorrow"}, headers=admin)
            made = await http.post(
                "/admin/keys", json={"name": "a", "expires_at": "2099-01-01T00:00:00Z"}, headers=admin
            )
            rotated = await http.post(
                f"/admin/keys/{made.json()['id']}/rotate", json={"grace_seconds": 0}, headers=admin
            )
            negative = await http.post("/admin/keys/a/rotate", json={"grace_seconds": -1}, headers=admin)
        old_works = await served(app, made.json()["key"])
        new_works = await served(app, rotated.json()["key"])
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "expires_at"
    assert made.status_code == 201 and made.json()["expires_at"] == "2099-01-01T00:00:00"
    assert rotated.status_code == 201 and rotated.json()["replaces"]["id"] == made.json()["id"]
    assert negative.status_code == 400
    assert (old_works, new_works) == (False, True)
