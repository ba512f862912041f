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
    for option in tco["options"]:
        top = capacity_qpd(option, tco["profile"])
        points = [(float(r["queries_per_day"]), float(r[option["name"]])) for r in curve]
        inside = [(q, c) for q, c in points if top is None or q <= top]
        if not inside:
            continue
        (line,) = ax.plot(*zip(*inside, strict=True), label=option["name"], linewidth=2)
        if top is not None and top < points[-1][0]:  # a fixed fleet ends where it cannot carry more
            ax.plot([inside[-1][0]], [inside[-1][1]], marker="x", color=line.get_color(), markersize=9)
    for band in (tco.get("uncertainty") or {}).get("break_evens", []):
        if band["low"] is not None and band["found"] >= 0.5:
            ax.axvspan(float(band["low"]), float(band["high"]), color="tab:red", alpha=0.08)
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
    title = "Monthly cost vs traffic (shaded: 90% break-even band; ×: a fixed fleet's capacity)"
    _labels(ax, "queries per day", "monthly cost (USD, log scale)", title)
    return _plot(fig, "cost_vs_traffic", "Monthly cost vs traffic, break-even marked", "monthly cost of each option")


def capacity_qpd(option: dict[str, Any], profile: dict[str, Any]) -> float | None:
    """Queries/day a fixed fleet carries at its full throughput with the profile's peak (None: no limit known)."""
    if option["kind"] != "self-hosted" or option.get("instances") is None or option.get("throughput") is None:
        return None
    per_query = float(profile["tokens_per_query"]) * float(profile["peak_to_average"])
    return float(option["instances"]) * float(option["throughput"]) * 86_400 / per_query


def tornado(tco: dict[str, Any]) -> Plot | None:
    """How far each input's range moves the gap between the cheapest fleet and the cheapest API; a bar
    crossing zero is an input that can flip the verdict on its own."""
    kinds = {o["name"]: o["kind"] for o in tco["options"]}
    base = gap({o["name"]: o["monthly"] for o in tco["options"]}, kinds)
    if base is None:
        return None
    bars: dict[str, dict[str, float]] = {}
    for row in tco["sensitivity"]:
        moved = gap(row["costs"], kinds)
        if moved is not None:
            bars.setdefault(row["parameter"], {"low": base, "high": base})[row.get("end") or "high"] = moved
    if not bars:
        return None
    fig, ax = _figure()
    order = sorted(bars, key=lambda k: abs(bars[k]["high"] - bars[k]["low"]))
    for i, name in enumerate(order):
        low, high = bars[name]["low"], bars[name]["high"]
        ax.barh(i, low - base, left=base, color="tab:blue", alpha=0.7, label="low end" if i == 0 else None)
        ax.barh(i, high - base, left=base, color="tab:orange", alpha=0.7, label="high end" if i == 0 else None)
    ax.set_yticks(range(len(order)), order)
    ax.axvline(base, color="black", linewidth=1)
    ax.axvline(0, color="tab:red", linestyle="--", linewidth=1)
    ax.annotate("verdict flips", (0, len(order) - 0.5), xytext=(4, 0), textcoords="offset points", fontsize=8)
    ax.xaxis.set_major_formatter(_money_formatter())
    title = "Tornado: cheapest self-hosted minus cheapest API per month (<0: self-hosting is cheaper)"
    _labels(ax, "monthly cost difference (USD)", "", title)
    return _plot(fig, "tornado", "Which inputs move the verdict", "cost gap at each end of each input's range")


def gap(costs: dict[str, Any], kinds: dict[str, str]) -> float | None:
    fleets = [float(v) for k, v in costs.items() if kinds.get(k) == "self-hosted"]
    apis = [float(v) for k, v in costs.items() if kinds.get(k) == "api"]
    return min(fleets) - min(apis) if fleets and apis else None


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
    fig, ax = _latency(results, "e2e_ms", "e2e_ms")
    _labels(ax, TOKENS_PER_S, "end-to-end latency (ms)", "End-to-end latency vs throughput (dotted: objective)")
    return _plot(fig, "latency_vs_throughput", "Latency vs throughput", "latency percentiles at each load level")


def ttft_vs_throughput(results: list[BenchResult]) -> Plot:
    fig, ax = _latency(results, "ttft_ms", "ttft_ms")
    _labels(ax, TOKENS_PER_S, "time to first token (ms)", "Time to first token vs throughput (dotted: objective)")
    return _plot(fig, "ttft_vs_throughput", "Time to first token vs throughput", "TTFT percentiles at each load level")


TOKENS_PER_S = "total tokens/s (prompt + completion), as tco sizes fleets"


def _latency(results: list[BenchResult], stat_field: str, slo_field: str) -> tuple[Figure, Axes]:
    """p50 (solid) and p99 (dashed) of one latency per bench, the latency objective dotted, from 0."""
    fig, ax = _figure()
    for r in results:
        levels = [lv for lv in r.levels if lv.succeeded]
        x = [lv.total_tokens_per_s for lv in levels]
        color = None
        for stat, style in (("p50", "-"), ("p99", "--")):
            y = [getattr(getattr(lv, stat_field), stat) for lv in levels]
            values = [float("nan") if v is None else v for v in y]
            (line,) = ax.plot(x, values, style, marker="o", color=color, label=f"{r.target.model} {stat}")
            color = line.get_color()
        objective = getattr(r.load.slo, slo_field)
        if objective:
            ax.axhline(objective, color=color, linestyle=":", linewidth=1.5)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    return fig, ax


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    return fig, fig.add_subplot()


def _dollars(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(_money_formatter())


def _money_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"-${-v:,.0f}" if v < 0 else f"${v:,.0f}")


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
