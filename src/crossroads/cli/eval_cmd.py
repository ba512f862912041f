"""crossroads eval run | show | compare | suites | quant — quality, cost and latency of models on your prompts.

``eval run --from-shadow`` compares recorded shadow traffic instead of a suite (lab/eval/from_shadow.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossroads.cli.common import CONTEXT, config_option, fail, output_dir, settings_or_exit
from crossroads.cli.usage_cmd import _since
from crossroads.config import Settings
from crossroads.errors import ConfigError, CrossroadsError
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.caller import Style
from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.runner import EvalOptions, Tracker
from crossroads.lab.eval.suite import Suite

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


@click.group(context_settings=CONTEXT)
def eval() -> None:
    """Compare answer quality, cost and latency of models on your own prompts."""
    missing = [name for name in ("numpy", "scipy", "jsonschema") if find_spec(name) is None]
    if missing:
        fail(f"crossroads eval needs {', '.join(missing)}: pip install 'crossroads[lab]'")


@eval.command("run", context_settings=CONTEXT)
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
def run(suite: str | None, models: str | None, config_path: str | None, **opts: Any) -> None:
    """Run SUITE (a .jsonl/.yaml file or a starter suite name) against every model of --models.

    With --from-shadow, compare instead what the gateway's shadow traffic recorded: the answer each
    client got and each mirrored candidate's, per request (latency, cost, errors; quality with --judge).
    """
    from crossroads.lab.eval.cache import NoCache
    from crossroads.lab.eval.html import render_html
    from crossroads.lab.eval.pricing import catalog_prices
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.session import evaluate
    from crossroads.lab.eval.store import run_file, runs_dir

    if opts["from_shadow"] is not None:
        _from_shadow(suite, models, config_path, opts)
        return
    if suite is None:
        raise click.UsageError("Missing argument 'SUITE' (or pass --from-shadow).")
    if not models:
        raise click.UsageError("Missing option '--models' / '-m'.")
    shadow_only = [f"--{k.replace('_', '-')}" for k in ("since", "skip_sensitive") if opts[k]]
    if shadow_only:
        raise click.UsageError(f"{', '.join(shadow_only)} only applies with --from-shadow.")
    output_dir(runs_dir(opts["runs_dir"]), "--runs-dir")
    settings = settings_or_exit(config_path)
    try:
        loaded, options = _plan(settings, suite, models, opts)
        prices = catalog_prices(tuple(opts["price_files"]))
    except ConfigError as exc:
        fail(str(exc))
    cache = NoCache() if opts["no_cache"] else ResponseCache(opts["cache_dir"])
    config = {
        "cache": cache,
        "similarity": not opts["no_similarity"],
        "concurrency": opts["concurrency"],
        "prices": prices,
    }
    console = _console()
    result = _execute(console, cache, lambda bar: evaluate(settings, loaded, options, tracker=bar, **config))
    path = result.save(run_file(opts["runs_dir"], result.run_id))
    html = path.with_suffix(".html")
    html.write_text(render_html(result), encoding="utf-8")
    print_run(result, console, cases=opts["show_cases"])
    console.print(f"saved {path} and {html}")


SUITE_ONLY = {
    "rubric": "--rubric",
    "no_pairwise_judge": "--no-pairwise-judge",
    "completion_models": "--completion",
    "max_tokens": "--max-tokens",
    "temperature": "--temperature",
    "no_similarity": "--no-similarity",
    "price_files": "--prices",
}


def _from_shadow(suite: str | None, models: str | None, config_path: str | None, opts: dict[str, Any]) -> None:
    """``eval run --from-shadow``: recorded shadow traffic as a run (JSON + HTML), printed."""
    from crossroads.lab.eval.cache import NoCache
    from crossroads.lab.eval.from_shadow import ShadowOptions, shadow_run
    from crossroads.lab.eval.html import render_html
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.session import check_models
    from crossroads.lab.eval.shadow_source import load_shadow
    from crossroads.lab.eval.store import run_file, runs_dir

    if suite is not None:
        raise click.UsageError(f"--from-shadow reads recorded requests; drop the suite {suite!r}.")
    unused = [flag for key, flag in SUITE_ONLY.items() if opts[key]]
    if unused:
        raise click.UsageError(f"{', '.join(unused)} applies to suites, not to --from-shadow.")
    names = [m.strip() for m in (models or "").split(",") if m.strip()]
    if len(names) > 1:
        raise click.UsageError("--from-shadow compares one model's traffic: pass one --model.")
    output_dir(runs_dir(opts["runs_dir"]), "--runs-dir")
    settings = settings_or_exit(config_path)
    options = ShadowOptions(None, opts["skip_sensitive"], opts["since"], opts["limit"])
    try:
        options.judge = check_models(settings, [opts["judge"]])[0] if opts["judge"] else None
        loaded = load_shadow(
            settings, opts["from_shadow"] or None, names[0] if names else None, options.since, options.limit
        )
    except ConfigError as exc:
        fail(str(exc))
    cache = NoCache() if opts["no_cache"] else ResponseCache(opts["cache_dir"])
    console = _console()
    result = _execute(
        console,
        cache,
        lambda bar: shadow_run(settings, loaded, options, cache=cache, concurrency=opts["concurrency"], tracker=bar),
    )
    path = result.save(run_file(opts["runs_dir"], result.run_id))
    html = path.with_suffix(".html")
    html.write_text(render_html(result), encoding="utf-8")
    print_run(result, console, cases=opts["show_cases"])
    console.print(f"saved {path} and {html}")


def _plan(settings: Settings, suite: str, models: str, opts: dict[str, Any]) -> tuple[Suite, EvalOptions]:
    """The suite and options a run asks for; ConfigError names what is wrong."""
    from crossroads.lab.eval.session import check_models, suite_path
    from crossroads.lab.eval.suite import load_suite

    loaded = load_suite(suite_path(suite))
    loaded.cases = loaded.cases[: opts["limit"]] if opts["limit"] else loaded.cases
    names = check_models(settings, [m.strip() for m in models.split(",") if m.strip()])
    judge = check_models(settings, [opts["judge"]])[0] if opts["judge"] else None
    styles: dict[str, Style] = {m: "completion" for m in check_models(settings, list(opts["completion_models"]))}
    params = {k: opts[k] for k in ("max_tokens", "temperature") if opts[k] is not None}
    options = EvalOptions(names, styles, params, judge, pairwise_judge=not opts["no_pairwise_judge"])
    options.rubric = opts["rubric"] or options.rubric
    return loaded, options


def _execute(
    console: Console, cache: ResponseCache, job: Callable[[Tracker], Coroutine[Any, Any, RunResult]]
) -> RunResult:
    """Run ``job`` under a progress bar; a CrossroadsError becomes a message, the cache is closed."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            return asyncio.run(job(_Bar(progress)))
    except CrossroadsError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted — the answers received so far are cached; run the same command again to continue", 130)
    finally:
        cache.close()


