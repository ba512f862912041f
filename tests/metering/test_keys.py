"""Keys: open without any, 401 without a valid one, 403 for a model the key may not use; only hashes stored."""

from __future__ import annotations

from decimal import Decimal

import httpx
import openai
import pytest
from sqlalchemy import Engine, select, text

from crossroads.metering.keys import create_key, revoke_key
from crossroads.store import LedgerRow
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


async def test_no_keys_means_open(sqlite_url: str, sqlite_engine: Engine) -> None:
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        reply = await client_for(app, key="anything").chat.completions.create(model="gpt-4o", messages=HELLO)
    assert reply.choices[0].message.content


async def test_keys_are_checked(sqlite_url: str, sqlite_engine: Engine) -> None:
    key, plaintext = create_key(sqlite_engine, "team-a", models=["smollm2"])
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            missing = await http.post("/v1/chat/completions", json={"model": "smollm2", "messages": HELLO})
        with pytest.raises(openai.AuthenticationError) as wrong:
            await client_for(app, key="sk-cr-not-a-real-key-000").chat.completions.create(
                model="smollm2", messages=HELLO
            )
        with pytest.raises(openai.PermissionDeniedError) as denied:
            await client_for(app, key=plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
        ok = await client_for(app, key=plaintext).chat.completions.create(model="smollm2", messages=HELLO)
    assert missing.status_code == wrong.value.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"
    assert "crossroads keys create" in missing.json()["error"]["message"]
    assert wrong.value.code == "invalid_api_key" and "sk-cr-no" in wrong.value.message
    assert denied.value.status_code == 403 and denied.value.code == "model_not_allowed"
    assert "smollm2" in denied.value.message
    assert ok.choices
    with sqlite_engine.connect() as conn:
        statuses = conn.execute(select(LedgerRow.status, LedgerRow.key_id).order_by(LedgerRow.at)).all()
    assert statuses == [(403, key.id), (200, key.id)]  # requests without a valid key leave no row


async def test_new_and_revoked_keys_take_effect_without_restart(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, first = create_key(sqlite_engine, "first")
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, gateway):
        await client_for(app, key=first).chat.completions.create(model="gpt-4o", messages=HELLO)
        _, second = create_key(sqlite_engine, "second")
        gateway.stages[0].keys._read_at = 0  # as if the last re-read was long ago
        await client_for(app, key=second).chat.completions.create(model="gpt-4o", messages=HELLO)
        revoke_key(sqlite_engine, "first")
        await gateway.stages[0].keys.reread()
        with pytest.raises(openai.AuthenticationError):
            await client_for(app, key=first).chat.completions.create(model="gpt-4o", messages=HELLO)


def test_only_a_hash_is_stored(sqlite_engine: Engine) -> None:
    key, plaintext = create_key(sqlite_engine, "team-a", budget=Decimal("50"), rpm=60, tpm=100_000)
    assert plaintext.startswith("sk-cr-") and len(plaintext) > 40
    with sqlite_engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
        audit = " ".join(str(v) for row in conn.execute(text("SELECT * FROM audit_log")) for v in row)
    assert plaintext not in dump and plaintext not in audit
    assert key.id in audit and "key.create" in audit


def test_revoking_an_unknown_key_says_how_to_find_one(sqlite_engine: Engine) -> None:
    from crossroads.errors import NotFound

    with pytest.raises(NotFound, match="crossroads keys list"):
        revoke_key(sqlite_engine, "nobody")
