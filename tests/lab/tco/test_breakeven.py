"""Break-even, hybrid split and sensitivity on cases small enough to check by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossroads.catalog import load_catalog
from crossroads.lab.tco.breakeven import break_even, hybrid_curve, hybrid_point
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.options import EFFORT, ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile
from crossroads.lab.tco.ranges import parse_ranges
from crossroads.lab.tco.sensitivity import sensitivity

D = Decimal


@pytest.fixture(scope="module")
def api() -> ApiOption:
    """$1 per 1M tokens in and out: a 1,000-token query costs $0.001, $0.03 a month per query/day."""
    return ApiOption(load_catalog(overrides={"flat": {"input": "1", "output": "1"}}).require("flat"))


@pytest.fixture(scope="module")
def profile() -> TrafficProfile:
    return TrafficProfile(D(10_000), D(500), D(500))


def box(fixed: str = "100", **kwargs: object) -> SelfHostedOption:
    """$0.10/h -> $73 a month; 100 tokens/s at 100% -> 8,640 queries/day of 1,000 tokens per machine."""
    defaults: dict[str, object] = {"hourly": D("0.1"), "throughput": D(100), "target_utilization": D(1)}
    return SelfHostedOption("box", fixed_monthly={"ops": D(fixed)}, **(defaults | kwargs))  # type: ignore[arg-type]


def test_break_even_one_machine(api: ApiOption, profile: TrafficProfile) -> None:
    result = break_even(api, box(), profile)
    assert result.queries_per_day == D(173) / D("0.03")  # (100 fixed + 73) / 0.03 = 5,766.67 <= 8,640
    assert result.instances == 1
    assert result.tokens_per_month == result.queries_per_day * 30 * 1_000


def test_break_even_needs_six_machines(api: ApiOption, profile: TrafficProfile) -> None:
    # (1000 + 73 n) / 0.03 <= 8,640 n  <=>  n >= 1000 / 186.2 = 5.37 -> 6 machines
    result = break_even(api, box("1000"), profile)
    assert result.instances == 6
    assert result.queries_per_day == D(1_438) / D("0.03")


def test_never_when_a_machine_costs_more_than_its_traffic(api: ApiOption, profile: TrafficProfile) -> None:
    result = break_even(api, box(hourly=D(1)), profile)  # $730 a month vs $259.20 of API traffic it can carry
    assert (result.status, result.queries_per_day) == ("never", None)


def test_fixed_fleet(api: ApiOption, profile: TrafficProfile) -> None:
    unchecked = SelfHostedOption("fleet", D("0.1"), instances=2)
    result = break_even(api, unchecked, profile)
    assert result.queries_per_day == D(146) / D("0.03")  # 2 x 73 / 0.03
    assert "capacity not checked" in result.reason
    small = box("1000", instances=1)
    assert break_even(api, small, profile).status == "beyond_capacity"  # 35,767 needed, 8,640 possible


def test_hybrid_split(api: ApiOption, profile: TrafficProfile) -> None:
    # all on the API: 10,000 x 30 x 0.001 = $300
    point = hybrid_point(api, box(), profile, D("0.5"))
    assert point.api_cost == D(150)
    assert point.instances == 1  # 5,000 queries/day fit one machine (8,640)
    assert point.total == D(150) + D(73) + D(100)
    curve = hybrid_curve(api, box(), TrafficProfile(D(10_000), D(500), D(500), private_share=D("0.123")))
    assert [pt.share for pt in curve][:2] == [D(0), D("0.05")] and D("0.123") in [pt.share for pt in curve]
    assert curve[0].total == D(300) and curve[-1].api_cost == 0


def test_sensitivity_rows(api: ApiOption, profile: TrafficProfile) -> None:
    rows = {(r.parameter, r.value): r for r in sensitivity(profile, [api], [box()])}
    assert rows[("API price", "×0.7")].costs[api.name] == D(210)  # $300 all on the API
    assert rows[("tokens per query", "×1.5")].costs[api.name] == D(450)
    # 10,000 queries/day of 1,000 tokens = 115.7 tokens/s: 2 machines at 100% use, 3 at 50%
    assert rows[("target utilization", "50%")].costs["box"] == 3 * D(73) + 100
    assert rows[("GPU hourly price", "×0.6")].costs["box"] == 2 * D(73) * D("0.6") + 100
    assert rows[("throughput per machine", "×1.4")].costs["box"] == D(73) + 100  # 140 tokens/s: one machine
    assert rows[("traffic", "×0.5")].cheapest == api.name
    # rows that change no cost are left out: 60 tokens/s a machine still needs 2; 90% use still 2 machines
    assert ("throughput per machine", "×0.6") not in rows and ("target utilization", "90%") not in rows
    assert not any(r.name == "effort" for r in rows.values())  # no effort given: nothing to move


def test_stated_ranges(api: ApiOption, profile: TrafficProfile) -> None:
    ranges = parse_ranges(["api_price=0.5,2", "effort=1,3"])
    rows = {(r.parameter, r.value): r for r in sensitivity(profile, [api], [box()], ranges)}
    assert rows[("API price", "×2")].costs[api.name] == D(600)
    effort = SelfHostedOption("e", D("0.1"), instances=1, fixed_monthly={EFFORT: D(1000)})
    moved = {(r.name, r.end): r.costs["e"] for r in sensitivity(profile, [api], [effort], ranges)}
    assert moved[("effort", "high")] == D(73) + D(3000) and ("effort", "low") not in moved  # x1 changes nothing
    with pytest.raises(TcoError, match="NAME is one of"):
        parse_ranges(["gpu=1,2"])
    with pytest.raises(TcoError, match="0 < LOW <= HIGH"):
        parse_ranges(["traffic=2,1"])
