"""crossroads prices: the dated price catalog (token prices, or GPU instances with --gpus)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crossroads.catalog import CatalogError, GpuInstance, ModelPrice, load_catalog, load_gpu_catalog
from crossroads.cli.common import CONTEXT, fail

Rows = list[dict[str, Any]]


@click.command(context_settings=CONTEXT)
@click.argument("filter_text", metavar="[FILTER]", required=False, default="")
@click.option("--provider", help="Only this provider (openai, azure; with --gpus: aws, gcp, azure, lambda, runpod).")
@click.option("--gpus", is_flag=True, help="List GPU instances ($/hour) instead of token prices.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (exact decimal strings) instead of a table.")
def prices(filter_text: str, provider: str | None, gpus: bool, as_json: bool) -> None:
    """The price catalog with its date: USD per 1M tokens (or per GPU hour with --gpus).

    FILTER keeps entries whose name or alias contains it, e.g. `crossroads prices gpt-4o`."""
    try:
        rows, meta = _gpu_rows(filter_text, provider) if gpus else _model_rows(filter_text, provider)
    except CatalogError as exc:
        fail(str(exc))
    if not rows:
        fail(f"nothing in the catalog matches '{filter_text}' — run `crossroads prices` to see every entry", code=1)
    if as_json:
        click.echo(json.dumps({**meta, "entries": rows}, indent=2, default=str))
        return
    _print_table(rows, meta["title"])


def _model_rows(text: str, provider: str | None) -> tuple[Rows, dict[str, Any]]:
    catalog = load_catalog()
    rows = [_model_row(p, catalog.aliases_of(p)) for p in catalog.search(text, provider)]
    versions = ", ".join(f"{name} {v}" for name, v in catalog.versions.items())
    title = f"token prices, USD per 1M tokens — catalog as of {catalog.as_of} ({versions})"
    return rows, {"title": title, "as_of": catalog.as_of, "versions": catalog.versions, "unit": "USD per 1M tokens"}


def _model_row(p: ModelPrice, aliases: list[str]) -> dict[str, Any]:
    return {
        "model": p.name,
        "aliases": aliases,
        "provider": p.provider,
        "deployment": p.deployment,
        "input": p.input,
        "cached_input": p.cached_input,
        "output": p.output,
        "batch_discount": p.batch_discount,
        "source_date": p.source_date,
    }


def _gpu_rows(text: str, provider: str | None) -> tuple[Rows, dict[str, Any]]:
    gpus = load_gpu_catalog()
    rows = [_gpu_row(i) for i in gpus.search(text) if provider is None or i.provider == provider]
    title = f"GPU instances, on-demand USD per hour — catalog as of {gpus.as_of} (version {gpus.version})"
    return rows, {"title": title, "as_of": gpus.as_of, "version": gpus.version, "notes": gpus.notes}


def _gpu_row(i: GpuInstance) -> dict[str, Any]:
    return {
        "provider": i.provider,
        "instance": i.name,
        "gpus": i.gpus,
        "gpu": i.gpu,
        "gpu_memory_gb": i.gpu_memory_gb,
        "hourly": i.hourly,
        "monthly_730h": i.monthly(),
        "region": i.region,
        "source_date": i.source_date,
    }


def _cell(key: str, value: Any) -> str:
    if value is None or value == []:
        return "-"
    if key == "batch_discount":
        return f"-{value * 100:.0f}%"
    if key == "monthly_730h":
        return f"{value.quantize(Decimal('0.01')):,}"
    return ", ".join(value) if isinstance(value, list) else str(value)


def _print_table(rows: Rows, title: str) -> None:
    table = Table(*(k.replace("_", " ") for k in rows[0]), title=title)
    for row in rows:
        table.add_row(*(_cell(k, v) for k, v in row.items()))
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(table)
