"""The cost model on hand-checked numbers, starting with the figures the issue must reproduce."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossroads.catalog import load_catalog, load_gpu_catalog
from crossroads.lab.tco.analysis import analyze
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.options import ApiOption, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile, peak_from_hourly

D = Decimal


@pytest.fixture(scope="module")
def issue_profile() -> TrafficProfile:
    return TrafficProfile(queries_per_day=D(10_000), prompt_tokens=D(1_500), completion_tokens=D(500))


def test_issue_figures(issue_profile: TrafficProfile) -> None:
    gpus = load_gpu_catalog()
    api = ApiOption(load_catalog().require("gpt-3.5-turbo-0613"))
    p4d = SelfHostedOption("p4d", gpus.require("p4d.24xlarge").hourly, instances=2)
    p4de = SelfHostedOption("p4de", gpus.require("p4de.24xlarge").hourly, instances=2)
    # 10,000 x 30 x (1,500 x 1.50 + 500 x 2.00) / 1M = 300,000 x 0.00325
    assert api.monthly_cost(issue_profile) == D("975")
    assert p4d.monthly_cost(issue_profile) == D("47844.20")  # 2 x 32.77 x 730
    assert p4de.monthly_cost(issue_profile) == D("59816.20")  # 2 x 40.97 x 730
    # 10,000 x 2,000 tokens / 86,400 s = 231.48 tokens/s
    assert issue_profile.average_tokens_per_second.quantize(D("0.01")) == D("231.48")
    analysis = analyze(issue_profile, [api], [p4d, p4de])
    assert analysis.cheapest.name == api.name
    assert analysis.option("p4d").per_million_tokens == D("47844.20") / 600  # 600M tokens a month
    assert "averages 231 tokens/s" in analysis.findings[0]


def test_average_use_is_pointed_out(issue_profile: TrafficProfile) -> None:
    hosted = SelfHostedOption("p4d", D("32.77"), instances=2, throughput=D(2_500))
    assert hosted.average_utilization(issue_profile) == issue_profile.average_tokens_per_second / 5_000
    text = " ".join(analyze(issue_profile, [], [hosted]).findings)
    assert "4.6% busy" in text and "even one machine alone would be only 9.3% busy" in text


def test_cached_and_batch_shares() -> None:
    price = load_catalog().require("gpt-4o")  # 2.50 in, 1.25 cached, 10.00 out, batch -50%
    profile = TrafficProfile(D(1_000), D(2_000), D(500), cached_share=D("0.5"), days_per_month=D(30))
    # per query: 1,000 x 2.50 + 1,000 x 1.25 + 500 x 10.00 = 8,750 per 1M = 0.00875
    assert ApiOption(price).cost_per_query(profile) == D("0.00875")
    # a quarter through the Batch API at half price: 0.00875 x (0.75 + 0.25 x 0.5)
    assert ApiOption(price, batch_share=D("0.25")).cost_per_query(profile) == D("0.00765625")
    assert ApiOption(price).monthly_cost(profile) == D("262.5")  # 30,000 queries


def test_replicas_for_the_peak() -> None:
    profile = TrafficProfile(D(10_000), D(1_500), D(500), peak_to_average=D(3))
    hosted = SelfHostedOption("box", D(1), throughput=D(100), target_utilization=D("0.7"))
    # peak 231.48 x 3 = 694.4 tokens/s over 70 usable tokens/s per machine = 9.92 -> 10 machines
    assert hosted.replicas_needed(profile) == 10
    assert hosted.monthly_cost(profile) == D(7_300)  # 10 x $1 x 730 h
    fixed = SelfHostedOption("box", D(1), instances=4, throughput=D(100), fixed_monthly={"ops": D(500)})
    assert fixed.monthly_cost(profile) == D(3_420)  # 4 x 730 + 500
    assert "needs 10 machines" in " ".join(analyze(profile, [], [fixed]).findings)


def test_growth_projection() -> None:
    profile = TrafficProfile(D(1_000), D(1_000), D(0), monthly_growth=D("0.10"))
    api = ApiOption(load_catalog(overrides={"m": {"input": "1", "output": "1"}}).require("m"))
    (cost,) = analyze(profile, [api], [], horizon_months=3).options
    assert cost.projection == [D(30), D(33), D("36.3")]  # $30 a month growing 10% a month


def test_peak_from_hourly_profile() -> None:
    assert peak_from_hourly([D(1)] * 23 + [D(25)]) == D("12.5")  # 25 x 24 / 48
    with pytest.raises(TcoError, match="24 values"):
        peak_from_hourly([D(1)] * 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"queries_per_day": D(-1)}, "cannot be negative"),
        ({"peak_to_average": D("0.5")}, "at least 1"),
        ({"cached_share": D(2)}, r"\[0, 1\]"),
        ({"prompt_tokens": D(0), "completion_tokens": D(0)}, "needs prompt or completion tokens"),
    ],
)
def test_inconsistent_profiles_are_refused(kwargs: dict[str, Decimal], message: str) -> None:
    base = {"queries_per_day": D(1), "prompt_tokens": D(1), "completion_tokens": D(1)}
    with pytest.raises(TcoError, match=message):
        TrafficProfile(**(base | kwargs))


def test_options_need_enough_to_be_sized() -> None:
    with pytest.raises(TcoError, match="instances or a throughput"):
        SelfHostedOption("box", D(1))
    with pytest.raises(TcoError, match="nothing to compare"):
        analyze(TrafficProfile(D(1), D(1), D(1)), [], [])
