"""crossroads tco: monthly cost of API and self-hosted options for a traffic profile, break-even, hybrid."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from crossroads.cli.common import CONTEXT, fail, output_file
from crossroads.errors import ConfigError


class DecimalType(click.ParamType):
    """An exact decimal from the command line (never a float)."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value).replace("_", ""))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


NUMBER = DecimalType()


@click.command(context_settings=CONTEXT)
@click.option("--queries-per-day", type=NUMBER, help="Requests a day (or take them from --from-ledger).")
@click.option("--prompt-tokens", type=NUMBER, help="Mean prompt tokens per request.")
@click.option("--completion-tokens", type=NUMBER, help="Mean completion tokens per request.")
@click.option("--cached-share", type=NUMBER, default="0", show_default=True, help="Share of prompt tokens cached.")
@click.option("--peak-to-average", type=NUMBER, help="Busiest hour's traffic over the mean hour (default 1).")
@click.option("--hourly-profile", help="24 comma-separated relative volumes, hour 0..23 (sets the peak).")
@click.option("--growth", type=NUMBER, default="0", show_default=True, help="Monthly traffic growth, e.g. 0.05.")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True, help="Projection horizon.")
@click.option("--days-per-month", type=NUMBER, default="30", show_default=True, help="Traffic days in a month.")
@click.option("--private-share", type=NUMBER, help="Share of requests that must stay local (hybrid).")
@click.option("--api", "api_models", multiple=True, help="API model from the price catalog (repeatable).")
@click.option("--batch-share", type=NUMBER, default="0", show_default=True, help="Share sent via the Batch API.")
@click.option("--gpu", "gpus", multiple=True, help="NAME[,count=N][,hourly=USD][,tps=N][,bench=FILE] (repeatable).")
@click.option("--throughput", type=NUMBER, help="Total tokens/s one machine sustains within your latency goal.")
@click.option("--bench", type=click.Path(dir_okay=False), help="Bench result giving the throughput.")
@click.option("--min-goodput", type=NUMBER, default="0.95", show_default=True, help="SLO share a bench level needs.")
@click.option("--target-utilization", type=NUMBER, default="0.7", show_default=True, help="Peak use per machine.")
@click.option(
    "--ops-monthly",
    type=NUMBER,
    help="Development and operations effort per self-hosted fleet per month, USD (people × time × rate); "
    "without it the effort counts as $0, and the report says so.",
)
@click.option("--storage-monthly", type=NUMBER, help="Storage per month (self-hosted).")
@click.option("--egress-monthly", type=NUMBER, help="Network egress per month (self-hosted).")
@click.option("--from-ledger", "ledger_url", help="Database URL of the gateway's ledger to take the traffic from.")
@click.option("--ledger-days", type=NUMBER, help="Days the ledger covers (default: its rows' span).")
@click.option("--price-file", "price_files", multiple=True, type=click.Path(dir_okay=False), help="Extra catalog.")
@click.option(
    "--range",
    "ranges",
    multiple=True,
    help="NAME=LOW,HIGH: how far an input may be off (gpu_price, throughput, utilization, traffic, tokens, "
    "api_price, effort); drives the cost ranges, break-even band and tornado (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the JSON here (for `crossroads report`).")
def tco(out: str | None, as_json: bool, **options: Any) -> None:
    """Monthly cost of hosted APIs and self-hosted GPUs for your traffic: cost per 1M tokens, break-even
    traffic, hybrid split, sensitivity.

    \b
    crossroads tco --queries-per-day 10000 --prompt-tokens 1500 --completion-tokens 500 \\
        --api gpt-3.5-turbo-0613 --gpu p4d.24xlarge,count=2 --gpu p4de.24xlarge,count=2 --throughput 2500
    """
    from crossroads.lab.tco.render import print_analysis
    from crossroads.lab.tco.request import TcoRequest, build_analysis
    from crossroads.lab.tco.serialize import to_json

    output_file(out, "--out")
    try:
        analysis = build_analysis(TcoRequest(**options))
    except ConfigError as exc:
        fail(str(exc))
    text = to_json(analysis)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    _warn(json.loads(text))
    if as_json:
        click.echo(text)
        return
    console = Console()
    if not console.is_terminal:
        console.width = 160
    print_analysis(analysis, console)


def _warn(data: dict[str, Any]) -> None:
    """Inputs that disagree (a bench of other hardware, prompt shape or a hosted API) are said at once."""
    from crossroads.lab.report.consistency import mismatches
    from crossroads.lab.report.inputs import ReportInputs

    for m in mismatches(ReportInputs(tco=data)):
        click.secho(f"warning: {m.text}", fg="yellow", err=True)
    if any(o["kind"] == "self-hosted" and not o["effort_monthly"] for o in data["options"]):
        click.secho(
            "warning: self-hosting effort counts as $0 — pass --ops-monthly USD (engineering and operations a month)",
            fg="yellow",
            err=True,
        )
