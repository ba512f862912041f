"""Quantization trade-off: a locally made variant of a GGUF model against the original, on one suite.

``make_variant`` rewrites a GGUF with ``llama_cpp.llama_model_quantize`` (``allow_requantize``) into
another type, cached under ``~/.cache/crossroads/quant``. Made from an already quantized file (the
shipped SmolLM2 is Q4_1), a variant carries no more information than its source: a Q8_0 or F16 made
from Q4_1 measures the cost of the larger format and its kernels, a smaller type (Q4_0, Q2_K…) the
loss from quantizing again. ``tradeoff`` puts the quality change next to the speed and size change.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crossroads.backends.config import EmbeddedConfig
from crossroads.config import ModelConfig, Settings
from crossroads.lab.eval.cache import default_cache_dir
from crossroads.lab.eval.result import Estimate, Pairwise, RunResult
from crossroads.lab.eval.suite_errors import EvalError

TYPES = ("F16", "Q8_0", "Q6_K", "Q5_1", "Q5_0", "Q4_1", "Q4_0", "Q3_K_M", "Q2_K")
_TYPE_IN_NAME = re.compile(r"(F16|F32|BF16|Q\d_[01K](?:_[SML])?)", re.IGNORECASE)


def type_of(path: Path) -> str:
    """The quantization type named in a GGUF file name (``…Q4_1.gguf`` -> ``Q4_1``), else ``source``."""
    match = _TYPE_IN_NAME.search(path.name)
    return match.group(1).upper() if match else "source"


def make_variant(source: Path, qtype: str, directory: Path | None = None) -> Path:
    """``source`` rewritten as ``qtype`` (cached by source identity and type)."""
    import llama_cpp

    qtype = qtype.upper()
    if qtype not in TYPES:
        raise EvalError(f"unknown quantization type {qtype!r}", [f"use one of {', '.join(TYPES)}"])
    stat = source.stat()
    tag = hashlib.sha256(f"{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]
    target = (directory or default_cache_dir().parent / "quant") / f"{source.stem}.{tag}.to-{qtype}.gguf"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{qtype}")
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    partial = target.with_suffix(".partial")
    with _quiet_stderr():
        code = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
    if code != 0:
        partial.unlink(missing_ok=True)
        raise EvalError(
            f"llama.cpp could not quantize {source.name} to {qtype}", [f"llama_model_quantize returned {code}"]
        )
    partial.rename(target)
    return target


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp logs every tensor (to fd 2, or through llama-cpp-python's logger to sys.stderr); hide it."""
    saved = os.dup(2)
    with open(os.devnull, "wb") as null, contextlib.redirect_stderr(io.StringIO()):
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def variant_settings(source: Path, variant: Path, qtype: str, n_ctx: int = 1024) -> tuple[Settings, str, str]:
    """Two embedded backends (original and variant) as models named by their types."""
    base, other = f"{type_of(source).lower()}-original", f"{qtype.lower()}-from-{type_of(source).lower()}"
    backends = {
        base: EmbeddedConfig(type="embedded", model_path=str(source), n_ctx=n_ctx),
        other: EmbeddedConfig(type="embedded", model_path=str(variant), n_ctx=n_ctx),
    }
    models = {base: ModelConfig(backend=base), other: ModelConfig(backend=other)}
    return Settings(backends=backends, models=models, source="eval quant"), base, other


@dataclass(frozen=True, slots=True)
class Tradeoff:
    base: str
    variant: str
    base_bytes: int
    variant_bytes: int
    quality_measure: str
    base_quality: Estimate | None
    variant_quality: Estimate | None
    base_tps: float | None
    variant_tps: float | None
    base_p50_s: float | None
    variant_p50_s: float | None
    pairwise: Pairwise | None
    description: str

    def lines(self) -> list[str]:
        """The trade-off as sentences: what the variant is, size, speed and latency change, quality change."""
        size, speed, p50 = (
            (self.base_bytes, self.variant_bytes),
            (self.base_tps, self.variant_tps),
            (self.base_p50_s, self.variant_p50_s),
        )
        rows = [
            ("size on disk (mmapped weights)", _mb(size[0]), _mb(size[1]), *size),
            ("generation speed, tok/s (completion tokens / request time)", _num(speed[0]), _num(speed[1]), *speed),
            ("p50 latency", _num(p50[0], "s"), _num(p50[1], "s"), *p50),
        ]
        verdict = self.pairwise.statement if self.pairwise else "no paired comparison"
        return [self.description, *(_line(*row) for row in rows), self._quality(), verdict]

    def _quality(self) -> str:
        before, after = _value(self.base_quality), _value(self.variant_quality)
        if before is None or after is None:
            return f"{self.quality_measure}: not measured"
        return f"{self.quality_measure}: {before:.2f} -> {after:.2f} ({after - before:+.2f})"


def describe(variant: str, source: Path) -> str:
    return (
        f"{variant} was made locally from {source.name} with llama_model_quantize (allow_requantize); "
        f"it holds no more information than the {type_of(source)} source."
    )


def tradeoff(run: RunResult, base: str, variant: str, source: Path, variant_path: Path) -> Tradeoff:
    sb, sv = run.summary(base), run.summary(variant)
    measure = (
        "pass rate"
        if sb.pass_rate is not None
        else next((m for m in ("judge", "similarity", "rouge_l") if m in sb.scores), "none")
    )
    pick = (lambda s: s.pass_rate) if measure == "pass rate" else (lambda s: s.scores.get(measure))
    pair = next((p for p in run.pairwise if {p.a, p.b} == {base, variant}), None)
    description = describe(variant, source)
    return Tradeoff(
        base, variant, source.stat().st_size, variant_path.stat().st_size, measure, pick(sb), pick(sv),
        sb.tokens_per_s, sv.tokens_per_s, sb.latency_p50_s, sv.latency_p50_s, pair, description,
    )  # fmt: skip


def _line(label: str, before: str, after: str, x: float | None, y: float | None) -> str:
    return f"{label}: {before} -> {after} ({_change(x, y)})"


def _value(e: Estimate | None) -> float | None:
    return None if e is None else e.value


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.3f} {unit}".strip() if unit else f"{value:.0f}"


def _change(before: float | None, after: float | None) -> str:
    if not before or after is None:
        return "n/a"
    return f"{(after - before) / before:+.0%}"
