"""The decision report: one self-contained HTML file (optionally Markdown) that combines whatever exists —
a TCO analysis, bench results, eval results and the ledger's privacy findings — with plots and a
recommendation in plain words, its reasons and its assumptions stamped.

    from crossroads.lab.report import build_report, load_inputs, render_html, write_markdown

    inputs = load_inputs(tco="tco.json", bench=("bench.json",), evals=("eval.json",), ledger_url="sqlite:///crossroads.db")
    report = build_report(inputs)                 # Report: recommendation + sections of blocks
    Path("report.html").write_text(render_html(report))
    write_markdown(report, "report.md")           # plots beside it in report_files/

Sections (HTML ids): recommendation, cost, quality, performance, privacy, assumptions. The
recommendation opens with the five-axes table (``summary``: cost with its Monte Carlo range, quality
with its Wilson interval, latency at the workload's load, effort, privacy) and a verdict that names the
model and fleet and says what the quality evidence says about them (``choice``); inputs that disagree
with each other (``consistency``: bench hardware vs the machine priced, bench prompt shape vs the
workload, a hosted bench as capacity, models costed vs evaluated) make it provisional and are listed
under "What this does not know" with how to close each. Plots (the ``data-plot`` attribute of each
``<figure>``): cost_vs_traffic.png (break-even band shaded, fixed fleets ending at capacity),
hybrid_split.png, tornado.png, quality_vs_cost.png, ttft_vs_throughput.png, latency_vs_throughput.png
(latency objectives dotted) — each present when its input is. A missing input leaves its section with
a sentence saying how to produce it. The Markdown escapes every input's text (no HTML, no links).
"""

from crossroads.lab.report.build import SECTION_IDS, build_report
from crossroads.lab.report.errors import ReportError
from crossroads.lab.report.html import render_html
from crossroads.lab.report.inputs import ReportInputs, load_inputs
from crossroads.lab.report.markdown import render_markdown, write_markdown
from crossroads.lab.report.model import Report

__all__ = [
    "SECTION_IDS",
    "Report",
    "ReportError",
    "ReportInputs",
    "build_report",
    "load_inputs",
    "render_html",
    "render_markdown",
    "write_markdown",
]
