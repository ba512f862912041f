"""The recommendation in plain words: a verdict, its reasons, and what it does not know."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.model import Recommendation
from crossroads.lab.tco.fmt import num, pct, times, usd

if TYPE_CHECKING:
    from crossroads.lab.report.inputs import ReportInputs

MIN_GOODPUT = 0.95


def recommend(inputs: ReportInputs) -> Recommendation:
    private = private_share(inputs)
    if inputs.tco is None:
        verdict = "No cost verdict yet: the report has no TCO analysis (run `crossroads tco --out`)."
        reasons: list[str] = []
    else:
        verdict, reasons = _cost_verdict(inputs.tco, private)
    reasons += _quality_reasons(inputs) + _performance_reasons(inputs)
    return Recommendation(verdict, reasons, _caveats(inputs, private))


def private_share(inputs: ReportInputs) -> Decimal | None:
    if inputs.traffic is not None and inputs.traffic.private_share is not None:
        return inputs.traffic.private_share
    share = (inputs.tco or {}).get("profile", {}).get("private_share")
    return None if share is None else Decimal(share)


def _cost_verdict(tco: dict[str, Any], private: Decimal | None) -> tuple[str, list[str]]:
    options = {o["name"]: o for o in tco["options"]}
    best = options[tco["cheapest"]]
    hosted = sorted((o for o in options.values() if o["kind"] == "self-hosted"), key=lambda o: Decimal(o["monthly"]))
    apis = sorted((o for o in options.values() if o["kind"] == "api"), key=lambda o: Decimal(o["monthly"]))
    reasons = [_compare(best, hosted if best["kind"] == "api" else apis)]
    reasons += [_break_even(b, tco) for b in tco["break_evens"] if apis and b["api"] == apis[0]["name"]]
    reasons += [_idle(o) for o in hosted if o["average_utilization"] and Decimal(o["average_utilization"]) < 0.3]
    if best["kind"] == "api":
        verdict = f"Use the hosted API ({best['name']}) for now."
        if private and hosted:
            verdict = (
                f"Hybrid: use {best['name']} and keep the {pct(private)} of requests with personal data "
                f"on {hosted[0]['name']}."
            )
            reasons.append(_hybrid_cost(tco, apis[0]["name"], hosted[0]["name"], private))
    else:
        verdict = f"Self-host on {best['name']}: it is the cheapest option at your traffic."
    return verdict, [r for r in reasons if r]


def _compare(best: dict[str, Any], others: list[dict[str, Any]]) -> str:
    text = f"{best['name']} costs {usd(Decimal(best['monthly']))} a month at today's traffic"
    if others:
        other = others[0]
        ratio = Decimal(other["monthly"]) / Decimal(best["monthly"]) if Decimal(best["monthly"]) else None
        text += f"; the cheapest {other['kind']} option, {other['name']}, costs {usd(Decimal(other['monthly']))}"
        text += f" ({times(ratio)} as much)" if ratio else ""
    return text + "."


def _break_even(b: dict[str, Any], tco: dict[str, Any]) -> str:
    if b["queries_per_day"] is None:
        return f"{b['self_hosted']} does not pay off against {b['api']}: {b['reason']}."
    qpd = Decimal(b["queries_per_day"])
    today = Decimal(tco["profile"]["queries_per_day"])
    ratio = f" ({times(qpd / today)} today's traffic)" if today else ""
    return f"{b['self_hosted']} pays off against {b['api']} from {num(qpd)} queries/day{ratio}."


def _idle(o: dict[str, Any]) -> str:
    return f"{o['name']} would be busy only {pct(Decimal(o['average_utilization']))} of the time on average."


def _hybrid_cost(tco: dict[str, Any], api: str, hosted: str, share: Decimal) -> str:
    points = tco["hybrid"].get(f"{api} + {hosted}", [])
    at = next((p for p in points if Decimal(p["share"]) == share), None)
    if at is None or not points:
        return ""
    all_api = Decimal(points[0]["total"])
    total = usd(Decimal(at["total"]))
    return f"Keeping that traffic local costs {total} a month in all, against {usd(all_api)} all on the API."


def _quality_reasons(inputs: ReportInputs) -> list[str]:
    reasons = []
    for run in inputs.evals:
        rated = [(s.model, s.pass_rate.value) for s in run.summaries if s.pass_rate and s.pass_rate.value is not None]
        if len(rated) >= 2:
            listing = ", ".join(f"{model} {rate:.0%}" for model, rate in sorted(rated, key=lambda r: -r[1]))
            reasons.append(f"Quality on {run.suite.name}: pass rates {listing}.")
        reasons += [p.statement.rstrip(".") + "." for p in run.pairwise if p.statement]
    return reasons


def _performance_reasons(inputs: ReportInputs) -> list[str]:
    reasons = []
    for r in inputs.bench:
        good = [lv for lv in r.levels if lv.goodput >= MIN_GOODPUT]
        where = r.environment.hardware or r.target.url
        if not good:
            reasons.append(f"{r.target.model} ({where}) met its latency objective at no load level tested.")
            continue
        best = max(good, key=lambda lv: lv.total_tokens_per_s)
        reasons.append(
            f"{r.target.model} ({where}) sustains {best.total_tokens_per_s:,.0f} tokens/s with "
            f"{best.goodput:.0%} of requests within the latency objective."
        )
    return reasons


def _caveats(inputs: ReportInputs, private: Decimal | None) -> list[str]:
    caveats = []
    if not inputs.evals:
        caveats.append("Quality was not measured: run `crossroads eval run` before switching models.")
    if not inputs.bench:
        caveats.append("Throughput was not measured here: self-hosted capacity rests on the figures given to tco.")
    if private is None:
        caveats.append("Privacy was not checked: no ledger was read, so the share of personal data is unknown.")
    elif private and inputs.tco is not None and not any(o["kind"] == "self-hosted" for o in inputs.tco["options"]):
        caveats.append(f"{pct(private)} of requests carry personal data, but no self-hosted option was priced.")
    return caveats
