"""A traffic profile from recorded requests (the gateway's ledger, or any rows of the same shape)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.profile import TrafficProfile


@dataclass(frozen=True)
class TrafficRow:
    """One recorded request: when, how many tokens, which model, and what personal data it carried
    (entity type -> count; empty when none was found — never the values)."""

    time: datetime
    prompt_tokens: int
    completion_tokens: int
    model: str = ""
    cached_tokens: int = 0
    privacy: Mapping[str, int] = field(default_factory=dict)


def profile_from_rows(
    rows: Iterable[TrafficRow],
    days: Decimal | None = None,
    days_per_month: Decimal = Decimal(30),
    monthly_growth: Decimal = Decimal(0),
    source: str = "rows",
) -> TrafficProfile:
    """Means per query, queries per day over ``days`` (default: the rows' span in whole days, at least 1),
    peak-to-average from the busiest clock hour, and the share of requests with personal data."""
    items = sorted(rows, key=lambda r: r.time)
    if not items:
        raise TcoError(f"{source}: no requests recorded — send traffic through the gateway first, or give the numbers")
    days = days or _span_days(items)
    n = Decimal(len(items))
    prompt = Decimal(sum(r.prompt_tokens for r in items))
    completion = Decimal(sum(r.completion_tokens for r in items))
    cached = Decimal(sum(r.cached_tokens for r in items))
    private = [r for r in items if any(r.privacy.values())]
    by_type = Counter(t for r in private for t, count in r.privacy.items() if count)
    return TrafficProfile(
        queries_per_day=n / days,
        prompt_tokens=prompt / n,
        completion_tokens=completion / n,
        cached_share=cached / prompt if prompt else Decimal(0),
        peak_to_average=_peak_to_average(items, days),
        monthly_growth=monthly_growth,
        days_per_month=days_per_month,
        private_share=Decimal(len(private)) / n,
        private_by_type=dict(by_type.most_common()),
        models=dict(Counter(r.model for r in items).most_common()),
        source=f"{source}: {len(items)} requests over {days} day(s)",
    )


def _span_days(items: list[TrafficRow]) -> Decimal:
    span = (items[-1].time - items[0].time) / timedelta(days=1)
    return max(Decimal(1), Decimal(str(span)).to_integral_value(ROUND_CEILING))


def _peak_to_average(items: list[TrafficRow], days: Decimal) -> Decimal:
    """Tokens in the busiest clock hour against the mean hour of the period (at least 1)."""
    per_hour: Counter[datetime] = Counter()
    for r in items:
        per_hour[r.time.replace(minute=0, second=0, microsecond=0)] += r.prompt_tokens + r.completion_tokens
    total = sum(per_hour.values())
    if total == 0:
        return Decimal(1)
    return max(Decimal(1), Decimal(max(per_hour.values())) * days * 24 / total)
