"""crossroads usage: what the ledger says was spent, and what it would have cost elsewhere."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from crossroads.cli.common import CONTEXT, fail, settings_or_exit
from crossroads.cli.db_cmd import database_option, open_engine

if TYPE_CHECKING:
    from crossroads.metering.report import Line

RELATIVE = re.compile(r"^(\d+)([hdw])$")


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    match = RELATIVE.match(value)
    if match:
        hours = {"h": 1, "d": 24, "w": 168}[match.group(2)] * int(match.group(1))
        from crossroads.metering.keys import utcnow

        return utcnow() - timedelta(hours=hours)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is neither a date (2026-11-01) nor an age (12h, 7d, 4w)") from None


@click.command(context_settings=CONTEXT)
@click.option("--since", callback=_since, help="Only requests since a UTC date (2026-11-01) or an age (12h, 7d, 4w).")
@click.option("--by", type=click.Choice(["key", "model", "backend", "day"]), default="model", show_default=True)
@click.option("--compare", help="Comma-separated catalog models to price the same tokens at (default: self-hosted).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@database_option
def usage(
    since: datetime | None, by: str, compare: str | None, as_json: bool, config_path: str | None, database: str | None
) -> None:
    """Spend, tokens, requests, errors and privacy actions from the ledger, grouped."""
    from crossroads.catalog import CatalogError
    from crossroads.metering.pricing import Pricer
    from crossroads.metering.report import usage as report
    from crossroads.metering.report import what_if

    settings = settings_or_exit(config_path)
    lines = report(open_engine(config_path, database), by, since)
    pricer = Pricer.from_settings(settings)
    try:
        targets = [pricer.catalog.require(m.strip()) for m in compare.split(",")] if compare else []
    except CatalogError as exc:
        fail(str(exc))
    alternatives = what_if(lines, targets + list(pricer.self_hosted.values()))
    if as_json:
        costs = {k: format(v.normalize(), "f") for k, v in alternatives.items()}
        click.echo(json.dumps({"by": by, "lines": [line.as_dict() for line in lines], "what_if": costs}, indent=2))
        return
    _print(by, lines, alternatives)


def _print(by: str, lines: list[Line], alternatives: dict[str, Decimal]) -> None:
    console = Console()
    if not console.is_terminal:
        console.width = 140
    table = Table(by, "requests", "errors", "prompt tokens", "completion tokens", "cost $", "privacy actions")
    for line in lines:
        privacy = ", ".join(f"{k} {v}" for k, v in sorted(line.privacy_actions.items())) or "-"
        numbers = [line.requests, line.errors, line.prompt_tokens, line.completion_tokens]
        table.add_row(line.group, *(f"{n:,}" for n in numbers), f"{line.cost:.6f}", privacy)
    console.print(table if lines else "no requests in the ledger for this period")
    if alternatives and lines:
        actual = sum(line.cost for line in lines)
        other = Table("the same tokens on", "would cost $", "vs actual")
        for name, cost in alternatives.items():
            ratio = f"{cost / actual:.2f}x" if actual else "-"
            other.add_row(name, f"{cost:.6f}", ratio)
        console.print(other)
