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
    blocked: bool = False  # refused by the privacy guard: counts for privacy, not for load or cost


def profile_from_rows(
    rows: Iterable[TrafficRow],
    days: Decimal | None = None,
    days_per_month: Decimal = Decimal(30),
    monthly_growth: Decimal = Decimal(0),
    source: str = "rows",
) -> TrafficProfile:
    """Means per query, queries per day over ``days`` (default: the rows' span in whole days, at least 1),
    peak-to-average from the busiest clock hour, and the share of requests with personal data (blocked
    requests included: they carried it too)."""
    everything = sorted(rows, key=lambda r: r.time)
    items = [r for r in everything if not r.blocked]
    if not items:
        raise TcoError(f"{source}: no requests recorded — send traffic through the gateway first, or give the numbers")
    days = days or _span_days(items)
    n = Decimal(len(items))
    prompt = Decimal(sum(r.prompt_tokens for r in items))
    completion = Decimal(sum(r.completion_tokens for r in items))
    cached = Decimal(sum(r.cached_tokens for r in items))
    private = [r for r in everything if any(r.privacy.values())]
    by_type = Counter(t for r in private for t, count in r.privacy.items() if count)
    span = _span_text(everything)
    return TrafficProfile(
        queries_per_day=n / days,
        prompt_tokens=prompt / n,
        completion_tokens=completion / n,
        cached_share=cached / prompt if prompt else Decimal(0),
        peak_to_average=_peak_to_average(items, days),
        monthly_growth=monthly_growth,
        days_per_month=days_per_month,
        private_share=Decimal(len(private)) / len(everything),
        private_by_type=dict(by_type.most_common()),
        models=dict(Counter(r.model for r in items).most_common()),
        source=f"{source}: {len(everything)} requests recorded over {span}, counted as {days} day(s) of traffic",
        requests=len(everything),
        private_requests=len(private),
        blocked=len(everything) - len(items),
        span=span,
    )


def _span_text(items: list[TrafficRow]) -> str:
    """The real time the rows cover, e.g. '4 h 2 min (2026-11-02 09:00 to 13:02)'."""
    first, last = items[0].time, items[-1].time
    minutes = int((last - first) / timedelta(minutes=1))
    days, rest = divmod(minutes, 24 * 60)
    length = f"{days} d {rest // 60} h" if days else f"{rest // 60} h {rest % 60} min" if rest >= 60 else f"{rest} min"
    return f"{length} ({first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M})"


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
