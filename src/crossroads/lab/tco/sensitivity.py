"""How the comparison moves when one assumption changes: API price, utilization, tokens, traffic."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from crossroads.lab.tco.options import ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile

FACTORS = (Decimal("0.5"), Decimal(1), Decimal(2))
UTILIZATIONS = (Decimal("0.3"), Decimal("0.5"), Decimal("0.7"), Decimal("0.9"))
TRAFFIC = (Decimal("0.1"), Decimal(1), Decimal(10))


@dataclass(frozen=True)
class SensitivityRow:
    parameter: str
    value: str
    costs: dict[str, Decimal]  # option name -> monthly cost

    @property
    def cheapest(self) -> str:
        return min(self.costs, key=lambda name: self.costs[name])


def sensitivity(profile: TrafficProfile, api: list[ApiOption], hosted: list[SelfHostedOption]) -> list[SensitivityRow]:
    """One row per changed assumption, the others as given. Utilization only moves fleets sized from the
    peak (a fixed number of instances costs the same however busy it is)."""
    rows = [_row("API price", f"×{f}", _costs(profile, api, hosted, api_factor=f)) for f in FACTORS]
    for u in UTILIZATIONS:
        tuned = [dataclasses.replace(h, target_utilization=u) for h in hosted]
        rows.append(_row("target utilization", f"{u * 100:.0f}%", _costs(profile, api, tuned)))
    for f in FACTORS:
        rows.append(_row("tokens per query", f"×{f}", _costs(profile.scaled(tokens=f), api, hosted)))
    for f in TRAFFIC:
        rows.append(_row("traffic", f"×{f}", _costs(profile.scaled(traffic=f), api, hosted)))
    return rows


def _costs(
    profile: TrafficProfile, api: list[ApiOption], hosted: list[SelfHostedOption], api_factor: Decimal = Decimal(1)
) -> dict[str, Decimal]:
    costs = {o.name: o.monthly_cost(profile) * api_factor for o in api}
    costs.update({h.name: h.monthly_cost(profile) for h in hosted})
    return costs


def _row(parameter: str, value: str, costs: dict[str, Decimal]) -> SensitivityRow:
    return SensitivityRow(parameter, value, costs)
