"""crossroads config check."""

from __future__ import annotations

import os

import click

from crossroads.backends.config import OpenAICompatConfig
from crossroads.cli.common import CONTEXT, config_option, settings_or_exit
from crossroads.config import Settings


@click.group(context_settings=CONTEXT)
def config() -> None:
    """Inspect and validate configuration."""


@config.command("check", context_settings=CONTEXT)
@config_option
def check(config_path: str | None) -> None:
    """Validate a config file; list each problem with its field path and how to fix it."""
    settings = settings_or_exit(config_path)
    click.echo(f"{settings.source}: OK — {len(settings.backends)} backends, {len(settings.models)} models")
    for warning in warnings(settings):
        click.secho(f"  warning: {warning}", fg="yellow")


def warnings(settings: Settings) -> list[str]:
    """Things that are valid but will not work in this environment right now."""
    out = []
    for name, backend in settings.backends.items():
        if isinstance(backend, OpenAICompatConfig) and backend.api_key_env and not os.environ.get(backend.api_key_env):
            out.append(f"backends.{name}.api_key_env: {backend.api_key_env} is not set in this environment")
    return out
