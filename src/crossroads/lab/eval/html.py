"""A self-contained HTML page for one eval run: inline CSS and SVG, no scripts, no network."""

from __future__ import annotations

from html import escape

from crossroads.lab.eval.render import (
    SCORE_COLUMNS,
    SHADOW_HEAD,
    inconsistency,
    money,
    pct,
    score,
    seconds,
    shadow_cells,
    shadow_title,
)
from crossroads.lab.eval.result import Answer, BackendSummary, Estimate, RunResult

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
color:#1d2430;padding:0 1rem}h1{font-size:1.5rem;margin:0 0 .2rem}
h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #dde3ea;padding-bottom:.2rem}
.meta{color:#5b6675;margin:0 0 1rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e6ebf0;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{color:#11773a;font-weight:600}.fail{color:#b42318;font-weight:600}.err{color:#b42318}
.sig{border-left:4px solid #11773a;background:#effaf3}.nsig{border-left:4px solid #c98a00;background:#fff8e6}
.stmt{padding:.5rem .8rem;margin:.4rem 0;border-radius:3px}.dim{color:#6b7684;font-size:.9em}
details summary{cursor:pointer;color:#33527a}
pre{white-space:pre-wrap;margin:.2rem 0;font:12.5px/1.4 ui-monospace,Menlo,monospace}
.answer{max-width:420px}
"""


def render_html(run: RunResult) -> str:
    heading = (
        shadow_title(run) if run.shadow else f"{run.suite.name} — {len(run.models)} models, {run.suite.n_cases} cases"
    )
    body = [
        f"<h1>{escape(heading)}</h1>",
        f"<p class=meta>run {escape(run.run_id)} · {run.created_at:%Y-%m-%d %H:%M} UTC"
        f" · judge: {escape(run.judge or 'none')}"
        f" · suite sha256 {run.suite.sha256[:12]}</p>",
        f"<p>{escape(run.suite.description)}</p>" if run.suite.description else "",
        "<h2>Summary</h2>",
        _shadow_summary(run) if run.shadow else _summary(run),
        _chart(run.summaries),
        "<h2>Pairwise</h2>",
        _pairwise(run),
        _notes(run),
        "<h2>Cases</h2>",
        _cases(run),
    ]
    title = escape(f"crossroads eval — {run.suite.name}")
    head = f"<head><meta charset=utf-8><title>{title}</title><style>{_CSS}</style></head>"
    return f"<!doctype html><html lang=en>{head}<body>{''.join(body)}</body></html>\n"


def _summary(run: RunResult) -> str:
    columns = [c for c in SCORE_COLUMNS if any(c in s.scores for s in run.summaries)]
    head = [
        "model",
        "where",
        "pass rate [95% CI]",
        *columns,
        "cost / 1k cases",
        "p50 latency",
        "p90 latency",
        "tok/s",
        "tokens in / out",
        "errors",
    ]
    rows = []
    for s in run.summaries:
        cells = [
            pct(s.pass_rate),
            *(score(s.scores.get(c)) for c in columns),
            money(s.cost_per_1k_cases_usd, s.cost_note),
        ]
        cells += [
            seconds(s.latency_p50_s),
            seconds(s.latency_p90_s),
            "-" if s.tokens_per_s is None else f"{s.tokens_per_s:.0f}",
        ]
        cells += [f"{s.prompt_tokens:,} / {s.completion_tokens:,}", str(s.n_errors)]
        rows.append(
            f"<tr><td><b>{escape(s.model)}</b></td><td>{escape(s.location)}</td>"
            + "".join(f"<td class=num>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _shadow_summary(run: RunResult) -> str:
    rows = []
    for s in run.summaries:
        name, where, *cells = shadow_cells(s)
        rows.append(
            f"<tr><td><b>{escape(name)}</b></td><td>{escape(where)}</td>"
            + "".join(f"<td class=num>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(f"<th>{escape(h)}</th>" for h in SHADOW_HEAD)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _chart(summaries: list[BackendSummary]) -> str:
    """Horizontal bars of the main quality measure with 95% interval whiskers (inline SVG)."""
    measure = (
        "pass rate"
        if any(s.pass_rate for s in summaries)
        else next((c for c in SCORE_COLUMNS if any(c in s.scores for s in summaries)), None)
    )
    if measure is None:
        return ""
    width, left, bar = 640, 150, 22
    rows = []
    for i, s in enumerate(summaries):
        e: Estimate | None = s.pass_rate if measure == "pass rate" else s.scores.get(measure)
        if e is None or e.value is None:
            continue
        y = 10 + i * (bar + 12)
        x = lambda v: left + v * (width - left - 60)  # noqa: E731
        rows.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="13">{escape(s.model)}</text>'
            f'<rect x="{left}" y="{y}" width="{x(e.value) - left:.1f}" height="{bar}" fill="#5b8def" rx="2"/>'
            f'<line x1="{x(e.low or e.value):.1f}" x2="{x(e.high or e.value):.1f}" y1="{y + bar / 2}" '
            f'y2="{y + bar / 2}" stroke="#1d2430" stroke-width="2"/>'
            f'<text x="{width - 50}" y="{y + 15}" font-size="12" fill="#5b6675">{e.value:.2f}</text>'
        )
    height = 20 + len(summaries) * (bar + 12)
    axis = f'<line x1="{left}" x2="{left}" y1="4" y2="{height - 6}" stroke="#aab4c0"/>'
    kind = "Wilson" if measure == "pass rate" else "bootstrap"
    caption = f"<p class=dim>{escape(measure)} per model; the black line is the 95% {kind} interval.</p>"
    svg = f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(measure)}">'
    return f"{svg}{axis}{''.join(rows)}</svg>{caption}"


def _pairwise(run: RunResult) -> str:
    pairs = [*(run.shadow.latency if run.shadow else []), *run.pairwise]
    if not pairs:
        return "<p class=dim>Only one model: nothing to compare.</p>"
    items = []
    for p in pairs:
        extra = inconsistency(p)
        items.append(f"<div class='stmt {'sig' if p.significant else 'nsig'}'>{escape(p.statement + extra)}</div>")
    return "".join(items)


def _notes(run: RunResult) -> str:
    notes = [f"{s.model}: {s.cost_note}" for s in run.summaries if s.cost_note] + run.notes
    return "".join(f"<p class=dim>note: {escape(n)}</p>" for n in notes)


def _cases(run: RunResult) -> str:
    head = (
        "<tr><th>case</th><th>prompt / reference</th>" + "".join(f"<th>{escape(m)}</th>" for m in run.models) + "</tr>"
    )
    rows = []
    for case in run.cases:
        prompt = "\n".join(f"{m['role']}: {m['content']}" for m in case.messages)
        ref = f"<div class=dim>reference: {escape(case.reference)}</div>" if case.reference else ""
        asked = next((m["content"] for m in reversed(case.messages) if m["role"] == "user"), prompt)
        summary = f"<summary>{escape(_short(str(asked), 70))}</summary>"
        first = f"<details>{summary}<pre>{escape(prompt)}</pre></details>{ref}"
        cells = "".join(f"<td class=answer>{_answer(case.answers.get(m))}</td>" for m in run.models)
        rows.append(f"<tr><td>{escape(case.id)}</td><td>{first}</td>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _answer(a: Answer | None) -> str:
    if a is None:
        return "-"
    if a.error:
        return f"<span class=err>error: {escape(a.error)}</span>"
    badge = {True: "<span class=pass>PASS</span> ", False: "<span class=fail>FAIL</span> ", None: ""}[a.passed]
    failed = "; ".join(f"{x.type}: {x.detail}" for x in a.assertions if not x.passed)
    scores = " · ".join(f"{k} {v:.2f}" for k, v in a.scores.items())
    meta = " · ".join(x for x in (seconds(a.latency_s), f"{a.completion_tokens} tok", "cached" * a.cached, scores) if x)
    why = f"<div class=dim>judge: {escape(a.judge_reason)}</div>" if a.judge_reason else ""
    fails = f"<div class=fail style='font-weight:400'>{escape(failed)}</div>" if failed else ""
    return f"{badge}<pre>{escape(a.text or '')}</pre>{fails}<div class=dim>{escape(meta)}</div>{why}"


def _short(text: str, size: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"
