"""Options from the command line's words: ``--api MODEL`` and
``--gpu NAME[,count=N][,hourly=X][,tps=Y][,bench=F][,model=M][,name=LABEL]``."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crossroads.catalog import Catalog, CatalogError, GpuCatalog
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.options import ApiOption, BenchBasis, SelfHostedOption

GPU_KEYS = ("count", "hourly", "tps", "bench", "name", "model")


@dataclass(frozen=True)
class HostedDefaults:
    """Applied to every ``--gpu`` that does not say otherwise."""

    throughput: Decimal | None = None
    bench: str | None = None
    target_utilization: Decimal = Decimal("0.7")
    fixed_monthly: dict[str, Decimal] = field(default_factory=dict)
    min_goodput: Decimal = Decimal("0.95")


def api_options(models: list[str], catalog: Catalog, batch_share: Decimal = Decimal(0)) -> list[ApiOption]:
    try:
        return [ApiOption(catalog.require(m), batch_share) for m in models]
    except CatalogError as exc:
        raise TcoError(str(exc)) from None


def gpu_option(spec: str, gpus: GpuCatalog, defaults: HostedDefaults) -> SelfHostedOption:
    """``p4d.24xlarge,count=2`` from the catalog, or ``my-box,hourly=2.10,tps=900`` priced by hand."""
    name, *pairs = [part.strip() for part in spec.split(",")]
    params = dict(_pair(p, spec) for p in pairs)
    hourly, hardware = _hourly(name, params, gpus)
    machine = gpus.instance(name)
    bench_file = params.get("bench") or defaults.bench
    throughput = _decimal(params["tps"], "tps", spec) if "tps" in params else defaults.throughput
    basis = throughput_from_bench(bench_file, defaults.min_goodput) if throughput is None and bench_file else None
    count = int(_decimal(params["count"], "count", spec)) if "count" in params else None
    label = params.get("name") or (name if count is None else f"{name} ×{count}")
    return SelfHostedOption(
        name=label,
        hourly=hourly,
        instances=count,
        throughput=basis.tokens_per_s if basis else throughput,
        target_utilization=defaults.target_utilization,
        fixed_monthly=dict(defaults.fixed_monthly),
        hardware=hardware,
        throughput_source=basis.describe() if basis else "given",
        model=params.get("model") or (basis.model if basis else ""),
        instance=name,
        gpu=machine.gpu if machine else "",
        gpus=machine.gpus if machine else None,
        bench=basis,
    )


def _hourly(name: str, params: dict[str, str], gpus: GpuCatalog) -> tuple[Decimal, str]:
    if "hourly" in params:
        known = gpus.instance(name)
        return _decimal(params["hourly"], "hourly", name), f"{known.gpus}× {known.gpu}" if known else ""
    try:
        inst = gpus.require(name)
    except CatalogError as exc:
        raise TcoError(f"{exc}, or price it yourself: --gpu {name},hourly=USD") from None
    return inst.hourly, f"{inst.gpus}× {inst.gpu}, {inst.provider} {inst.region}, price of {inst.source_date}"


def throughput_from_bench(path: str | Path, min_goodput: Decimal) -> BenchBasis:
    """The best total tokens/s among load levels where at least ``min_goodput`` of requests met the SLO,
    with what it was measured on (model, hardware, where it ran, prompt shape) for the report's checks."""
    from crossroads.lab.bench.errors import BenchError
    from crossroads.lab.bench.files import read_result

    try:
        result = read_result(path)
    except BenchError as exc:
        raise TcoError(str(exc)) from None
    good = [lv for lv in result.levels if Decimal(str(lv.goodput)) >= min_goodput and lv.total_tokens_per_s > 0]
    if not good:
        raise TcoError(
            f"{path}: no load level met the latency objective for {min_goodput:.0%} of requests — "
            "run bench with lower load levels, or lower --min-goodput"
        )
    best = max(good, key=lambda lv: lv.total_tokens_per_s)
    env = result.environment
    done = best.succeeded or 1
    return BenchBasis(
        file=Path(path).name,
        model=result.target.model,
        location=result.target.location,
        hardware=env.hardware or f"{env.cpu or 'unnamed CPU'} ({env.cpu_count} CPUs), no --hardware given",
        hardware_given=bool(env.hardware),
        prompt_tokens=Decimal(best.prompt_tokens) / done if best.prompt_tokens else None,
        completion_tokens=Decimal(best.output_tokens) / done if best.output_tokens else None,
        level=best.level,
        goodput=best.goodput,
        tokens_per_s=Decimal(f"{best.total_tokens_per_s:.1f}"),  # measured to ~1%: one decimal is plenty
    )


def _pair(text: str, spec: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or key not in GPU_KEYS:
        raise TcoError(f"--gpu {spec}: '{text}' is not KEY=VALUE with KEY one of {', '.join(GPU_KEYS)}")
    return key, value


def _decimal(text: str, what: str, spec: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TcoError(f"--gpu {spec}: {what}={text} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise TcoError(f"--gpu {spec}: {what} must be positive")
    return value
