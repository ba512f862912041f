"""x-crossroads-route-reason: brief by default (no upstream names or status codes), full or off by config;
the ledger's reason (``call.facts``) is always the full one."""

from __future__ import annotations

import httpx
import pytest

from tests.routing.conftest import Up, chat, gateway, group, settings


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("brief", "model chat; priority; 1 failed"),
        ("full", "model chat; priority -> b:gpt-4o-mini; after a:gpt-4o-mini 502 bad_gateway"),
        ("off", None),
    ],
)
async def test_reason_header_modes(ups: dict[str, Up], mode: str, expected: str | None) -> None:
    ups["a"].fail_next({"status": 500, "message": "upstream org-1234 quota detail"})
    async with gateway(settings(ups, {"chat": group("a", "b")}, reason_header=mode)) as (client, _):
        _, headers = await chat(client)
    assert headers.get("x-crossroads-route-reason") == expected
    assert headers["x-crossroads-backend"] == "b"


async def test_brief_reason_on_an_error_names_no_upstream(ups: dict[str, Up]) -> None:
    ups["a"].fail_next({"status": 500})
    async with gateway(settings(ups, {"chat": group("a")}, reason_header="brief")) as (client, _):
        http: httpx.AsyncClient = client._client
        reply = await http.post(
            "/v1/chat/completions", json={"model": "chat", "messages": [{"role": "user", "content": "x"}]}
        )
    assert reply.status_code == 502
    assert reply.headers["x-crossroads-route-reason"] == "model chat; 1 failed"
