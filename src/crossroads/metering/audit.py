"""The audit trail: an append-only hash chain over ledger rows and admin events.

Each entry stores the sha256 ``digest`` of what it vouches for (a ledger row, or an admin event's
``detail``) and ``hash = sha256(prev_hash | seq | at | kind | subject | digest)``. Appends lock the
single ``audit_head`` row, so replicas sharing a database extend one chain. ``verify`` walks the chain
and names the first entry, or ledger row, that was edited, deleted, inserted or reordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crossroads.store.models import AuditEntry, AuditHead
from crossroads.store.types import Money

GENESIS = "0" * 64
_MONEY = Money()


@dataclass(frozen=True, slots=True)
class Link:
    """What to append: ``kind`` ('request', 'key.create', …), ``subject`` (request or key id), its digest."""

    at: datetime
    kind: str
    subject: str
    digest: str
    detail: dict[str, Any] | None = None


def canonical(value: Any) -> Any:
    """A JSON-able, storage-independent form: money as picodollars, times as ISO text, bytes hashed."""
    if isinstance(value, Decimal):
        return _MONEY.process_bind_param(value, None)  # type: ignore[arg-type]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, float):
        return repr(value)
    return value


def digest(values: Mapping[str, Any]) -> str:
    data = {k: canonical(v) for k, v in values.items()}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, at: datetime, kind: str, subject: str, digest: str) -> str:
    text = f"{prev_hash}|{seq}|{at.isoformat()}|{kind}|{subject}|{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def append(conn: Connection, links: Sequence[Link]) -> None:
    """Extend the chain inside the caller's transaction (the head row stays locked until it commits)."""
    if not links:
        return
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))  # take the lock first
    seq, prev = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    rows = []
    for link in links:
        seq += 1
        current = link_hash(prev, seq, link.at, link.kind, link.subject, link.digest)
        rows.append({**_fields(link), "seq": seq, "prev_hash": prev, "hash": current})
        prev = current
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))


def _fields(link: Link) -> dict[str, Any]:
    return {"at": link.at, "kind": link.kind, "subject": link.subject, "digest": link.digest, "detail": link.detail}
