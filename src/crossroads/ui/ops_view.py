"""The Routing and Audit pages: breaker states from the running gateway, fallbacks and retries over time,
shadow comparisons, the audit chain's head and its verifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from crossroads.store.models import AuditCheck, AuditHead, ShadowResult
from crossroads.ui.queries import money, routing
from crossroads.ui.ranges import Range


def routing_page(conn: Connection, r: Range, breakers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    S = ShadowResult
    failed = case(((S.shadow_status.is_(None)) | (S.shadow_status >= 400), 1), else_=0)
    shadows = conn.execute(
        select(
            S.model,
            S.primary_backend,
            S.shadow_backend,
            S.shadow_upstream_model,
            func.count(),
            func.sum(failed),
            func.avg(S.primary_latency_ms),
            func.avg(S.shadow_latency_ms),
            func.sum(S.primary_cost),
            func.sum(S.shadow_cost),
        )
        .where(S.at >= r.start)
        .group_by(S.model, S.primary_backend, S.shadow_backend, S.shadow_upstream_model)
        .order_by(S.model, S.shadow_backend)
    ).all()
    return {
        "range": {"name": r.name, "label": r.label, "start": r.start.isoformat(), "now": r.now.isoformat()},
        "breakers": [{"deployment": name, **state} for name, state in sorted(breakers.items())],
        "over_time": routing(conn, r),
        "shadows": [
            {
                "model": m,
                "primary": pb,
                "shadow": f"{sb}:{su}",
                "requests": int(n),
                "shadow_failed": int(f or 0),
                "primary_latency_ms": None if pl is None else round(float(pl), 1),
                "shadow_latency_ms": None if sl is None else round(float(sl), 1),
                "primary_cost": money(pc),
                "shadow_cost": money(sc),
            }
            for m, pb, sb, su, n, f, pl, sl, pc, sc in shadows
        ],
    }


def audit_page(conn: Connection) -> dict[str, Any]:
    head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    last = conn.execute(select(AuditCheck).order_by(AuditCheck.at.desc(), AuditCheck.id.desc()).limit(5)).all()
    return {
        "head": {"seq": head.seq, "hash": head.hash} if head else None,
        "checks": [
            {
                "at": c.at.isoformat() + "Z",
                "ok": c.ok,
                "entries": c.entries,
                "ledger_rows": c.ledger_rows,
                "head": c.head,
                "problems": c.problems,
                "by": c.by,
            }
            for c in last
        ],
    }
