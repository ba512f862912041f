"""From the ``crossroads tco`` options to an analysis: profile, options, assumptions stamped."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from crossroads.catalog import load_catalog, load_gpu_catalog
from crossroads.lab.tco.analysis import TcoAnalysis, analyze
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.fmt import num
from crossroads.lab.tco.inputs import HostedDefaults, api_options, gpu_option
from crossroads.lab.tco.options import EFFORT
from crossroads.lab.tco.profile import TrafficProfile, peak_from_hourly
from crossroads.lab.tco.ranges import parse_ranges

FIXED = {"ops_monthly": EFFORT, "storage_monthly": "storage", "egress_monthly": "egress"}


def build_analysis(opts: dict[str, Any]) -> TcoAnalysis:
    catalog = load_catalog(extra_files=tuple(opts.get("price_files") or ()))
    gpus = load_gpu_catalog()
    profile = traffic_profile(opts)
    api = api_options(list(opts.get("api_models") or ()), catalog, opts.get("batch_share") or Decimal(0))
    defaults = HostedDefaults(
        throughput=opts.get("throughput"),
        bench=opts.get("bench"),
        target_utilization=opts.get("target_utilization") or Decimal("0.7"),
        fixed_monthly={label: opts[key] for key, label in FIXED.items() if opts.get(key) is not None},
        min_goodput=Decimal("0.95") if opts.get("min_goodput") is None else opts["min_goodput"],  # 0 is a choice
    )
    hosted = [gpu_option(spec, gpus, defaults) for spec in opts.get("gpus") or ()]
    assumptions = {
        "token prices": f"catalog as of {catalog.as_of} ({', '.join(f'{k} {v}' for k, v in catalog.versions.items())})",
        "GPU prices": f"catalog as of {gpus.as_of}; {gpus.notes}".strip(),
        "traffic": profile.source,
        "month": f"{profile.days_per_month} traffic days; GPUs billed {hosted[0].hours_per_month if hosted else 730} h",
    }
    for h in hosted:
        if h.throughput is not None:
            assumptions[f"throughput {h.name}"] = f"{num(h.throughput)} tokens/s ({h.throughput_source or 'given'})"
    ranges = parse_ranges(opts.get("ranges") or ())
    assumptions["input ranges"] = "; ".join(r.describe() for r in ranges)
    return analyze(profile, api, hosted, opts.get("months") or 12, assumptions, ranges)


def traffic_profile(opts: dict[str, Any]) -> TrafficProfile:
    peak = opts.get("peak_to_average")
    if opts.get("hourly_profile"):
        if peak is not None:
            raise TcoError("give --peak-to-average or --hourly-profile, not both")
        peak = peak_from_hourly(_numbers(opts["hourly_profile"]))
    if opts.get("ledger_url"):
        return _ledger_profile(opts, peak)
    missing = [
        f"--{k.replace('_', '-')}"
        for k in ("queries_per_day", "prompt_tokens", "completion_tokens")
        if opts.get(k) is None
    ]
    if missing:
        raise TcoError(
            f"missing {', '.join(missing)} — describe the traffic, or take it from the gateway with --from-ledger URL"
        )
    return TrafficProfile(
        queries_per_day=opts["queries_per_day"],
        prompt_tokens=opts["prompt_tokens"],
        completion_tokens=opts["completion_tokens"],
        cached_share=opts.get("cached_share") or Decimal(0),
        peak_to_average=peak or Decimal(1),
        monthly_growth=opts.get("growth") or Decimal(0),
        days_per_month=opts.get("days_per_month") or Decimal(30),
        private_share=opts.get("private_share"),
        source="given on the command line",
    )


def _ledger_profile(opts: dict[str, Any], peak: Decimal | None) -> TrafficProfile:
    from crossroads.lab.tco.ledger import read_ledger
    from crossroads.lab.tco.traffic import profile_from_rows

    given = [k for k in ("queries_per_day", "prompt_tokens", "completion_tokens") if opts.get(k) is not None]
    if given:
        raise TcoError(f"--from-ledger takes the traffic from the ledger; drop --{given[0].replace('_', '-')}")
    rows = read_ledger(opts["ledger_url"])
    profile = profile_from_rows(
        rows,
        opts.get("ledger_days"),
        opts.get("days_per_month") or Decimal(30),
        opts.get("growth") or Decimal(0),
        "ledger",
    )
    if peak is not None:
        profile = dataclasses.replace(profile, peak_to_average=peak)
    if opts.get("private_share") is not None:
        profile = dataclasses.replace(profile, private_share=opts["private_share"], private_requests=None)
    return profile


def _numbers(text: str) -> list[Decimal]:
    try:
        return [Decimal(part.strip()) for part in text.split(",")]
    except InvalidOperation:
        raise TcoError(f"--hourly-profile: '{text}' is not 24 comma-separated numbers") from None
