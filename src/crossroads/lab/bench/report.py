"""Tables for the terminal: one run's levels, and two runs side by side with ratios (``bench compare``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table

from crossroads.lab.bench.result import BenchResult, LevelResult


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    get: Callable[[LevelResult], float | None]
    digits: int = 1
    better: str = "lower"  # lower | higher


METRICS = (
    Metric("req/s", lambda lv: lv.request_rate, 1, "higher"),
    Metric("out tok/s", lambda lv: lv.output_tokens_per_s, 1, "higher"),
    Metric("TTFT p50 ms", lambda lv: lv.ttft_ms.p50),
    Metric("TTFT p99 ms", lambda lv: lv.ttft_ms.p99),
    Metric("ITL p50 ms", lambda lv: lv.itl_ms.p50),
    Metric("TPOT p50 ms", lambda lv: lv.tpot_ms.p50),
    Metric("E2E p50 ms", lambda lv: lv.e2e_ms.p50),
    Metric("E2E p99 ms", lambda lv: lv.e2e_ms.p99),
    Metric("goodput %", lambda lv: lv.goodput * 100, 0, "higher"),
)
COST = Metric("$/1M out", lambda lv: _float(lv.cost_per_million_output_tokens), 2)


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def level_name(result: BenchResult) -> str:
    return "concurrency" if result.load.pattern == "concurrency" else f"{result.load.pattern} req/s"


def errors_text(level: LevelResult) -> str:
    return ", ".join(f"{kind}×{n}" for kind, n in sorted(level.errors.items())) or "-"


def results_table(result: BenchResult) -> Table:
    t = result.target
    title = f"{t.model} at {t.url} — {t.endpoint}{' stream' if t.stream else ''}, {result.load.prompts}"
    metrics = [*METRICS, COST] if result.load.cost_per_hour is not None else list(METRICS)
    table = Table(title=title, title_justify="left")
    table.add_column(level_name(result), justify="right")
    table.add_column("ok/all", justify="right")
    for metric in metrics:
        table.add_column(metric.name, justify="right")
    table.add_column("errors")
    for level in result.levels:
        cells = [fmt(m.get(level), m.digits) for m in metrics]
        table.add_row(fmt(level.level, 0 if level.level.is_integer() else 1), f"{level.succeeded}/{level.requests}",
                      *cells, errors_text(level))  # fmt: skip
    return table


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or a == 0:
        return "-"
    return f"{b / a:.2f}×"


def compare_legend(a: BenchResult, b: BenchResult, names: tuple[str, str]) -> str:
    return f"A = {names[0]}: {_label(a)}\nB = {names[1]}: {_label(b)}"


def compare_table(a: BenchResult, b: BenchResult) -> Table:
    """Rows per (level, metric): A, B and B/A. Levels are matched by value; unmatched ones show '-'."""
    metrics = [*METRICS, COST] if a.load.cost_per_hour is not None or b.load.cost_per_hour is not None else METRICS
    table = Table()
    for column in (level_name(a), "metric", "A", "B", "B/A"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    by_level = {lv.level: lv for lv in b.levels}
    for index, left in enumerate(a.levels):
        right = by_level.get(left.level)
        for metric in metrics:
            x, y = metric.get(left), metric.get(right) if right else None
            label = fmt(left.level, 0) if metric is metrics[0] else ""
            table.add_row(label, metric.name, fmt(x, metric.digits), fmt(y, metric.digits), ratio(x, y),
                          end_section=metric is metrics[-1] and index < len(a.levels) - 1)  # fmt: skip
    return table


def _label(result: BenchResult) -> str:
    t, env = result.target, result.environment
    return f"{t.model} at {t.url} ({env.date}{', ' + env.hardware if env.hardware else ''})"
