"""The same report as Markdown; plots are written as PNG files beside it and linked.

Every text from the inputs (titles, model and option names, suite names) is escaped: HTML special
characters become entities, so a `<script>` or an `onerror=` attribute in a name is shown, never run,
by a renderer that passes HTML through; Markdown's own syntax characters get a backslash, so a name
cannot open a link, an image or emphasis either."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from crossroads.lab.report.model import Block, Bullets, Paragraph, Plot, Report, Table


def render_markdown(report: Report, image_dir: str = "") -> str:
    """Markdown text; ``image_dir`` is where ``write_markdown`` puts the plots, relative to the file."""
    rec = report.recommendation
    lines = [f"# {md(report.title)}", "", f"_Generated {md(report.generated_at)}_", "", "## Recommendation", ""]
    lines += [*_table(rec.summary), ""] if rec.summary is not None else []
    lines += [f"**{md(rec.verdict)}**", ""]
    if rec.mismatches:
        lines += ["> **The inputs disagree**", ">"]
        lines += [*(f"> - {md(m.problem)} To close it: {md(m.fix)}" for m in rec.mismatches), ""]
    lines += ["### Why", "", *(f"- {md(r)}" for r in rec.reasons), ""] if rec.reasons else []
    lines += ["### What this does not know", "", *(f"- {md(c)}" for c in rec.caveats), ""] if rec.caveats else []
    for section in report.sections:
        lines += [f"## {md(section.title)}", ""]
        for block in section.blocks:
            lines += [*_block(block, image_dir), ""]
    return "\n".join(lines)


def write_markdown(report: Report, path: str | Path) -> Path:
    file = Path(path)
    images = file.with_name(file.stem + "_files")
    images.mkdir(parents=True, exist_ok=True)
    for plot in report.plots():
        (images / plot.name).write_bytes(plot.png)
    file.write_text(render_markdown(report, images.name), encoding="utf-8")
    return file


def md(text: str) -> str:
    """Text safe to place in Markdown: HTML escaped, Markdown's syntax characters backslashed."""
    return escape(MARKDOWN_SYNTAX.sub(r"\\\g<0>", text), quote=False)


MARKDOWN_SYNTAX = re.compile(r"[\\`*_\[\]|!#]")


def _block(block: Block, image_dir: str) -> list[str]:
    if isinstance(block, Paragraph):
        return [md(block.text)]
    if isinstance(block, Bullets):
        return [f"- {md(item)}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    return _image(block, image_dir)


def _table(table: Table) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(md(c).replace("\n", " ") for c in cells) + " |"

    caption = [f"_{md(table.caption)}_", ""] if table.caption else []
    rule = "| " + " | ".join(["---"] * len(table.headers)) + " |"
    return [*caption, row(table.headers), rule, *(row(r) for r in table.rows)]


def _image(plot: Plot, image_dir: str) -> list[str]:
    target = f"{image_dir}/{plot.name}" if image_dir else plot.name
    return [f"![{md(plot.alt)}]({target})", f"_{md(plot.title)}_"]
