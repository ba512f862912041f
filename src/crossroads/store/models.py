"""The tables: API keys, budget usage per period, the request ledger and the audit chain.

Times are naive UTC; money is ``Money`` (exact); token counts are integers. The ledger never holds
prompt or completion text unless content logging is on, and then only encrypted (``content``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crossroads.store.types import Money


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    budget: Mapped[Decimal | None] = mapped_column(Money)
    period: Mapped[str] = mapped_column(String(8), default="month")
    rpm: Mapped[int | None] = mapped_column(Integer)
    tpm: Mapped[int | None] = mapped_column(Integer)
    models: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    role: Mapped[str | None] = mapped_column(String(16))  # "admin" or "viewer": may sign in to the dashboard


class BudgetUsage(Base):
    """Spent and reserved money of one key in one budget period (the row the reservation locks)."""

    __tablename__ = "budget_usage"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class BudgetReservation(Base):
    """One request's reservation until it is settled. A process that dies holding one leaves it behind: once it
    expires, ``budget.sweep`` releases it from ``budget_usage.reserved``."""

    __tablename__ = "budget_reservations"
    __table_args__ = (Index("ix_budget_reservations_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[datetime] = mapped_column(DateTime)
    amount: Mapped[Decimal] = mapped_column(Money)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LedgerRow(Base):
    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_at", "at"), Index("ix_ledger_key_at", "key_id", "at"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    key_id: Mapped[str | None] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(32))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    model: Mapped[str] = mapped_column(String(200))
    backend: Mapped[str | None] = mapped_column(String(200))
    upstream_model: Mapped[str | None] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    usage_source: Mapped[str] = mapped_column(String(16), default="none")
    cost: Mapped[Decimal | None] = mapped_column(Money)
    price_model: Mapped[str | None] = mapped_column(String(200))
    latency_ms: Mapped[float] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(64))
    route_reason: Mapped[str | None] = mapped_column(String(200))
    privacy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)


class AuditEntry(Base):
    """One link of the hash chain: ``hash = sha256(prev_hash, seq, at, kind, subject, digest)``.

    ``digest`` is the sha256 of the subject's canonical content: the ledger row for ``request``
    entries, ``detail`` for admin events (``key.create``, ``key.revoke``)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link, one row (id 1); writers lock it, so appends are serialised across replicas."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class ShadowResult(Base):
    """One mirrored request (routing shadow traffic): the answer the client got and a candidate's answer
    to the same request, with latency and cost, for ``crossroads eval --from-shadow``.

    ``primary`` and ``shadow`` hold backend, upstream_model, location, status, error_type, latency_s,
    usage, cost (a decimal string) and answer; the typed columns repeat what queries filter and sum on.
    ``request`` is the body as the primary deployment received it (after the privacy guard)."""

    __tablename__ = "shadow_results"
    __table_args__ = (Index("ix_shadow_results_model_at", "model", "at"), Index("ix_shadow_results_at", "at"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(32))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    primary: Mapped[dict[str, Any]] = mapped_column(JSON)
    shadow: Mapped[dict[str, Any]] = mapped_column(JSON)
    primary_backend: Mapped[str] = mapped_column(String(200))
    shadow_backend: Mapped[str] = mapped_column(String(200))
    shadow_upstream_model: Mapped[str] = mapped_column(String(200))
    shadow_status: Mapped[int | None] = mapped_column(Integer)
    primary_latency_ms: Mapped[float | None] = mapped_column(Float)
    shadow_latency_ms: Mapped[float | None] = mapped_column(Float)
    primary_cost: Mapped[Decimal | None] = mapped_column(Money)
    shadow_cost: Mapped[Decimal | None] = mapped_column(Money)


# The dashboard's rollups: kept by the ledger writer in the same transaction as the rows they count
# (crossroads.metering.rollup), so a page sums a few thousand rollup rows instead of millions of ledger rows.
# Each is kept at two grains: ``span`` "hour" (``bucket`` a whole hour) and "day" (a whole day, UTC): a long
# range reads days, its first partial day hours. Dimensions are never NULL ('' stands for none), so each group
# is one row under its unique constraint, which leads with (span, bucket) and so also serves the range scans.
USAGE_DIMS = ("span", "bucket", "key_id", "model", "backend", "kind")
OUTCOME_DIMS = ("span", "bucket", "kind", "status", "error_type", "privacy_action", "local_only")


class UsageRollup(Base):
    """Ledger rows per hour (and day), key, model and backend: what each spent (the pages' breakdowns).
    ``kind``: request (a client's call), shadow (a mirrored copy) or extra (a cascade step turned down, a judge)."""

    __tablename__ = "usage_rollup"
    __table_args__ = (UniqueConstraint(*USAGE_DIMS, name="uq_usage_rollup_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    span: Mapped[str] = mapped_column(String(4))
    bucket: Mapped[datetime] = mapped_column(DateTime)
    key_id: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    backend: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    requests: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Money)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger)
    completion_tokens: Mapped[int] = mapped_column(BigInteger)


class OutcomeRollup(Base):
    """Ledger rows per hour (and day) and outcome — status, error type, the guard's action, kept local — with
    money, answers a fallback model served and attempts that failed first (totals, errors, privacy, routing)."""

    __tablename__ = "outcome_rollup"
    __table_args__ = (UniqueConstraint(*OUTCOME_DIMS, name="uq_outcome_rollup_group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    span: Mapped[str] = mapped_column(String(4))
    bucket: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str] = mapped_column(String(64))
    privacy_action: Mapped[str] = mapped_column(String(16))
    local_only: Mapped[bool] = mapped_column(Boolean)
    requests: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Money)
    tokens: Mapped[int] = mapped_column(BigInteger)
    fallbacks: Mapped[int] = mapped_column(Integer)
    failed_attempts: Mapped[int] = mapped_column(Integer)


class TrafficMinute(Base):
    """Client requests per minute (the live view): how many, how many failed, what everything cost."""

    __tablename__ = "traffic_minute"

    minute: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Money)


class LatencyRollup(Base):
    """Histogram of client request latency and time to first token per hour (and day): bins 5% wide
    (``rollup.BIN``)."""

    __tablename__ = "latency_rollup"

    span: Mapped[str] = mapped_column(String(4), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)  # latency | ttft
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)


class PrivacyRollup(Base):
    """What the guard found per hour (and day): entity type and the request's action — requests and findings,
    never values."""

    __tablename__ = "privacy_rollup"

    span: Mapped[str] = mapped_column(String(4), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)
    found: Mapped[int] = mapped_column(Integer)


class AuditCheck(Base):
    """One verification of the audit chain (dashboard or ``crossroads audit verify``): when, and what it found."""

    __tablename__ = "audit_checks"
    __table_args__ = (Index("ix_audit_checks_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    entries: Mapped[int] = mapped_column(Integer)
    ledger_rows: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    problems: Mapped[list[str]] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(64))


class StoredResponse(Base):
    """A Responses API answer kept for ``previous_response_id`` and ``GET /v1/responses/{id}`` (``store: true``).

    Holds what the privacy guard let out — placeholders, never the values they stand for — and is deleted
    once ``expires_at`` has passed (``responses.ttl_hours``)."""

    __tablename__ = "stored_responses"
    __table_args__ = (Index("ix_stored_responses_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(String(32))  # the API key that created it (None: no keys in use)
    model: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    input: Mapped[list[Any]] = mapped_column(JSON)  # the conversation's input items as sent upstream
    response: Mapped[dict[str, Any]] = mapped_column(JSON)  # the response object as the upstream answered
