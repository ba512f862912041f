"""Run a whole benchmark: preflight, every load level in turn, one ``BenchResult`` at the end.

    result, samples = await run_bench(spec)               # samples: TTFT seconds per level, for plots

``Hooks`` let a caller show progress; they default to doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from crossroads.lab.bench.client import BenchClient, Record
from crossroads.lab.bench.load import Plan, run_level
from crossroads.lab.bench.metrics import Context, summarize
from crossroads.lab.bench.prompts import BodyOptions, Prompt, encode
from crossroads.lab.bench.result import SLO, BenchResult, LevelResult, LoadSettings, Target
from crossroads.lab.bench.stamp import environment
from crossroads.lab.bench.target import Endpoint, preflight


@dataclass(frozen=True)
class BenchSpec:
    target: Endpoint
    prompts: list[Prompt]
    levels: list[float]
    endpoint: str = "chat"
    stream: bool = True
    pattern: str = "concurrency"
    requests: int | None = None
    duration: float | None = None
    warmup: int = 0
    prompts_label: str = "synthetic"
    input_tokens: int | None = None
    output_tokens: int | None = None
    ignore_eos: bool = False
    slo: SLO = field(default_factory=SLO)
    timeout: float = 120.0
    cost_per_hour: Decimal | None = None
    decode_limit: float | None = None
    hardware: str = ""
    seed: int = 0
    extra_body: dict[str, object] = field(default_factory=dict)  # merged into every request body


def _nothing(*args: object) -> None:
    return None


@dataclass
class Hooks:
    level_started: Callable[[float, int | None], None] = _nothing
    record: Callable[[Record], None] = _nothing
    level_done: Callable[[LevelResult], None] = _nothing


def bodies(spec: BenchSpec) -> list[bytes]:
    opts = BodyOptions(
        spec.target.model, spec.endpoint, spec.stream, spec.output_tokens, spec.ignore_eos, spec.extra_body
    )
    return [encode(p, opts) for p in spec.prompts]


def load_settings(spec: BenchSpec) -> LoadSettings:
    return LoadSettings(
        pattern=spec.pattern,
        levels=spec.levels,
        requests_per_level=spec.requests,
        duration_per_level_s=spec.duration,
        warmup_requests=spec.warmup,
        prompts=spec.prompts_label,
        input_tokens=spec.input_tokens,
        output_tokens=spec.output_tokens,
        ignore_eos=spec.ignore_eos,
        slo=spec.slo,
        timeout_s=spec.timeout,
        cost_per_hour=spec.cost_per_hour,
        seed=spec.seed,
    )


def target_of(spec: BenchSpec) -> Target:
    t = spec.target
    return Target(url=t.url, model=t.model, endpoint=spec.endpoint, stream=spec.stream, location=t.location, via=t.via)


async def run_bench(spec: BenchSpec, hooks: Hooks | None = None) -> tuple[BenchResult, dict[float, list[float]]]:
    hooks = hooks or Hooks()
    warnings = await preflight(spec.target)
    encoded, ctx = bodies(spec), Context(spec.slo, spec.cost_per_hour, spec.decode_limit)
    plan = Plan(spec.pattern, spec.requests, spec.duration, spec.warmup, spec.seed)
    levels: list[LevelResult] = []
    samples: dict[float, list[float]] = {}
    stream = spec.stream and spec.endpoint != "embeddings"
    async with BenchClient(
        spec.target.url, spec.endpoint, stream, headers=spec.target.headers, timeout=spec.timeout
    ) as c:
        for level in spec.levels:
            hooks.level_started(level, spec.requests)
            run = await run_level(c, encoded, level, plan, hooks.record)
            levels.append(summarize(run, ctx))
            samples[level] = [r.ttft for r in run.records if r.ttft is not None]
            hooks.level_done(levels[-1])
    result = BenchResult(
        environment=environment(spec.hardware),
        target=target_of(spec),
        load=load_settings(spec),
        levels=levels,
        warnings=warnings + run_warnings(levels),
    )
    return result, samples


def run_warnings(levels: list[LevelResult]) -> list[str]:
    notes = []
    mismatched = sum(lv.token_mismatches for lv in levels)
    if mismatched:
        notes.append(
            f"{mismatched} request(s): the server's usage.completion_tokens differs from the content chunks counted "
            "by the client — the server sends several tokens per chunk or miscounts; ITL is per chunk"
        )
    if sum(lv.usage_missing for lv in levels):
        notes.append("the server sent no usage in some streams (stream_options.include_usage) — client counts used")
    if any(lv.decode_limit_exceeded for lv in levels):
        notes.append(
            "per-stream decode rate exceeds the memory-bandwidth limit (--bandwidth / --model-size) — "
            "the tokens cannot all have been generated: check caching, proxies and usage counts"
        )
    return notes
