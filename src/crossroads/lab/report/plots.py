"""The report's four plots as PNG bytes. matplotlib's object API with its Agg canvas: no pyplot, no
global backend switch, nothing done at import."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.model import Plot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from crossroads.lab.bench.result import BenchResult
    from crossroads.lab.report.quality import QualityPoint


def cost_vs_traffic(tco: dict[str, Any]) -> Plot:
    fig, ax = _figure()
    curve = [row for row in tco["curve"] if float(row["queries_per_day"]) > 0]  # a log scale has no zero
    x = [float(row["queries_per_day"]) for row in curve]
    for option in tco["options"]:
        ax.plot(x, [float(row[option["name"]]) for row in curve], label=option["name"], linewidth=2)
    today = float(tco["profile"]["queries_per_day"])
    ax.axvline(today, color="black", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.annotate("today", (today, ax.get_ylim()[0]), xytext=(4, 6), textcoords="offset points", fontsize=8)
    for b in tco["break_evens"]:
        if b["queries_per_day"] is not None:
            q = float(b["queries_per_day"])
            ax.axvline(q, color="tab:red", linestyle="--", linewidth=1)
            label = f"break-even\n{b['self_hosted']}\n{q:,.0f}/day"
            ax.annotate(label, (q, ax.get_ylim()[1]), xytext=(4, -34), textcoords="offset points", fontsize=7)
    _dollars(ax)
    _thousands(ax)
    _labels(ax, "queries per day", "monthly cost (USD, log scale)", "Monthly cost vs traffic")
    return _plot(fig, "cost_vs_traffic", "Monthly cost vs traffic, break-even marked", "monthly cost of each option")


def hybrid_split(tco: dict[str, Any]) -> Plot:
    fig, ax = _figure()
    ax.set_yscale("log")
    for name, points in tco["hybrid"].items():
        ax.plot([float(p["share"]) * 100 for p in points], [float(p["total"]) for p in points], label=name, marker=".")
    private = tco["profile"].get("private_share")
    if private is not None:
        ax.axvline(float(private) * 100, color="tab:purple", linestyle="--", linewidth=1)
        ax.annotate(
            "must stay local",
            (float(private) * 100, ax.get_ylim()[0]),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=8,
        )
    _dollars(ax)
    _labels(ax, "share of requests kept self-hosted (%)", "monthly cost (USD, log scale)", "Hybrid split")
    return _plot(fig, "hybrid_split", "Hybrid split: cost by share kept self-hosted", "cost of each hybrid split")


def quality_vs_cost(points: list[QualityPoint]) -> Plot:
    fig, ax = _figure()
    for p in points:
        err = [[p.quality - p.low], [p.high - p.quality]] if p.low is not None and p.high is not None else None
        color = "tab:green" if p.location == "local" else "tab:blue"
        ax.errorbar([float(p.cost)], [p.quality], yerr=err, fmt="o", color=color, capsize=4)
        ax.annotate(p.label, (float(p.cost), p.quality), xytext=(6, 4), textcoords="offset points", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(left=0)
    _labels(ax, "cost per 1,000 cases (USD)", "quality (95% CI)", "Quality vs cost (blue: hosted, green: local)")
    return _plot(fig, "quality_vs_cost", "Quality vs cost per backend", "quality against cost for each model")


def latency_vs_throughput(results: list[BenchResult]) -> Plot:
    fig, ax = _figure()
    for r in results:
        levels = [lv for lv in r.levels if lv.succeeded]
        x = [lv.total_tokens_per_s for lv in levels]
        for stat, style in (("p50", "-"), ("p99", "--")):
            y = [getattr(lv.e2e_ms, stat) for lv in levels]
            ax.plot(
                x, [float("nan") if v is None else v for v in y], style, marker="o", label=f"{r.target.model} {stat}"
            )
    _labels(ax, "total tokens/s", "end-to-end latency (ms)", "Latency vs throughput")
    return _plot(fig, "latency_vs_throughput", "Latency vs throughput", "latency percentiles at each load level")


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    return fig, fig.add_subplot()


def _dollars(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"${v:,.0f}"))


def _thousands(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def _labels(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def _plot(fig: Figure, name: str, title: str, alt: str) -> Plot:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # a Figure made without pyplot renders with the Agg canvas
    return Plot(name=f"{name}.png", title=title, png=buffer.getvalue(), alt=alt)
