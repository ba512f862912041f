"""Usage reports from the ledger: spend, tokens, requests, errors and privacy actions, grouped; and what the
same traffic would have cost on other catalog models or on the configured self-hosted deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, case, func, select

from crossroads.catalog import ModelPrice
from crossroads.store.models import LedgerRow as L

GROUPS = {"key": L.key_id, "model": L.model, "backend": L.backend, "day": func.date(L.at)}
QUIET_ACTIONS = {"allow", "none", "pass", "None"}


@dataclass
class Line:
    group: str
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    privacy_actions: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "cost": format(self.cost.normalize(), "f")}


def usage(engine: Engine, by: str = "model", since: datetime | None = None) -> list[Line]:
    """One line per group (largest spend first), over rows since ``since``."""
    group = GROUPS[by]
    columns = [
        group.label("g"),
        func.count(),
        func.sum(case((L.status >= 400, 1), else_=0)),
        func.sum(L.prompt_tokens),
        func.sum(L.cached_tokens),
        func.sum(L.completion_tokens),
        func.sum(L.cost),
    ]
    query = select(*columns).group_by(group)
    if since is not None:
        query = query.where(L.at >= since)
    with engine.connect() as conn:
        lines = {_label(r[0]): _line(r) for r in conn.execute(query)}
        _privacy(conn, group, since, lines)
    return sorted(lines.values(), key=lambda line: (-line.cost, line.group))


def _line(row: Any) -> Line:
    requests, errors, prompt, cached, completion = (int(v or 0) for v in row[1:6])
    return Line(_label(row[0]), requests, errors, prompt, cached, completion, row[6] or Decimal(0))


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _privacy(conn: Any, group: Any, since: datetime | None, lines: dict[str, Line]) -> None:
    query = select(group, L.privacy)
    if since is not None:
        query = query.where(L.at >= since)
    for name, privacy in conn.execute(query):
        action = str(privacy.get("action")) if isinstance(privacy, dict) else None
        if action and action not in QUIET_ACTIONS:
            counts = lines[_label(name)].privacy_actions
            counts[action] = counts.get(action, 0) + 1


def what_if(lines: Sequence[Line], prices: Sequence[ModelPrice]) -> dict[str, Decimal]:
    """The cost of all these tokens at each of ``prices`` (errors carry no tokens, so they cost nothing)."""
    prompt = sum(line.prompt_tokens for line in lines)
    cached = sum(line.cached_tokens for line in lines)
    completion = sum(line.completion_tokens for line in lines)
    return {price.key: price.cost(prompt, completion, min(cached, prompt)) for price in prices}
