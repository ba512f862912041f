"""Turn a level's records into a ``LevelResult``: latency statistics, rates, errors, goodput, tokens, cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from crossroads.lab.bench.client import Record
from crossroads.lab.bench.load import LevelRun
from crossroads.lab.bench.result import SLO, LevelResult, Stats


@dataclass(frozen=True, slots=True)
class Context:
    slo: SLO
    cost_per_hour: Decimal | None = None
    decode_limit: float | None = None  # tokens/s one stream can reach at most (memory bandwidth)


def stats(seconds: Sequence[float]) -> Stats:
    if not seconds:
        return Stats()
    ms = np.asarray(seconds, dtype=float) * 1000.0
    p50, p90, p95, p99 = np.percentile(ms, [50, 90, 95, 99])
    return Stats(
        count=len(ms), mean=float(ms.mean()), p50=float(p50), p90=float(p90), p95=float(p95), p99=float(p99),
        min=float(ms.min()), max=float(ms.max()),
    )  # fmt: skip


def output_tokens(record: Record) -> int | None:
    """The server's count, else the client's."""
    return record.output_tokens if record.output_tokens is not None else record.chunks


def tpot(record: Record) -> float | None:
    """Seconds per output token after the first: (e2e − TTFT) / (tokens − 1)."""
    tokens = output_tokens(record)
    if record.ttft is None or tokens is None or tokens < 2:
        return None
    return (record.e2e - record.ttft) / (tokens - 1)


def meets(record: Record, slo: SLO) -> bool:
    """A request met the objective: it succeeded, its first token (or whole answer) and pace were fast enough."""
    if not record.ok:
        return False
    first = record.ttft if record.ttft is not None else record.e2e
    pace = tpot(record)
    return not (
        (slo.ttft_ms is not None and first * 1000 > slo.ttft_ms)
        or (slo.tpot_ms is not None and pace is not None and pace * 1000 > slo.tpot_ms)
        or (slo.e2e_ms is not None and record.e2e * 1000 > slo.e2e_ms)
    )


def summarize(run: LevelRun, ctx: Context) -> LevelResult:
    records, duration = run.records, max(run.duration, 1e-9)
    ok = [r for r in records if r.ok]
    out = sum(output_tokens(r) or 0 for r in ok)
    prompt = sum(r.prompt_tokens or 0 for r in ok)
    paces = [p for p in map(tpot, ok) if p is not None]
    good = sum(meets(r, ctx.slo) for r in records)
    pace = stats(paces)
    return LevelResult(
        level=run.level,
        requests=len(records),
        succeeded=len(ok),
        failed=len(records) - len(ok),
        errors=dict(Counter(r.error for r in records if r.error is not None)),
        duration_s=duration,
        request_rate=len(ok) / duration,
        output_tokens_per_s=out / duration,
        total_tokens_per_s=(out + prompt) / duration,
        ttft_ms=stats([r.ttft for r in ok if r.ttft is not None]),
        itl_ms=stats([gap for r in ok for gap in r.itls]),
        tpot_ms=pace,
        e2e_ms=stats([r.e2e for r in ok]),
        goodput=good / len(records) if records else 0.0,
        goodput_rate=good / duration,
        prompt_tokens=prompt,
        output_tokens=out,
        **_token_check(ok),
        cost_per_million_output_tokens=cost_per_million(ctx.cost_per_hour, out / duration),
        decode_limit_exceeded=_over_limit(pace, ctx.decode_limit),
    )


def _token_check(ok: list[Record]) -> dict[str, int | None]:
    streamed = [r for r in ok if r.chunks is not None]
    return {
        "client_output_tokens": sum(r.chunks or 0 for r in streamed) if streamed else None,
        "token_mismatches": sum(1 for r in streamed if r.output_tokens is not None and r.output_tokens != r.chunks),
        "usage_missing": sum(1 for r in ok if r.output_tokens is None and r.chunks is not None),
    }


def cost_per_million(cost_per_hour: Decimal | None, tokens_per_s: float) -> Decimal | None:
    """What one million output tokens cost at this throughput, for a deployment paid by the hour."""
    if cost_per_hour is None or tokens_per_s <= 0:
        return None
    per_hour = Decimal(repr(tokens_per_s)) * 3600
    return (cost_per_hour * 1_000_000 / per_hour).quantize(Decimal("0.0001"))


def _over_limit(pace: Stats, decode_limit: float | None) -> bool | None:
    """A median per-stream decode rate above what memory bandwidth allows means the numbers are wrong."""
    if decode_limit is None or pace.p50 is None or pace.p50 <= 0:
        return None
    return 1000.0 / pace.p50 > decode_limit
