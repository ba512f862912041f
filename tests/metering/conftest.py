"""Metering fixtures: a gateway over usage-reporting backends with a real SQLite file, PostgreSQL or Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openai
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text

from crossroads.api import create_app
from crossroads.config import Settings, parse_settings
from crossroads.gateway import Gateway
from crossroads.store import make_engine, upgrade
from crossroads.testing.fake_upstream import FakeConfig, FakeState, create_fake_upstream
from crossroads.testing.server import serving
from tests.metering.backends import UsageBackend

PG_ADMIN = os.environ.get("CROSSROADS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CROSSROADS_TEST_REDIS", "redis://127.0.0.1:6379/0")


def metered_settings(database_url: str, **metering: Any) -> Settings:
    return parse_settings(
        {
            "backends": {
                "openai": {"type": "openai_compat", "base_url": "http://x/v1"},
                "local": {"type": "embedded"},
            },
            "models": {
                "gpt-3.5-turbo-0613": {"backend": "openai"},
                "gpt-4o": {"backend": "openai"},
                "smollm2": {"backend": "local"},
            },
            "metering": {"enabled": True, "database_url": database_url, "ledger": {"flush_ms": 5}, **metering},
        },
        "test",
    )


def usage_backends() -> dict[str, Any]:
    return {"openai": UsageBackend("openai"), "local": UsageBackend("local", location="local", prompt_tokens=20)}


@asynccontextmanager
async def running(settings: Settings, backends: dict[str, Any] | None) -> AsyncIterator[tuple[FastAPI, Gateway]]:
    gateway = Gateway(settings, backends=backends)
    app = create_app(gateway=gateway)
    async with LifespanManager(app):
        yield app, gateway


def client_for(app: FastAPI, key: str = "unused") -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
    return openai.AsyncOpenAI(base_url="http://gw/v1", api_key=key, http_client=http, max_retries=0)


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'crossroads.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL, dropped afterwards."""
    schema = "cr_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # pragma: no cover - the machines run PostgreSQL
        admin.dispose()
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is needed for this test: {exc}")
    yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix in the local Redis; its keys are deleted afterwards."""
    import redis

    prefix = "crtest-" + uuid.uuid4().hex[:12]
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeState]]:
    """The fake OpenAI-compatible upstream on a real socket: (base URL, its state)."""
    app = create_fake_upstream(FakeConfig())
    with serving(app) as url:
        yield url, app.state.fake


@pytest.fixture
def up(fake: tuple[str, FakeState]) -> Iterator[tuple[str, FakeState]]:
    """The fake, its scripted faults and recorded requests cleared after the test."""
    yield fake
    fake[1].faults.clear()
    fake[1].requests.clear()
