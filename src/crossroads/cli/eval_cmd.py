"""crossroads eval run | show | compare | suites | quant — quality, cost and latency of models on your prompts.

``eval run --from-shadow`` compares recorded shadow traffic instead of a suite (lab/eval/from_shadow.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossroads.cli.common import CONTEXT, config_option, fail, output_dir, settings_or_exit
from crossroads.cli.usage_cmd import _since
from crossroads.errors import ConfigError, CrossroadsError
from crossroads.lab.eval.runner import Tracker

RUNS_DIR = click.option(
    "--runs-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where run results are kept (default: ./crossroads-eval or $CROSSROADS_EVAL_DIR).",
)


def _console() -> Console:
    console = Console()
    if not console.is_terminal:
        console.width = 180
    return console


class _Bar(Tracker):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def phase(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(name, total=total)

    def step(self) -> None:
        self.progress.advance(self.task)


@click.group("eval", context_settings=CONTEXT)
def eval_group() -> None:
    """Compare answer quality, cost and latency of models on your own prompts."""
    missing = [name for name in ("numpy", "scipy", "jsonschema") if find_spec(name) is None]
    if missing:
        fail(f"crossroads eval needs {', '.join(missing)}: pip install 'crossroads[lab]'")


@eval_group.command("run", context_settings=CONTEXT)
@click.argument("suite", required=False)
@click.option(
    "--models",
    "--model",
    "-m",
    "models",
    help="Comma-separated model names from the config, e.g. smollm2,gpt-4o-mini (--from-shadow: the one mirrored).",
)
@click.option(
    "--from-shadow",
    "from_shadow",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[DB_URL|FILE]",
    help="Compare recorded shadow traffic instead of running a suite: a database URL or JSONL file "
    "(default: where --config's gateway writes them).",
)
@click.option("--since", callback=_since, help="--from-shadow: only records since a UTC date or an age (12h, 7d).")
@click.option(
    "--skip-sensitive", is_flag=True, help="--from-shadow with a hosted --judge: do not judge sensitive records."
)
@config_option
@click.option("--judge", help="A configured model that grades every answer (rubric) and compares models pairwise.")
@click.option("--rubric", help="What the judge scores (default: correct, complete, to the point).")
@click.option("--no-pairwise-judge", is_flag=True, help="Only rubric grades, no pairwise judging.")
@click.option(
    "--completion",
    "completion_models",
    multiple=True,
    help="Ask this model with a plain completion prompt (base models). Repeatable.",
)
@click.option("--max-tokens", type=click.IntRange(1), help="Override the suite's max_tokens.")
@click.option("--temperature", type=click.FloatRange(0, 2), help="Override the suite's temperature.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N cases (--from-shadow: the newest N records).")
@click.option(
    "--concurrency", type=click.IntRange(1, 256), default=4, show_default=True, help="Requests in flight per backend."
)
@click.option("--no-similarity", is_flag=True, help="Skip the embedding-similarity metric (saves loading MiniLM).")
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), help="Response cache (default: ~/.cache/crossroads/eval)."
)
@click.option("--no-cache", is_flag=True, help="Ask every model again and store nothing.")
@click.option(
    "--prices",
    "price_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Extra price file in the catalog's YAML format.",
)
@RUNS_DIR
@click.option("--cases", "show_cases", is_flag=True, help="Also print every case.")
def run(
    suite: str | None,
    models: str | None,
    config_path: str | None,
    no_cache: bool,
    no_similarity: bool,
    no_pairwise_judge: bool,
    show_cases: bool,
    **options: Any,
) -> None:
    """Run SUITE (a .jsonl/.yaml file or a starter suite name) against every model of --models.

    With --from-shadow, compare instead what the gateway's shadow traffic recorded: the answer each
    client got and each mirrored candidate's, per request (latency, cost, errors; quality with --judge).
    """
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.request import EvalRequest, execute
    from crossroads.lab.eval.store import runs_dir

    given = {"no_similarity": no_similarity, "no_pairwise_judge": no_pairwise_judge, **options}
    names = tuple(m.strip() for m in (models or "").split(",") if m.strip())
    _check_usage(suite, names, given)
    output_dir(runs_dir(options["runs_dir"]), "--runs-dir")
    request = EvalRequest(
        settings_or_exit(config_path),
        suite,
        names,
        cache=not no_cache,
        similarity=not no_similarity,
        pairwise_judge=not no_pairwise_judge,
        **options,
    )
    console = _console()
    saved = _execute(console, lambda bar: execute(request, bar))
    print_run(saved.result, console, cases=show_cases)
    console.print(f"saved {saved.path} and {saved.html}")


SUITE_ONLY = {
    "rubric": "--rubric",
    "no_pairwise_judge": "--no-pairwise-judge",
    "completion_models": "--completion",
    "max_tokens": "--max-tokens",
    "temperature": "--temperature",
    "no_similarity": "--no-similarity",
    "price_files": "--prices",
}


def _check_usage(suite: str | None, models: tuple[str, ...], given: dict[str, Any]) -> None:
    """Options that do not go together, refused before any work (a suite run, or ``--from-shadow``)."""
    if given["from_shadow"] is not None:
        if suite is not None:
            raise click.UsageError(f"--from-shadow reads recorded requests; drop the suite {suite!r}.")
        unused = [flag for key, flag in SUITE_ONLY.items() if given[key]]
        if unused:
            raise click.UsageError(f"{', '.join(unused)} applies to suites, not to --from-shadow.")
        if len(models) > 1:
            raise click.UsageError("--from-shadow compares one model's traffic: pass one --model.")
        return
    if suite is None:
        raise click.UsageError("Missing argument 'SUITE' (or pass --from-shadow).")
    if not models:
        raise click.UsageError("Missing option '--models' / '-m'.")
    shadow_only = [f"--{k.replace('_', '-')}" for k in ("since", "skip_sensitive") if given[k]]
    if shadow_only:
        raise click.UsageError(f"{', '.join(shadow_only)} only applies with --from-shadow.")


R = TypeVar("R")


def _execute(console: Console, job: Callable[[Tracker], Coroutine[Any, Any, R]]) -> R:
    """Run ``job`` under a progress bar; a CrossroadsError becomes a message."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            return asyncio.run(job(_Bar(progress)))
    except CrossroadsError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted — the answers received so far are cached; run the same command again to continue", 130)


