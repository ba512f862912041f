"""crossroads audit verify: check the hash chain over the ledger and admin events."""

from __future__ import annotations

import click

from crossroads.cli.common import CONTEXT
from crossroads.cli.db_cmd import database_option, open_engine


@click.group(context_settings=CONTEXT)
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify", context_settings=CONTEXT)
@database_option
def verify_cmd(config_path: str | None, database: str | None) -> None:
    """Recompute every link; name the first entry or ledger row edited, deleted, inserted or reordered.

    Exit status 0 when the chain is intact, 1 when it is not. Keep the printed head hash somewhere
    else (a ticket, a log): it proves later that no entry was removed from the end."""
    from crossroads.metering.audit_verify import verify_and_record
    from crossroads.store import describe

    engine = open_engine(config_path, database)
    verdict = verify_and_record(engine, "crossroads audit verify")
    where = describe(engine)
    if verdict.ok:
        click.echo(f"{where}: audit chain intact — {verdict.entries} entries, {verdict.ledger_rows} ledger rows")
        click.echo(f"head {verdict.head_hash}")
        return
    click.secho(f"{where}: audit chain BROKEN — {verdict.problems[0]}", fg="red", err=True)
    for problem in verdict.problems[1:]:
        click.secho(f"  also: {problem}", fg="red", err=True)
    raise SystemExit(1)
