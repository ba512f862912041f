"""The recommendation in plain words: a verdict, its reasons, and what it does not know."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.choice import Choice, QualityView, choose, judge_quality, other_models
from crossroads.lab.report.consistency import mismatches, unknowns
from crossroads.lab.report.model import Recommendation
from crossroads.lab.report.summary import interval_pct, private_estimate, summary_table
from crossroads.lab.tco.fmt import num, pct, times, usd

if TYPE_CHECKING:
    from crossroads.lab.report.inputs import ReportInputs

MIN_GOODPUT = 0.95


def recommend(inputs: ReportInputs) -> Recommendation:
    private = private_share(inputs)
    found = mismatches(inputs)
    choice = None if inputs.tco is None else choose(inputs.tco, private)
    if choice is None:
        verdict = "No cost verdict yet: the report has no TCO analysis (run `crossroads tco --out`)."
        reasons: list[str] = []
    else:
        verdict, reasons = _verdict(inputs, choice)
    if found:
        verdict = (
            f"Provisional — the inputs disagree ({len(found)} mismatch{'es' if len(found) > 1 else ''} under "
            f"“What this does not know”; resolve them before deciding). {verdict}"
        )
    reasons += _quality_reasons(inputs) + _performance_reasons(inputs)
    caveats = [m.text for m in found] + unknowns(inputs) + _caveats(inputs, private)
    return Recommendation(verdict, reasons, caveats, found, summary_table(inputs, choice))


def private_share(inputs: ReportInputs) -> Decimal | None:
    if inputs.traffic is not None and inputs.traffic.private_share is not None:
        return inputs.traffic.private_share
    share = (inputs.tco or {}).get("profile", {}).get("private_share")
    return None if share is None else Decimal(share)


def _verdict(inputs: ReportInputs, choice: Choice) -> tuple[str, list[str]]:
    tco = inputs.tco or {}
    action = _action(choice, inputs)
    views = [judge_quality(inputs.evals, m, other_models(tco, m)) for m in choice.models]
    if choice.fleet is not None and not choice.fleet.get("model"):
        views.append(QualityView("not_evaluated", f"the model {choice.fleet['name']} would serve is not named"))
    clauses = [v.sentence for v in views]
    verdict = action + (" — " + "; ".join(clauses) if clauses else "") + "."
    return verdict, _cost_reasons(tco, choice)


def _action(c: Choice, inputs: ReportInputs) -> str:
    if c.kind == "api" and c.api is not None:
        return f"Use the hosted API {c.api['model'] or c.api['name']} ({usd(c.monthly)}/month at today's traffic)"
    fleet = _fleet(c.fleet or {})
    if c.kind == "self-hosted":
        return f"Self-host {fleet} ({usd(c.monthly)}/month at today's traffic)"
    api = (c.api or {}).get("model") or (c.api or {}).get("name")
    estimate = private_estimate(inputs)
    share = pct(c.share) if estimate is None or estimate.low is None else interval_pct(estimate)
    return (
        f"Hybrid: send {pct(1 - (c.share or Decimal(0)))} of requests to {api} and keep the {share} with personal "
        f"data on {fleet} ({usd(c.monthly)}/month in all)"
    )


def _fleet(o: dict[str, Any]) -> str:
    model = o.get("model") or "an unnamed model"
    machines = o.get("instances")
    many = "" if "×" in o.get("name", "") or machines is None else f" ×{machines}"
    return f"{model} on {o.get('name', '?')}{many}"


def _cost_reasons(tco: dict[str, Any], choice: Choice) -> list[str]:
    options = {o["name"]: o for o in tco["options"]}
    best = options[tco["cheapest"]]
    hosted = sorted((o for o in options.values() if o["kind"] == "self-hosted"), key=lambda o: Decimal(o["monthly"]))
    apis = sorted((o for o in options.values() if o["kind"] == "api"), key=lambda o: Decimal(o["monthly"]))
    reasons = [_compare(best, hosted if best["kind"] == "api" else apis)]
    reasons += [_break_even(b, tco) for b in tco["break_evens"] if apis and b["api"] == apis[0]["name"]]
    reasons += [_idle(o) for o in hosted if o["average_utilization"] and Decimal(o["average_utilization"]) < 0.3]
    if choice.kind == "hybrid" and choice.api and choice.fleet and choice.share is not None:
        reasons.append(_hybrid_cost(tco, choice.api["name"], choice.fleet["name"], choice.share))
    return [r for r in reasons if r]


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
    hosted = [o for o in (inputs.tco or {}).get("options", []) if o["kind"] == "self-hosted"]
    if not inputs.evals:
        caveats.append(
            "Quality was not measured. To close it: `crossroads eval run SUITE --models A,B` with the models "
            "costed, then pass the result with --eval."
        )
    if not inputs.bench and not any(o.get("bench") for o in hosted):
        caveats.append(
            "Latency and throughput were not measured here. To close it: `crossroads bench run --out FILE` "
            "against each option and pass the files with --bench (and to tco with --gpu NAME,bench=FILE)."
        )
    if private is None:
        caveats.append(
            "Privacy was not checked: no ledger was read, so the share of personal data is unknown. To close "
            "it: pass --ledger URL (the gateway's database) or tco --private-share."
        )
    elif private and inputs.tco is not None and not hosted:
        caveats.append(
            f"{pct(private)} of requests carry personal data, but no self-hosted option was priced. To close it: "
            "add --gpu NAME to tco."
        )
    caveats += [
        f"Development and operations effort of {o['name']} is $0 because none was given. To close it: "
        "estimate it (people × hours × rate a month) and pass tco --ops-monthly USD."
        for o in hosted
        if not o.get("effort_monthly")
    ]
    return caveats
