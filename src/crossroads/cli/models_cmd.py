"""crossroads models list: every model's deployments, whether each can serve, and its circuit breaker."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crossroads.cli.common import CONTEXT, config_option, settings_or_exit
from crossroads.config import Settings
from crossroads.gateway import Gateway
from crossroads.routing import health

COLUMNS = ("model", "aliases", "backend", "type", "location", "upstream", "status", "breaker")


@click.group(context_settings=CONTEXT)
def models() -> None:
    """Configured models."""


@models.command("list", context_settings=CONTEXT)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--no-check", is_flag=True, help="Do not load or contact backends.")
@click.option("--url", help="Read readiness and breaker state from a running gateway, e.g. http://127.0.0.1:8000.")
def list_models(config_path: str | None, as_json: bool, no_check: bool, url: str | None) -> None:
    """Every configured model and deployment, whether it can serve now, and its breaker state."""
    settings = settings_or_exit(config_path)
    ready: dict[str, Any] = {}
    if url:
        ready = {**_remote(url, settings.metering.master_key_env), "live": True}
    elif not no_check:
        ready = asyncio.run(_readiness(settings))
    rows = [row for name in settings.models for row in _rows(settings, name, ready)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(*COLUMNS)
    previous = None
    for row in rows:
        cells = [str(row[k]) for k in COLUMNS]
        if row["model"] == previous:
            cells[0] = cells[1] = ""  # the next deployment of the same group
        elif row["strategy"]:
            cells[0] = f"{row['model']} ({row['strategy']})"
        previous = row["model"]
        table.add_row(*cells)
    console = Console()
    if not console.is_terminal:
        console.width = 180
    console.print(table)


async def _readiness(settings: Settings) -> dict[str, Any]:
    """Start everything, ask each backend, and let one health check set the breakers."""
    gateway = Gateway(settings)
    await gateway.start()
    try:
        reasons = await gateway.readiness()
        await health.check(gateway.router.registry.deployments.values(), 30.0)
        backends = {name: {"ready": why is None, "reason": why} for name, why in reasons.items()}
        return {"backends": backends, "breakers": gateway.router.breakers()}
    finally:
        await gateway.aclose()


def _remote(url: str, master_key_env: str) -> dict[str, Any]:
    """/ready with its details: they need the master key (from the same variable the gateway reads)."""
    master = os.environ.get(master_key_env)
    headers = {"authorization": f"Bearer {master}"} if master else {}
    request = urllib.request.Request(url.rstrip("/") + "/ready", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # 503 still carries the body
        data = json.loads(exc.read())
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"cannot read {url}/ready ({exc})") from None
    if "backends" not in data:
        raise click.ClickException(
            f"{url}/ready shows its details only to the master key: set {master_key_env} to it and try again."
        )
    return data


def _rows(settings: Settings, name: str, ready: dict[str, Any]) -> list[dict[str, str]]:
    model = settings.models[name]
    pairs = [(d.backend, d.upstream_model or name) for d in model.deployments] or [
        (model.backend, model.upstream_model or name)
    ]
    return [_row(settings, name, backend, upstream, ready) for backend, upstream in pairs]


def _row(settings: Settings, name: str, backend: str, upstream: str, ready: dict[str, Any]) -> dict[str, str]:
    model = settings.models[name]
    config = settings.backends[backend]
    return {
        "model": name,
        "strategy": model.strategy if model.deployments else "",
        "aliases": ", ".join(model.aliases) or "-",
        "backend": backend,
        "type": config.type,
        "location": config.location,
        "upstream": upstream,
        "status": _status(ready, backend),
        "breaker": _breaker(ready, f"{backend}:{upstream}"),
    }


def _status(ready: dict[str, Any], backend: str) -> str:
    if not ready:
        return "not checked"
    entry = ready.get("backends", {}).get(backend) or {}
    return "ready" if entry.get("ready") else f"unavailable: {entry.get('reason')}"


def _breaker(ready: dict[str, Any], key: str) -> str:
    """e.g. ``closed``, ``open (3 failures in 30s; probe in 12s)``, ``open (health check)``."""
    entry = ready.get("breakers", {}).get(key)
    if not entry:
        return "-"
    if entry["state"] != "open":
        return str(entry["state"])
    why = str(entry.get("reason") or "").split(":")[0]
    probe = entry.get("retry_in_s")
    return f"open ({why}; probe in {probe:.0f}s)" if ready.get("live") and probe is not None else f"open ({why})"
