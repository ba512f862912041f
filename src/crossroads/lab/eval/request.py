"""``EvalRequest``: what ``crossroads eval run`` is asked (typed); ``execute`` plans it (suite, models, judge,
prices — an ``EvalError`` names what is wrong), runs it, and saves the result as JSON with an HTML page beside it.

A request either runs a suite against ``models``, or (``from_shadow`` set: a database URL or JSONL file, "" for
where the config's gateway writes them) compares the recorded shadow traffic of one model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crossroads.lab.eval.cache import NoCache, ResponseCache
from crossroads.lab.eval.caller import Style
from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.runner import EvalOptions, Tracker
from crossroads.lab.eval.suite import Suite

if TYPE_CHECKING:
    from crossroads.config import Settings


@dataclass(frozen=True)
class EvalRequest:
    settings: Settings
    suite: str | None = None  # a .jsonl/.yaml file or a starter suite name
    models: tuple[str, ...] = ()
    from_shadow: str | None = None
    since: datetime | None = None  # from_shadow: only records since then
    skip_sensitive: bool = False  # from_shadow with a hosted judge: do not judge sensitive records
    judge: str | None = None
    rubric: str | None = None
    pairwise_judge: bool = True
    completion_models: tuple[str, ...] = ()  # asked with a plain completion prompt (base models)
    max_tokens: int | None = None
    temperature: float | None = None
    limit: int | None = None  # the first N cases (from_shadow: the newest N records)
    concurrency: int = 4
    similarity: bool = True
    cache: bool = True
    cache_dir: str | None = None
    price_files: tuple[str, ...] = ()
    runs_dir: str | None = None


@dataclass(frozen=True)
class SavedRun:
    result: RunResult
    path: Path  # the result JSON
    html: Path


async def execute(request: EvalRequest, tracker: Tracker | None = None) -> SavedRun:
    cache = ResponseCache(request.cache_dir) if request.cache else NoCache()
    try:
        if request.from_shadow is not None:
            result = await _shadow(request, cache, tracker)
        else:
            result = await _suite(request, cache, tracker)
    finally:
        cache.close()
    return save(result, request.runs_dir)


def save(result: RunResult, runs_dir: str | None) -> SavedRun:
    from crossroads.lab.eval.html import render_html
    from crossroads.lab.eval.store import run_file

    path = result.save(run_file(runs_dir, result.run_id))
    html = path.with_suffix(".html")
    html.write_text(render_html(result), encoding="utf-8")
    return SavedRun(result, path, html)


async def _suite(request: EvalRequest, cache: ResponseCache, tracker: Tracker | None) -> RunResult:
    from crossroads.lab.eval.pricing import catalog_prices
    from crossroads.lab.eval.session import evaluate

    suite, options = plan(request)
    prices = catalog_prices(request.price_files)
    return await evaluate(
        request.settings,
        suite,
        options,
        cache=cache,
        similarity=request.similarity,
        concurrency=request.concurrency,
        prices=prices,
        tracker=tracker,
    )


def plan(request: EvalRequest) -> tuple[Suite, EvalOptions]:
    """The suite and options a run asks for; EvalError names what is wrong."""
    from crossroads.lab.eval.session import check_models, suite_path
    from crossroads.lab.eval.suite import load_suite

    assert request.suite is not None
    settings = request.settings
    loaded = load_suite(suite_path(request.suite))
    loaded.cases = loaded.cases[: request.limit] if request.limit else loaded.cases
    names = check_models(settings, list(request.models))
    judge = check_models(settings, [request.judge])[0] if request.judge else None
    styles: dict[str, Style] = {m: "completion" for m in check_models(settings, list(request.completion_models))}
    params = {
        k: v for k, v in (("max_tokens", request.max_tokens), ("temperature", request.temperature)) if v is not None
    }
    options = EvalOptions(names, styles, params, judge, pairwise_judge=request.pairwise_judge)
    options.rubric = request.rubric or options.rubric
    return loaded, options


async def _shadow(request: EvalRequest, cache: ResponseCache, tracker: Tracker | None) -> RunResult:
    from crossroads.lab.eval.from_shadow import ShadowOptions, shadow_run
    from crossroads.lab.eval.session import check_models
    from crossroads.lab.eval.shadow_source import load_shadow

    settings = request.settings
    options = ShadowOptions(None, request.skip_sensitive, request.since, request.limit)
    options.judge = check_models(settings, [request.judge])[0] if request.judge else None
    model = request.models[0] if request.models else None
    loaded = load_shadow(settings, request.from_shadow or None, model, options.since, options.limit)
    return await shadow_run(settings, loaded, options, cache=cache, concurrency=request.concurrency, tracker=tracker)


@dataclass(frozen=True)
class QuantRequest:
    """``crossroads eval quant``: a suite run on a source GGUF (None: the bundled SmolLM2) and a variant of
    ``qtype`` made from it locally."""

    suite: str
    qtype: str = "Q8_0"
    model_path: str | None = None
    limit: int | None = None
    max_tokens: int | None = None
    cache_dir: str | None = None
    runs_dir: str | None = None


@dataclass(frozen=True)
class QuantRun:
    result: RunResult
    path: Path
    tradeoff: list[str]  # quality change next to speed and size change, one sentence a line


async def execute_quant(request: QuantRequest, tracker: Tracker | None = None) -> QuantRun:
    from crossroads.backends.bundled import smollm2_path
    from crossroads.lab.eval.quant import describe, make_variant, tradeoff, variant_settings
    from crossroads.lab.eval.session import evaluate, suite_path
    from crossroads.lab.eval.store import run_file
    from crossroads.lab.eval.suite import load_suite

    loaded = load_suite(suite_path(request.suite))
    source = Path(request.model_path) if request.model_path else smollm2_path()
    variant = make_variant(source, request.qtype)
    loaded.cases = loaded.cases[: request.limit] if request.limit else loaded.cases
    settings, base, other = variant_settings(source, variant, request.qtype)
    params = {"max_tokens": request.max_tokens} if request.max_tokens else {}
    options = EvalOptions(models=[base, other], params=params, notes=[describe(other, source)])
    cache = ResponseCache(request.cache_dir)
    try:
        result = await evaluate(settings, loaded, options, cache=cache, concurrency=1, tracker=tracker)
    finally:
        cache.close()
    path = result.save(run_file(request.runs_dir, result.run_id))
    return QuantRun(result, path, tradeoff(result, base, other, source, variant).lines())