@eval_group.command("show", context_settings=CONTEXT)
@click.argument("run_ref", metavar="RUN", default="latest")
@RUNS_DIR
@click.option("--cases", "show_cases", is_flag=True, help="Print every case.")
@click.option("--failed", is_flag=True, help="Print only cases some model failed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result file as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the HTML page here.")
def show(
    run_ref: str, runs_dir: str | None, show_cases: bool, failed: bool, as_json: bool, html_path: str | None
) -> None:
    """Print a saved run (RUN: a result file, a run id or prefix, or 'latest')."""
    from crossroads.lab.eval.html import render_html
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.store import load_run

    try:
        result = load_run(run_ref, runs_dir)
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    if html_path:
        Path(html_path).write_text(render_html(result), encoding="utf-8")
    print_run(result, _console(), cases=show_cases, failed_only=failed)


@eval_group.command("compare", context_settings=CONTEXT)
@click.argument("run_a")
@click.argument("run_b")
@RUNS_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(run_a: str, run_b: str, runs_dir: str | None, as_json: bool) -> None:
    """Compare two runs of the same suite case by case (paired sign test, bootstrap intervals)."""
    from crossroads.lab.eval.compare import compare_runs
    from crossroads.lab.eval.render import pct, seconds
    from crossroads.lab.eval.store import load_run

    try:
        a, b = load_run(run_a, runs_dir), load_run(run_b, runs_dir)
    except ConfigError as exc:
        fail(str(exc))
    pairs, warnings = compare_runs(a, b)
    if as_json:
        click.echo(
            json.dumps(
                {"a": a.run_id, "b": b.run_id, "warnings": warnings, "pairwise": [p.model_dump() for p in pairs]},
                indent=2,
            )
        )
        return
    console = _console()
    console.print(f"A = {a.run_id} ({a.suite.name})\nB = {b.run_id} ({b.suite.name})")
    for label, run in (("A", a), ("B", b)):
        for s in run.summaries:
            console.print(
                f"  {label}:{s.model:<24} pass {pct(s.pass_rate):<18} "
                f"p50 {seconds(s.latency_p50_s):<9} errors {s.n_errors}"
            )
    for p in pairs:
        delta = p.mean_difference
        diff = (
            ""
            if delta is None or delta.value is None
            else f" Mean difference {delta.value:+.2f} [{delta.low:+.2f}, {delta.high:+.2f}]."
        )
        console.print(f"• {p.statement}{diff}", style="green" if p.significant else "yellow")
    for w in warnings:
        console.print(f"warning: {w}", style="dim")


@eval_group.command("suites", context_settings=CONTEXT)
def suites() -> None:
    """List the starter suites shipped with crossroads."""
    from crossroads.lab.eval.session import shipped_suites
    from crossroads.lab.eval.suite import load_suite

    for path in shipped_suites():
        suite = load_suite(path)
        click.echo(f"{path.stem:<10} {len(suite.cases):>3} cases  {suite.description}")


@eval_group.command("quant", context_settings=CONTEXT)
@click.argument("suite")
@click.option(
    "--type",
    "qtype",
    default="Q8_0",
    show_default=True,
    help="Variant type to make (F16, Q8_0, Q6_K, Q5_1, Q5_0, Q4_1, Q4_0, Q3_K_M, Q2_K).",
)
@click.option(
    "--model-path",
    type=click.Path(dir_okay=False, exists=True),
    help="Source GGUF (default: the bundled SmolLM2 Q4_1).",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N cases.")
@click.option("--max-tokens", type=click.IntRange(1), help="Override the suite's max_tokens.")
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), help="Response cache (default: ~/.cache/crossroads/eval)."
)
@RUNS_DIR
def quant(**options: Any) -> None:
    """Quality change next to speed and size change: the source GGUF against a variant made locally."""
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.request import QuantRequest, execute_quant

    request = QuantRequest(**options)
    console = _console()
    run = _execute(console, lambda bar: execute_quant(request, bar))
    print_run(run.result, console)
    for line in run.tradeoff:
        console.print(line)
    console.print(f"saved {run.path}")
