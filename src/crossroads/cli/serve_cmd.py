"""crossroads serve."""

from __future__ import annotations

import importlib.util
import logging

import click

from crossroads.cli.common import CONTEXT, config_option, fail, settings_or_exit
from crossroads.config import Settings
from crossroads.errors import ConfigError

EXAMPLE = """\
crossroads is serving {models} on {url}

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


@click.command(context_settings=CONTEXT)
@config_option
@click.option("--host", default=None, help="Interface to bind (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: server.port, 8000).")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--access-log/--no-access-log", default=False, help="Log every request line.")
@click.option("--no-migrate", is_flag=True, help="Do not migrate the metering database; refuse if it is behind.")
def serve(
    config_path: str | None, host: str | None, port: int | None, log_level: str, access_log: bool, no_migrate: bool
) -> None:
    """Start the OpenAI-compatible gateway."""
    import uvicorn

    from crossroads.api import create_app

    settings = settings_or_exit(config_path)
    _log_to_stderr(log_level)
    try:
        _prepare_store(settings, migrate=False if no_migrate else None)
        app = create_app(settings, freeze_gc=True)
    except ConfigError as exc:
        fail(str(exc))
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    chat_model = next(iter(settings.models), "smollm2")
    url = f"http://{host}:{port}"
    click.echo(EXAMPLE.format(models=", ".join(settings.models), url=url, model=chat_model))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        timeout_graceful_shutdown=10,
    )


def _prepare_store(settings: Settings, migrate: bool | None) -> None:
    """Reach (and migrate) the metering database before listening, so a problem is a clear message."""
    if not settings.metering.enabled:
        return
    from crossroads.metering.build import prepare_store

    logging.getLogger("crossroads").info(prepare_store(settings.metering, migrate=migrate))


def _log_to_stderr(level: str) -> None:
    """crossroads' own log lines, in uvicorn's style."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    logger = logging.getLogger("crossroads")
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