@eval.command("show", context_settings=CONTEXT)
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


@eval.command("compare", context_settings=CONTEXT)
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


@eval.command("suites", context_settings=CONTEXT)
def suites() -> None:
    """List the starter suites shipped with crossroads."""
    from crossroads.lab.eval.session import shipped_suites
    from crossroads.lab.eval.suite import load_suite

    for path in shipped_suites():
        suite = load_suite(path)
        click.echo(f"{path.stem:<10} {len(suite.cases):>3} cases  {suite.description}")


@eval.command("quant", context_settings=CONTEXT)
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
def quant(
    suite: str,
    qtype: str,
    model_path: str | None,
    limit: int | None,
    max_tokens: int | None,
    cache_dir: str | None,
    runs_dir: str | None,
) -> None:
    """Quality change next to speed and size change: the source GGUF against a variant made locally."""
    from crossroads.backends.bundled import smollm2_path
    from crossroads.lab.eval.quant import describe, make_variant, tradeoff, variant_settings
    from crossroads.lab.eval.render import print_run
    from crossroads.lab.eval.session import evaluate, suite_path
    from crossroads.lab.eval.store import run_file
    from crossroads.lab.eval.suite import load_suite

    try:
        loaded = load_suite(suite_path(suite))
        source = Path(model_path) if model_path else smollm2_path()
        variant = make_variant(source, qtype)
    except CrossroadsError as exc:
        fail(str(exc))
    loaded.cases = loaded.cases[:limit] if limit else loaded.cases
    settings, base, other = variant_settings(source, variant, qtype)
    params = {"max_tokens": max_tokens} if max_tokens else {}
    options = EvalOptions(models=[base, other], params=params, notes=[describe(other, source)])
    cache = ResponseCache(cache_dir)
    console = _console()
    result = _execute(
        console, cache, lambda bar: evaluate(settings, loaded, options, cache=cache, concurrency=1, tracker=bar)
    )
    path = result.save(run_file(runs_dir, result.run_id))
    print_run(result, console)
    for line in tradeoff(result, base, other, source, variant).lines():
        console.print(line)
    console.print(f"saved {path}")
