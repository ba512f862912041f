"""The cost model's conclusions in plain sentences (rounded for reading; the numbers stay exact)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from crossroads.lab.tco.fmt import num, pct, times, usd
from crossroads.lab.tco.options import OptionCost
from crossroads.lab.tco.profile import TrafficProfile

if TYPE_CHECKING:
    from crossroads.lab.tco.breakeven import BreakEven


def findings(profile: TrafficProfile, costs: list[OptionCost], evens: list[BreakEven]) -> list[str]:
    lines = [_workload(profile)]
    lines += [_capacity(c, profile) for c in costs if c.kind == "self-hosted"]
    lines += _ranking(costs)
    lines += [_break_even(b, profile) for b in evens]
    if profile.monthly_growth and costs:
        lines.append(_growth(profile, costs))
    return lines


def _workload(p: TrafficProfile) -> str:
    text = (
        f"This workload averages {num(p.average_tokens_per_second)} tokens/s "
        f"({num(p.queries_per_day)} queries/day × {num(p.tokens_per_query)} tokens, "
        f"{num(p.tokens_per_month / 1_000_000, 1)}M tokens a month)"
    )
    if p.peak_to_average > 1:
        text += f"; its peak is {num(p.peak_tokens_per_second)} tokens/s ({num(p.peak_to_average, 2)}× the mean)"
    return text + "."


def _capacity(c: OptionCost, p: TrafficProfile) -> str:
    if c.throughput is None:
        return f"{c.name}: no throughput given, so its capacity is not checked — pass --throughput or --bench."
    delivered = c.throughput * (c.instances or 0)
    text = (
        f"{c.name}: {c.instances} machine(s) deliver about {num(delivered)} tokens/s; "
        f"the average traffic would keep them {pct(c.average_utilization)} busy"
    )
    one = p.average_tokens_per_second / c.throughput
    if (c.instances or 0) > 1 and one < 1:
        text += f"; even one machine alone would be only {pct(one)} busy"
    if c.replicas_needed is not None and c.instances is not None and c.replicas_needed > c.instances:
        text += f". Too small for the peak: it needs {c.replicas_needed} machines at the target utilization"
    return text + "."


def _ranking(costs: list[OptionCost]) -> list[str]:
    ranked = sorted(costs, key=lambda c: c.monthly)
    best = ranked[0]
    lines = [f"Cheapest at today's traffic: {best.name} at {usd(best.monthly)}/month."]
    for other in ranked[1:]:
        ratio = f" ({times(other.monthly / best.monthly)} as much)" if best.monthly else ""
        lines.append(f"{other.name} costs {usd(other.monthly)}/month{ratio}.")
    return lines


def _break_even(b: BreakEven, p: TrafficProfile) -> str:
    if b.status == "beyond_capacity":
        return f"{b.self_hosted} cannot break even with {b.api} within its fleet: {b.reason}."
    if b.queries_per_day is None:
        return f"{b.self_hosted} never breaks even with {b.api}: {b.reason}."
    ratio = f", {times(b.queries_per_day / p.queries_per_day)} today's traffic" if p.queries_per_day else ""
    return (
        f"{b.self_hosted} breaks even with {b.api} at {num(b.queries_per_day)} queries/day{ratio} "
        f"({num((b.tokens_per_month or Decimal(0)) / 1_000_000)}M tokens a month; {b.reason})."
    )


def _growth(p: TrafficProfile, costs: list[OptionCost]) -> str:
    months = len(costs[0].projection)
    last = sorted(costs, key=lambda c: c.projection[-1])
    return (
        f"At {pct(p.monthly_growth)} monthly growth, month {months} costs "
        + ", ".join(f"{c.name} {usd(c.projection[-1])}" for c in last)
        + "."
    )
