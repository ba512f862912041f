"""The table at the top: each option (hosted API, self-hosted fleet, hybrid) on the five axes — monthly
cost with its range, quality with its interval, latency at the workload's load, development and
operations effort, privacy — so the verdict under it can be checked against all of them at once."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.choice import Choice, find
from crossroads.lab.report.consistency import same_model
from crossroads.lab.report.model import Table
from crossroads.lab.tco.fmt import pct, usd

if TYPE_CHECKING:
    from crossroads.lab.bench.result import BenchResult, LevelResult
    from crossroads.lab.eval.result import Estimate
    from crossroads.lab.report.inputs import ReportInputs

HEADERS = ["option", "monthly cost (90% range)", "quality (95% CI, cases)", "latency at your load", "effort", "privacy"]


def summary_table(inputs: ReportInputs, choice: Choice | None) -> Table | None:
    tco = inputs.tco
    if tco is None:
        return None
    apis = sorted((o for o in tco["options"] if o["kind"] == "api"), key=lambda o: Decimal(o["monthly"]))
    fleets = sorted((o for o in tco["options"] if o["kind"] == "self-hosted"), key=lambda o: Decimal(o["monthly"]))
    share = private_estimate(inputs)
    rows = [_api_row(inputs, apis[0], share)] if apis else []
    rows += [_fleet_row(inputs, fleets[0])] if fleets else []
    if choice is not None and choice.kind == "hybrid":
        rows.append(_hybrid_row(inputs, choice, share))
    caption = "The five axes per option — cost, quality, latency, effort, privacy — with the verdict under them"
    return Table(HEADERS, rows, caption)


def _api_row(inputs: ReportInputs, o: dict[str, Any], share: Estimate | None) -> list[str]:
    leaves = "all requests leave the house" if share is None else f"{_share(share)} carry personal data and would leave"
    return [
        f"hosted API: {o['model'] or o['name']}",
        _cost(inputs, o["name"], Decimal(o["monthly"])),
        _quality(inputs, o["model"]),
        _latency(inputs, o["model"], hosted=True, machines=1),
        "not modelled (integration only)",
        leaves,
    ]


def _fleet_row(inputs: ReportInputs, o: dict[str, Any]) -> list[str]:
    return [
        f"self-hosted: {o.get('model') or 'model not named'} on {o['name']}",
        _cost(inputs, o["name"], Decimal(o["monthly"])),
        _quality(inputs, o.get("model") or ""),
        _latency(inputs, o.get("model") or "", hosted=False, machines=o.get("instances") or 1),
        effort(o),
        "all requests stay local",
    ]


def _hybrid_row(inputs: ReportInputs, c: Choice, share: Estimate | None) -> list[str]:
    api, fleet = c.api or {}, c.fleet or {}
    quality = f"API: {_quality(inputs, api.get('model', ''))}; local: {_quality(inputs, fleet.get('model') or '')}"
    kept = f"the {_share(share)} with personal data stays local" if share else "the private share stays local"
    return [f"hybrid: {c.option}", _cost(inputs, c.option, c.monthly), quality, "as each part", effort(fleet), kept]


def effort(o: dict[str, Any]) -> str:
    value = o.get("effort_monthly")
    return f"{usd(Decimal(value))}/month" if value else "$0 — NOT GIVEN (tco --ops-monthly)"


def _cost(inputs: ReportInputs, name: str, monthly: Decimal) -> str:
    band = ((inputs.tco or {}).get("uncertainty") or {}).get("ranges", {}).get(name)
    if not band:
        return usd(monthly)
    return f"{usd(monthly)} ({usd(Decimal(band['low']))}–{usd(Decimal(band['high']))})"


def _quality(inputs: ReportInputs, model: str) -> str:
    found = find(inputs.evals, model) if model else None
    if found is None:
        return "not evaluated"
    run, s = found
    if s.pass_rate is not None and s.pass_rate.value is not None:
        return f"pass {interval(s.pass_rate)}, {s.pass_rate.n} cases ({run.suite.name})"
    for metric, e in s.scores.items():
        if e.value is not None:
            return f"{metric} {e.value:.2f} [{e.low or 0:.2f}, {e.high or 0:.2f}], {e.n} cases ({run.suite.name})"
    return "no score"


def interval(e: Estimate) -> str:
    if e.low is None or e.high is None:
        return f"{e.value:.0%}"
    return f"{e.value:.0%} [{e.low:.0%}, {e.high:.0%}]"


def _latency(inputs: ReportInputs, model: str, hosted: bool, machines: int) -> str:
    profile = (inputs.tco or {}).get("profile", {})
    rate = float(profile.get("queries_per_day", 0)) * float(profile.get("peak_to_average", 1)) / 86_400
    bench = next((r for r in inputs.bench if _fits(r, model, hosted)), None)
    if bench is None:
        return "not measured"
    picked, covered = level_for(bench, rate / machines)
    if picked is None:
        return "no successful level"
    beyond = "" if covered else " — above the load tested"
    return (
        f"TTFT {_ms(picked.ttft_ms.p50)} / {_ms(picked.ttft_ms.p99)}, E2E {_ms(picked.e2e_ms.p50)} / "
        f"{_ms(picked.e2e_ms.p99)} (p50 / p99) at {picked.request_rate:.2g} req/s{beyond}"
    )


def _fits(r: BenchResult, model: str, hosted: bool) -> bool:
    return bool(model) and same_model(r.target.model, model) and (r.target.location == "hosted") == hosted


def level_for(r: BenchResult, rate: float) -> tuple[LevelResult | None, bool]:
    """The least-loaded level that carries ``rate`` requests/s (per machine), else the busiest one tested."""
    levels = sorted((lv for lv in r.levels if lv.succeeded), key=lambda lv: lv.request_rate)
    enough = [lv for lv in levels if lv.request_rate >= rate]
    if enough:
        return enough[0], True
    return (levels[-1], False) if levels else (None, False)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def private_estimate(inputs: ReportInputs) -> Estimate | None:
    """The share of requests with personal data and its Wilson interval (a point when it was given)."""
    from crossroads.lab.eval.result import Estimate
    from crossroads.lab.eval.stats import proportion

    source = inputs.traffic
    profile = (inputs.tco or {}).get("profile", {})
    n = source.requests if source is not None else profile.get("requests")
    k = source.private_requests if source is not None else profile.get("private_requests")
    if n and k is not None:
        return proportion(int(k), int(n))
    share = source.private_share if source is not None else profile.get("private_share")
    return None if share is None else Estimate(value=float(share), n=0, method="given")


def _share(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return f"{pct(Decimal(str(e.value)))} (given)"
    return f"{interval_pct(e)} of {e.n} requests"


def interval_pct(e: Estimate) -> str:
    """``20.0% [5.7%, 51.0%]``: a share with its interval, one decimal."""
    low, high = pct(Decimal(str(e.low or 0))), pct(Decimal(str(e.high or 0)))
    return f"{pct(Decimal(str(e.value or 0)))} [{low}, {high}]"
