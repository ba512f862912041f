"""crossroads serve."""

from __future__ import annotations

import importlib.util
import logging
import os
from typing import Any

import click

from crossroads.cli.common import CONTEXT, config_option, fail, settings_or_exit
from crossroads.config import Settings
from crossroads.errors import ConfigError
from crossroads.logs import log_to_stderr

EXAMPLE = """\
crossroads is serving {models} on {url}{workers}

  from openai import OpenAI
  client = OpenAI(base_url="{url}/v1", api_key="unused")
  reply = client.chat.completions.create(
      model="{model}",
      messages=[
          {{"role": "system", "content": "You are a helpful assistant."}},
          {{"role": "user", "content": "What is the capital of France?"}},
      ],
  )
  print(reply.choices[0].message.content)
"""
GRACEFUL_SECONDS = 10  # requests still running at SIGTERM get this long to finish
# uvicorn kills a worker that does not answer its manager's ping this fast (default 5 s); a worker holding the
# GIL while it loads a model or freezes its startup objects on a busy machine is slow, not hung
WORKER_PING_SECONDS = 60


@click.command(context_settings=CONTEXT)
@config_option
@click.option("--host", default=None, help="Interface to bind (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: server.port, 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Gateway processes sharing the port (default: server.workers, 1). More than one needs metering "
    "on PostgreSQL and Redis when metering is on.",
)
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--access-log/--no-access-log", default=False, help="Log every request line.")
@click.option("--no-migrate", is_flag=True, help="Do not migrate the metering database; refuse if it is behind.")
def serve(
    config_path: str | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str,
    access_log: bool,
    no_migrate: bool,
) -> None:
    """Start the OpenAI-compatible gateway."""
    settings = settings_or_exit(config_path)
    workers = workers or settings.server.workers
    log_to_stderr(log_level)
    try:
        from crossroads.workers import check_workers

        check_workers(settings, workers)
        _prepare_store(settings, migrate=False if no_migrate else None)
    except ConfigError as exc:
        fail(str(exc))
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    chat_model = next(iter(settings.models), "smollm2")
    url = f"http://{host}:{port}"
    note = f" with {workers} worker processes" if workers > 1 else ""
    click.echo(EXAMPLE.format(models=", ".join(settings.models), url=url, model=chat_model, workers=note))
    options = _uvicorn_options(host, port, log_level, access_log)
    if workers == 1:
        _serve_one(settings, options)
    else:
        _serve_many(config_path, workers, options)


def _uvicorn_options(host: str, port: int, log_level: str, access_log: bool) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }


def _serve_one(settings: Settings, options: dict[str, Any]) -> None:
    import uvicorn

    from crossroads.api import create_app

    try:
        app = create_app(settings, freeze_gc=True)
    except ConfigError as exc:
        fail(str(exc))
    uvicorn.run(app, **options)


def _serve_many(config_path: str | None, workers: int, options: dict[str, Any]) -> None:
    """uvicorn's process manager: one socket, ``workers`` processes each building its app by the factory."""
    import uvicorn

    from crossroads.workers import FACTORY, METRICS_DIR_ENV, metrics_directory, worker_environment

    with metrics_directory() as metrics_dir:
        os.environ.update(worker_environment(config_path, options["log_level"]))
        os.environ[METRICS_DIR_ENV] = metrics_dir  # before any worker imports prometheus_client
        uvicorn.run(FACTORY, factory=True, workers=workers, timeout_worker_healthcheck=WORKER_PING_SECONDS, **options)


def _prepare_store(settings: Settings, migrate: bool | None) -> None:
    """Reach (and migrate) the metering database before listening, so a problem is a clear message."""
    if not settings.metering.enabled:
        return
    from crossroads.metering.database import prepare_store

    logging.getLogger("crossroads").info(prepare_store(settings.metering, migrate=migrate))
