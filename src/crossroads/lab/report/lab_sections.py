"""Quality (eval), performance (bench) and privacy (ledger) sections."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.report import plots
from crossroads.lab.report.model import Block, Bullets, Paragraph, Section, Table
from crossroads.lab.report.quality import quality_points
from crossroads.lab.tco.fmt import num, pct, usd

if TYPE_CHECKING:
    from crossroads.lab.bench.result import BenchResult
    from crossroads.lab.eval.result import Estimate, RunResult
    from crossroads.lab.tco.profile import TrafficProfile


def quality_section(evals: list[RunResult], tco: dict[str, Any] | None) -> Section:
    if not evals:
        text = "No eval results were given. Run `crossroads eval run` on your own cases and pass `--eval FILE`."
        return Section("quality", "Quality", [Paragraph(text)])
    blocks: list[Block] = []
    for run in evals:
        blocks.append(_eval_table(run))
        statements = [p.statement for p in run.pairwise if p.statement]
        if statements:
            blocks.append(Bullets(statements))
    points, notes = quality_points(evals, tco)
    if points:
        blocks.append(plots.quality_vs_cost(points))
        blocks.append(Bullets([f"{p.label}: {p.metric}, cost {p.cost_basis}" for p in points] + notes))
    elif notes:
        blocks.append(Bullets(notes))
    return Section("quality", "Quality", blocks)


def _eval_table(run: RunResult) -> Table:
    rows = []
    for s in run.summaries:
        judge = s.scores.get("judge")
        latency = "-" if s.latency_p50_s is None else f"{s.latency_p50_s:.2f} s"
        cost = usd(s.cost_per_1k_cases_usd, 2) if s.cost_per_1k_cases_usd is not None else "-"
        rows.append([s.model, s.location, str(s.n_cases), _estimate(s.pass_rate), _estimate(judge), cost, latency])
    headers = ["model", "location", "cases", "pass rate (95% CI)", "judge score", "cost / 1k cases", "latency p50"]
    caption = f"Suite {run.suite.name} ({run.suite.n_cases} cases), run {run.run_id} of {run.created_at:%Y-%m-%d}"
    return Table(headers, rows, caption)


def _estimate(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return "-"
    interval = f" ({e.low:.0%}–{e.high:.0%})" if e.low is not None and e.high is not None else ""
    return f"{e.value:.0%}{interval}"


def performance_section(results: list[BenchResult]) -> Section:
    if not results:
        text = "No bench results were given. Run `crossroads bench run --out FILE` per backend and pass `--bench`."
        return Section("performance", "Performance", [Paragraph(text)])
    blocks: list[Block] = [plots.ttft_vs_throughput(results), plots.latency_vs_throughput(results)]
    blocks += [_bench_table(r) for r in results]
    return Section("performance", "Performance", blocks)


def _bench_table(r: BenchResult) -> Table:
    rows = [
        [
            f"{lv.level:g}",
            f"{lv.request_rate:.2f}",
            num_f(lv.total_tokens_per_s),
            num_f(lv.output_tokens_per_s),
            num_f(lv.ttft_ms.p50),
            num_f(lv.ttft_ms.p99),
            num_f(lv.e2e_ms.p50),
            num_f(lv.e2e_ms.p99),
            f"{lv.goodput:.0%}",
        ]
        for lv in r.levels
    ]
    headers = ["level", "req/s", "tokens/s", "output tok/s", "TTFT p50", "TTFT p99", "E2E p50", "E2E p99", "goodput"]
    where = r.environment.hardware or r.target.location or "unknown hardware"
    caption = f"{r.target.model} at {r.target.url} ({where}), {r.load.pattern} levels, {r.environment.date[:10]}"
    return Table(headers, rows, caption + " — latencies in ms")


def num_f(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def privacy_section(traffic: TrafficProfile | None, tco: dict[str, Any] | None) -> Section:
    share, by_type, source = _privacy(traffic, tco)
    if share is None:
        text = (
            "No privacy findings: pass `--ledger URL` (the gateway's database) so the report can say how much "
            "traffic carried personal data or secrets."
        )
        return Section("privacy", "Privacy", [Paragraph(text)])
    lead = f"{pct(share)} of requests carried personal data or secrets ({source}): that traffic must stay local."
    blocks: list[Block] = [Paragraph(lead)]
    if by_type:
        total = sum(by_type.values())
        rows = [[kind, num(count), pct(Decimal(count) / total)] for kind, count in by_type.items()]
        blocks.append(Table(["entity type", "requests", "share of flagged"], rows, "What was found (never the values)"))
    return Section("privacy", "Privacy", blocks)


def _privacy(traffic: TrafficProfile | None, tco: dict[str, Any] | None) -> tuple[Any, dict[str, int], str]:
    if traffic is not None and traffic.private_share is not None:
        return traffic.private_share, traffic.private_by_type, traffic.source
    profile = (tco or {}).get("profile", {})
    if profile.get("private_share") is not None:
        return Decimal(profile["private_share"]), dict(profile.get("private_by_type") or {}), profile["source"]
    return None, {}, ""
