"""``build_report()``: the sections in reading order, the recommendation, and the assumptions stamped."""

from __future__ import annotations

import platform
from datetime import UTC, datetime

from crossroads import __version__
from crossroads.lab.report.cost_section import cost_section
from crossroads.lab.report.inputs import ReportInputs
from crossroads.lab.report.lab_sections import performance_section, privacy_section, quality_section
from crossroads.lab.report.model import Report, Section, Table
from crossroads.lab.report.recommend import recommend

SECTION_IDS = ("recommendation", "cost", "quality", "performance", "privacy", "assumptions")


def build_report(inputs: ReportInputs, title: str = "Self-host or API? — crossroads decision report") -> Report:
    assumptions = stamp(inputs)
    sections = [
        cost_section(inputs.tco),
        quality_section(inputs.evals, inputs.tco),
        performance_section(inputs.bench),
        privacy_section(inputs.traffic, inputs.tco),
        Section("assumptions", "Assumptions", [Table(["what", "value"], [[k, v] for k, v in assumptions])]),
    ]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Report(title, now, recommend(inputs), sections, assumptions)


def stamp(inputs: ReportInputs) -> list[tuple[str, str]]:
    """Prices with their dates, tool and model versions, hardware: what the verdict rests on."""
    rows = [("crossroads", __version__), ("python", f"{platform.python_version()} on {platform.platform()}")]
    if inputs.tco is not None:
        rows += [(k, str(v)) for k, v in inputs.tco.get("assumptions", {}).items()]
    for r in inputs.bench:
        env = r.environment
        hardware = env.hardware or f"{env.cpu} ({env.cpu_count} CPUs)"
        rows.append((f"bench {r.target.model}", f"{hardware}; crossroads {env.tool_version}; run {env.date}"))
    for run in inputs.evals:
        judge = f"; judge {run.judge}" if run.judge else ""
        rows.append((f"eval {run.suite.name}", f"models {', '.join(run.models)}{judge}; run {run.created_at:%Y-%m-%d}"))
    rows += [(f"input: {k}", v) for k, v in inputs.sources.items()]
    return rows
