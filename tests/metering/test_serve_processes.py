"""Real `crossroads serve` processes: SIGTERM under load loses no row; two replicas share one budget."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from crossroads.catalog import load_catalog
from crossroads.metering import tokens
from crossroads.metering.audit_verify import verify
from crossroads.metering.budget import Budgets
from crossroads.metering.keys import create_key
from crossroads.store import LedgerRow, make_engine, upgrade
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.processes import wait_http
from crossroads.testing.server import free_port, serving
from tests.metering.conftest import REDIS_URL

pytestmark = pytest.mark.slow
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "fake_fault": {"latency_ms": 400}}


def _load(base: str, results: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            try:
                results.append(http.post("/v1/chat/completions", json=BODY).status_code)
            except httpx.HTTPError:
                return


def test_sigterm_under_load_keeps_every_completed_row(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    with serving(create_fake_upstream(FakeConfig())) as upstream:
        config = tmp_path / "crossroads.yaml"
        config.write_text(
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: 'sqlite:///{db}', ledger: {{flush_ms: 500}}}}\n"
        )
        port = free_port()
        args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health", proc)
        results: list[int] = []
        stop = threading.Event()
        workers = [threading.Thread(target=_load, args=(base, results, stop)) for _ in range(8)]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        stop.set()
        _, err = proc.communicate(timeout=30)
        for worker in workers:
            worker.join()
    assert proc.returncode in (0, -signal.SIGTERM), err.decode()  # uvicorn re-raises the signal once shut down
    assert "Application shutdown complete" in err.decode()
    completed = results.count(200)
    assert completed >= 8
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        written = conn.execute(select(func.count()).where(LedgerRow.status == 200)).scalar_one()
    assert written >= completed  # every answered request has its row (in-flight ones may finish too)
    assert verify(engine).ok
    engine.dispose()


@contextmanager
def _serve(config: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _spend(bases: list[str], key: str, count: int) -> list[int]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Write a haiku"}], "max_tokens": 50}
    headers = {"authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        calls = [http.post(f"{bases[i % 2]}/v1/chat/completions", json=body, headers=headers) for i in range(count)]
        return [r.status_code for r in await asyncio.gather(*calls)]


def test_two_serve_processes_sharing_postgresql_and_redis_keep_one_budget(
    tmp_path: Path, pg_url: str, redis_prefix: str
) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    prompt = tokens.count_prompt("gpt-4o-mini", {"messages": [{"role": "user", "content": "Write a haiku"}]})
    estimate = load_catalog().require("gpt-4o-mini").cost(prompt, 50)
    key, plaintext = create_key(engine, "team-a", budget=estimate * 50, period="day", rpm=100_000)
    with serving(create_fake_upstream(FakeConfig())) as upstream:
        config = tmp_path / "crossroads.yaml"
        config.write_text(
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: '{pg_url}', redis_url: '{REDIS_URL}', "
            f"redis_prefix: {redis_prefix}, migrate_on_start: false}}\n"
        )
        with _serve(config) as (base_a, proc_a), _serve(config) as (base_b, proc_b):
            wait_http(base_a + "/health", proc_a)
            wait_http(base_b + "/health", proc_b)
            statuses = asyncio.run(_spend([base_a, base_b], plaintext, 200))
    assert set(statuses) == {200, 429} and statuses.count(200) >= 50
    spent, reserved = Budgets(engine).usage(key)
    assert reserved == 0 and spent <= estimate * 50  # the fake uses no more than the estimate
    with engine.connect() as conn:
        ledger = conn.execute(select(func.sum(LedgerRow.cost)).where(LedgerRow.key_id == key.id)).scalar_one()
    assert ledger == spent
    assert verify(engine).ok  # one chain, appended by both replicas
    engine.dispose()
