"""One self-contained HTML file: inline CSS, plots as base64 PNG, every text escaped."""

from __future__ import annotations

import base64
from html import escape

from crossroads.lab.report.model import Block, Bullets, Paragraph, Plot, Recommendation, Report, Section, Table

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px} h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
.meta{color:#57606a;font-size:.9em} nav a{margin-right:14px;color:#0969da;text-decoration:none}
.verdict{background:#ddf4ff;border-left:6px solid #0969da;padding:12px 16px;font-size:1.2em;font-weight:600}
.caveats li{color:#9a6700}
.mismatch{background:#fff1e5;border-left:6px solid #bc4c00;padding:8px 16px;margin:12px 0}
.mismatch h3{color:#bc4c00;margin:4px 0}
.summary td:first-child{font-weight:600}
table{border-collapse:collapse;margin:12px 0;font-size:.85em;width:100%}
caption{text-align:left;font-weight:600;padding:4px 0;color:#57606a}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} tr:nth-child(even) td{background:#fbfcfd}
figure{margin:16px 0} figure img{max-width:100%;border:1px solid #d0d7de}
figcaption{color:#57606a;font-size:.85em}
"""


def render_html(report: Report) -> str:
    nav = " ".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in report.sections)
    body = "\n".join(_section(s) for s in report.sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<h1>{escape(report.title)}</h1>\n<p class="meta">Generated {escape(report.generated_at)}</p>\n'
        f'<nav><a href="#recommendation">Recommendation</a> {nav}</nav>\n'
        f"{_recommendation(report.recommendation)}\n{body}\n</main>\n</body>\n</html>\n"
    )


def _recommendation(rec: Recommendation) -> str:
    parts = ['<section id="recommendation">\n<h2>Recommendation</h2>']
    if rec.summary is not None:
        parts.append(_table(rec.summary).replace("<table>", '<table class="summary">', 1))
    parts.append(f'<p class="verdict">{escape(rec.verdict)}</p>')
    if rec.mismatches:
        items = _list([f"{m.problem} To close it: {m.fix}" for m in rec.mismatches])
        parts.append(f'<div class="mismatch"><h3>The inputs disagree</h3>{items}</div>')
    if rec.reasons:
        parts.append("<h3>Why</h3>" + _list(rec.reasons))
    if rec.caveats:
        heading = '<h3 id="unknowns">What this does not know</h3>'
        parts.append(f'{heading}<div class="caveats">{_list(rec.caveats)}</div>')
    return "\n".join(parts) + "\n</section>"


def _section(section: Section) -> str:
    blocks = "\n".join(_block(b) for b in section.blocks)
    return f'<section id="{escape(section.id)}">\n<h2>{escape(section.title)}</h2>\n{blocks}\n</section>'


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return _list(block.items)
    if isinstance(block, Table):
        return _table(block)
    return _figure(block)


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _table(table: Table) -> str:
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _figure(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure data-plot="{escape(plot.name)}"><img src="data:image/png;base64,{data}" alt="{escape(plot.alt)}">'
        f"<figcaption>{escape(plot.title)}</figcaption></figure>"
    )
