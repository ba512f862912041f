"""``TcoRequest``: what ``crossroads tco`` is asked (typed); ``build_analysis`` turns it into an analysis — the
traffic profile (given or read from the ledger), the options priced from the catalogs, the assumptions stamped."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from crossroads.catalog import load_catalog, load_gpu_catalog
from crossroads.lab.tco.analysis import TcoAnalysis, analyze
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.fmt import num
from crossroads.lab.tco.inputs import HostedDefaults, api_options, gpu_option
from crossroads.lab.tco.options import EFFORT
from crossroads.lab.tco.profile import TrafficProfile, peak_from_hourly
from crossroads.lab.tco.ranges import parse_ranges

FIXED = {"ops_monthly": EFFORT, "storage_monthly": "storage", "egress_monthly": "egress"}


@dataclass(frozen=True)
class TcoRequest:
    """The traffic (given, or ``ledger_url``), the API models and GPU fleets to price, and how far inputs may be
    off (``ranges``: NAME=LOW,HIGH). GPU specs read NAME[,count=N][,hourly=USD][,tps=N][,bench=FILE]."""

    queries_per_day: Decimal | None = None
    prompt_tokens: Decimal | None = None
    completion_tokens: Decimal | None = None
    cached_share: Decimal = Decimal(0)
    peak_to_average: Decimal | None = None
    hourly_profile: str | None = None  # 24 comma-separated relative volumes (sets the peak)
    growth: Decimal = Decimal(0)  # monthly
    months: int = 12
    days_per_month: Decimal = Decimal(30)
    private_share: Decimal | None = None
    api_models: tuple[str, ...] = ()
    batch_share: Decimal = Decimal(0)
    gpus: tuple[str, ...] = ()
    throughput: Decimal | None = None
    bench: str | None = None
    min_goodput: Decimal = Decimal("0.95")
    target_utilization: Decimal = Decimal("0.7")
    ops_monthly: Decimal | None = None
    storage_monthly: Decimal | None = None
    egress_monthly: Decimal | None = None
    ledger_url: str | None = None
    ledger_days: Decimal | None = None
    price_files: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()


def build_analysis(request: TcoRequest) -> TcoAnalysis:
    catalog = load_catalog(extra_files=request.price_files)
    gpus = load_gpu_catalog()
    profile = traffic_profile(request)
    api = api_options(list(request.api_models), catalog, request.batch_share or Decimal(0))
    defaults = HostedDefaults(
        throughput=request.throughput,
        bench=request.bench,
        target_utilization=request.target_utilization or Decimal("0.7"),
        fixed_monthly={label: v for key, label in FIXED.items() if (v := getattr(request, key)) is not None},
        min_goodput=request.min_goodput,  # 0 is a choice
    )
    hosted = [gpu_option(spec, gpus, defaults) for spec in request.gpus]
    assumptions = {
        "token prices": f"catalog as of {catalog.as_of} ({', '.join(f'{k} {v}' for k, v in catalog.versions.items())})",
        "GPU prices": f"catalog as of {gpus.as_of}; {gpus.notes}".strip(),
        "traffic": profile.source,
        "month": f"{profile.days_per_month} traffic days; GPUs billed {hosted[0].hours_per_month if hosted else 730} h",
    }
    for h in hosted:
        if h.throughput is not None:
            assumptions[f"throughput {h.name}"] = f"{num(h.throughput)} tokens/s ({h.throughput_source or 'given'})"
    ranges = parse_ranges(request.ranges)
    assumptions["input ranges"] = "; ".join(r.describe() for r in ranges)
    return analyze(profile, api, hosted, request.months or 12, assumptions, ranges)


def traffic_profile(request: TcoRequest) -> TrafficProfile:
    peak = request.peak_to_average
    if request.hourly_profile:
        if peak is not None:
            raise TcoError("give --peak-to-average or --hourly-profile, not both")
        peak = peak_from_hourly(_numbers(request.hourly_profile))
    if request.ledger_url:
        return _ledger_profile(request, request.ledger_url, peak)
    queries, prompt, completion = request.queries_per_day, request.prompt_tokens, request.completion_tokens
    if queries is None or prompt is None or completion is None:
        names = ("queries_per_day", "prompt_tokens", "completion_tokens")
        missing = [f"--{k.replace('_', '-')}" for k in names if getattr(request, k) is None]
        raise TcoError(
            f"missing {', '.join(missing)} — describe the traffic, or take it from the gateway with --from-ledger URL"
        )
    return TrafficProfile(
        queries_per_day=queries,
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_share=request.cached_share or Decimal(0),
        peak_to_average=peak or Decimal(1),
        monthly_growth=request.growth or Decimal(0),
        days_per_month=request.days_per_month or Decimal(30),
        private_share=request.private_share,
        source="given on the command line",
    )


def _ledger_profile(request: TcoRequest, url: str, peak: Decimal | None) -> TrafficProfile:
    from crossroads.lab.tco.ledger import read_ledger
    from crossroads.lab.tco.traffic import profile_from_rows

    given = [k for k in ("queries_per_day", "prompt_tokens", "completion_tokens") if getattr(request, k) is not None]
    if given:
        raise TcoError(f"--from-ledger takes the traffic from the ledger; drop --{given[0].replace('_', '-')}")
    rows = read_ledger(url)
    profile = profile_from_rows(
        rows,
        request.ledger_days,
        request.days_per_month or Decimal(30),
        request.growth or Decimal(0),
        "ledger",
    )
    if peak is not None:
        profile = dataclasses.replace(profile, peak_to_average=peak)
    if request.private_share is not None:
        profile = dataclasses.replace(profile, private_share=request.private_share, private_requests=None)
    return profile


def _numbers(text: str) -> list[Decimal]:
    try:
        return [Decimal(part.strip()) for part in text.split(",")]
    except InvalidOperation:
        raise TcoError(f"--hourly-profile: '{text}' is not 24 comma-separated numbers") from None
