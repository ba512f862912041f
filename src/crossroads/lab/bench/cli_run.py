"""``crossroads bench run``: turn the command's options into a ``BenchSpec``, run it with live progress,
print the table, write the JSON result and the plots."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path
from typing import Any

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

SYNTHETIC_PROMPTS = 256


def execute(opts: dict[str, Any], gateway_url: str | None, out: Console, err: Console) -> BenchResult:
    spec = build_spec(opts, gateway_url)
    result, samples = _run_with_progress(spec, err)
    out.print(_table(result))
    for note in result.warnings:
        err.print(f"[yellow]warning:[/] {note}")
    path = Path(opts["out"]) if opts["out"] else _default_out(spec.target.model)
    result.write(path)
    err.print(f"result: {path}")
    if opts["plots"]:
        _plots(result, samples, path, err)
    if not any(level.succeeded for level in result.levels):
        raise BenchError(f"every request failed ({_all_errors(result)}) — see the errors column above")
    return result


def build_spec(opts: dict[str, Any], gateway_url: str | None) -> BenchSpec:
    pattern, levels = _levels(opts)
    target = _target(opts, gateway_url)
    prompts, label = _prompts(opts)
    requests = opts["requests"] if opts["requests"] or opts["duration"] else 100
    return BenchSpec(
        target=target, prompts=prompts, levels=levels, endpoint=opts["endpoint"], stream=opts["stream"],
        pattern=pattern, requests=requests, duration=opts["duration"], warmup=opts["warmup"], prompts_label=label,
        input_tokens=None if opts["dataset"] else opts["input_tokens"], output_tokens=opts["output_tokens"],
        ignore_eos=opts["ignore_eos"], slo=SLO(ttft_ms=opts["slo_ttft_ms"], tpot_ms=opts["slo_tpot_ms"],
        e2e_ms=opts["slo_e2e_ms"]), timeout=opts["timeout"], cost_per_hour=parse_money(opts["cost_per_hour"]),
        decode_limit=_decode_limit(opts, target), hardware=opts["hardware"], seed=opts["seed"],
    )  # fmt: skip


def _levels(opts: dict[str, Any]) -> tuple[str, list[float]]:
    if opts["concurrency"] and opts["rate"]:
        raise BenchError("--concurrency and --rate are two load patterns — give one of them")
    if opts["poisson"] and not opts["rate"]:
        raise BenchError("--poisson shapes an open-loop rate — add --rate, e.g. --rate 5,10 --poisson")
    if opts["rate"]:
        return ("poisson" if opts["poisson"] else "constant"), parse_levels(opts["rate"], "--rate", integers=False)
    return "concurrency", parse_levels(opts["concurrency"] or "1", "--concurrency", integers=True)


def _target(opts: dict[str, Any], gateway_url: str | None) -> Endpoint:
    from crossroads.cli.common import settings_or_exit

    headers = parse_headers(opts["headers"])
    if not opts["model"]:
        raise BenchError("missing --model — name the model to load-test (GET <url>/models lists them)")
    if gateway_url is not None:
        return through_gateway(settings_or_exit(opts["config_path"]), opts["model"], gateway_url, headers)
    if opts["url"]:
        return from_url(opts["url"], opts["model"], opts["api_key_env"], headers)
    if opts["config_path"]:
        return from_config(settings_or_exit(opts["config_path"]), opts["model"], headers)
    raise BenchError("no target — pass --url URL, or --config FILE (a model of it), or --serve (through a gateway)")


def _prompts(opts: dict[str, Any]) -> tuple[list[Prompt], str]:
    if opts["dataset"]:
        return load_dataset(opts["dataset"]), str(opts["dataset"])
    prompts = synthetic(SYNTHETIC_PROMPTS, opts["input_tokens"], opts["output_tokens"], opts["seed"])
    return prompts, f"synthetic {opts['input_tokens']} in / {opts['output_tokens']} out"


def _decode_limit(opts: dict[str, Any], target: Endpoint) -> float | None:
    size, bandwidth = opts["model_size"], opts["bandwidth"]
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
