"""The same report as Markdown; plots are written as PNG files beside it and linked."""

from __future__ import annotations

from pathlib import Path

from crossroads.lab.report.model import Block, Bullets, Paragraph, Plot, Report, Table


def render_markdown(report: Report, image_dir: str = "") -> str:
    """Markdown text; ``image_dir`` is where ``write_markdown`` puts the plots, relative to the file."""
    rec = report.recommendation
    lines = [f"# {report.title}", "", f"_Generated {report.generated_at}_", "", "## Recommendation", ""]
    lines += [f"**{rec.verdict}**", ""]
    lines += ["### Why", "", *(f"- {r}" for r in rec.reasons), ""] if rec.reasons else []
    lines += ["### What this does not know", "", *(f"- {c}" for c in rec.caveats), ""] if rec.caveats else []
    for section in report.sections:
        lines += [f"## {section.title}", ""]
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


def _block(block: Block, image_dir: str) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    return _image(block, image_dir)


def _table(table: Table) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    caption = [f"_{table.caption}_", ""] if table.caption else []
    return [*caption, row(table.headers), row(["---"] * len(table.headers)), *(row(r) for r in table.rows)]


def _image(plot: Plot, image_dir: str) -> list[str]:
    target = f"{image_dir}/{plot.name}" if image_dir else plot.name
    return [f"![{plot.alt}]({target})", f"_{plot.title}_"]
