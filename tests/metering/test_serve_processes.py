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
from crossroads.testing.server import free_port, serving
from tests.metering.conftest import REDIS_URL
from tests.support.processes import wait_http

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


HAIKU = [{"role": "user", "content": "Write a haiku"}]
MODES = {  # key name -> (max_tokens the client sets, stream)
    "limit-send": (50, False),
    "limit-stream": (50, True),
    "nolimit-send": (None, False),
    "nolimit-stream": (None, True),
}


async def _ask(http: httpx.AsyncClient, base: str, key: str, mode: str) -> int:
    limit, stream = MODES[mode]
    body: dict[str, object] = {"model": "gpt-4o-mini", "messages": HAIKU, "fake_fault": {"tokens": 3000}}
    if limit is not None:
        body["max_tokens"] = limit
    headers = {"authorization": f"Bearer {key}"}
    if not stream:
        return (await http.post(f"{base}/v1/chat/completions", json=body, headers=headers)).status_code
    async with http.stream("POST", f"{base}/v1/chat/completions", json={**body, "stream": True}, headers=headers) as r:
        async for _ in r.aiter_bytes():
            pass
        return r.status_code


async def _spend(bases: list[str], keys: dict[str, str], per_mode: int) -> dict[str, list[int]]:
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        calls = [(m, _ask(http, bases[i % 2], keys[m], m)) for m in MODES for i in range(per_mode)]
        statuses = await asyncio.gather(*(c for _, c in calls))
    out: dict[str, list[int]] = {m: [] for m in MODES}
    for (mode, _), status in zip(calls, statuses, strict=True):
        out[mode].append(status)
    return out


def test_two_serve_processes_sharing_postgresql_and_redis_keep_every_budget(
    tmp_path: Path, pg_url: str, redis_prefix: str
) -> None:
    """200 requests at once over two replicas, 50 per key: with and without max_tokens, streamed and not.
    The upstream would write 3,000 tokens each; no key spends more than its budget (10 reservations)."""
    engine = make_engine(pg_url)
    upgrade(engine)
    reservation = (
        load_catalog().require("gpt-4o-mini").cost(tokens.count_prompt("gpt-4o-mini", {"messages": HAIKU}), 50)
    )
    budget = reservation * 10
    created = {m: create_key(engine, m, budget=budget, period="day", rpm=100_000) for m in MODES}
    with serving(create_fake_upstream(FakeConfig())) as upstream:
        config = tmp_path / "crossroads.yaml"
        config.write_text(
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: '{pg_url}', redis_url: '{REDIS_URL}', "
            f"redis_prefix: {redis_prefix}, migrate_on_start: false, completion_estimate: 50}}\n"
        )
        with _serve(config) as (base_a, proc_a), _serve(config) as (base_b, proc_b):
            wait_http(base_a + "/health", proc_a)
            wait_http(base_b + "/health", proc_b)
            statuses = asyncio.run(_spend([base_a, base_b], {m: k[1] for m, k in created.items()}, 50))
    for mode, (key, _) in created.items():
        assert set(statuses[mode]) == {200, 429} and statuses[mode].count(200) >= 10, mode
        spent, reserved = Budgets(engine).usage(key)
        assert reserved == 0 and spent <= budget, mode  # the cap held: never 3,000 tokens
        with engine.connect() as conn:
            ledger = select(func.sum(LedgerRow.cost), func.max(LedgerRow.completion_tokens))
            total, longest = conn.execute(ledger.where(LedgerRow.key_id == key.id)).one()
        assert total == spent and longest <= 50, mode
    assert verify(engine).ok  # one chain, appended by both replicas
    engine.dispose()
