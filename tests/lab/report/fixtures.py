"""Small bench and eval result files built with the real result schemas (as their writers would)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from crossroads.lab.bench.result import BenchResult, Environment, LevelResult, LoadSettings, Stats, Target
from crossroads.lab.eval.result import BackendSummary, Estimate, Pairwise, RunResult, SuiteInfo


def level(n: float, tps: float, goodput: float, p50: float, p99: float, shape: tuple[int, int]) -> LevelResult:
    return LevelResult(
        level=n,
        requests=100,
        succeeded=100,
        failed=0,
        duration_s=10.0,
        request_rate=n,
        output_tokens_per_s=tps / 4,
        total_tokens_per_s=tps,
        ttft_ms=Stats(count=100, mean=p50, p50=p50, p90=p99, p95=p99, p99=p99, min=1.0, max=p99),
        e2e_ms=Stats(count=100, mean=p50 * 4, p50=p50 * 4, p90=p99 * 4, p95=p99 * 4, p99=p99 * 4, min=4.0, max=p99 * 4),
        goodput=goodput,
        goodput_rate=n * goodput,
        prompt_tokens=100 * shape[0],
        output_tokens=100 * shape[1],
    )


def bench_result(
    path: Path,
    model: str = "llama-3.1-8b",
    location: str = "local",
    hardware: str = "1x L4 24 GB",
    shape: tuple[int, int] = (300, 100),
) -> Path:
    result = BenchResult(
        environment=Environment(hardware=hardware, cpu="test cpu", cpu_count=2, date="2026-11-26T10:00:00+00:00"),
        target=Target(url="http://gpu-box:8000/v1", model=model, location=location),  # type: ignore[arg-type]
        load=LoadSettings(levels=[1, 4, 16], cost_per_hour=Decimal("0.8048")),
        levels=[
            level(1, 180.0, 1.0, 40.0, 60.0, shape),
            level(4, 620.5, 0.99, 55.0, 90.0, shape),
            level(16, 1400.0, 0.60, 300.0, 900.0, shape),  # past the latency objective
        ],
    )
    result.write(path)
    return path


def eval_result(
    path: Path,
    models: tuple[str, str] = ("gpt-4o-mini", "llama-3.1-8b"),
    rates: tuple[float, float] = (0.85, 0.7),
    significant: bool = False,
) -> Path:
    def summary(model: str, location: str, rate: float, cost: str | None) -> BackendSummary:
        return BackendSummary(
            model=model,
            backend=model,
            location=location,
            n_cases=40,
            pass_rate=Estimate(value=rate, low=rate - 0.1, high=min(1.0, rate + 0.1), n=40),
            scores={"judge": Estimate(value=rate, low=rate - 0.1, high=rate + 0.1, n=40)},
            cost_per_1k_cases_usd=None if cost is None else Decimal(cost),
            latency_p50_s=0.8,
            latency_p90_s=1.6,
            prompt_tokens=40 * 1_200,  # 1,500 tokens a case in all
            completion_tokens=40 * 300,
        )

    result = RunResult(
        run_id="run-1",
        created_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
        suite=SuiteInfo(name="support-qa", path="suites/support.yaml", sha256="0" * 64, n_cases=40),
        models=list(models),
        judge="gpt-4o",
        summaries=[summary(models[0], "hosted", rates[0], "0.4125"), summary(models[1], "local", rates[1], None)],
        pairwise=[
            Pairwise(
                a=models[0],
                b=models[1],
                method="judge",
                wins=24 if significant else 18,
                losses=4 if significant else 8,
                ties=12 if significant else 14,
                win_rate=Estimate(value=0.69, low=0.48, high=0.86, n=26),
                p_value=0.0002 if significant else 0.08,
                significant=significant,
                statement=f"{models[0]} wins {'24 of 28' if significant else '18 of 26'} decided cases"
                + ("; significant" if significant else "; not significant"),
            )
        ],
    )
    result.save(path)
    return path


def write_ledger(path: Path, rows: list[tuple[datetime, int, int, str, dict[str, int]]]) -> str:
    """A migrated SQLite ledger holding ``(time, prompt, completion, model, entities)`` rows; its URL."""
    from sqlalchemy.orm import Session

    from crossroads.store import LedgerRow, make_engine, upgrade

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        for i, (at, prompt, completion, model, entities) in enumerate(rows):
            privacy = {"action": "redact", "entities": entities, "local_only": False} if entities else None
            session.add(
                LedgerRow(
                    id=f"req_{i}",
                    at=at,
                    endpoint="chat",
                    model=model,
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    latency_ms=10.0,
                    status=200,
                    privacy=privacy,
                )
            )
        session.commit()
    engine.dispose()
    return url
