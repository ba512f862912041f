"""crossroads keys: create (the key is printed once), list, revoke, rotate."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crossroads.cli.common import CONTEXT, fail
from crossroads.cli.db_cmd import database_option, open_engine

PERIODS = ("day", "week", "month", "total")


@click.group(context_settings=CONTEXT)
def keys() -> None:
    """API keys of the gateway, with budgets, rate limits and allowed models."""


def _money(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"'{value}' is not an amount in USD — write e.g. 50 or 12.50") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter("the budget must be a non-negative amount in USD")
    return amount


UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    found = re.fullmatch(r"(\d+)\s*([mhd])", value.strip())
    if found is None:
        raise click.BadParameter(f"'{value}' is not a duration — write e.g. 90m, 12h or 30d")
    return timedelta(**{UNITS[found[2]]: int(found[1])})


@keys.command("create", context_settings=CONTEXT)
@click.option("--name", required=True, help="Who the key is for, e.g. team-a.")
@click.option("--budget", callback=_money, help="USD per period; requests beyond it get 429 insufficient_quota.")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True, help="Budget period (UTC).")
@click.option("--rpm", type=click.IntRange(min=1), help="Requests per minute.")
@click.option("--tpm", type=click.IntRange(min=1), help="Tokens per minute (prompt + completion).")
@click.option("--models", help="Comma-separated public model names the key may use (default: all).")
@click.option("--expires-in", callback=_duration, help="The key stops working after this long, e.g. 90d or 12h.")
@click.option(
    "--role",
    type=click.Choice(["admin", "viewer"]),
    help="May also sign in to the dashboard at /ui (viewer: read-only).",
)
@database_option
def create(
    name: str,
    budget: Decimal | None,
    period: str,
    rpm: int | None,
    tpm: int | None,
    models: str | None,
    expires_in: timedelta | None,
    role: str | None,
    config_path: str | None,
    database: str | None,
) -> None:
    """Create a key. It is printed once; only its hash is stored."""
    from crossroads.metering.keys import create_key, utcnow

    allowed = [m.strip() for m in models.split(",") if m.strip()] if models else None
    engine = open_engine(config_path, database)
    expires_at: datetime | None = utcnow() + expires_in if expires_in is not None else None
    limits: dict[str, Any] = {"budget": budget, "period": period, "rpm": rpm, "tpm": tpm, "models": allowed}
    key, plaintext = create_key(engine, name, **limits, expires_at=expires_at, role=role)
    click.echo(f"Created key {key.id} ({key.name}): {_limits(key.public())}\n")
    click.echo(f"    {plaintext}\n")
    click.echo("Keep it now: it is not shown again (crossroads stores only its hash).")


@keys.command("list", context_settings=CONTEXT)
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@database_option
def list_cmd(include_revoked: bool, as_json: bool, config_path: str | None, database: str | None) -> None:
    """Keys with their limits and this period's spend (never the keys themselves)."""
    from crossroads.metering.budget import Budgets
    from crossroads.metering.keys import list_keys, usd

    engine = open_engine(config_path, database)
    budgets = Budgets(engine)
    rows = []
    for key in list_keys(engine, include_revoked):
        spent, reserved = budgets.usage(key)
        rows.append({**key.public(), "spent": usd(spent), "reserved": usd(reserved)})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "prefix", "budget", "spent", "rpm", "tpm", "models", "created", "revoked")
    for r in rows:
        budget = f"${r['budget']}/{r['period']}" if r["budget"] is not None else "-"
        used = f"${Decimal(r['spent']):.4f}" if r["budget"] is not None else "-"
        cells = [r["id"], r["name"], r["prefix"] + "…", budget, used, r["rpm"], r["tpm"], r["models"]]
        cells = [", ".join(c) if isinstance(c, list) else "-" if c is None else str(c) for c in cells]
        table.add_row(*cells, r["created_at"][:16], (r["revoked_at"] or "-")[:16])
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(table)


@keys.command("revoke", context_settings=CONTEXT)
@click.argument("key")
@database_option
def revoke(key: str, config_path: str | None, database: str | None) -> None:
    """Revoke KEY (its id or name); running gateways on PostgreSQL refuse it at once, on SQLite within
    metering.key_refresh_seconds."""
    from crossroads.errors import NotFound
    from crossroads.metering.keys import revoke_key

    engine = open_engine(config_path, database)
    try:
        record = revoke_key(engine, key)
    except NotFound as exc:
        fail(exc.message)
    click.echo(f"Revoked key {record.id} ({record.name}).")


@keys.command("rotate", context_settings=CONTEXT)
@click.argument("key")
@click.option(
    "--grace", callback=_duration, default="24h", show_default=True, help="How long the old key keeps working."
)
@database_option
def rotate(key: str, grace: timedelta, config_path: str | None, database: str | None) -> None:
    """Replace KEY (its id or name) with a new key of the same limits; the old one expires after --grace."""
    from crossroads.errors import NotFound
    from crossroads.metering.keys import rotate_key

    engine = open_engine(config_path, database)
    try:
        old, new, plaintext = rotate_key(engine, key, grace)
    except NotFound as exc:
        fail(exc.message)
    until = f"{old.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"Created key {new.id} ({new.name}) to replace {old.id}, which expires at {until}.\n")
    click.echo(f"    {plaintext}\n")
    click.echo("Keep it now: it is not shown again. Move clients to it before the old key expires.")


def _limits(key: dict[str, object]) -> str:
    parts = [f"budget ${key['budget']} per {key['period']}" if key["budget"] is not None else "no budget"]
    parts += [f"{key['rpm']} requests/min" if key["rpm"] else "no request limit"]
    parts += [f"{key['tpm']} tokens/min" if key["tpm"] else "no token limit"]
    models = key["models"]
    parts += [f"models {', '.join(models)}" if isinstance(models, list) else "all models"]
    return ", ".join(parts)
