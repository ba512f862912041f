"""Scripted backends with known answers -> known pass rates, win rates, intervals, costs; cache hits."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossroads.errors import ServiceUnavailable
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.pricing import Price
from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.runner import EvalOptions
from crossroads.lab.eval.session import evaluate, subset
from crossroads.lab.eval.suite import load_suite
from crossroads.privacy.config import PrivacyConfig
from crossroads.routing.config import ShadowTarget
from tests.lab.eval.doubles import (
    RuleBackend,
    biased_judge,
    failing_on,
    fair_judge,
    says_yes_on,
    settings_for,
    suite_lines,
)

YES = {"type": "icontains", "value": "yes"}
GOOD, BAD, ALT = set(range(1, 16)), set(range(1, 6)), set(range(1, 10)) | set(range(16, 20))


def backends() -> dict[str, RuleBackend]:
    return {
        "good": RuleBackend("good", says_yes_on(GOOD)),  # passes 15 of 20
        "bad": RuleBackend("bad", says_yes_on(BAD)),  # passes 5 of 20
        "alt": RuleBackend("alt", says_yes_on(ALT)),  # passes 13 of 20
        "judge": RuleBackend("judge", fair_judge),
        "biased": RuleBackend("biased", biased_judge),
    }


@pytest.fixture
def suite20(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "s.jsonl"
    path.write_text(suite_lines(20, YES))
    return load_suite(path)


async def run(suite, models, tmp_path, doubles=None, **kw) -> RunResult:  # type: ignore[no-untyped-def]
    settings = settings_for("good", "bad", "alt", "judge", "biased")
    options = EvalOptions(models=models, judge=kw.pop("judge", None))
    cache = kw.pop("cache", None) or ResponseCache(tmp_path / "cache")
    return await evaluate(settings, suite, options, cache=cache, backends=doubles or backends(), **kw)


async def test_known_pass_rates_and_intervals(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "bad"], tmp_path)
    good, bad = result.summary("good"), result.summary("bad")
    assert good.pass_rate is not None and bad.pass_rate is not None
    assert (good.pass_rate.value, bad.pass_rate.value) == (0.75, 0.25)
    # Wilson score interval for 15 of 20, by hand: centre (15 + 1.92) / 23.84 = 0.7098, half-width
    # 1.96 / 23.84 * sqrt(15 * 5 / 20 + 0.9604) = 0.1882 -> [0.531, 0.888]; 5 of 20 mirrors it
    assert (good.pass_rate.low, good.pass_rate.high) == pytest.approx((0.5313, 0.8881), abs=1e-3)
    assert (bad.pass_rate.low, bad.pass_rate.high) == pytest.approx((0.1119, 0.4687), abs=1e-3)
    again = await run(suite20, ["good", "bad"], tmp_path)  # fixed seed: the same interval again
    assert again.summary("good").pass_rate == good.pass_rate


async def test_significant_win_rate_is_hand_checked(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "bad"], tmp_path)
    (pair,) = result.pairwise
    assert (pair.method, pair.wins, pair.losses, pair.ties) == ("pass", 10, 0, 10)
    assert pair.p_value == pytest.approx(2 * 0.5**10)  # sign test: P(10 of 10) both tails = 0.00195
    assert pair.win_rate.value == 1.0
    assert pair.win_rate.low == pytest.approx(10 / (10 + 1.959964**2))  # Wilson lower bound for 10/10: 0.7225
    assert pair.win_rate.high == 1.0
    assert pair.significant and "good is better" in pair.statement
    assert pair.mean_difference is not None and pair.mean_difference.value == pytest.approx(0.5)


async def test_not_significant_is_said_plainly(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "alt"], tmp_path)
    (pair,) = result.pairwise
    assert (pair.wins, pair.losses, pair.ties) == (6, 4, 10)
    assert pair.p_value == pytest.approx(1 - 252 / 1024)  # two-sided: everything but exactly 5 of 10
    assert not pair.significant
    assert "not significant" in pair.statement and "cannot tell good and alt apart" in pair.statement


async def test_cache_makes_reruns_free(suite20, tmp_path: Path) -> None:
    doubles = backends()
    first = await run(suite20, ["good"], tmp_path, doubles)
    assert len(doubles["good"].calls) == 20 and not any(c.answers["good"].cached for c in first.cases)
    second = await run(suite20, ["good"], tmp_path, doubles)
    assert len(doubles["good"].calls) == 20, "no new call on a rerun"
    assert all(c.answers["good"].cached for c in second.cases)
    assert second.summary("good").pass_rate == first.summary("good").pass_rate
    assert second.summary("good").latency_p50_s == first.summary("good").latency_p50_s, (
        "cached latency is the measured one"
    )
    assert "cache: 20 hits, 0 misses" in second.notes
    suite20.params["max_tokens"] = 7  # other parameters: a different key
    await run(suite20, ["good"], tmp_path, doubles)
    assert len(doubles["good"].calls) == 40


async def test_judge_scores_and_position_swap(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "bad"], tmp_path, judge="judge")
    assert result.summary("good").scores["judge"].value == pytest.approx(0.75)  # 15 x 5 and 5 x 1 -> (s-1)/4
    judged = next(p for p in result.pairwise if p.method == "judge")
    assert (judged.wins, judged.losses, judged.ties, judged.inconsistent) == (10, 0, 10, 0)
    assert judged.inconsistency_rate == 0.0


async def test_position_biased_judge_is_caught(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "bad"], tmp_path, judge="biased")
    judged = next(p for p in result.pairwise if p.method == "judge")
    assert (judged.wins, judged.losses, judged.ties) == (0, 0, 20)
    assert judged.inconsistent == 20 and judged.inconsistency_rate == 1.0
    assert "every case tied" in judged.statement


async def test_errors_count_as_failures(suite20, tmp_path: Path) -> None:
    doubles = {**backends(), "good": RuleBackend("good", failing_on({3, 4}, ServiceUnavailable("queue full")))}
    result = await run(suite20, ["good"], tmp_path, doubles)
    summary = result.summary("good")
    assert summary.n_errors == 2 and summary.pass_rate is not None and summary.pass_rate.value == 0.9
    assert result.cases[2].answers["good"].error == "queue full"
    rerun = await run(suite20, ["good"], tmp_path, doubles)
    assert len(doubles["good"].calls) == 22, "errors are not cached: they are asked again"
    assert rerun.summary("good").n_errors == 2


async def test_cost_from_prices_and_self_hosted_note(suite20, tmp_path: Path) -> None:
    prices = {"good": Price(Decimal("1.00"), Decimal("2.00"))}
    result = await run(suite20, ["good", "bad"], tmp_path, prices=prices.get)
    answer = result.cases[0].answers["good"]
    assert (answer.prompt_tokens, answer.completion_tokens) == (4, 1)  # "case 1: say yes" -> "yes"
    assert answer.cost_usd == Decimal(4 * 1 + 1 * 2) / 1_000_000
    # every case has 4 prompt tokens and 1 answer word: $6 per 1M cases-worth -> $0.006 per 1k cases
    assert result.summary("good").cost_per_1k_cases_usd == Decimal("0.006")
    assert result.summary("bad").cost_per_1k_cases_usd is None
    assert result.summary("bad").cost_note == "no price in the catalog for this model"


async def test_self_hosted_has_no_invented_price(suite20, tmp_path: Path) -> None:
    settings = settings_for("good", local=("good",))
    options = EvalOptions(models=["good"])
    doubles = {"good": RuleBackend("good", says_yes_on(GOOD), location="local")}
    result = await evaluate(settings, suite20, options, cache=ResponseCache(tmp_path), backends=doubles)  # type: ignore[arg-type]
    assert result.summary("good").cost_per_1k_cases_usd is None
    assert "self-hosted" in (result.summary("good").cost_note or "")


async def test_result_file_round_trip(suite20, tmp_path: Path) -> None:
    result = await run(suite20, ["good", "bad"], tmp_path, judge="judge")
    path = result.save(tmp_path / "run.json")
    loaded = RunResult.load(path)
    assert loaded == result and loaded.schema_version == "1.0"


async def test_reference_metrics_with_an_embedder(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(suite_lines(8, reference="yes"))  # bad says "no" on cases 6-8
    doubles = {**backends(), "embed": RuleBackend("embed", str)}
    settings = settings_for("good", "bad", "embed")
    settings = settings.model_copy(update={"backends": {**settings.backends, "embed": _st()}})
    result = await evaluate(
        settings, load_suite(path), EvalOptions(models=["good", "bad"]), cache=ResponseCache(tmp_path), backends=doubles
    )  # type: ignore[arg-type]
    good = result.summary("good")
    assert good.scores["rouge_l"].value == 1.0 and good.scores["similarity"].value == pytest.approx(1.0)
    assert result.summary("bad").scores["rouge_l"].value == pytest.approx(5 / 8)
    assert result.cases[7].answers["bad"].scores == {"rouge_l": 0.0, "similarity": 0.0}
    (pair,) = result.pairwise  # no assertions: compared on the best available score
    assert pair.method == "score:similarity" and (pair.wins, pair.losses, pair.ties) == (3, 0, 5)


def _st():  # type: ignore[no-untyped-def]
    from crossroads.backends.config import SentenceTransformersConfig

    return SentenceTransformersConfig(type="sentence_transformers")


async def test_empty_answers_score_zero_similarity_without_embedding(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(suite_lines(2, reference="yes"))
    embedder = RuleBackend("embed", str)
    doubles = {"good": RuleBackend("good", lambda p: ""), "embed": embedder}
    settings = settings_for("good", "embed")
    settings = settings.model_copy(update={"backends": {**settings.backends, "embed": _st()}})
    result = await evaluate(
        settings, load_suite(path), EvalOptions(models=["good"]), cache=ResponseCache(tmp_path), backends=doubles
    )  # type: ignore[arg-type]
    assert result.summary("good").scores["similarity"].value == 0.0 and embedder.calls == []


async def test_a_model_with_shadows_and_fallbacks_is_evaluated_alone(suite20, tmp_path: Path) -> None:
    settings = settings_for("good", "bad", "alt")
    routed = settings.models["good"].model_copy(update={"fallbacks": ["bad"], "shadow": [ShadowTarget(backend="alt")]})
    settings = settings.model_copy(update={"models": {**settings.models, "good": routed}})
    chosen = subset(settings, ["good"])
    assert list(chosen.models) == ["good", "bad"] and chosen.models["good"].shadow == []
    assert set(chosen.backends) == {"good", "bad"}  # the shadow's backend is not loaded
    doubles = backends()
    result = await evaluate(
        settings, suite20, EvalOptions(models=["good"]), cache=ResponseCache(tmp_path), backends=doubles
    )  # type: ignore[arg-type]
    assert result.summary("good").pass_rate.value == 0.75  # type: ignore[union-attr]
    assert doubles["alt"].calls == []  # nothing mirrored during an eval


async def test_an_eval_runs_through_the_configured_guard(suite20: Any, tmp_path: Path) -> None:
    settings = settings_for("good").model_copy(update={"privacy": PrivacyConfig(default={"*": "redact"})})
    suite = load_suite(_write(tmp_path / "p.jsonl", "case 1: say yes to Jane Doe at jane.doe@example.com"))
    doubles = backends()
    result = await evaluate(
        settings, suite, EvalOptions(models=["good"]), cache=ResponseCache(tmp_path), backends=doubles
    )  # type: ignore[arg-type]
    assert result.summary("good").n_errors == 0  # the guard started (its name model loaded) with the gateway
    sent = str(doubles["good"].calls)
    assert doubles["good"].calls and "jane.doe@example.com" not in sent and "Jane Doe" not in sent


def _write(path: Path, prompt: str) -> Path:
    path.write_text(json.dumps({"id": "c1", "prompt": prompt, "assert": [YES]}) + "\n")
    return path
