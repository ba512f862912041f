"""PNG plots of a run: latency against throughput across levels, and the TTFT distribution per level."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window

import matplotlib.pyplot as plt

from crossroads.lab.bench.report import level_name
from crossroads.lab.bench.result import BenchResult


def latency_vs_throughput(result: BenchResult, path: Path) -> Path:
    levels = [lv for lv in result.levels if lv.succeeded]
    x = [lv.output_tokens_per_s if lv.output_tokens else lv.request_rate for lv in levels]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, stat in (("TTFT p50", "ttft_ms.p50"), ("TTFT p99", "ttft_ms.p99"), ("E2E p50", "e2e_ms.p50")):
        group, key = stat.split(".")
        y = [getattr(getattr(lv, group), key) for lv in levels]
        if any(v is not None for v in y):
            ax.plot(x, [float("nan") if v is None else v for v in y], marker="o", label=name)
    for lv, xi in zip(levels, x, strict=True):
        ax.annotate(f"{lv.level:g}", (xi, lv.e2e_ms.p50 or 0), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("output tokens/s" if any(lv.output_tokens for lv in levels) else "requests/s")
    ax.set_ylabel("latency (ms)")
    ax.set_title(f"{result.target.model}: latency vs throughput (labels: {level_name(result)})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def ttft_distribution(result: BenchResult, samples: dict[float, list[float]], path: Path) -> Path | None:
    series = {level: [s * 1000 for s in values] for level, values in samples.items() if values}
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ax.boxplot(list(series.values()), whis=(1, 99), showfliers=True, flierprops={"markersize": 2})
    ax.set_xticks(range(1, len(series) + 1), [f"{level:g}" for level in series])
    ax.set_xlabel(level_name(result))
    ax.set_ylabel("time to first token (ms)")
    ax.set_title(f"{result.target.model}: TTFT distribution (box: p25–p75, whiskers: p1–p99)", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
