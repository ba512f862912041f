"""Scoring answers: reference metrics, judge grades, then assertions (which may read those scores)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from crossroads.lab.eval.assertions import check
from crossroads.lab.eval.judge import Judge
from crossroads.lab.eval.metrics import Embedder, rouge_l, similarities
from crossroads.lab.eval.result import Answer, CaseResult
from crossroads.lab.eval.suite import Case


def answered(results: list[CaseResult]) -> list[tuple[CaseResult, Answer]]:
    return [(r, a) for r in results for a in r.answers.values() if a.text is not None and a.error is None]


def add_rouge(results: list[CaseResult]) -> None:
    for case, answer in answered(results):
        if case.reference:
            answer.scores["rouge_l"] = rouge_l(answer.text or "", case.reference)


async def add_similarity(results: list[CaseResult], embed: Embedder) -> None:
    """Cosine similarity to the reference; an empty answer scores 0 (there is nothing to embed)."""
    pairs = [(c, a) for c, a in answered(results) if c.reference]
    for _, answer in pairs:
        if not (answer.text or "").strip():
            answer.scores["similarity"] = 0.0
    pairs = [(c, a) for c, a in pairs if "similarity" not in a.scores]
    values = await similarities(embed, [a.text or "" for _, a in pairs], [c.reference or "" for c, _ in pairs])
    for (_, answer), value in zip(pairs, values, strict=True):
        answer.scores["similarity"] = value


async def add_grades(results: list[CaseResult], judge: Judge, on_step: Callable[[], None] | None = None) -> None:
    async def grade(case: CaseResult, answer: Answer) -> None:
        result = await judge.grade(case.messages, case.reference, answer.text or "")
        if result.score is not None:
            answer.scores["judge"] = result.score
        answer.judge_reason = result.reason
        if on_step is not None:
            on_step()

    await asyncio.gather(*(grade(c, a) for c, a in answered(results)))


def add_assertions(results: list[CaseResult], cases: list[Case]) -> None:
    """Run each case's assertions; an answer that failed with an error fails every assertion."""
    by_id = {c.id: c for c in cases}
    for result in results:
        spec = by_id[result.id]
        if not spec.assertions:
            continue
        for answer in result.answers.values():
            if answer.error is not None or answer.text is None:
                answer.passed = False
                continue
            answer.assertions = [check(a, answer.text, answer.scores) for a in spec.assertions]
            answer.passed = all(a.passed for a in answer.assertions)
            answer.scores["assertions"] = sum(a.passed for a in answer.assertions) / len(answer.assertions)


def per_model(results: list[CaseResult]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = defaultdict(list)
    for result in results:
        for model, answer in result.answers.items():
            grouped[model].append(answer)
    return grouped
