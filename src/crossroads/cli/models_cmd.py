"""crossroads models list."""

from __future__ import annotations

import asyncio
import json

import click
from rich.console import Console
from rich.table import Table

from crossroads.cli.common import CONTEXT, config_option, settings_or_exit
from crossroads.config import Settings
from crossroads.gateway import Gateway


@click.group(context_settings=CONTEXT)
def models() -> None:
    """Configured models."""


@models.command("list", context_settings=CONTEXT)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--no-check", is_flag=True, help="Do not load or contact backends.")
def list_models(config_path: str | None, as_json: bool, no_check: bool) -> None:
    """Every configured model, its backend, and whether it can serve now."""
    settings = settings_or_exit(config_path)
    status = {} if no_check else asyncio.run(_readiness(settings))
    rows = [_row(settings, name, status) for name in settings.models]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("model", "aliases", "backend", "type", "location", "upstream", "status")
    for row in rows:
        table.add_row(*(str(row[k]) for k in ("model", "aliases", "backend", "type", "location", "upstream", "status")))
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(table)


async def _readiness(settings: Settings) -> dict[str, str | None]:
    gateway = Gateway(settings)
    await gateway.start()
    try:
        return await gateway.readiness()
    finally:
        await gateway.aclose()


def _row(settings: Settings, name: str, status: dict[str, str | None]) -> dict[str, str]:
    model = settings.models[name]
    backend = settings.backends[model.backend]
    if not status:
        state = "not checked"
    else:
        why = status.get(model.backend)
        state = "ready" if why is None else f"unavailable: {why}"
    return {
        "model": name,
        "aliases": ", ".join(model.aliases) or "-",
        "backend": model.backend,
        "type": backend.type,
        "location": backend.location,
        "upstream": model.upstream_model or name,
        "status": state,
    }
