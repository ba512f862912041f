"""Monte Carlo cost ranges and break-even bands, on cases whose percentiles follow from the draw by hand."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from click.testing import CliRunner

from crossroads.catalog import load_catalog
from crossroads.cli import main
from crossroads.lab.tco.options import ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile
from crossroads.lab.tco.ranges import parse_ranges
from crossroads.lab.tco.uncertainty import simulate

D = Decimal
POINT = ["gpu_price=1,1", "throughput=1,1", "utilization=1,1", "traffic=1,1", "tokens=1,1", "api_price=1,1"]


@pytest.fixture(scope="module")
def api() -> ApiOption:
    """$1 per 1M tokens: 10,000 queries/day of 1,000 tokens cost $300 a month."""
    return ApiOption(load_catalog(overrides={"flat": {"input": "1", "output": "1"}}).require("flat"))


PROFILE = TrafficProfile(D(10_000), D(500), D(500))
BOX = SelfHostedOption("box", D("0.1"), instances=1, fixed_monthly={"ops": D(100)})  # $173 a month, no capacity


def log_uniform_quantile(low: float, high: float, q: float) -> float:
    return low * (high / low) ** q


def test_point_ranges_give_the_exact_cost(api: ApiOption) -> None:
    u = simulate(PROFILE, [api], [BOX], parse_ranges(POINT))
    assert (u.ranges[api.name].low, u.ranges[api.name].high) == (D("300.00"), D("300.00"))
    assert (u.ranges["box"].low, u.ranges["box"].high) == (D("173.00"), D("173.00"))
    assert u.ranges["box"].p_cheapest == 1.0 and u.ranges[api.name].p_cheapest == 0.0


def test_traffic_range_percentiles(api: ApiOption) -> None:
    u = simulate(PROFILE, [api], [BOX], parse_ranges([*POINT[:3], "traffic=0.5,2", *POINT[4:]]))
    low, high = float(u.ranges[api.name].low), float(u.ranges[api.name].high)
    # traffic drawn log-uniformly in [0.5, 2]: its 5th and 95th percentiles are 0.5 x 4^0.05 and 0.5 x 4^0.95
    assert low == pytest.approx(300 * log_uniform_quantile(0.5, 2, 0.05), rel=0.02)  # $160.8
    assert high == pytest.approx(300 * log_uniform_quantile(0.5, 2, 0.95), rel=0.02)  # $559.8
    assert float(u.ranges[api.name].median) == pytest.approx(300, rel=0.03)
    assert u.ranges["box"].low == u.ranges["box"].high == D("173.00")  # a fixed fleet does not move with traffic
    # the API is cheaper when traffic is below 173/300 = 0.577x: P = ln(0.577/0.5) / ln 4
    expected = math.log((173 / 300) / 0.5) / math.log(4)
    assert u.ranges[api.name].p_cheapest == pytest.approx(expected, abs=0.03)


def test_break_even_band(api: ApiOption) -> None:
    u = simulate(PROFILE, [api], [BOX], parse_ranges([*POINT[:5], "api_price=0.5,2"]))
    (band,) = u.break_evens
    # break-even = $173 / ($0.03 x price factor) = 5,766.7 / factor; its 5th percentile comes from the
    # factor's 95th and the other way round
    assert float(band.low) == pytest.approx(5766.67 / log_uniform_quantile(0.5, 2, 0.95), rel=0.02)  # 3,090
    assert float(band.high) == pytest.approx(5766.67 / log_uniform_quantile(0.5, 2, 0.05), rel=0.02)  # 10,761
    assert band.found == 1.0


def test_the_same_ranges_on_a_rerun(api: ApiOption) -> None:
    assert simulate(PROFILE, [api], [BOX], parse_ranges([])) == simulate(PROFILE, [api], [BOX], parse_ranges([]))


def test_cli_ranges_in_json_and_tables() -> None:
    args = ["tco", "--queries-per-day", "10000", "--prompt-tokens", "1500", "--completion-tokens", "500"]
    args += ["--api", "gpt-3.5-turbo-0613", "--gpu", "g6.xlarge", "--throughput", "2500", "--range", "gpu_price=0.5,1"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    g6 = data["uncertainty"]["ranges"]["g6.xlarge"]
    assert D(g6["high"]) <= D("587.51") and D(g6["low"]) >= D("293.75")  # 1 machine at $0.8048/h x 730 x [0.5, 1]
    assert "GPU hourly price ×0.5–×1 (stated)" in data["uncertainty"]["inputs"]
    assert "warning: self-hosting effort counts as $0" in result.stderr
    table = CliRunner().invoke(main, args).output
    assert "90% range" in table and "90% band" in table
    bad = CliRunner().invoke(main, [*args, "--range", "gpu=1"])
    assert bad.exit_code == 2 and "NAME is one of gpu_price" in bad.output and "Traceback" not in bad.output
