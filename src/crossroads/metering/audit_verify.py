"""``crossroads audit verify``: walk the chain, recompute every hash and digest, name the first break."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, insert, select

from crossroads.metering.audit import GENESIS, digest, link_hash
from crossroads.store.models import AuditEntry, AuditHead, LedgerRow

PAGE = 1000


@dataclass
class Verdict:
    entries: int = 0
    ledger_rows: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_values(row: Any) -> dict[str, Any]:
    """A ledger row (ORM object or Core row) as the mapping its audit digest covers."""
    return {c.name: getattr(row, c.name) for c in LedgerRow.__table__.columns}


def verify(engine: Engine, limit: int = 20) -> Verdict:
    """Check the whole chain; ``problems`` lists up to ``limit`` breaks, the first one first.

    Safe while gateways keep writing: the chain is checked up to the head read first (entries are only
    ever appended after it), and ledger rows without a link are found in one statement (a row and its
    link are committed together)."""
    verdict = Verdict()
    with engine.connect() as conn:
        head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
        if head is None:
            return Verdict(problems=["the audit head row is missing — the chain's end cannot be checked"])
        expected, prev = 1, GENESIS
        for page in _pages(conn, head.seq):
            rows = _ledger_rows(conn, [e.subject for e in page if e.kind == "request"])
            for entry in page:
                verdict.problems += _check(entry, expected, prev, rows)
                expected, prev = entry.seq + 1, entry.hash
                verdict.entries += 1
            if len(verdict.problems) >= limit:
                break
        verdict.head_hash = prev
        verdict.problems += _end_problems(expected - 1, prev, head)
        verdict.ledger_rows, unchained = _unchained(conn)
        verdict.problems += [f"ledger row {rid} is not in the audit chain (inserted afterwards)" for rid in unchained]
    verdict.problems = verdict.problems[:limit]
    return verdict


def _pages(conn: Any, last: int) -> Iterator[list[Any]]:
    after = 0
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > after, AuditEntry.seq <= last)
        query = query.order_by(AuditEntry.seq).limit(PAGE)
        page = list(conn.execute(query))
        if not page:
            return
        yield page
        after = page[-1].seq


def _ledger_rows(conn: Any, ids: list[str]) -> dict[str, Any]:
    if not ids:
        return {}
    return {row.id: row for row in conn.execute(select(LedgerRow).where(LedgerRow.id.in_(ids)))}


def _check(entry: Any, expected: int, prev: str, rows: dict[str, Any]) -> list[str]:
    where = f"audit entry {entry.seq} ({entry.kind} {entry.subject})"
    if entry.seq != expected:
        return [f"audit entries {expected}..{entry.seq - 1} are missing (deleted) before {where}"]
    if entry.prev_hash != prev:
        return [f"{where} does not follow entry {entry.seq - 1}: the chain was reordered or rewritten here"]
    if entry.hash != link_hash(prev, entry.seq, entry.at, entry.kind, entry.subject, entry.digest):
        return [f"{where} was edited (its hash does not match its fields)"]
    return _subject_problems(entry, where, rows)


def _subject_problems(entry: Any, where: str, rows: dict[str, Any]) -> list[str]:
    if entry.kind != "request":
        return [] if digest(entry.detail or {}) == entry.digest else [f"{where}: the event detail was edited"]
    row = rows.get(entry.subject)
    if row is None:
        return [f"ledger row {entry.subject} was deleted ({where} vouches for it)"]
    if digest(ledger_values(row)) != entry.digest:
        return [f"ledger row {entry.subject} was edited after it was written ({where})"]
    return []


def _end_problems(last_seq: int, last_hash: str, head: Any) -> list[str]:
    if head.seq != last_seq or head.hash != last_hash:
        return [f"the chain ends at entry {last_seq} but its head says {head.seq}: entries at the end were deleted"]
    return []


def _unchained(conn: Any) -> tuple[int, list[str]]:
    """(ledger rows, the first few without an audit link) — each read in one statement."""
    linked = select(AuditEntry.seq).where(AuditEntry.kind == "request", AuditEntry.subject == LedgerRow.id)
    query = select(LedgerRow.id).where(~linked.exists()).order_by(LedgerRow.at).limit(5)
    total = conn.execute(select(func.count()).select_from(LedgerRow)).scalar_one()
    return total, list(conn.execute(query).scalars())


def verify_and_record(engine: Engine, by: str) -> Verdict:
    """``verify``, and keep the verdict in ``audit_checks`` (the dashboard's Audit page shows the last ones)."""
    from crossroads.metering.keys import utcnow
    from crossroads.store.models import AuditCheck

    verdict = verify(engine)
    values = {
        "at": utcnow(),
        "ok": verdict.ok,
        "entries": verdict.entries,
        "ledger_rows": verdict.ledger_rows,
        "head": verdict.head_hash,
        "problems": verdict.problems,
        "by": by[:64],
    }
    with engine.begin() as conn:
        conn.execute(insert(AuditCheck), values)
    return verdict


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    body = {"ok": verdict.ok, "entries": verdict.entries, "ledger_rows": verdict.ledger_rows}
    return {**body, "head": verdict.head_hash, "problems": verdict.problems}
