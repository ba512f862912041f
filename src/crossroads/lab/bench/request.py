"""``BenchRequest``: what ``crossroads bench run`` is asked (typed); ``execute`` turns it into a ``BenchSpec``, runs
it with live progress, prints the table, writes the JSON result and the plots."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crossroads.lab.bench.client import Record
from crossroads.lab.bench.errors import BenchError
from crossroads.lab.bench.options import parse_headers, parse_levels, parse_money
from crossroads.lab.bench.prompts import Prompt, load_dataset, synthetic
from crossroads.lab.bench.result import SLO, BenchResult
from crossroads.lab.bench.runner import BenchSpec, Hooks, run_bench
from crossroads.lab.bench.sanity import decode_limit, parse_size
from crossroads.lab.bench.target import Endpoint, from_config, from_url, through_gateway

if TYPE_CHECKING:
    from crossroads.config import Settings

SYNTHETIC_PROMPTS = 256


@dataclass(frozen=True)
class BenchRequest:
    """The target (``url``; or a model of ``settings``, directly or through a started gateway at ``gateway_url``),
    the load (``concurrency`` or ``rate`` levels as written, e.g. "1,2,4"), the prompts, the latency objectives,
    and where the result goes. Sizes and money are as written on the command line (e.g. "4.1GB", "2.5")."""

    model: str | None = None
    url: str | None = None
    api_key_env: str | None = None
    settings: Settings | None = None
    gateway_url: str | None = None
    endpoint: str = "chat"
    stream: bool = True
    dataset: str | None = None
    input_tokens: int = 128
    output_tokens: int = 64
    ignore_eos: bool = False
    concurrency: str | None = None
    rate: str | None = None
    poisson: bool = False
    requests: int | None = None
    duration: float | None = None
    warmup: int = 2
    slo_ttft_ms: float = 500
    slo_tpot_ms: float = 50
    slo_e2e_ms: float | None = None
    timeout: float = 120
    cost_per_hour: str | None = None
    model_size: str | None = None
    bandwidth: str | None = None
    hardware: str = ""
    headers: tuple[str, ...] = ()
    seed: int = 0
    out: str | None = None
    plots: bool = True


def execute(request: BenchRequest, out: Console, err: Console) -> BenchResult:
    spec = build_spec(request)
    result, samples = _run_with_progress(spec, err)
    out.print(_table(result))
    for note in result.warnings:
        err.print(f"[yellow]warning:[/] {note}")
    path = Path(request.out) if request.out else _default_out(spec.target.model)
    result.write(path)
    err.print(f"result: {path}")
    if request.plots:
        _plots(result, samples, path, err)
    if not any(level.succeeded for level in result.levels):
        raise BenchError(f"every request failed ({_all_errors(result)}) — see the errors column above")
    return result


def build_spec(request: BenchRequest) -> BenchSpec:
    pattern, levels = _levels(request)
    target = _target(request)
    prompts, label = _prompts(request)
    requests = request.requests if request.requests or request.duration else 100
    return BenchSpec(
        target=target, prompts=prompts, levels=levels, endpoint=request.endpoint, stream=request.stream,
        pattern=pattern, requests=requests, duration=request.duration, warmup=request.warmup, prompts_label=label,
        input_tokens=None if request.dataset else request.input_tokens, output_tokens=request.output_tokens,
        ignore_eos=request.ignore_eos, slo=SLO(ttft_ms=request.slo_ttft_ms, tpot_ms=request.slo_tpot_ms,
        e2e_ms=request.slo_e2e_ms), timeout=request.timeout, cost_per_hour=parse_money(request.cost_per_hour),
        decode_limit=_decode_limit(request, target), hardware=request.hardware, seed=request.seed,
    )  # fmt: skip


def _levels(request: BenchRequest) -> tuple[str, list[float]]:
    if request.concurrency and request.rate:
        raise BenchError("--concurrency and --rate are two load patterns — give one of them")
    if request.poisson and not request.rate:
        raise BenchError("--poisson shapes an open-loop rate — add --rate, e.g. --rate 5,10 --poisson")
    if request.rate:
        return ("poisson" if request.poisson else "constant"), parse_levels(request.rate, "--rate", integers=False)
    return "concurrency", parse_levels(request.concurrency or "1", "--concurrency", integers=True)


def _target(request: BenchRequest) -> Endpoint:
    headers = parse_headers(request.headers)
    if not request.model:
        raise BenchError("missing --model — name the model to load-test (GET <url>/models lists them)")
    if request.gateway_url is not None and request.settings is not None:
        return through_gateway(request.settings, request.model, request.gateway_url, headers)
    if request.url:
        return from_url(request.url, request.model, request.api_key_env, headers)
    if request.settings is not None:
        return from_config(request.settings, request.model, headers)
    raise BenchError("no target — pass --url URL, or --config FILE (a model of it), or --serve (through a gateway)")


def _prompts(request: BenchRequest) -> tuple[list[Prompt], str]:
    if request.dataset:
        return load_dataset(request.dataset), str(request.dataset)
    prompts = synthetic(SYNTHETIC_PROMPTS, request.input_tokens, request.output_tokens, request.seed)
    return prompts, f"synthetic {request.input_tokens} in / {request.output_tokens} out"


def _decode_limit(request: BenchRequest, target: Endpoint) -> float | None:
    size, bandwidth = request.model_size, request.bandwidth
    if bandwidth is None:
        if size is not None:
            raise BenchError("--model-size needs --bandwidth (memory bandwidth per second, e.g. 300GB)")
        return None
    if size is None and target.model_file is None:
        raise BenchError("--bandwidth needs --model-size (bytes of weights read per token, e.g. 4.1GB)")
    model_bytes = parse_size(size, "--model-size") if size else float(target.model_file.stat().st_size)  # type: ignore[union-attr]
    return decode_limit(model_bytes, parse_size(bandwidth, "--bandwidth"))


def _run_with_progress(spec: BenchSpec, err: Console) -> tuple[BenchResult, dict[float, list[float]]]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[errs]}"))
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=False) as progress:
        current: dict[str, Any] = {}

        def started(level: float, total: int | None) -> None:
            if "task" in current:  # the previous level is over: its timer stops
                progress.stop_task(current["task"])
            current["task"] = progress.add_task(f"level {level:g}", total=total, errs="")
            current["errors"] = 0

        def record(rec: Record) -> None:
            current["errors"] += rec.error is not None
            errs = f"[red]{current['errors']} failed[/]" if current["errors"] else ""
            progress.update(current["task"], advance=1, errs=errs)

        result = asyncio.run(run_bench(spec, Hooks(level_started=started, record=record)))
        if "task" in current:
            progress.stop_task(current["task"])
        return result


def _table(result: BenchResult) -> Any:
    from crossroads.lab.bench.report import results_table

    return results_table(result)


def _plots(result: BenchResult, samples: dict[float, list[float]], path: Path, err: Console) -> None:
    from crossroads.lab.bench.plots import latency_vs_throughput, ttft_distribution

    written = [latency_vs_throughput(result, path.with_name(path.stem + "-latency.png"))]
    written.append(ttft_distribution(result, samples, path.with_name(path.stem + "-ttft.png")))  # type: ignore[arg-type]
    err.print("plots: " + ", ".join(str(p) for p in written if p is not None))


def _all_errors(result: BenchResult) -> str:
    total: dict[str, int] = {}
    for level in result.levels:
        for kind, n in level.errors.items():
            total[kind] = total.get(kind, 0) + n
    return ", ".join(f"{k}×{n}" for k, n in sorted(total.items())) or "no requests"


def _default_out(model: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return Path(f"bench-{safe}-{stamp}.json")
