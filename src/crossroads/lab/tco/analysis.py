"""``analyze()``: every option's monthly cost, break-evens, hybrid curves, sensitivity and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crossroads.lab.tco.breakeven import BreakEven, HybridPoint, break_even, hybrid_curve, traffic_curve
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.findings import findings
from crossroads.lab.tco.options import ApiOption, OptionCost, SelfHostedOption, cost_per_million_tokens
from crossroads.lab.tco.profile import TrafficProfile
from crossroads.lab.tco.ranges import DEFAULT_RANGES, InputRange
from crossroads.lab.tco.sensitivity import SensitivityRow, sensitivity
from crossroads.lab.tco.uncertainty import Uncertainty, simulate


@dataclass(frozen=True)
class TcoAnalysis:
    profile: TrafficProfile
    options: list[OptionCost]
    break_evens: list[BreakEven]
    hybrid: dict[str, list[HybridPoint]]
    curve: list[dict[str, Decimal]]
    sensitivity: list[SensitivityRow]
    findings: list[str]
    horizon_months: int
    assumptions: dict[str, str] = field(default_factory=dict)
    uncertainty: Uncertainty | None = None

    @property
    def cheapest(self) -> OptionCost:
        return min(self.options, key=lambda o: o.monthly)

    def option(self, name: str) -> OptionCost:
        return next(o for o in self.options if o.name == name)


def analyze(
    profile: TrafficProfile,
    api: list[ApiOption],
    hosted: list[SelfHostedOption],
    horizon_months: int = 12,
    assumptions: dict[str, str] | None = None,
    ranges: tuple[InputRange, ...] = DEFAULT_RANGES,
) -> TcoAnalysis:
    """The whole cost model for one traffic profile and the options to compare."""
    if not api and not hosted:
        raise TcoError("nothing to compare — name at least one API model (--api) or GPU instance (--gpu)")
    names = [o.name for o in api] + [o.name for o in hosted]
    if len(set(names)) != len(names):
        raise TcoError(f"each option needs its own name; got {', '.join(names)}")
    costs = [_api_cost(o, profile, horizon_months) for o in api]
    costs += [_hosted_cost(o, profile, horizon_months) for o in hosted]
    evens = [break_even(a, h, profile) for h in hosted for a in api]
    best_api = min(api, key=lambda o: o.monthly_cost(profile)) if api else None
    hybrid = {f"{best_api.name} + {h.name}": hybrid_curve(best_api, h, profile) for h in hosted} if best_api else {}
    return TcoAnalysis(
        profile=profile,
        options=costs,
        break_evens=evens,
        hybrid=hybrid,
        curve=traffic_curve(api, hosted, profile, _curve_top(profile, evens)),
        sensitivity=sensitivity(profile, api, hosted, ranges),
        findings=findings(profile, costs, evens),
        horizon_months=horizon_months,
        assumptions=assumptions or {},
        uncertainty=simulate(profile, api, hosted, ranges),
    )


def _api_cost(option: ApiOption, profile: TrafficProfile, horizon: int) -> OptionCost:
    monthly = option.monthly_cost(profile)
    p = option.price
    note = f"${p.input}/${p.output} per 1M in/out"
    if p.cached_input is not None:
        note += f", cached ${p.cached_input}"
    note += f" (catalog {p.catalog_version}, price of {p.source_date})"
    return OptionCost(
        name=option.name,
        kind="api",
        monthly=monthly,
        per_million_tokens=cost_per_million_tokens(monthly, profile),
        breakdown={"tokens": monthly},
        projection=[option.monthly_cost(profile.in_month(m)) for m in range(horizon)],
        note=note,
        model=p.key,
    )


def _hosted_cost(option: SelfHostedOption, profile: TrafficProfile, horizon: int) -> OptionCost:
    fleet = option.fleet(profile)
    monthly = option.monthly_cost(profile)
    return OptionCost(
        name=option.name,
        kind="self-hosted",
        monthly=monthly,
        per_million_tokens=cost_per_million_tokens(monthly, profile),
        breakdown={"machines": option.machine_monthly * fleet, **option.fixed_monthly},
        projection=[option.monthly_cost(profile.in_month(m)) for m in range(horizon)],
        instances=fleet,
        replicas_needed=option.replicas_needed(profile),
        throughput=option.throughput,
        average_utilization=option.average_utilization(profile),
        note=f"${option.hourly}/h × {option.hours_per_month} h" + (f", {option.hardware}" if option.hardware else ""),
        model=option.model,
        hourly=option.hourly,
        instance=option.instance,
        gpu=option.gpu,
        gpus=option.gpus,
        bench=option.bench,
        effort_monthly=option.effort_monthly,
        full_use_per_million=option.full_use_per_million(),
    )


def _curve_top(profile: TrafficProfile, evens: list[BreakEven]) -> Decimal:
    """Traffic range of the cost curve: past today's traffic and past every break-even found."""
    points = [profile.queries_per_day * 2] + [b.queries_per_day * Decimal("1.5") for b in evens if b.queries_per_day]
    return max([*points, Decimal(100)])
