"""HTML page, run comparison, run lookup, completion-style prompts and the judge's two orders."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.caller import plain_prompt
from crossroads.lab.eval.compare import compare_runs
from crossroads.lab.eval.html import render_html
from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.runner import EvalOptions
from crossroads.lab.eval.session import evaluate
from crossroads.lab.eval.store import find_run
from crossroads.lab.eval.suite import load_suite
from crossroads.lab.eval.suite_errors import EvalError
from tests.lab.eval.doubles import RuleBackend, fair_judge, says_yes_on, settings_for, suite_lines

YES = {"type": "icontains", "value": "yes"}


async def run_of(tmp_path: Path, yes_on: set[int], name: str = "m", n: int = 10, **kw) -> RunResult:  # type: ignore[no-untyped-def]
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "s.jsonl"
    path.write_text(suite_lines(n, YES))
    doubles = {
        name: RuleBackend(name, kw.pop("rule", None) or says_yes_on(yes_on)),
        "judge": RuleBackend("judge", fair_judge),
    }
    options = EvalOptions(models=[name], **kw)
    cache = ResponseCache(tmp_path / "cache")
    return await evaluate(settings_for(name, "judge"), load_suite(path), options, cache=cache, backends=doubles)  # type: ignore[arg-type]


async def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    result = await run_of(tmp_path, set(), rule=lambda p: "<script>alert(1)</script> yes")
    page = render_html(result)
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "src=" not in page and "href=" not in page  # nothing fetched from anywhere
    assert "<svg" in page and "95% Wilson interval" in page


async def test_compare_two_runs_paired(tmp_path: Path) -> None:
    before = await run_of(tmp_path / "a", set(range(1, 4)))  # 3 of 10
    after = await run_of(tmp_path / "b", set(range(1, 11)))  # 10 of 10
    (pair,), warnings = compare_runs(before, after)
    assert (pair.a, pair.b, pair.wins, pair.losses, pair.ties) == ("A:m", "B:m", 0, 7, 3)
    assert pair.p_value == pytest.approx(2 * 0.5**7) and pair.significant and "B:m is better" in pair.statement
    assert pair.mean_difference is not None and pair.mean_difference.value == pytest.approx(-0.7)
    assert warnings == []
    other = await run_of(tmp_path / "c", set(), name="x", n=4)
    (cross,), warnings = compare_runs(before, other)
    assert (cross.a, cross.b) == ("A:m", "B:x")
    shas = f"s {before.suite.sha256[:8]} vs s {other.suite.sha256[:8]}"
    differ = f"the suites differ ({shas}); comparing cases with the same id"
    assert warnings == [differ, "4 cases in common (run A has 10, run B 4)"]


async def test_find_run_by_id_prefix_and_latest(tmp_path: Path) -> None:
    result = await run_of(tmp_path, {1})
    path = result.save(tmp_path / "runs" / f"{result.run_id}.json")
    assert find_run(result.run_id, tmp_path / "runs") == path
    assert find_run(result.run_id[:8], tmp_path / "runs") == path
    assert find_run("latest", tmp_path / "runs") == path
    with pytest.raises(EvalError, match="was not found"):
        find_run("zzz", tmp_path / "runs")


def test_plain_prompt_for_base_models() -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    assert plain_prompt(messages) == "Be brief.\n\nQuestion: Capital of France?\nAnswer:"


async def test_completion_style_uses_the_completions_endpoint(tmp_path: Path) -> None:
    result = await run_of(tmp_path, {1, 2}, n=2, styles={"m": "completion"})
    assert result.summary("m").pass_rate.value == 1.0  # type: ignore[union-attr]
    assert result.params["styles"] == {"m": "completion"}


async def test_judge_asks_both_orders(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(suite_lines(1, YES))
    judge = RuleBackend("judge", fair_judge)
    doubles = {"a": RuleBackend("a", lambda p: "yes"), "b": RuleBackend("b", lambda p: "no"), "judge": judge}
    options = EvalOptions(models=["a", "b"], judge="judge")
    cache = ResponseCache(tmp_path)
    result = await evaluate(settings_for("a", "b", "judge"), load_suite(path), options, cache=cache, backends=doubles)  # type: ignore[arg-type]
    shown = [c["messages"][-1]["content"] for c in judge.calls if "Answer A:" in c["messages"][-1]["content"]]
    assert len(shown) == 2
    assert "Answer A:\nyes\n\nAnswer B:\nno" in shown[0] and "Answer A:\nno\n\nAnswer B:\nyes" in shown[1]
    assert all(c["response_format"]["type"] == "json_schema" for c in judge.calls)
    judged = next(p for p in result.pairwise if p.method == "judge")
    assert (judged.wins, judged.inconsistent) == (1, 0)
