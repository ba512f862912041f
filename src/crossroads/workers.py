"""Several gateway processes on one port (``crossroads serve --workers N`` or ``server.workers``).

uvicorn's process manager starts N workers that accept on one listening socket; each worker builds its own
app with ``create_worker_app`` (the factory uvicorn imports by name), so each has its own backends,
ledger writer and connection pools. What must be exact across processes lives outside them:

- budgets, keys, the ledger and the audit chain in PostgreSQL (SQLite is refused: one file shared by
  several writers serialises them and its chain would be appended from several processes);
- rate limits in Redis (in-process buckets would each allow the whole limit);
- metrics in Prometheus' multiprocess mode: every worker writes its counters to files in one directory and
  ``/metrics`` on any worker sums them (the ledger-queue gauge keeps one series per worker, label ``pid``).

SIGTERM to the manager stops the workers with SIGTERM: each stops accepting, finishes its requests (up to
the graceful timeout) and drains its ledger queue before it exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import orjson

from crossroads.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from crossroads.config import Settings

FACTORY = "crossroads.workers:create_worker_app"
SPEC_ENV = "CROSSROADS_WORKER_SPEC"  # what the manager tells its workers: config path and log level
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client reads it when it is first imported


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse settings that would be wrong with several processes; the messages say what to change."""
    metering = settings.metering
    if workers == 1 or not metering.enabled:
        return
    from crossroads.metering.database import database_url

    problems = []
    if database_url(metering).startswith("sqlite"):
        field = "metering.database_url_env" if metering.database_url_env else "metering.database_url"
        problems.append(
            f"{field}: SQLite keeps the ledger, budgets and audit chain for one process — use PostgreSQL "
            "(postgresql://user@host/db) to run several workers, or run one worker"
        )
    if metering.redis_url is None:
        problems.append(
            "metering.redis_url: without Redis each worker counts rate limits alone (N workers would allow N "
            "times the limit) — set redis_url (redis://host:6379/0), or run one worker"
        )
    if problems:
        raise ConfigError(f"{workers} workers cannot share this metering configuration", problems)


def worker_environment(config_path: str | None, log_level: str) -> dict[str, str]:
    """The variables a worker needs to build the same gateway as the manager validated."""
    spec = {"config": os.path.abspath(config_path) if config_path else None, "log_level": log_level}
    return {SPEC_ENV: orjson.dumps(spec).decode()}


@contextmanager
def metrics_directory() -> Iterator[str]:
    """A fresh directory for Prometheus' multiprocess files, removed when the workers are gone."""
    path = tempfile.mkdtemp(prefix="crossroads-metrics-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def create_worker_app() -> FastAPI:
    """uvicorn's factory in each worker process: settings and logging as the manager was given them."""
    from crossroads.api import create_app
    from crossroads.config import load_settings
    from crossroads.logs import log_to_stderr

    spec = orjson.loads(os.environ[SPEC_ENV])
    log_to_stderr(spec["log_level"])
    return create_app(load_settings(spec["config"]), freeze_gc=True)
