"""The report checks its inputs against each other: a deliberately inconsistent set names every mismatch
with how to close it; a consistent set gets a verdict that names the model and fleet and agrees with the
quality evidence."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from crossroads.lab.report import build_report, load_inputs, render_html, render_markdown
from tests.lab.report.fixtures import bench_result, eval_result
from tests.lab.report.test_report import outline

WORKLOAD = ["--queries-per-day", "10000", "--prompt-tokens", "1500", "--completion-tokens", "500"]


def tco(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["tco", *args, "--out", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return str(path)


def test_an_inconsistent_set_names_every_mismatch(tmp_path: Path) -> None:
    # SmolLM2 benched on 2 shared vCPUs with short prompts, used as the throughput of two 8x A100 machines;
    # a bench of a hosted API used as the capacity of an L4 machine; the eval measured other models.
    cpu = bench_result(tmp_path / "cpu.json", model="smollm2", hardware="", shape=(128, 48))
    hosted = bench_result(tmp_path / "api.json", model="gpt-4o-mini", location="hosted", hardware="")
    gpus = ["--gpu", f"p4d.24xlarge,count=2,bench={cpu}", "--gpu", f"g6.xlarge,bench={hosted},name=l4-box"]
    analysis = tco(tmp_path / "tco.json", *WORKLOAD, "--api", "gpt-3.5-turbo-0613", *gpus)
    evals = eval_result(tmp_path / "eval.json", models=("gpt-4o", "llama-3.1-8b"))
    report = build_report(load_inputs(analysis, (str(cpu), str(hosted)), (str(evals),)))
    rec = report.recommendation

    kinds = {(m.kind, m.subject) for m in rec.mismatches}
    assert ("hardware", "p4d.24xlarge ×2") in kinds  # 8x A100 priced, a CPU measured
    assert ("prompt_shape", "p4d.24xlarge ×2") in kinds  # 128 / 48 benched, 1,500 / 500 served
    assert ("hosted_capacity", "l4-box") in kinds  # a provider's fleet is not one L4
    assert ("not_evaluated", "openai/gpt-3.5-turbo-0613") in kinds  # the eval measured gpt-4o instead
    assert ("not_evaluated", "p4d.24xlarge ×2") in kinds  # smollm2 was not evaluated either
    text = {(m.kind, m.subject): m.text for m in rec.mismatches}
    cpu_box = text["hardware", "p4d.24xlarge ×2"]
    assert "measured on test cpu (2 CPUs)" in cpu_box and "--hardware '8× A100 40GB'` on a p4d.24xlarge" in cpu_box
    assert "--input-tokens 1500 --output-tokens 500" in text["prompt_shape", "p4d.24xlarge ×2"]
    assert "the eval measured gpt-4o, llama-3.1-8b instead" in text["not_evaluated", "openai/gpt-3.5-turbo-0613"]
    assert all("To close it:" in m.text for m in rec.mismatches)
    assert all(m.text in rec.caveats for m in rec.mismatches)  # listed under "What this does not know"

    assert rec.verdict.startswith("Provisional — the inputs disagree (")
    assert "was not evaluated, so its quality is unknown (the evals measured gpt-4o, llama-3.1-8b)" in rec.verdict
    parsed = outline(render_html(report))
    assert "The inputs disagree" in parsed.text and "What this does not know" in parsed.text


def test_a_consistent_set_gets_a_verdict_that_agrees_with_its_evidence(tmp_path: Path) -> None:
    bench = bench_result(tmp_path / "l4.json", shape=(1500, 500))  # llama-3.1-8b on 1x L4, the workload's shape
    api_bench = bench_result(tmp_path / "api.json", model="gpt-4o-mini", location="hosted", shape=(1500, 500))
    analysis = tco(tmp_path / "tco.json", *WORKLOAD, "--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}")
    evals = eval_result(tmp_path / "eval.json", rates=(0.9, 0.6), significant=True)
    report = build_report(load_inputs(analysis, (str(bench), str(api_bench)), (str(evals),)))
    rec = report.recommendation

    assert rec.mismatches == []
    assert rec.verdict == (
        "Use the hosted API openai/gpt-4o-mini-2024-07-18 ($158/month at today's traffic) — it is also "
        "significantly better than llama-3.1-8b on support-qa (40 cases)."
    )
    assert rec.summary is not None
    rows = {row[0]: row for row in rec.summary.rows}
    api = rows["hosted API: openai/gpt-4o-mini-2024-07-18"]
    assert api[2].startswith("pass 90% [") and "40 cases" in api[2]
    assert api[3].startswith("TTFT 40 ms / 60 ms, E2E 160 ms / 240 ms (p50 / p99)")  # the hosted bench
    fleet = rows["self-hosted: llama-3.1-8b on g6.xlarge"]
    assert fleet[4] == "$0 — NOT GIVEN (tco --ops-monthly)"  # effort left at 0 is flagged


@pytest.mark.parametrize(
    ("models", "rates", "significant", "expected"),
    [
        (
            ("llama-3.1-8b", "gpt-4o-mini"),
            (0.9, 0.6),
            True,
            "quality points the other way: llama-3.1-8b is significantly better on support-qa (40 cases)",
        ),
        (
            ("gpt-4o-mini", "llama-3.1-8b"),
            (0.85, 0.8),
            False,
            "the quality gap to llama-3.1-8b on support-qa (40 cases) is not significant",
        ),
    ],
)
def test_the_verdict_says_what_quality_says(
    tmp_path: Path, models: tuple[str, str], rates: tuple[float, float], significant: bool, expected: str
) -> None:
    bench = bench_result(tmp_path / "l4.json", shape=(1500, 500))
    analysis = tco(tmp_path / "tco.json", *WORKLOAD, "--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}")
    evals = eval_result(tmp_path / "eval.json", models=models, rates=rates, significant=significant)
    verdict = build_report(load_inputs(analysis, (str(bench),), (str(evals),))).recommendation.verdict
    assert verdict.startswith("Use the hosted API openai/gpt-4o-mini-2024-07-18")
    assert expected in verdict


def test_a_fleet_chosen_for_privacy_names_model_and_fleet(tmp_path: Path) -> None:
    bench = bench_result(tmp_path / "l4.json", shape=(1500, 500))
    gpu = ["--gpu", f"g6.xlarge,bench={bench}", "--private-share", "0.4"]
    analysis = tco(tmp_path / "tco.json", *WORKLOAD, "--api", "gpt-4o-mini", *gpu)
    rec = build_report(load_inputs(analysis)).recommendation
    # 40% must stay local: one L4 for everything ($588) is cheaper than the API plus that L4 ($682)
    assert rec.verdict.startswith("Self-host llama-3.1-8b on g6.xlarge ×1 ($588/month")
    assert "llama-3.1-8b was not evaluated, so its quality is unknown (no eval was given)" in rec.verdict


def test_markdown_escapes_html_and_markdown_from_inputs(tmp_path: Path) -> None:
    bench = bench_result(tmp_path / "b.json", model='<img src=x onerror="alert(1)">', shape=(1500, 500))
    analysis = tco(tmp_path / "tco.json", *WORKLOAD, "--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}")
    report = build_report(load_inputs(analysis, (str(bench),)), title="<script>alert('t')</script> [x](javascript:y)")
    text = render_markdown(report)
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert('t')&lt;/script&gt;" in text
    assert '&lt;img src=x onerror="alert(1)"&gt;' in text  # shown as text, never an element with a handler
    assert "\\[x\\](javascript:y)" in text  # no link either
    html = render_html(report)
    assert "<script>" not in html and "<img src=x" not in html
