"""Read the gateway's ledger (``crossroads.store.LedgerRow``) as ``TrafficRow`` values.

Only what the cost model needs is read: time, model, token counts and the privacy summary
(entity types and counts — the ledger never holds the values)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from crossroads.errors import ConfigError
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.traffic import TrafficRow

BLOCKED = "privacy_blocked"  # the ledger's error_type of a request the privacy guard refused


def read_ledger(url: str, since: datetime | None = None) -> list[TrafficRow]:
    """Every successful request in the ledger at ``url`` (after ``since`` when given), and every request
    the privacy guard blocked (it carried personal data too, though it cost nothing)."""
    from sqlalchemy import or_, select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from crossroads.store import LedgerRow, describe, make_engine

    _sqlite_exists(url)
    try:
        engine = make_engine(url)
    except ConfigError as exc:
        raise TcoError(str(exc)) from None
    kept = or_(LedgerRow.status < 400, LedgerRow.error_type == BLOCKED)
    query = select(LedgerRow).where(kept).order_by(LedgerRow.at)
    if since is not None:
        query = query.where(LedgerRow.at >= since)
    try:
        with Session(engine) as session:
            return [_row(r) for r in session.scalars(query)]
    except SQLAlchemyError as exc:
        reason = str(exc.orig or exc).splitlines()[0] if hasattr(exc, "orig") else str(exc).splitlines()[0]
        raise TcoError(
            f"cannot read the ledger at {describe(engine)}: {reason} — is it the gateway's database "
            "(run `crossroads db upgrade` to create it)?"
        ) from None
    finally:
        engine.dispose()


def _sqlite_exists(url: str) -> None:
    """Opening a SQLite file that is not there would create an empty one: refuse instead."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # make_engine says what is wrong with it
    path = parsed.database
    if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" and not Path(path).exists():
        raise TcoError(
            f"no ledger at {url}: {path} does not exist — give the gateway's database (metering.database_url "
            "in crossroads.yaml)"
        )


def _row(r: Any) -> TrafficRow:
    return TrafficRow(
        time=r.at,
        prompt_tokens=r.prompt_tokens or 0,
        completion_tokens=r.completion_tokens or 0,
        model=r.model,
        cached_tokens=r.cached_tokens or 0,
        privacy=entity_counts(r.privacy),
        blocked=r.error_type == BLOCKED,
    )


def entity_counts(summary: Any) -> dict[str, int]:
    """Entity type -> count from a ledger privacy summary, whichever of its plain shapes it has:
    ``{"entities": {"EMAIL": 2}}``, ``{"entities": [{"type": "EMAIL", "count": 2}]}``, ``{"EMAIL": 2}``."""
    if not summary:
        return {}
    if isinstance(summary, Mapping) and "entities" in summary:
        summary = summary["entities"]
    if isinstance(summary, Mapping):
        return {str(k): int(v) for k, v in summary.items() if isinstance(v, int | float) and v}
    if isinstance(summary, list):
        counts: dict[str, int] = {}
        for item in summary:
            kind = item.get("type") or item.get("entity_type") if isinstance(item, Mapping) else item
            count = int(item.get("count", 1)) if isinstance(item, Mapping) else 1
            if kind:
                counts[str(kind)] = counts.get(str(kind), 0) + count
        return counts
    return {}
