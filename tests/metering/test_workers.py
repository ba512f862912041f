"""``crossroads serve --workers N``: refused where it would be wrong; exact with 2 workers × 2 replicas sharing
PostgreSQL and Redis (budget, rate limit, audit chain, ledger, /metrics summed over workers); SIGTERM drains."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from crossroads.catalog import load_catalog
from crossroads.cli import main
from crossroads.metering import tokens
from crossroads.metering.audit_verify import verify
from crossroads.metering.budget import Budgets
from crossroads.metering.keys import create_key
from crossroads.store import LedgerRow, make_engine, upgrade
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import free_port, serving
from tests.metering.conftest import REDIS_URL
from tests.support.processes import wait_http

PROMPT = [{"role": "user", "content": "Write a haiku"}]


def test_serve_refuses_several_workers_with_sqlite_metering_and_names_postgresql(tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    config.write_text(
        "models: {gpt-4o-mini: {backend: hosted}}\n"
        "backends: {hosted: {type: openai_compat, base_url: 'http://127.0.0.1:9/v1'}}\n"
        f"metering: {{enabled: true, database_url: 'sqlite:///{tmp_path / 'x.db'}'}}\n"
    )
    result = CliRunner().invoke(main, ["serve", "--config", str(config), "--workers", "2"])
    assert result.exit_code == 2
    assert "2 workers cannot share this metering configuration" in result.output
    assert "use PostgreSQL" in result.output and "metering.redis_url" in result.output
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_server_workers_in_config_is_checked_like_the_option(tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    config.write_text("server: {workers: 0}\nmodels: {m: {backend: b}}\nbackends: {b: {type: embedded}}\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code == 2 and "server.workers" in result.output


@contextmanager
def _serve(config: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    args = [sys.executable, "-m", "crossroads", "serve", "--config", str(config), "--port", str(port)]
    proc = subprocess.Popen([*args, "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/ready", proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


def _children(pid: int) -> set[int]:
    """The worker processes of a ``serve`` (multiprocessing's resource tracker is a child too: not counted)."""
    found = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return {child for child in found if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()}


async def _burst(bases: list[str], key: str, count: int, fault: dict[str, int] | None = None) -> list[int]:
    body: dict[str, object] = {"model": "gpt-4o-mini", "messages": PROMPT, "max_tokens": 50}
    if fault:
        body["fake_fault"] = fault
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        url = [f"{base}/v1/chat/completions" for base in bases]
        calls = [http.post(url[i % len(url)], json=body, headers=headers) for i in range(count)]
        return [r.status_code for r in await asyncio.gather(*calls)]


def _requests_counted(base: str) -> float:
    text = httpx.get(base + "/metrics").text
    return sum(float(v) for v in re.findall(r"^crossroads_requests_total\{[^}]*\} (\S+)$", text, re.M))


def _worker_series(base: str) -> set[str]:
    return set(re.findall(r'^crossroads_ledger_queue_rows\{pid="(\d+)"\}', httpx.get(base + "/metrics").text, re.M))


@pytest.mark.slow
def test_two_workers_times_two_replicas_keep_budget_rate_limit_audit_and_metrics_exact(
    tmp_path: Path, pg_url: str, redis_prefix: str
) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    prompt = tokens.count_prompt("gpt-4o-mini", {"messages": PROMPT})
    estimate = load_catalog().require("gpt-4o-mini").cost(prompt, 50)
    budget_key, budget_secret = create_key(engine, "budget", budget=estimate * 40, period="day", rpm=100_000)
    rpm = 30
    limited_key, limited_secret = create_key(engine, "limited", rpm=rpm)
    with serving(create_fake_upstream(FakeConfig())) as upstream, ExitStack() as stack:
        config = tmp_path / "crossroads.yaml"
        config.write_text(
            "server: {ops_access: open}\n"  # /metrics without the master key
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: '{pg_url}', redis_url: '{REDIS_URL}', "
            f"redis_prefix: {redis_prefix}, migrate_on_start: false, ledger: {{flush_ms: 5}}}}\n"
        )
        replicas = [stack.enter_context(_serve(config, workers=2)) for _ in range(2)]
        bases = [base for base, _ in replicas]
        assert [len(_children(proc.pid)) for _, proc in replicas] == [2, 2]
        budget_statuses = asyncio.run(_burst(bases, budget_secret, 160))
        began = time.monotonic()
        limited_statuses = asyncio.run(_burst(bases, limited_secret, 100))
        refilled = (time.monotonic() - began) * rpm / 60
        deadline = time.monotonic() + 20
        while sum(_requests_counted(b) for b in bases) < 260 and time.monotonic() < deadline:
            time.sleep(0.1)  # rows are written (and counted) just after the answers
        counted = sum(_requests_counted(b) for b in bases)
        series = [_worker_series(b) for b in bases]
    assert set(budget_statuses) == {200, 429} and 40 <= budget_statuses.count(200) < 160
    spent, reserved = Budgets(engine).usage(budget_key)
    assert reserved == 0 and spent <= estimate * 40
    assert rpm <= limited_statuses.count(200) <= rpm + refilled + 1  # 4 processes alone would allow 4 × 30
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(LedgerRow)).scalar_one()
        cost = conn.execute(select(func.sum(LedgerRow.cost)).where(LedgerRow.key_id == budget_key.id)).scalar_one()
    assert cost == spent
    assert counted == rows == 260  # every request, refused ones included, is in the ledger and in /metrics
    assert [len(pids) for pids in series] == [2, 2]  # each replica's /metrics covers both of its workers
    assert verify(engine).ok  # one chain, appended by four processes
    assert limited_key.rpm == rpm
    engine.dispose()


@pytest.mark.slow
def test_sigterm_drains_every_worker(tmp_path: Path, pg_url: str, redis_prefix: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    with serving(create_fake_upstream(FakeConfig())) as upstream:
        config = tmp_path / "crossroads.yaml"
        config.write_text(
            f"backends: {{hosted: {{type: openai_compat, base_url: '{upstream}/v1'}}}}\n"
            "models: {gpt-4o-mini: {backend: hosted}}\n"
            f"metering: {{enabled: true, database_url: '{pg_url}', redis_url: '{REDIS_URL}', "
            f"redis_prefix: {redis_prefix}, ledger: {{flush_ms: 2000}}}}\n"
        )
        with _serve(config, workers=2) as (base, proc):
            workers = _children(proc.pid)

            async def requests_then_sigterm() -> list[int]:
                load = asyncio.ensure_future(_burst([base], "unused", 24, {"latency_ms": 1500}))
                await asyncio.sleep(0.7)  # every request is in flight, upstream answers at 1.5 s
                proc.send_signal(signal.SIGTERM)
                return await load

            statuses = asyncio.run(requests_then_sigterm())
            _, err = proc.communicate(timeout=60)
    log = err.decode()
    assert statuses == [200] * 24, log  # in flight at SIGTERM: finished, not cut
    assert log.count("Application shutdown complete") == 2, log
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(LedgerRow)).scalar_one()
    assert rows == 24  # the ledger queues (flushed every 2 s) were drained at shutdown
    assert verify(engine).ok
    engine.dispose()
