"""The whole lab on real files: bench and eval run against the fake upstream on a socket, then tco, then report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving
from tests.lab.report.test_report import PLOTS, outline

SUITE = [
    {"id": "hello", "prompt": "hello there", "assert": [{"type": "icontains", "value": "fake answer"}]},
    {"id": "paris", "prompt": "capital of France", "assert": [{"type": "icontains", "value": "Paris"}]},
]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_report_from_real_bench_and_eval_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(create_fake_upstream(FakeConfig(models=["gpt-4o-mini", "house-model"]))) as url:
        (tmp_path / "crossroads.yaml").write_text(
            f"backends:\n  api: {{type: openai_compat, base_url: '{url}/v1'}}\n"
            f"  box: {{type: openai_compat, base_url: '{url}/v1', location: local}}\n"
            "models:\n  gpt-4o-mini: {backend: api}\n  house-model: {backend: box}\n"
        )
        (tmp_path / "suite.jsonl").write_text("\n".join(json.dumps(c) for c in SUITE) + "\n")
        monkeypatch.setenv("CROSSROADS_CONFIG", str(tmp_path / "crossroads.yaml"))
        monkeypatch.setenv("CROSSROADS_EVAL_DIR", str(tmp_path / "runs"))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        bench = ["bench", "run", "--url", f"{url}/v1", "--model", "house-model", "--requests", "4", "--warmup", "0"]
        invoke(*bench, "--concurrency", "1,2", "--out", "bench.json", "--no-plots")
        invoke("eval", "run", "suite.jsonl", "--models", "gpt-4o-mini,house-model", "--no-similarity")
    (eval_file,) = (tmp_path / "runs").glob("*.json")
    traffic = ["--queries-per-day", "5000", "--prompt-tokens", "800", "--completion-tokens", "200"]
    invoke("tco", *traffic, "--api", "gpt-4o-mini", "--gpu", "g6.xlarge,bench=bench.json", "--out", "tco.json")
    out = invoke("report", "--tco", "tco.json", "--bench", "bench.json", "--eval", str(eval_file), "--out", "r.html")
    assert "wrote r.html" in out
    parsed = outline((tmp_path / "r.html").read_text())
    assert parsed.sections == ["recommendation", "cost", "quality", "performance", "privacy", "assumptions"]
    assert set(parsed.figures) == PLOTS
    text = " ".join(parsed.text)
    assert "house-model" in text and "gpt-4o-mini" in text
