"""The traffic a deployment must carry: queries per day, tokens per query, peaks, growth, privacy."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crossroads.lab.tco.errors import TcoError

SECONDS_PER_DAY = Decimal(86_400)


@dataclass(frozen=True)
class TrafficProfile:
    """Mean traffic. Costs are linear in tokens, so means give exact monthly totals; the peak only
    sizes self-hosted capacity. ``days_per_month`` counts traffic days (30, as list-price examples do);
    GPUs are billed per 730-hour month."""

    queries_per_day: Decimal
    prompt_tokens: Decimal
    completion_tokens: Decimal
    cached_share: Decimal = Decimal(0)  # share of prompt tokens read from a prompt cache
    peak_to_average: Decimal = Decimal(1)
    monthly_growth: Decimal = Decimal(0)
    days_per_month: Decimal = Decimal(30)
    private_share: Decimal | None = None  # share of requests that must stay local (personal data, secrets)
    private_by_type: dict[str, int] = field(default_factory=dict)  # entity type -> requests carrying it
    models: dict[str, int] = field(default_factory=dict)  # model -> requests (from a ledger)
    source: str = "given"
    requests: int | None = None  # requests the private share was counted over (None: the share was given)
    private_requests: int | None = None
    blocked: int = 0  # requests the privacy guard refused (in the private share, not in the load)
    span: str = ""  # the real time the recorded requests cover

    def __post_init__(self) -> None:
        _check(self.queries_per_day >= 0, "queries per day cannot be negative")
        _check(self.prompt_tokens >= 0 and self.completion_tokens >= 0, "tokens per query cannot be negative")
        _check(self.prompt_tokens + self.completion_tokens > 0, "a query needs prompt or completion tokens")
        _check(0 <= self.cached_share <= 1, "cached share is a fraction of prompt tokens in [0, 1]")
        _check(self.peak_to_average >= 1, "peak-to-average ratio is at least 1 (the peak is never below the mean)")
        _check(self.monthly_growth > -1, "monthly growth must be above -100%")
        _check(self.days_per_month > 0, "days per month must be positive")
        share = self.private_share
        _check(share is None or 0 <= share <= 1, "private share is a fraction of requests in [0, 1]")

    @property
    def tokens_per_query(self) -> Decimal:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cached_tokens(self) -> Decimal:
        return self.prompt_tokens * self.cached_share

    @property
    def queries_per_month(self) -> Decimal:
        return self.queries_per_day * self.days_per_month

    @property
    def tokens_per_month(self) -> Decimal:
        return self.queries_per_month * self.tokens_per_query

    @property
    def average_tokens_per_second(self) -> Decimal:
        return self.queries_per_day * self.tokens_per_query / SECONDS_PER_DAY

    @property
    def peak_tokens_per_second(self) -> Decimal:
        return self.average_tokens_per_second * self.peak_to_average

    def scaled(self, traffic: Decimal = Decimal(1), tokens: Decimal = Decimal(1)) -> TrafficProfile:
        """The same shape with ``traffic`` times the queries and ``tokens`` times the tokens per query."""
        return dataclasses.replace(
            self,
            queries_per_day=self.queries_per_day * traffic,
            prompt_tokens=self.prompt_tokens * tokens,
            completion_tokens=self.completion_tokens * tokens,
        )

    def in_month(self, month: int) -> TrafficProfile:
        """The traffic ``month`` months from now (0 = this month) at the monthly growth rate."""
        return self.scaled(traffic=(1 + self.monthly_growth) ** month)


def peak_from_hourly(weights: Sequence[Decimal]) -> Decimal:
    """Peak-to-average ratio of an hourly profile (24 relative volumes, any scale)."""
    _check(len(weights) == 24, f"an hourly profile has 24 values, got {len(weights)}")
    _check(all(w >= 0 for w in weights) and sum(weights) > 0, "hourly volumes must be non-negative, not all zero")
    return max(weights) * 24 / sum(weights, Decimal(0))


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise TcoError(message)
