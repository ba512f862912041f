"""A finished request (``Pending``) and turning it into its ledger rows: tokens (reported, else counted), cost,
summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads import formats
from crossroads.backends.spec import CountedUsage
from crossroads.metering import audit, tokens
from crossroads.metering.content import Sealer
from crossroads.metering.pricing import Pricer
from crossroads.pipeline.call import Call, Caller, PrivacyFacts

if TYPE_CHECKING:
    from crossroads.metering.budget import Reservation


@dataclass(slots=True)
class Pending:
    """A finished request, as the stage saw it; turned into a ledger row in the writer thread."""

    call: Call
    at: datetime
    latency_s: float
    status: int
    key: Caller | None = None
    ttft_s: float | None = None
    error_type: str | None = None
    usage: dict[str, Any] | None = None
    text: str | None = None
    response_model: str | None = None
    response: dict[str, Any] | None = None
    reservation: Reservation | None = None
    estimated_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    values: dict[str, Any]
    link: audit.Link

    @property
    def cost_or_zero(self) -> Decimal:
        cost: Decimal | None = self.values["cost"]
        return Decimal(0) if cost is None else cost

    @property
    def total_tokens(self) -> int:
        return int(self.values["prompt_tokens"]) + int(self.values["completion_tokens"])


ZERO = {"prompt_tokens": 0, "completion_tokens": 0, "cached_tokens": 0, "reasoning_tokens": 0}


def reported_counts(usage: dict[str, Any]) -> dict[str, int]:
    details = usage.get("prompt_tokens_details")
    completion = usage.get("completion_tokens_details")
    return {
        "prompt_tokens": _count(usage.get("prompt_tokens")),
        "completion_tokens": _count(usage.get("completion_tokens")),
        "cached_tokens": _count(details.get("cached_tokens") if isinstance(details, dict) else 0),
        "reasoning_tokens": _count(completion.get("reasoning_tokens") if isinstance(completion, dict) else 0),
    }


def usage_counts(p: Pending) -> tuple[dict[str, int], str]:
    """Token counts from the upstream's usage when it sent one, else counted with tiktoken: for an answer,
    and for a stream that ended early (the client left, or the upstream failed mid-way) — the prompt and
    every token that had arrived are charged. A call that failed before an answer began costs nothing."""
    usage = p.usage
    if isinstance(usage, dict) and usage:
        return reported_counts(usage), "counted" if isinstance(usage, CountedUsage) else "upstream"
    began = p.status < 400 or p.ttft_s is not None or bool(p.text)
    if not began:
        return dict(ZERO), "none"
    model = p.response_model or p.call.model
    counted = {"prompt_tokens": tokens.count_prompt(model, p.call.body)}
    counted["completion_tokens"] = tokens.count_text(model, response_text(p))
    return {**ZERO, **counted}, "counted"


def _count(value: Any) -> int:
    """A token count as an upstream reported it; nonsense (negative, not a number) counts as 0."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def response_text(p: Pending) -> str:
    if p.text is not None:
        return p.text
    fmt = formats.format_for(p.call.endpoint)
    return tokens.completion_text(p.response or {}) if fmt is None else fmt.answer_text(p.response or {})


def build_row(p: Pending, pricer: Pricer, sealer: Sealer | None = None) -> Row:
    facts = p.call.facts
    counts, source = usage_counts(p)
    backend, upstream = facts.backend, facts.upstream_model
    price = pricer.price(backend, [p.response_model, upstream, p.call.model])
    cost = pricer.cost(price, counts["prompt_tokens"], counts["completion_tokens"], counts["cached_tokens"])
    values: dict[str, Any] = {
        "id": p.call.request_id,
        "at": p.at,
        "key_id": p.key.id if p.key is not None else None,
        "endpoint": str(p.call.endpoint),
        "stream": bool(p.call.stream),
        "model": p.call.model,
        "backend": backend,
        "upstream_model": upstream,
        **counts,
        "usage_source": source,
        "cost": cost,
        "price_model": price.key if price is not None else None,
        "latency_ms": round(p.latency_s * 1000, 3),
        "ttft_ms": None if p.ttft_s is None else round(p.ttft_s * 1000, 3),
        "status": p.status,
        "error_type": p.error_type,
        "route_reason": _short(facts.route_reason),
        "privacy": privacy_summary(facts.privacy),
        "content": sealer.seal(sealed_content(p)) if sealer else None,
    }
    return Row(values, audit.Link(p.at, "request", p.call.request_id, audit.digest(values)))


def sealed_content(p: Pending) -> dict[str, Any]:
    """What content logging keeps: the request as the guard let it go, the answer the client got and — when the
    guard put values back into it — the answer as the upstream gave it (``upstream_response``, placeholders in)."""
    content = {"request": p.call.body, "response": response_text(p)}
    if p.call.facts.upstream_answer is not None:
        content["upstream_response"] = p.call.facts.upstream_answer
    return content


def build_rows(p: Pending, pricer: Pricer, sealer: Sealer | None = None) -> list[Row]:
    """The request's row, then one row per other upstream call it caused and paid for (a cascade step that
    was turned down, a judge call): each priced at its own deployment, the request's id plus ``.n``."""
    main = build_row(p, pricer, sealer)
    return [main, *attempt_rows(p, main, pricer)]


WHY = {"judge": "judge call for {id}", "": "cascade step turned down for {id}"}


def attempt_rows(p: Pending, main: Row, pricer: Pricer) -> list[Row]:
    rows = []
    for i, record in enumerate(p.call.facts.attempts, 1):
        usage = record["usage"]
        if record["used"] or not usage:
            continue
        backend, upstream = record["backend"], record["upstream_model"]
        price = pricer.price(backend, [upstream, p.call.model])
        counts = reported_counts(usage)
        cost = pricer.cost(price, counts["prompt_tokens"], counts["completion_tokens"], counts["cached_tokens"])
        rid = f"{p.call.request_id}.{i}"
        values = {
            **main.values,
            "id": rid,
            "backend": backend,
            "upstream_model": upstream,
            **counts,
            "usage_source": "counted" if isinstance(usage, CountedUsage) else "upstream",
            "cost": cost,
            "price_model": price.key if price is not None else None,
            "latency_ms": round((record["latency_s"] or 0) * 1000, 3),
            "ttft_ms": None,
            "status": record["status"] or 200,
            "error_type": None,
            "route_reason": WHY.get(record.get("purpose", ""), WHY[""]).format(id=p.call.request_id),
            "content": None,
        }
        rows.append(Row(values, audit.Link(p.at, "request", rid, audit.digest(values))))
    return rows


def privacy_summary(privacy: PrivacyFacts | None) -> dict[str, Any] | None:
    """Entity types, counts and the action — never the detected values."""
    if privacy is None:
        return None
    return {"action": privacy.action, "entities": dict(privacy.entities), "local_only": privacy.local_only}


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:200]
