"""No secrets in the file, none in messages: config refuses credentials in URLs and secret-looking literal
headers (headers_env takes them from the environment), and every URL a message shows is stripped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from crossroads.api import create_app
from crossroads.config import parse_settings
from crossroads.errors import ConfigError
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import free_port, serving
from crossroads.urls import safe_url, scrub
from tests.cli.test_cli import run


def backend(**fields: Any) -> dict[str, Any]:
    return {"backends": {"up": {"type": "openai_compat", **fields}}, "models": {"m": {"backend": "up"}}}


def problems(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_settings(raw, "crossroads.yaml")
    return "\n".join(info.value.problems)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://admin:hunter2@gpu-box:8000/v1", "credentials in it"),
        ("http://token@gpu-box:8000/v1", "credentials in it"),
        ("https://api.example.com/v1?key=sk-abc123", "query parameter (key)"),
        ("https://api.example.com/v1?api_key=sk-abc123&x=1", "query parameter (api_key)"),
        ("https://example.blob.core/v1?sig=abc", "query parameter (sig)"),
    ],
)
def test_credentials_in_base_url_are_refused(url: str, says: str) -> None:
    text = problems(backend(base_url=url))
    assert "backends.up.base_url" in text and says in text
    assert "hunter2" not in text and "sk-abc123" not in text  # the problem never repeats the secret


@pytest.mark.parametrize("name", ["Authorization", "x-api-key", "api-key", "Cookie", "X-Auth-Token", "x-client-secret"])
def test_secret_looking_literal_headers_are_refused(name: str) -> None:
    text = problems(backend(base_url="http://h/v1", headers={name: "s3cr3t-value"}))
    assert "headers_env" in text and "s3cr3t-value" not in text


def test_harmless_urls_and_headers_pass() -> None:
    raw = backend(base_url="http://h:8000/v1?design=1", headers={"OpenAI-Organization": "org-1", "x-region": "eu"})
    assert parse_settings(raw, "t").backends["up"].headers["x-region"] == "eu"  # type: ignore[union-attr]


def test_config_check_refuses_a_url_with_credentials(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(backend(base_url="http://admin:hunter2@gpu-box/v1")))
    code, out = run("config", "check", "--config", str(path))
    assert code != 0 and "credentials in it" in out and "hunter2" not in out


async def test_headers_env_sends_a_header_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSTREAM_TENANT_TOKEN", "tenant-secret-1")
    fake = create_fake_upstream(FakeConfig())
    with serving(fake) as url:
        raw = backend(base_url=url + "/v1", headers_env={"x-tenant-token": "UPSTREAM_TENANT_TOKEN"})
        app = create_app(parse_settings(raw, "t"))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
                body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
                assert (await http.post("/v1/chat/completions", json=body)).status_code == 200
    posted = [r for r in fake.state.fake.requests if r["method"] == "POST"]
    assert posted[0]["headers"]["x-tenant-token"] == "tenant-secret-1"


async def test_messages_show_urls_without_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSROADS_MASTER_KEY", "cr-master-test-urls")
    port = free_port()
    raw = backend(base_url=f"http://127.0.0.1:{port}/v1?deployment=blue")
    app = create_app(parse_settings(raw, "t"))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            ready = await http.get("/ready", headers={"authorization": "Bearer cr-master-test-urls"})
    reason = ready.json()["backends"]["up"]["reason"]
    assert f"cannot reach http://127.0.0.1:{port}/v1" in reason and "deployment=blue" not in reason


def test_safe_url_and_scrub() -> None:
    assert safe_url("https://u:p@host:8443/v1?key=1#frag") == "https://host:8443/v1"
    assert safe_url("http://[::1]:9/x") == "http://[::1]:9/x"
    text = "failed: Cannot connect to https://u:p@api.example.com/v1/chat?sig=abc (refused)"
    assert scrub(text) == "failed: Cannot connect to https://api.example.com/v1/chat (refused)"
