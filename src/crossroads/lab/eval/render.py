"""Text output of eval runs: rich tables for the summary, the pairwise statements and the cases."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from crossroads.lab.eval.result import Answer, BackendSummary, Estimate, Pairwise, RunResult

SCORE_COLUMNS = ("judge", "similarity", "rouge_l")


def pct(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return f"{e.value:.0%}"
    return f"{e.value:.0%} [{e.low:.0%}, {e.high:.0%}]"


def score(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return "-"
    return f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"


def money(value: Decimal | None, note: str | None = None) -> str:
    if value is None:
        return "unknown" if note and "self-hosted" not in note else "n/a (self-hosted)"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def summary_table(run: RunResult) -> Table:
    columns = [c for c in SCORE_COLUMNS if any(c in s.scores for s in run.summaries)]
    table = Table(title=f"{run.suite.name}: {run.suite.n_cases} cases — run {run.run_id}", title_justify="left")
    for name in [
        "model",
        "where",
        "pass rate [95% CI]",
        *columns,
        "cost / 1k cases",
        "p50 latency",
        "tok/s",
        "tokens in/out",
        "errors",
    ]:
        table.add_column(name, justify="left" if name in {"model", "where"} else "right")
    for s in run.summaries:
        table.add_row(*_row(s, columns))
    return table


def _row(s: BackendSummary, columns: list[str]) -> list[str]:
    speed = "-" if s.tokens_per_s is None else f"{s.tokens_per_s:.0f}"
    return [
        s.model,
        s.location,
        pct(s.pass_rate),
        *(score(s.scores.get(c)) for c in columns),
        money(s.cost_per_1k_cases_usd, s.cost_note),
        seconds(s.latency_p50_s),
        speed,
        f"{s.prompt_tokens:,}/{s.completion_tokens:,}",
        str(s.n_errors),
    ]


SHADOW_HEAD = (
    "model",
    "where",
    "requests",
    "errors [95% CI]",
    "p50 latency [95% CI]",
    "p90 latency [95% CI]",
    "cost / 1k requests",
    "tokens in/out per request",
    "tok/s",
)


def interval(e: Estimate | None) -> str:
    """A latency estimate in seconds: ``1.52 s [1.50 s, 1.55 s]``."""
    if e is None or e.value is None:
        return "-"
    if e.low is None or e.high is None or e.n < 2:
        return seconds(e.value)
    return f"{seconds(e.value)} [{seconds(e.low)}, {seconds(e.high)}]"


def shadow_cells(s: BackendSummary) -> list[str]:
    """The cells of SHADOW_HEAD for one model of a shadow run (text and HTML share them)."""
    n = max(s.n_cases, 1)
    errors = f"{s.n_errors} ({pct(s.error_rate)})" if s.error_rate else str(s.n_errors)
    return [
        s.model,
        s.location,
        str(s.n_cases),
        errors,
        interval(s.latency_p50_ci),
        interval(s.latency_p90_ci),
        money(s.cost_per_1k_cases_usd, s.cost_note),
        f"{s.prompt_tokens / n:,.0f}/{s.completion_tokens / n:,.0f}",
        "-" if s.tokens_per_s is None else f"{s.tokens_per_s:.0f}",
    ]


def shadow_title(run: RunResult) -> str:
    info = run.shadow
    if info is None or info.first_at is None or info.last_at is None:
        return f"{run.suite.name}: {run.suite.n_cases} requests — run {run.run_id}"
    span = f"{info.first_at:%Y-%m-%d %H:%M} to {info.last_at:%Y-%m-%d %H:%M} UTC"
    return f"shadow traffic of {info.model}: {run.suite.n_cases} requests, {span} — run {run.run_id}"


def shadow_table(run: RunResult) -> Table:
    table = Table(title=shadow_title(run), title_justify="left")
    for name in SHADOW_HEAD:
        table.add_column(name, justify="left" if name in {"model", "where"} else "right")
    for s in run.summaries:
        table.add_row(*shadow_cells(s))
    return table


def pairwise_text(run: RunResult) -> Text:
    text = Text()
    for p in [*(run.shadow.latency if run.shadow else []), *run.pairwise]:
        style = "green" if p.significant else "yellow"
        text.append(f"• {p.statement}", style=style)
        text.append(inconsistency(p))
        text.append("\n")
    return text


def inconsistency(p: Pairwise) -> str:
    """The judge's position-swap inconsistency, as a sentence ('' when no judge was asked)."""
    if p.inconsistency_rate is None:
        return ""
    total = p.wins + p.losses + p.ties
    rate = f"{p.inconsistent} of {total} ({p.inconsistency_rate:.0%})"
    return f" Judge inconsistent when the answer order was swapped: {rate}."


def notes_text(run: RunResult) -> Text:
    notes = [f"{s.model}: {s.cost_note}" for s in run.summaries if s.cost_note] + run.notes
    return Text("\n".join(f"note: {n}" for n in notes), style="dim")


def cases_table(run: RunResult, failed_only: bool = False, width: int = 60) -> Table:
    table = Table(title="cases", title_justify="left", show_lines=False)
    table.add_column("case")
    for model in run.models:
        table.add_column(model, overflow="fold")
    for case in run.cases:
        cells = [_cell(case.answers.get(m), width) for m in run.models]
        if failed_only and all(a is not None and a.passed is not False for a in case.answers.values()):
            continue
        table.add_row(case.id, *cells)
    return table


def _cell(answer: Answer | None, width: int) -> Text:
    if answer is None:
        return Text("-")
    if answer.error:
        return Text(f"ERROR {answer.error[:width]}", style="red")
    mark = {True: ("PASS ", "green"), False: ("FAIL ", "red"), None: ("", "")}[answer.passed]
    body = (answer.text or "").replace("\n", " ")
    body = body if len(body) <= width else body[: width - 1] + "…"
    failed = "; ".join(f"{a.type}: {a.detail}" for a in answer.assertions if not a.passed)
    text = Text(mark[0], style=mark[1]) + Text(body)
    return text + Text(f"  ({failed})", style="dim") if failed else text


def print_run(run: RunResult, console: Console, cases: bool = False, failed_only: bool = False) -> None:
    table = shadow_table(run) if run.shadow is not None else summary_table(run)
    statements = run.pairwise or (run.shadow is not None and run.shadow.latency)
    parts: list[Table | Text] = [table, *([pairwise_text(run)] if statements else []), notes_text(run)]
    if cases or failed_only:
        parts.insert(1, cases_table(run, failed_only))
    console.print(Group(*parts))
