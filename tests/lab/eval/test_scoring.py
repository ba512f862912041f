"""Assertions, ROUGE-L, similarity, statistics and judge parsing, each on hand-checked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crossroads.lab.eval.assertions import Assertion, check
from crossroads.lab.eval.judge import combine, parse_grade, parse_verdict
from crossroads.lab.eval.metrics import lcs_length, rouge_l, similarities
from crossroads.lab.eval.stats import bootstrap_mean, compare_pairs, pass_rate, sign_test, win_rate


def passes(spec: dict, text: str, scores: dict | None = None) -> bool:  # type: ignore[type-arg]
    return check(Assertion.model_validate(spec), text, scores or {}).passed


@pytest.mark.parametrize(
    ("spec", "yes", "no"),
    [
        ({"type": "equals", "value": "Paris"}, " Paris\n", "paris"),
        ({"type": "equals", "value": "Paris", "ignore_case": True}, "PARIS", "Paris."),
        ({"type": "contains", "value": "Par"}, "in Paris", "in paris"),
        ({"type": "contains", "value": ["a", "b"]}, "ab", "a"),
        ({"type": "icontains", "value": "PARIS"}, "paris!", "Rome"),
        ({"type": "not-contains", "value": "sorry"}, "Sure.", "Sorry, no."),
        ({"type": "contains-any", "value": ["7", "seven"]}, "seven days", "six"),
        ({"type": "regex", "value": r"^\d{3}$"}, "123", "1234"),
        ({"type": "is-json"}, '```json\n{"a": 1}\n```', "{a: 1}"),
        ({"type": "json-schema", "value": {"type": "object", "required": ["a"]}}, '{"a": 1}', '{"b": 1}'),
        ({"type": "number", "value": 100, "tolerance": 0.5}, "It is 100.4 degrees", "It is 101 degrees"),
        ({"type": "number", "value": 1234.5}, "1,234.5 units", "no number"),
        ({"type": "max-length", "value": 5}, "abcde", "abcdef"),
        ({"type": "max-length", "value": 2, "unit": "words"}, "two words", "three words here"),
    ],
)
def test_text_assertions(spec: dict, yes: str, no: str) -> None:  # type: ignore[type-arg]
    assert passes(spec, yes) and not passes(spec, no)


def test_metric_assertions_read_scores() -> None:
    assert passes({"type": "rouge-l", "threshold": 0.5}, "x", {"rouge_l": 0.5})
    assert not passes({"type": "similar"}, "x", {"similarity": 0.74})  # default threshold 0.75
    assert passes({"type": "judge"}, "x", {"judge": 0.75})  # 0.75 in [0, 1] is a 4 on the judge's 1..5
    result = check(Assertion(type="similar"), "x", {})
    assert not result.passed and "not computed" in result.detail


def test_json_schema_failure_names_the_field() -> None:
    spec = Assertion.model_validate({"type": "json-schema", "value": {"properties": {"age": {"type": "integer"}}}})
    assert check(spec, '{"age": "old"}', {}).detail == "age: 'old' is not of type 'integer'"


def test_rouge_l_hand_checked() -> None:
    assert lcs_length(["a", "b", "c", "d"], ["a", "c", "d", "e"]) == 3
    assert rouge_l("The cat sat.", "the cat sat") == 1.0
    # candidate 4 tokens, reference 5 tokens, LCS "the cat on mat" = 4: P = 1, R = 0.8, F1 = 8/9
    assert rouge_l("the cat on mat", "the cat sat on mat") == pytest.approx(8 / 9)
    assert rouge_l("", "x") == 0.0 and rouge_l("dog", "cat") == 0.0


async def test_similarities_are_cosines() -> None:
    async def embed(texts):  # type: ignore[no-untyped-def]
        table = {"a": [1.0, 0.0], "b": [1.0, 1.0], "c": [0.0, 1.0], "d": [-1.0, 0.0]}
        return np.array([table[t] for t in texts])

    values = await similarities(embed, ["a", "a", "a"], ["a", "b", "d"])
    assert values == pytest.approx([1.0, 2**-0.5, 0.0])  # opposite vectors clip to 0


def test_bootstrap_edge_cases_and_seed() -> None:
    assert bootstrap_mean([]).value is None
    constant = bootstrap_mean([1.0] * 10)
    assert (constant.value, constant.low, constant.high) == (1.0, 1.0, 1.0)
    data = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.6]
    assert bootstrap_mean(data) == bootstrap_mean(data)
    assert bootstrap_mean(data) != bootstrap_mean(data, seed=1)
    est = bootstrap_mean(data)
    assert est.low is not None and est.high is not None and est.low < est.value < est.high  # type: ignore[operator]


def test_sign_test_and_win_rate_hand_checked() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(9, 1) == pytest.approx(2 * (1 + 10) / 1024)  # P(X<=1)+P(X>=9) for Bin(10, 1/2)
    rate = win_rate(5, 5)  # Wilson for 5 of 10: 0.5 -+ 1.96 / 13.84 * sqrt(2.5 + 0.96) = [0.2366, 0.7634]
    assert (
        rate.value == 0.5
        and rate.low == pytest.approx(0.236593, abs=1e-6)
        and rate.high == pytest.approx(0.763407, abs=1e-6)
    )
    assert win_rate(0, 0).value is None


def test_statement_when_every_case_ties() -> None:
    pair = compare_pairs("a", "b", [0, 0, 0], "pass")
    assert pair.ties == 3 and not pair.significant and "every case tied" in pair.statement


def test_judge_parsing() -> None:
    assert parse_grade('{"score": 5, "reason": "right"}').score == 1.0
    assert parse_grade("Score: 2 because it is vague").score == 0.25
    assert parse_grade('{"score": 9, "reason": "x"}').score is None
    assert parse_grade("no idea").score is None
    assert parse_verdict('{"winner": "B", "reason": "x"}') == "B"
    assert parse_verdict("Winner: tie") == "tie" and parse_verdict("both fine") is None


@pytest.mark.parametrize(
    ("forward", "backward", "expected"),
    [
        ("A", "B", (1, True)),  # X shown first wins, and X shown second wins: X is better
        ("B", "A", (-1, True)),
        ("tie", "tie", (0, True)),
        ("A", "A", (0, False)),  # the first position always wins: position bias
        ("B", "B", (0, False)),
        ("A", "tie", (0, False)),
        (None, "B", (0, False)),
    ],
)
def test_position_swap(forward: str | None, backward: str | None, expected: tuple[int, bool]) -> None:
    assert combine(forward, backward) == expected


Z = 1.959963984540054  # the 97.5% normal quantile


def wilson(x: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out from its formula (the code under test calls scipy)."""
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z / (n + Z * Z) * math.sqrt(x * (n - x) / n + Z * Z / 4)
    return centre - half, centre + half


@pytest.mark.parametrize(("passed", "n"), [(5, 5), (0, 4), (24, 25), (3, 8), (50, 100)])
def test_pass_rate_is_the_wilson_interval(passed: int, n: int) -> None:
    est = pass_rate([True] * passed + [False] * (n - passed))
    low, high = wilson(passed, n)
    assert (est.value, est.n, est.method) == (passed / n, n, "wilson")
    assert est.low == pytest.approx(max(0.0, low)) and est.high == pytest.approx(min(1.0, high))
    assert est.low is not None and est.high is not None and est.low < est.high  # never a point, even at 5 of 5
    assert est.low <= passed / n <= est.high


def test_one_method_for_pass_and_win_rates() -> None:
    assert win_rate(24, 1) == pass_rate([True] * 24 + [False])  # 24 of 25: [80%, 99%], not a bootstrap [88%, 100%]
    assert win_rate(4, 0).low == pytest.approx(wilson(4, 4)[0])  # 4 of 4: [51%, 100%]
