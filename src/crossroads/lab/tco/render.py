"""The analysis as rich tables for the terminal (rounded here, and only here)."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from crossroads.lab.tco.analysis import TcoAnalysis
from crossroads.lab.tco.fmt import band, num, pct, usd

HYBRID_SHARES = (Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))


def print_analysis(analysis: TcoAnalysis, console: Console) -> None:
    for table in (options_table(analysis), break_even_table(analysis), hybrid_table(analysis)):
        if table.row_count:
            console.print(table)
    console.print(sensitivity_table(analysis))
    for line in analysis.findings:
        console.print(f"• {line}", highlight=False)


def options_table(a: TcoAnalysis) -> Table:
    p = a.profile
    title = (
        f"Monthly cost — {num(p.queries_per_day)} queries/day × {num(p.prompt_tokens)} prompt + "
        f"{num(p.completion_tokens)} completion tokens, {num(p.days_per_month)} days"
    )
    table = Table(
        "option", "kind", "monthly", "90% range", "per 1M tokens", "machines", "avg use", "basis", title=title
    )
    ranges = a.uncertainty.ranges if a.uncertainty else {}
    for o in sorted(a.options, key=lambda o: o.monthly):
        machines = "-" if o.instances is None else str(o.instances)
        if o.replicas_needed is not None and o.instances is not None and o.replicas_needed > o.instances:
            machines += f" (peak needs {o.replicas_needed})"
        extras = ", ".join(f"{k} {usd(v)}" for k, v in o.breakdown.items() if k not in ("tokens", "machines"))
        basis = o.note + (f"; + {extras}" if extras else "")
        cost_range = ranges.get(o.name)
        spread = f"{usd(cost_range.low)}–{usd(cost_range.high)}" if cost_range else "-"
        row = (
            o.name,
            o.kind,
            usd(o.monthly),
            spread,
            usd(o.per_million_tokens, 2),
            machines,
            pct(o.average_utilization),
        )
        table.add_row(*row, basis)
    return table


def break_even_table(a: TcoAnalysis) -> Table:
    table = Table(
        "self-hosted", "vs API", "break-even queries/day", "90% band", "tokens/month", "machines", "why",
        title="Break-even",
    )  # fmt: skip
    bands = {(b.self_hosted, b.api): b for b in (a.uncertainty.break_evens if a.uncertainty else [])}
    for b in a.break_evens:
        tokens = None if b.tokens_per_month is None else b.tokens_per_month / 1_000_000
        qpd = num(b.queries_per_day) if b.queries_per_day is not None else b.status.replace("_", " ")
        machines = "-" if b.instances is None else str(b.instances)
        found = bands.get((b.self_hosted, b.api))
        band_of = "-" if found is None else band(found.low, found.high, found.found)
        table.add_row(
            b.self_hosted, b.api, qpd, band_of, "-" if tokens is None else f"{num(tokens)}M", machines, b.reason
        )
    return table


def hybrid_table(a: TcoAnalysis) -> Table:
    shares = sorted({*HYBRID_SHARES, *([a.profile.private_share] if a.profile.private_share is not None else [])})
    table = Table("hybrid", *(f"{pct(s, 0)} local" for s in shares), title="Hybrid: share of requests kept self-hosted")
    for name, points in a.hybrid.items():
        by_share = {pt.share: pt.total for pt in points}
        table.add_row(name, *(usd(by_share.get(s)) for s in shares))
    return table


def sensitivity_table(a: TcoAnalysis) -> Table:
    names = [o.name for o in a.options]
    table = Table("assumption", "value", *names, "cheapest", title="Sensitivity (monthly cost, one change at a time)")
    for row in a.sensitivity:
        table.add_row(row.parameter, row.value, *(usd(row.costs[n]) for n in names), row.cheapest)
    return table
