"""``run_eval``: ask every model every case (concurrently, cached), score, judge, summarise -> ``RunResult``."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crossroads.errors import CrossroadsError
from crossroads.lab.eval.caller import Caller, Reply, Style
from crossroads.lab.eval.judge import DEFAULT_RUBRIC, Judge
from crossroads.lab.eval.metrics import Embedder
from crossroads.lab.eval.pricing import PriceLookup, no_prices
from crossroads.lab.eval.result import Answer, CaseResult, Pairwise, RunResult, SuiteInfo
from crossroads.lab.eval.scoring import add_assertions, add_grades, add_rouge, add_similarity
from crossroads.lab.eval.stats import compare_pairs
from crossroads.lab.eval.store import file_name
from crossroads.lab.eval.suite import Case, Suite
from crossroads.lab.eval.summarize import pass_pairwise, score_pairwise, summarize


class Tracker:
    """Progress hooks; the CLI draws a rich progress bar, tests pass nothing."""

    def phase(self, name: str, total: int) -> None:
        return None

    def step(self) -> None:
        return None


@dataclass
class EvalOptions:
    models: list[str]
    styles: dict[str, Style] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    judge: str | None = None
    rubric: str = DEFAULT_RUBRIC
    pairwise_judge: bool = True
    notes: list[str] = field(default_factory=list)


async def run_eval(
    suite: Suite,
    caller: Caller,
    options: EvalOptions,
    *,
    embed: Embedder | None = None,
    prices: PriceLookup = no_prices,
    tracker: Tracker | None = None,
) -> RunResult:
    tracker = tracker or Tracker()
    results = await _answer_all(suite, caller, options, prices, tracker)
    add_rouge(results)
    if embed is not None and any(c.reference for c in suite.cases):
        tracker.phase("similarity", 1)
        try:
            await add_similarity(results, embed)
        except CrossroadsError as exc:
            options.notes.append(f"similarity not computed: {exc.message}")
        tracker.step()
    judge = Judge(caller, options.judge, options.rubric) if options.judge else None
    if judge is not None:
        tracker.phase(f"judging with {options.judge}", sum(len(r.answers) for r in results))
        await add_grades(results, judge, tracker.step)
    add_assertions(results, suite.cases)
    pairwise = pass_pairwise(results, options.models)
    if judge is not None and options.pairwise_judge and len(options.models) > 1:
        pairwise += await _judge_pairs(results, options.models, judge, tracker)
    elif not pairwise:
        metric = next((m for m in ("judge", "similarity", "rouge_l") if _has(results, m)), None)
        pairwise = score_pairwise(results, options.models, metric) if metric else []
    return RunResult(
        run_id=run_id(suite),
        created_at=datetime.now(UTC),
        suite=SuiteInfo(
            name=suite.name,
            path=suite.path,
            sha256=suite.sha256,
            n_cases=len(suite.cases),
            description=suite.description,
        ),
        params={
            **suite.params,
            **options.params,
            "styles": options.styles,
            "rubric": options.rubric if judge else None,
        },
        models=options.models,
        judge=options.judge,
        summaries=summarize(results, options.models, caller.settings),
        pairwise=pairwise,
        cases=results,
        notes=[*options.notes, f"cache: {caller.cache.hits} hits, {caller.cache.misses} misses"],
    )


def run_id(suite: Suite) -> str:
    now = datetime.now(UTC)
    salt = hashlib.sha256(f"{suite.sha256}{now.isoformat()}".encode()).hexdigest()[:6]
    return f"{file_name(suite.name, 'suite')}-{now:%Y%m%d-%H%M%S}-{salt}"


async def _answer_all(
    suite: Suite, caller: Caller, options: EvalOptions, prices: PriceLookup, tracker: Tracker
) -> list[CaseResult]:
    tracker.phase("answering", len(suite.cases) * len(options.models))
    results = [
        CaseResult(id=c.id or "", messages=[m.model_dump() for m in c.messages], reference=c.reference, tags=c.tags)
        for c in suite.cases
    ]

    async def one(result: CaseResult, case: Case, model: str) -> None:
        params = {**suite.params, **case.params, **options.params}
        reply = await caller.ask(model, result.messages, params, options.styles.get(model, "chat"))
        result.answers[model] = _answer(model, reply, prices, caller)
        tracker.step()

    jobs = [one(r, c, m) for r, c in zip(results, suite.cases, strict=True) for m in options.models]
    await asyncio.gather(*jobs)
    for result in results:  # keep the models' order stable in the file
        result.answers = {m: result.answers[m] for m in options.models}
    return results


def _answer(model: str, reply: Reply, prices: PriceLookup, caller: Caller) -> Answer:
    price = prices(caller.settings.upstream_name(model)) or prices(model)
    cost = price.cost(reply.prompt_tokens, reply.completion_tokens) if price and reply.error is None else None
    return Answer(
        model=model,
        text=reply.text,
        error=reply.error,
        latency_s=reply.latency_s,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        cost_usd=cost,
        cached=reply.cached,
    )


def _has(results: list[CaseResult], metric: str) -> bool:
    return any(metric in a.scores for r in results for a in r.answers.values())


async def _judge_pairs(results: list[CaseResult], models: list[str], judge: Judge, tracker: Tracker) -> list[Pairwise]:
    pairs = list(itertools.combinations(models, 2))
    tracker.phase("pairwise judging (both orders)", len(pairs) * len(results))
    out = []
    for a, b in pairs:
        rows = [r for r in results if usable(r.answers[a]) and usable(r.answers[b])]
        verdicts = await asyncio.gather(*(_compare(judge, r, a, b, tracker.step) for r in rows))
        out.append(judged(a, b, verdicts))
    return out


def judged(a: str, b: str, verdicts: list[tuple[Any, bool]]) -> Pairwise:
    """The pairwise comparison of judge verdicts ``(outcome, consistent when asked in both orders)``."""
    pair = compare_pairs(a, b, [v for v, _ in verdicts], "judge")
    pair.inconsistent = sum(1 for _, consistent in verdicts if not consistent)
    pair.inconsistency_rate = pair.inconsistent / len(verdicts) if verdicts else None
    return pair


def usable(answer: Answer) -> bool:
    return answer.error is None and answer.text is not None


async def _compare(judge: Judge, result: CaseResult, a: str, b: str, step: Callable[[], None]) -> tuple[int, bool]:
    verdict = await judge.compare(
        result.messages, result.reference, result.answers[a].text or "", result.answers[b].text or ""
    )
    step()
    return verdict
