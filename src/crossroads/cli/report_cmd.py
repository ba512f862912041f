"""crossroads report: one self-contained HTML decision report (optionally Markdown) from the lab's results."""

from __future__ import annotations

from pathlib import Path

import click

from crossroads.cli.common import CONTEXT, fail, output_file
from crossroads.errors import ConfigError

FILE = click.Path(dir_okay=False)


@click.command(context_settings=CONTEXT)
@click.option("--tco", "tco_file", type=FILE, help="A TCO analysis (`crossroads tco ... --out tco.json`).")
@click.option("--bench", "bench_files", multiple=True, type=FILE, help="A bench result (repeatable).")
@click.option("--eval", "eval_files", multiple=True, type=FILE, help="An eval result (repeatable).")
@click.option("--ledger", "ledger_url", help="Database URL of the gateway's ledger, for privacy findings.")
@click.option("--out", default="crossroads-report.html", show_default=True, type=FILE, help="HTML file to write.")
@click.option("--markdown", "markdown_file", type=FILE, help="Also write Markdown here (plots beside it).")
@click.option("--title", default="Self-host or API? — crossroads decision report", show_default=True)
def report(
    tco_file: str | None,
    bench_files: tuple[str, ...],
    eval_files: tuple[str, ...],
    ledger_url: str | None,
    out: str,
    markdown_file: str | None,
    title: str,
) -> None:
    """Combine whatever exists — cost analysis, bench and eval results, the ledger's privacy findings —
    into one HTML file with plots and a recommendation."""
    from crossroads.lab.report import build_report, load_inputs, render_html, write_markdown

    output_file(out, "--out")
    output_file(markdown_file, "--markdown")
    try:
        inputs = load_inputs(tco_file, bench_files, eval_files, ledger_url)
    except ConfigError as exc:
        fail(str(exc))
    result = build_report(inputs, title)
    Path(out).write_text(render_html(result), encoding="utf-8")
    click.echo(f"wrote {out}: {result.recommendation.verdict}")
    if markdown_file:
        write_markdown(result, markdown_file)
        click.echo(f"wrote {markdown_file}")
