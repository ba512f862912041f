"""What answers without a key: /metrics and /ready's details only with the master key (or ops_access:
open), /v1/models only what the calling key may use, and requests without a valid key are counted —
not written to the ledger or the audit chain — and limited per client address."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select

from crossroads.metering.keys import create_key
from crossroads.store import LedgerRow
from crossroads.store.models import AuditEntry
from tests.metering.conftest import client_for, metered_settings, running, usage_backends

MASTER = "cr-master-test-ops"
HELLO = [{"role": "user", "content": "Hello"}]


def http_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


async def test_metrics_need_the_master_key(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CROSSROADS_MASTER_KEY", raising=False)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _), http_for(app) as http:
        unset = await http.get("/metrics")
        monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers=bearer("sk-cr-not-the-master"))
        right = await http.get("/metrics", headers=bearer(MASTER))
    assert unset.status_code == 403 and "CROSSROADS_MASTER_KEY" in unset.json()["error"]["message"]
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"
    assert right.status_code == 200 and "crossroads_requests" in right.text


async def test_ops_access_open_shows_metrics_and_ready_details(sqlite_url: str) -> None:
    settings = metered_settings(sqlite_url)
    settings = settings.model_copy(update={"server": settings.server.model_copy(update={"ops_access": "open"})})
    async with running(settings, usage_backends()) as (app, _), http_for(app) as http:
        metrics = await http.get("/metrics")
        ready = await http.get("/ready")
    assert metrics.status_code == 200
    assert set(ready.json()["backends"]) == {"openai", "local"}


async def test_ready_details_need_the_master_key(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _), http_for(app) as http:
        anonymous = await http.get("/ready")
        master = await http.get("/ready", headers=bearer(MASTER))
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "ready"}
    assert set(master.json()["backends"]) == {"openai", "local"} and "breakers" in master.json()


async def test_models_lists_what_the_key_may_use(sqlite_url: str, sqlite_engine: Engine) -> None:
    _, narrow = create_key(sqlite_engine, "narrow", models=["smollm2"])
    _, wide = create_key(sqlite_engine, "wide")
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        narrow_ids = [m.id for m in (await client_for(app, narrow).models.list()).data]
        wide_ids = {m.id for m in (await client_for(app, wide).models.list()).data}
        allowed = await client_for(app, narrow).models.retrieve("smollm2")
        with pytest.raises(openai.NotFoundError):
            await client_for(app, narrow).models.retrieve("gpt-4o")
        with pytest.raises(openai.AuthenticationError):
            await client_for(app, "sk-cr-wrong-key-00000000").models.list()
    assert narrow_ids == ["smollm2"]
    assert wide_ids == {"smollm2", "gpt-4o", "gpt-3.5-turbo-0613"}
    assert allowed.id == "smollm2"


async def test_models_are_listed_to_anyone_while_no_key_exists(sqlite_url: str, sqlite_engine: Engine) -> None:
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _):
        ids = {m.id for m in (await client_for(app, "anything").models.list()).data}
    assert ids == {"smollm2", "gpt-4o", "gpt-3.5-turbo-0613"}


async def test_requests_without_a_valid_key_are_counted_not_recorded_and_limited(
    sqlite_url: str, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    _, plaintext = create_key(sqlite_engine, "team")
    with sqlite_engine.connect() as conn:
        audit_before = conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    settings = metered_settings(sqlite_url, unauthenticated_per_minute=3)
    async with running(settings, usage_backends()) as (app, gateway), http_for(app) as http:
        answers = [
            await http.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": HELLO}, headers=h)
            for h in ({}, bearer("sk-cr-guess-1"), bearer("sk-cr-guess-2"), bearer("sk-cr-guess-3"))
        ]
        ok = await client_for(app, plaintext).chat.completions.create(model="gpt-4o", messages=HELLO)
        await gateway.stages[0].writer.aclose()  # flush
        metrics = (await http.get("/metrics", headers=bearer(MASTER))).text
        gateway.stages[0].writer.start()
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[3].json()["error"]["code"] == "too_many_unauthenticated" and answers[3].headers["retry-after"]
    assert ok.choices  # a valid key is not held back by the address's refusals
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(LedgerRow.status)).scalars().all()
        audit_after = conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert rows == [200]
    assert audit_after == audit_before + 1  # the served request's ledger link only
    assert sample(metrics, "crossroads_unauthenticated_requests_total", answer="invalid_api_key") == 3
    assert sample(metrics, "crossroads_unauthenticated_requests_total", answer="too_many_unauthenticated") == 1
