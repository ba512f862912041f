"""Quantization trade-off: SmolLM2 Q4_1 (shipped) against a Q8_0 requantized locally, on two cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossroads.backends.bundled import smollm2_path
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.quant import make_variant, tradeoff, type_of, variant_settings
from crossroads.lab.eval.runner import EvalOptions
from crossroads.lab.eval.session import evaluate, suite_path
from crossroads.lab.eval.suite import load_suite
from crossroads.lab.eval.suite_errors import EvalError

pytestmark = pytest.mark.slow


async def test_q8_0_variant_against_shipped_q4_1(tmp_path: Path) -> None:
    source = smollm2_path()
    variant = make_variant(source, "q8_0", tmp_path)
    assert type_of(source) == "Q4_1" and variant.name.endswith(".to-Q8_0.gguf")
    assert make_variant(source, "Q8_0", tmp_path) == variant, "made once, then reused"
    settings, base, other = variant_settings(source, variant, "Q8_0", n_ctx=512)
    assert (base, other) == ("q4_1-original", "q8_0-from-q4_1")
    suite = load_suite(suite_path("qa"))
    suite.cases = suite.cases[:2]
    options = EvalOptions(models=[base, other], params={"max_tokens": 12})
    result = await evaluate(settings, suite, options, cache=ResponseCache(tmp_path), similarity=False, concurrency=1)
    report = tradeoff(result, base, other, source, variant)
    assert report.variant_bytes > report.base_bytes * 1.4  # 8.5 vs ~5 bits per weight
    assert report.base_tps and report.variant_tps
    lines = report.lines()
    assert "holds no more information than the Q4_1 source" in lines[0]
    assert lines[1] == "size on disk (mmapped weights): 98.4 MB -> 144.8 MB (+47%)"
    assert lines[4].startswith("pass rate: ")


def test_unknown_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="unknown quantization type 'Q9_9'"):
        make_variant(smollm2_path(), "q9_9", tmp_path)
