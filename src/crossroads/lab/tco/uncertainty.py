"""Cost ranges by Monte Carlo over the stated input ranges (``ranges``), all inputs drawn at once.

Each draw takes every factor log-uniformly between its ends (so ×0.5–×2 is symmetric around ×1) and
the target utilization uniformly, then prices every option with the same model as ``options`` —
vectorised with numpy over the draws, in floats: these are estimates of spread, shown rounded to
cents; the point figures elsewhere stay exact ``Decimal``. The seed is fixed, so a rerun prints the
same ranges. Out come, per option, the 5th / 50th / 95th percentile of the monthly cost (a 90%
range), how often it is the cheapest, how often a fixed fleet could not carry the peak, and for every
self-hosted / API pair the band of break-even traffic."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from crossroads.lab.tco.options import ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import SECONDS_PER_DAY, TrafficProfile
from crossroads.lab.tco.ranges import InputRange

DRAWS = 4000
SEED = 20261206
MAX_MACHINES = 2000  # break-even search per draw


@dataclass(frozen=True)
class CostRange:
    low: Decimal  # 5th percentile
    median: Decimal
    high: Decimal  # 95th percentile
    p_cheapest: float | None  # share of draws where this option costs least of all options (not hybrids)
    over_capacity: float = 0.0  # share of draws where a fixed fleet could not carry the peak
    p_cheapest_local: float | None = None  # the same among ways to keep the private share local


@dataclass(frozen=True)
class BreakEvenBand:
    api: str
    self_hosted: str
    low: Decimal | None  # queries/day, 5th percentile over the draws where one exists
    median: Decimal | None
    high: Decimal | None
    found: float  # share of draws with a break-even


@dataclass(frozen=True)
class Uncertainty:
    draws: int
    seed: int
    inputs: list[str]  # each range described, for the report
    ranges: dict[str, CostRange]
    break_evens: list[BreakEvenBand]


def simulate(
    profile: TrafficProfile, api: list[ApiOption], hosted: list[SelfHostedOption], ranges: tuple[InputRange, ...]
) -> Uncertainty:
    rng = np.random.default_rng(SEED)
    f = {r.name: _draw(rng, r) for r in ranges}
    costs = {o.name: _api(o, profile, f) for o in api}
    over: dict[str, float] = {}
    for h in hosted:
        costs[h.name], over[h.name] = _fleet(h, profile, f)
    local = {h.name: costs[h.name] for h in hosted}
    if profile.private_share and api:
        best = min(api, key=lambda o: o.monthly_cost(profile))
        share = float(profile.private_share)
        for h in hosted:
            kept = _fleet(h, profile.scaled(traffic=profile.private_share), f)[0]
            local[f"{best.name} + {h.name}"] = costs[best.name] * (1 - share) + kept
    p_all, p_local = _shares(costs), _shares(local) if profile.private_share else {}
    result = {
        name: _range(values, p_all.get(name), over.get(name, 0.0), p_local.get(name))
        for name, values in {**costs, **local}.items()
    }
    bands = [_band(a, h, profile, f) for h in hosted for a in api]
    return Uncertainty(DRAWS, SEED, [r.describe() for r in ranges], result, bands)


def _draw(rng: Any, r: InputRange) -> Any:
    low, high = float(r.low), float(r.high)
    if not r.factor:
        return rng.uniform(low, high, DRAWS)
    return np.exp(rng.uniform(np.log(low), np.log(high), DRAWS))


def _api(o: ApiOption, p: TrafficProfile, f: dict[str, Any]) -> Any:
    return float(o.monthly_cost(p)) * f["traffic"] * f["tokens"] * f["api_price"]


def _fleet(h: SelfHostedOption, p: TrafficProfile, f: dict[str, Any]) -> tuple[Any, float]:
    peak = float(p.peak_tokens_per_second) * f["traffic"] * f["tokens"]
    throughput = None if h.throughput is None else float(h.throughput) * f["throughput"]
    over = 0.0
    if h.instances is not None:
        machines = np.full(DRAWS, float(h.instances))
        if throughput is not None:
            over = float(np.mean(peak > machines * throughput))
    else:
        machines = np.maximum(1.0, np.ceil(peak / (throughput * f["utilization"])))
    return _fixed(h, f) + float(h.machine_monthly) * f["gpu_price"] * machines, over


def _fixed(h: SelfHostedOption, f: dict[str, Any]) -> Any:
    effort = float(h.effort_monthly or 0)
    return float(h.fixed_total) - effort + effort * f["effort"]


def _shares(costs: dict[str, Any]) -> dict[str, float]:
    """Per option, the share of draws in which it is the cheapest of ``costs``."""
    if not costs:
        return {}
    cheapest = np.argmin(np.vstack(list(costs.values())), axis=0)
    return {name: round(float(np.mean(cheapest == i)), 4) for i, name in enumerate(costs)}


def _range(values: Any, p_cheapest: float | None, over: float, p_local: float | None) -> CostRange:
    low, median, high = (Decimal(f"{v:.2f}") for v in np.percentile(values, [5, 50, 95]))
    return CostRange(low, median, high, p_cheapest, round(over, 4), p_local)


def _band(a: ApiOption, h: SelfHostedOption, p: TrafficProfile, f: dict[str, Any]) -> BreakEvenBand:
    """Per draw, the least traffic where the API costs as much as the fleet that traffic needs."""
    per_qpd = float(a.cost_per_query(p) * p.days_per_month) * f["tokens"] * f["api_price"]
    fixed, machine = _fixed(h, f), float(h.machine_monthly) * f["gpu_price"]
    per_machine = None
    if h.throughput is not None:
        capacity = float(h.throughput) * f["throughput"] * f["utilization"]  # as ``breakeven`` does
        per_machine = capacity * float(SECONDS_PER_DAY) / (float(p.tokens_per_query * p.peak_to_average) * f["tokens"])
    found = np.full(DRAWS, np.nan)
    counts = [h.instances] if h.instances is not None else range(1, MAX_MACHINES + 1)
    never = np.zeros(DRAWS, bool) if per_machine is None or h.instances else machine >= per_qpd * per_machine
    for n in counts:
        q = (fixed + n * machine) / per_qpd
        fits = np.ones(DRAWS, bool) if per_machine is None else q <= n * per_machine
        found = np.where(np.isnan(found) & fits, q, found)
        if (~np.isnan(found) | never).all():
            break
    hit = found[~np.isnan(found)]
    if hit.size == 0:
        return BreakEvenBand(a.name, h.name, None, None, None, 0.0)
    low, median, high = (Decimal(f"{v:.0f}") for v in np.percentile(hit, [5, 50, 95]))
    return BreakEvenBand(a.name, h.name, low, median, high, round(hit.size / DRAWS, 4))
