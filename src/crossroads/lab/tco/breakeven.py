"""Where self-hosting starts to pay, and what a hybrid split costs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from crossroads.lab.tco.options import ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import SECONDS_PER_DAY, TrafficProfile

MAX_FLEET = 100_000


@dataclass(frozen=True)
class BreakEven:
    """Traffic at which ``self_hosted`` costs the same as ``api``; None with ``reason`` when it never does."""

    api: str
    self_hosted: str
    queries_per_day: Decimal | None
    tokens_per_month: Decimal | None
    instances: int | None
    reason: str
    status: str = "found"  # "found" | "never" (API cheaper at any traffic) | "beyond_capacity" (of a fixed fleet)


def break_even(api: ApiOption, hosted: SelfHostedOption, profile: TrafficProfile) -> BreakEven:
    """API cost grows linearly with traffic; self-hosting is fixed costs plus one machine per
    ``capacity`` of peak tokens/s. The break-even is the least traffic where the API costs as much."""
    per_qpd = api.cost_per_query(profile) * profile.days_per_month  # API $/month per query/day
    if per_qpd == 0:
        return _never(api, hosted, "the API option costs nothing per query")
    per_machine = _queries_per_machine(hosted, profile)
    if hosted.instances is not None:
        return _fixed_fleet(api, hosted, profile, per_qpd, per_machine)
    if per_machine is None:  # unreachable: a fleet sized from the peak has a throughput
        return _never(api, hosted, "no throughput to size the fleet")
    if hosted.machine_monthly >= per_qpd * per_machine:
        why = "one machine costs more than the API traffic it can carry, so the API stays cheaper at any traffic"
        return _never(api, hosted, why)
    spare = per_qpd * per_machine - hosted.machine_monthly
    limit = int((hosted.fixed_total / spare).to_integral_value(ROUND_CEILING)) + 1
    for n in range(1, min(limit, MAX_FLEET) + 1):
        qpd = (hosted.fixed_total + n * hosted.machine_monthly) / per_qpd
        if qpd <= n * per_machine:
            return _found(api, hosted, profile, qpd, n, f"{n} machine(s) sized for the peak")
    return _never(api, hosted, f"more than {MAX_FLEET} machines would be needed")


def _fixed_fleet(
    api: ApiOption, hosted: SelfHostedOption, profile: TrafficProfile, per_qpd: Decimal, per_machine: Decimal | None
) -> BreakEven:
    n = hosted.instances or 0
    qpd = (hosted.fixed_total + n * hosted.machine_monthly) / per_qpd
    if per_machine is not None and qpd > n * per_machine:
        why = f"its {n} machine(s) carry at most {n * per_machine:,.0f} queries/day, less than the {qpd:,.0f} needed"
        return BreakEven(api.name, hosted.name, None, None, None, why, "beyond_capacity")
    unchecked = ", capacity not checked" if per_machine is None else ""
    return _found(api, hosted, profile, qpd, n, f"fixed fleet of {n}{unchecked}")


def _queries_per_machine(hosted: SelfHostedOption, profile: TrafficProfile) -> Decimal | None:
    """Queries/day one machine carries with the profile's peak at the target utilization."""
    if hosted.capacity is None:
        return None
    return hosted.capacity * SECONDS_PER_DAY / (profile.tokens_per_query * profile.peak_to_average)


def _found(api: ApiOption, hosted: SelfHostedOption, p: TrafficProfile, qpd: Decimal, n: int, why: str) -> BreakEven:
    tokens = qpd * p.days_per_month * p.tokens_per_query
    return BreakEven(api.name, hosted.name, qpd, tokens, n, why)


def _never(api: ApiOption, hosted: SelfHostedOption, why: str) -> BreakEven:
    return BreakEven(api.name, hosted.name, None, None, None, why, "never")


@dataclass(frozen=True)
class HybridPoint:
    share: Decimal  # of requests kept on the self-hosted option
    api_cost: Decimal
    self_hosted_cost: Decimal
    instances: int

    @property
    def total(self) -> Decimal:
        return self.api_cost + self.self_hosted_cost


def hybrid_curve(
    api: ApiOption, hosted: SelfHostedOption, profile: TrafficProfile, steps: int = 20
) -> list[HybridPoint]:
    """Monthly cost with a share of requests kept local, from 0 to 1 (plus the profile's private share)."""
    shares = {Decimal(i) / steps for i in range(steps + 1)}
    if profile.private_share is not None:
        shares.add(profile.private_share)
    return [hybrid_point(api, hosted, profile, share) for share in sorted(shares)]


def hybrid_point(api: ApiOption, hosted: SelfHostedOption, profile: TrafficProfile, share: Decimal) -> HybridPoint:
    api_cost = api.monthly_cost(profile) * (1 - share)
    if share == 0:
        return HybridPoint(share, api_cost, Decimal(0), 0)
    local = profile.scaled(traffic=share)
    return HybridPoint(share, api_cost, hosted.monthly_cost(local), hosted.fleet(local))


def traffic_curve(
    api: list[ApiOption], hosted: list[SelfHostedOption], profile: TrafficProfile, top: Decimal, points: int = 40
) -> list[dict[str, Decimal]]:
    """Monthly cost of every option at traffic levels from 0 to ``top`` queries/day."""
    rows: list[dict[str, Decimal]] = []
    for i in range(points + 1):
        at = dataclasses.replace(profile, queries_per_day=top * i / points)
        row = {"queries_per_day": at.queries_per_day}
        row.update({o.name: o.monthly_cost(at) for o in api})
        row.update({o.name: o.monthly_cost(at) for o in hosted})
        rows.append(row)
    return rows
