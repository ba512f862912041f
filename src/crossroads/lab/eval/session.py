"""``evaluate``: start only the backends a run needs, check they can serve, run the suite, close them."""

from __future__ import annotations

from pathlib import Path

from crossroads.backends import Backend, build_backend
from crossroads.config import Settings
from crossroads.gateway import Gateway
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.caller import Caller
from crossroads.lab.eval.embedding import embedding_model, gateway_embedder, with_bundled_embedder
from crossroads.lab.eval.pricing import PriceLookup, no_prices
from crossroads.lab.eval.result import RunResult
from crossroads.lab.eval.runner import EvalOptions, Tracker, run_eval
from crossroads.lab.eval.suite import Suite
from crossroads.lab.eval.suite_errors import EvalError, SuiteError

SUITES_PACKAGE = Path(__file__).resolve().parent.parent / "suites"


def shipped_suites() -> list[Path]:
    return sorted(p for p in SUITES_PACKAGE.iterdir() if p.suffix in {".yaml", ".jsonl"})


def suite_path(ref: str) -> Path:
    """A suite file path, or the name of a shipped starter suite (``qa``, ``classify`` …)."""
    path = Path(ref)
    if path.exists():
        return path
    for shipped in shipped_suites():
        if shipped.stem == ref:
            return shipped
    names = ", ".join(p.stem for p in shipped_suites())
    raise SuiteError(
        f"suite {ref!r} not found", [f"{ref}: no such file, and no starter suite of that name (shipped: {names})"]
    )


def check_models(settings: Settings, names: list[str]) -> list[str]:
    """Public names for ``names`` (aliases resolved); EvalError names the unknown ones."""
    resolved: list[str] = []
    unknown: list[str] = []
    for name in names:
        public = settings.resolve(name)
        (resolved if public else unknown).append(public or name)
    if unknown:
        known = ", ".join(settings.models) or "none"
        raise EvalError(
            f"unknown model {', '.join(repr(u) for u in unknown)}",
            [f"configured models: {known} — pass names from crossroads.yaml with --models"],
        )
    if len(set(resolved)) != len(resolved):
        raise EvalError("a model is listed twice", [f"--models {','.join(names)}: name each model once"])
    return resolved


def subset(settings: Settings, models: list[str]) -> Settings:
    """Only ``models``, the models they fall back to or judge with, and their backends, so a run loads nothing
    else. Shadows are left out: an eval measures the answers a model gives, and mirrors would only add cost."""
    names, queue = list[str](), list(models)
    while queue:
        name = queue.pop(0)
        if name in names or name not in settings.models:
            continue
        names.append(name)
        entry = settings.models[name]
        judges = [v.model for v in entry.cascade.validators if v.model] if entry.cascade else []
        queue += [*entry.fallbacks, *judges]
    entries = {m: settings.models[m].model_copy(update={"shadow": []}) for m in names}
    wanted = [b for e in entries.values() for b in (e.backend, *(d.backend for d in e.deployments))]
    backends = {b: settings.backends[b] for b in dict.fromkeys(wanted)}
    return settings.model_copy(update={"models": entries, "backends": backends})


async def evaluate(
    settings: Settings,
    suite: Suite,
    options: EvalOptions,
    *,
    cache: ResponseCache,
    similarity: bool = True,
    concurrency: int = 4,
    prices: PriceLookup = no_prices,
    tracker: Tracker | None = None,
    backends: dict[str, Backend] | None = None,
) -> RunResult:
    needed = [*options.models, *([options.judge] if options.judge else [])]
    chosen = subset(settings, list(dict.fromkeys(needed)))
    embed_model = None
    if similarity and any(c.reference for c in suite.cases):
        chosen, embed_model = with_bundled_embedder(_with_embed(settings, chosen))
    gateway = Gateway(chosen, backends=_backends(chosen, backends))
    await _start_one_by_one(gateway)
    try:
        await _ready(gateway)
        embed = gateway_embedder(gateway, embed_model) if embed_model else None
        caller = Caller(gateway, cache, concurrency=concurrency)
        return await run_eval(suite, caller, options, embed=embed, prices=prices, tracker=tracker)
    finally:
        await gateway.aclose()


def _with_embed(full: Settings, chosen: Settings) -> Settings:
    """``chosen`` plus the configured embedding model, when ``full`` has one."""
    name = embedding_model(full)
    return chosen if name is None else subset(full, [*chosen.models, name])


def _backends(chosen: Settings, injected: dict[str, Backend] | None) -> dict[str, Backend] | None:
    """Injected test doubles where given, real backends for the rest (e.g. the embedder)."""
    if injected is None:
        return None
    return {
        name: injected[name] if name in injected else build_backend(name, cfg) for name, cfg in chosen.backends.items()
    }


async def _start_one_by_one(gateway: Gateway) -> None:
    """Start backends in turn, not at once: llama-cpp-python silences a model load by pointing the
    process's stdout/stderr at /dev/null and back, which two loads in parallel threads can leave
    pointing at /dev/null (the report would vanish). A backend that fails says why in readiness.
    The router and the stages start too: the guard loads its name model there."""
    await gateway.start(one_by_one=True)


async def _ready(gateway: Gateway) -> None:
    problems = [f"backend {name}: {why}" for name, why in (await gateway.readiness()).items() if why is not None]
    if problems:
        raise EvalError("a backend cannot serve", problems)
