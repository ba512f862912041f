"""How the comparison moves when one input goes to an end of its stated range (``ranges``), the others
as given: the rows of the sensitivity table and the bars of the tornado chart. A row that changes no
option's cost is left out (a fixed fleet costs the same whatever its utilization)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from crossroads.lab.tco.options import EFFORT, ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile
from crossroads.lab.tco.ranges import DEFAULT_RANGES, InputRange


@dataclass(frozen=True)
class SensitivityRow:
    parameter: str
    value: str
    costs: dict[str, Decimal]  # option name -> monthly cost
    name: str = ""  # the range's name, e.g. "gpu_price"
    end: str = ""  # "low" | "high"

    @property
    def cheapest(self) -> str:
        return min(self.costs, key=lambda name: self.costs[name])


@dataclass(frozen=True)
class Case:
    profile: TrafficProfile
    hosted: list[SelfHostedOption]
    api_factor: Decimal = Decimal(1)


Move = Callable[[Case, Decimal], Case]


def _hosted(case: Case, change: Callable[[SelfHostedOption], SelfHostedOption]) -> Case:
    return dataclasses.replace(case, hosted=[change(h) for h in case.hosted])


def _effort(h: SelfHostedOption, f: Decimal) -> SelfHostedOption:
    if EFFORT not in h.fixed_monthly:
        return h
    return dataclasses.replace(h, fixed_monthly={**h.fixed_monthly, EFFORT: h.fixed_monthly[EFFORT] * f})


MOVES: dict[str, Move] = {
    "gpu_price": lambda c, f: _hosted(c, lambda h: dataclasses.replace(h, hourly=h.hourly * f)),
    "throughput": lambda c, f: _hosted(
        c, lambda h: h if h.throughput is None else dataclasses.replace(h, throughput=h.throughput * f)
    ),
    "utilization": lambda c, u: _hosted(c, lambda h: dataclasses.replace(h, target_utilization=min(u, Decimal(1)))),
    "traffic": lambda c, f: dataclasses.replace(c, profile=c.profile.scaled(traffic=f)),
    "tokens": lambda c, f: dataclasses.replace(c, profile=c.profile.scaled(tokens=f)),
    "api_price": lambda c, f: dataclasses.replace(c, api_factor=f),
    "effort": lambda c, f: _hosted(c, lambda h: _effort(h, f)),
}


def sensitivity(
    profile: TrafficProfile,
    api: list[ApiOption],
    hosted: list[SelfHostedOption],
    ranges: tuple[InputRange, ...] = DEFAULT_RANGES,
) -> list[SensitivityRow]:
    """Two rows per input (its low and high end), without those that change nothing."""
    base = _costs(Case(profile, hosted), api)
    rows = []
    for r in ranges:
        for end, value in (("low", r.low), ("high", r.high)):
            costs = _costs(MOVES[r.name](Case(profile, hosted), value), api)
            if costs != base:
                shown = f"×{value}" if r.factor else f"{value * 100:.0f}%"
                rows.append(SensitivityRow(r.label, shown, costs, r.name, end))
    return rows


def _costs(case: Case, api: list[ApiOption]) -> dict[str, Decimal]:
    costs = {o.name: o.monthly_cost(case.profile) * case.api_factor for o in api}
    costs.update({h.name: h.monthly_cost(case.profile) for h in case.hosted})
    return costs
