"""GET /metrics in Prometheus format, and the admin API behind the master key."""

from __future__ import annotations

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.metering.conftest import client_for, metered_settings, running, usage_backends

HELLO = [{"role": "user", "content": "Hello"}]


def raw_http(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")  # type: ignore[arg-type]


MASTER = "cr-master-test-0123456789"


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    raise AssertionError(f"no sample {name}{labels} in\n{text}")


async def test_metrics_count_requests_tokens_and_cost(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, gateway):
        await client_for(app).chat.completions.create(model="gpt-3.5-turbo-0613", messages=HELLO)
        await gateway.stages[0].writer.aclose()  # flush, so the row is observed
        async with raw_http(app) as http:
            response = await http.get("/metrics", headers={"authorization": f"Bearer {MASTER}"})
        gateway.stages[0].writer.start()
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text, model = response.text, {"backend": "openai", "model": "gpt-3.5-turbo-0613"}
    assert sample(text, "crossroads_requests_total", **model, key="", status="200") == 1
    assert sample(text, "crossroads_tokens_total", **model, kind="prompt") == 1500
    assert sample(text, "crossroads_tokens_total", **model, kind="completion") == 500
    assert sample(text, "crossroads_cost_usd_total", **model) == pytest.approx(0.00325)
    assert sample(text, "crossroads_request_duration_seconds_count", **model) == 1
    assert sample(text, "crossroads_ledger_rows_written_total") == 1


async def test_metrics_without_metering_say_how_to_turn_it_on() -> None:
    from crossroads.config import parse_settings

    settings = parse_settings({"backends": {"b": {"type": "embedded"}}, "models": {"m": {"backend": "b"}}}, "t")
    async with running(settings, {"b": usage_backends()["local"]}) as (app, _), raw_http(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 404 and "metering.enabled: true" in response.json()["error"]["message"]


async def test_admin_api(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(metered_settings(sqlite_url), usage_backends()) as (app, _), raw_http(app) as http:
        off = await http.get("/admin/keys")
        monkeypatch.setenv("CROSSROADS_MASTER_KEY", MASTER)
        wrong = await http.get("/admin/keys", headers={"authorization": "Bearer nope"})
        admin = {"authorization": f"Bearer {MASTER}"}
        bad = await http.post("/admin/keys", json={"name": "x", "budget": "lots"}, headers=admin)
        made = await http.post("/admin/keys", json={"name": "ci", "budget": "5", "rpm": 10}, headers=admin)
        key = made.json()["key"]
        ok = await client_for(app, key=key).chat.completions.create(model="gpt-4o", messages=HELLO)
        listed = await http.get("/admin/keys", headers=admin)
        revoked = await http.delete(f"/admin/keys/{made.json()['id']}", headers=admin)
        with pytest.raises(openai.AuthenticationError):
            await client_for(app, key=key).chat.completions.create(model="gpt-4o", messages=HELLO)
        audit = await http.get("/admin/audit/verify", headers=admin)
    assert off.status_code == 403 and "CROSSROADS_MASTER_KEY" in off.json()["error"]["message"]
    assert wrong.status_code == 401
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "budget"
    assert made.status_code == 201 and key.startswith("sk-cr-") and made.json()["budget"] == "5"
    assert ok.choices
    assert [k["name"] for k in listed.json()["data"]] == ["ci"] and "key" not in listed.json()["data"][0]
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert audit.json()["ok"] is True and audit.json()["entries"] >= 2  # key.create and key.revoke at least
