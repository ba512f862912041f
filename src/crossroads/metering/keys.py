"""API keys: created once (the plaintext is shown once), stored as a sha256 hash, listed, revoked,
rotated.

Every create, revoke and rotate is an admin event in the audit chain, and is announced to running
gateways in the same transaction (``key_watch.announce``). Keys carry their limits: a budget in USD
per period, requests and tokens per minute, the models they may use, and when they expire. Rotating
a key makes a new one with the same limits and lets the old one expire after a grace period, so
clients move over without downtime.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from crossroads.errors import NotFound
from crossroads.metering import audit, key_watch
from crossroads.store.models import ApiKey

PREFIX = "sk-cr-"
PERIODS = ("day", "week", "month", "total")
ROLES = ("admin", "viewer")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: str
    name: str
    prefix: str
    budget: Decimal | None = None
    period: str = "month"
    rpm: int | None = None
    tpm: int | None = None
    models: frozenset[str] | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    role: str | None = None  # admin or viewer: may sign in to the dashboard (crossroads.ui)

    def allows(self, model: str) -> bool:
        return self.models is None or model in self.models

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def public(self) -> dict[str, Any]:
        """What `keys list` and the admin API show (never the hash)."""
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "budget": usd(self.budget),
            "period": self.period,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "models": sorted(self.models) if self.models is not None else None,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "role": self.role,
        }


def usd(amount: Decimal | None) -> str | None:
    """An amount as plain text without trailing zeros: Decimal('50.000') -> '50'."""
    return None if amount is None else format(amount.normalize(), "f")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def record(row: Mapping[str, Any]) -> KeyRecord:
    """A key from its stored values (a row mapping or the values just inserted)."""
    models = frozenset(row["models"]) if row["models"] is not None else None
    return KeyRecord(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        budget=row["budget"],
        period=row["period"],
        rpm=row["rpm"],
        tpm=row["tpm"],
        models=models,
        created_at=row["created_at"],
        revoked_at=row.get("revoked_at"),
        expires_at=row.get("expires_at"),
        role=row.get("role"),
    )


def create_key(
    engine: Engine,
    name: str,
    *,
    budget: Decimal | None = None,
    period: str = "month",
    rpm: int | None = None,
    tpm: int | None = None,
    models: list[str] | None = None,
    expires_at: datetime | None = None,
    role: str | None = None,
) -> tuple[KeyRecord, str]:
    """A new key; returns its record and the plaintext, which is not stored anywhere."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    with engine.begin() as conn:
        return _insert(conn, name, budget, period, rpm, tpm, models, expires_at, "key.create", role)


def _insert(
    conn: Connection,
    name: str,
    budget: Decimal | None,
    period: str,
    rpm: int | None,
    tpm: int | None,
    models: list[str] | frozenset[str] | None,
    expires_at: datetime | None,
    event: str,
    role: str | None = None,
) -> tuple[KeyRecord, str]:
    plaintext = PREFIX + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(8)
    values: dict[str, Any] = {
        "id": key_id,
        "name": name,
        "key_hash": hash_key(plaintext),
        "prefix": plaintext[: len(PREFIX) + 4],
        "budget": budget,
        "period": period,
        "rpm": rpm,
        "tpm": tpm,
        "models": sorted(set(models)) if models else None,
        "created_at": utcnow(),
        "expires_at": expires_at,
        "role": role,
    }
    detail = {k: audit.canonical(v) for k, v in values.items() if k != "key_hash" and (k != "role" or v)}
    conn.execute(insert(ApiKey), values)
    audit.append(conn, [_event(event, key_id, detail)])
    key_watch.announce(conn)
    return record(values), plaintext


def list_keys(engine: Engine, include_revoked: bool = False) -> list[KeyRecord]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    with engine.connect() as conn:
        return [record(dict(row._mapping)) for row in conn.execute(query)]


def active_keys(engine: Engine) -> tuple[dict[str, KeyRecord], bool]:
    """Hash -> record of every key that is not revoked, and whether any key (even revoked) exists:
    once one was ever created, requests need a key — revoking the last one does not open the gateway."""
    with engine.connect() as conn:
        rows = conn.execute(select(ApiKey).where(ApiKey.revoked_at.is_(None)))
        active = {row.key_hash: record(dict(row._mapping)) for row in rows}
        any_key = bool(active) or conn.execute(select(ApiKey.id).limit(1)).first() is not None
    return active, any_key


def revoke_key(engine: Engine, id_or_name: str) -> KeyRecord:
    """Revoke one active key by id or name; raises NotFound (naming the fix) when there is none."""
    with engine.begin() as conn:
        row = _one_active(conn, id_or_name)
        when = utcnow()
        conn.execute(update(ApiKey).where(ApiKey.id == row.id).values(revoked_at=when))
        detail = {"id": row.id, "name": row.name, "revoked_at": when.isoformat()}
        audit.append(conn, [_event("key.revoke", row.id, detail)])
        key_watch.announce(conn)
    return record({**row._mapping, "revoked_at": when})


def rotate_key(engine: Engine, id_or_name: str, grace: timedelta) -> tuple[KeyRecord, KeyRecord, str]:
    """A new key with the old one's name and limits; the old one expires after ``grace`` (or sooner,
    if it was to expire sooner). Returns (old, new, the new plaintext)."""
    with engine.begin() as conn:
        old = record(_one_active(conn, id_or_name)._mapping)
        until = utcnow() + grace
        if old.expires_at is None or old.expires_at > until:
            conn.execute(update(ApiKey).where(ApiKey.id == old.id).values(expires_at=until))
            old = replace(old, expires_at=until)
        detail = {"id": old.id, "name": old.name, "expires_at": audit.canonical(old.expires_at)}
        audit.append(conn, [_event("key.expire", old.id, detail)])
        limits = (old.budget, old.period, old.rpm, old.tpm, old.models)
        new, plaintext = _insert(conn, old.name, *limits, None, "key.rotate", old.role)
    return old, new, plaintext


def set_budget(engine: Engine, id_or_name: str, budget: Decimal | None, period: str | None = None) -> KeyRecord:
    """Change an active key's budget (None: no budget) and, optionally, its period; an admin event."""
    if period is not None and period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    with engine.begin() as conn:
        row = _one_active(conn, id_or_name)
        period = period or row.period
        conn.execute(update(ApiKey).where(ApiKey.id == row.id).values(budget=budget, period=period))
        detail = {"id": row.id, "name": row.name, "budget": audit.canonical(budget), "period": period}
        audit.append(conn, [_event("key.budget", row.id, detail)])
        key_watch.announce(conn)
    return record({**row._mapping, "budget": budget, "period": period})


def _one_active(conn: Connection, id_or_name: str) -> Any:
    """The one key, by id or name, that is neither revoked nor expired."""
    now = utcnow()
    query = select(ApiKey).where(or_(ApiKey.id == id_or_name, ApiKey.name == id_or_name))
    query = query.where(ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))
    rows = list(conn.execute(query))
    if len(rows) != 1:
        raise NotFound(_not_one(id_or_name, len(rows)))
    return rows[0]


def _not_one(id_or_name: str, count: int) -> str:
    if count == 0:
        return f"No active key with id or name '{id_or_name}' — see `crossroads keys list`."
    return f"{count} active keys are named '{id_or_name}' — revoke one by its id (see `crossroads keys list`)."


def _event(kind: str, subject: str, detail: dict[str, Any]) -> audit.Link:
    return audit.Link(utcnow(), kind, subject, audit.digest(detail), detail)
