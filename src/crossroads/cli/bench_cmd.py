"""crossroads bench run | compare | schema — load-test any OpenAI-compatible backend."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import click
from rich.console import Console

from crossroads.cli.common import CONTEXT, config_option, fail, output_file, settings_or_exit
from crossroads.lab.bench.errors import BenchError


class BenchGroup(click.Group):
    """``crossroads bench --concurrency 2`` points at ``bench run`` instead of "No such option"."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
            raise click.UsageError(
                f"{args[0]} is an option of `crossroads bench run` — e.g. crossroads bench run {' '.join(args)}", ctx
            )
        return super().parse_args(ctx, args)


@click.group(cls=BenchGroup, context_settings=CONTEXT)
def bench() -> None:
    """Load-test any OpenAI-compatible backend: TTFT, ITL, TPOT, throughput, goodput, cost."""


@bench.command("run", context_settings=CONTEXT)
@click.option("--url", help="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.")
@click.option("--model", help="Model name to send (with --config/--serve: a model of the config).")
@click.option("--api-key-env", help="Environment variable holding the API key for --url.")
@config_option
@click.option("--serve", is_flag=True, help="Start `crossroads serve` (with --config) and bench through it.")
@click.option("--endpoint", type=click.Choice(["chat", "completions", "embeddings"]), default="chat", show_default=True)
@click.option("--stream/--no-stream", default=True, show_default=True, help="Stream (TTFT and ITL need it).")
@click.option("--dataset", type=click.Path(dir_okay=False), help="JSONL of {messages, max_tokens?} (else synthetic).")
@click.option("--input-tokens", type=click.IntRange(1), default=128, show_default=True, help="Synthetic prompt size.")
@click.option("--output-tokens", type=click.IntRange(1), default=64, show_default=True, help="max_tokens per request.")
@click.option(
    "--ignore-eos", is_flag=True, help="Ask the server to generate exactly --output-tokens (vLLM, llama.cpp)."
)
@click.option("--concurrency", help="Closed-loop levels: concurrent requests, e.g. 1,2,4,8,16,32 (default 1).")
@click.option("--rate", help="Open-loop levels: requests/s, e.g. 5,10,20.")
@click.option("--poisson", is_flag=True, help="With --rate: Poisson arrivals instead of evenly spaced ones.")
@click.option("--requests", type=click.IntRange(1), help="Requests per level (default 100 without --duration).")
@click.option("--duration", type=click.FloatRange(0, min_open=True), help="Seconds per level.")
@click.option("--warmup", type=click.IntRange(0), default=2, show_default=True, help="Unmeasured requests per level.")
@click.option("--slo-ttft-ms", type=float, default=500, show_default=True, help="Goodput: time to first token.")
@click.option("--slo-tpot-ms", type=float, default=50, show_default=True, help="Goodput: time per output token.")
@click.option("--slo-e2e-ms", type=float, help="Goodput: whole request.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=120, show_default=True)
@click.option("--cost-per-hour", help="What the deployment costs per hour: adds cost per 1M output tokens.")
@click.option("--model-size", help="Bytes read per token (weights), e.g. 4.1GB: checks decode rate vs bandwidth.")
@click.option("--bandwidth", help="Memory bandwidth per second, e.g. 300GB (with --model-size).")
@click.option("--hardware", default="", help="Describe the deployment for the result file, e.g. '1x L4 24GB'.")
@click.option("--header", "headers", multiple=True, help="Extra request header 'Name: value' (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Result JSON (default: bench-MODEL-TIME.json).")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write PNG plots next to --out.")
def run(serve: bool, config_path: str | None, **options: Any) -> None:
    """Run a load test and write a JSON result (and PNG plots)."""
    from crossroads.lab.bench.request import BenchRequest, execute

    output_file(options["out"], "--out")  # before the run: a bad path must not cost the measurements
    console = Console()
    if not console.is_terminal:
        console.width = 200
    try:
        with _gateway(serve, options["url"], config_path) as gateway_url:
            # a model of the config: through the started gateway, or directly when no --url is given
            wanted = gateway_url is not None or (config_path is not None and not options["url"])
            settings = settings_or_exit(config_path) if wanted else None
            request = BenchRequest(settings=settings, gateway_url=gateway_url, **options)
            execute(request, console, Console(stderr=True))
    except BenchError as exc:
        fail(exc.message)


@contextlib.contextmanager
def _gateway(serve: bool, url: str | None, config_path: str | None) -> Iterator[str | None]:
    """``--serve``: a gateway started for the run (its URL), else None."""
    if not serve:
        yield None
        return
    if url:
        raise BenchError("--serve starts its own gateway: drop --url, or drop --serve to bench that URL")
    from crossroads.lab.bench.serve import gateway

    settings_or_exit(config_path)  # a bad config fails here, with its own messages
    with gateway(config_path) as started:
        yield started


@bench.command("compare", context_settings=CONTEXT)
@click.argument("first", type=click.Path(dir_okay=False))
@click.argument("second", type=click.Path(dir_okay=False))
def compare(first: str, second: str) -> None:
    """Two result files side by side, with B/A ratios."""
    from crossroads.lab.bench.files import read_result
    from crossroads.lab.bench.report import compare_legend, compare_table

    try:
        a, b = read_result(first), read_result(second)
    except BenchError as exc:
        fail(exc.message)
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(compare_legend(a, b, (first, second)), highlight=False)
    console.print(compare_table(a, b))


@bench.command("schema", context_settings=CONTEXT)
def schema() -> None:
    """Print the JSON Schema of result files."""
    from crossroads.lab.bench.result import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
