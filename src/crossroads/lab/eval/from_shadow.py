"""``eval run --from-shadow``: the gateway's recorded shadow traffic as an eval ``RunResult``.

Nothing is asked again: each record already holds the answer the client got (the *primary*, named by
the public model) and a candidate's answer to the same request (named ``backend:upstream_model``),
with latency, usage and cost (``Decimal``, priced by the gateway when it recorded them). A case is one
request; a request mirrored to two candidates is one case with three answers.

Per model: requests, error rate (Wilson 95% interval), p50/p90 latency (95% bootstrap intervals), cost
per 1k requests, tokens. Per candidate against the primary: paired latency (sign test over the
requests both answered) and, with a judge, pairwise quality asked in both orders (``judge.py``).

A sensitive record (the guard pinned it local or found personal data) holds text the guard let
through to a self-hosted model only: it is never sent to a judge that may run hosted.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crossroads.backends import Backend
from crossroads.config import Settings
from crossroads.gateway import Gateway
from crossroads.lab.eval.cache import ResponseCache
from crossroads.lab.eval.caller import Caller
from crossroads.lab.eval.judge import Judge
from crossroads.lab.eval.result import Answer, BackendSummary, CaseResult, Pairwise, RunResult, ShadowInfo, SuiteInfo
from crossroads.lab.eval.runner import Tracker, judged, usable
from crossroads.lab.eval.shadow_source import ShadowRecords
from crossroads.lab.eval.stats import ALPHA, bootstrap_percentile, compare_pairs, percentile, proportion
from crossroads.lab.eval.suite_errors import EvalError
from crossroads.metering.config import MeteringConfig

SELF_HOSTED = "self-hosted: no per-token price (hardware cost belongs to the TCO model)"
VERDICT = {1: "better than", -1: "worse than", 0: "as good as"}


@dataclass
class ShadowOptions:
    judge: str | None = None
    skip_sensitive: bool = False
    since: datetime | None = None
    limit: int | None = None


def label(side: dict[str, Any]) -> str:
    return f"{side['backend']}:{side['upstream_model']}"


def build_cases(loaded: ShadowRecords) -> tuple[list[CaseResult], list[str]]:
    """One case per request id; the models: the primary (public name) then each candidate."""
    cases: dict[str, CaseResult] = {}
    candidates: list[str] = []
    for record in loaded.records:
        rid = str(record["request_id"])
        case = cases.get(rid)
        if case is None:
            tags = ["sensitive"] if record.get("sensitive") else []
            case = cases[rid] = CaseResult(id=rid, messages=messages_of(record), tags=tags)
            case.answers[loaded.model] = _answer(loaded.model, record["primary"])
        name = label(record["shadow"])
        name = f"{name} (shadow)" if name == loaded.model else name
        candidates += [] if name in candidates else [name]
        case.answers[name] = _answer(name, record["shadow"])
    return list(cases.values()), [loaded.model, *candidates]


def messages_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The request as messages (a completions prompt becomes one user message; content parts, text)."""
    request = record.get("request") or {}
    if "messages" not in request:
        return [{"role": "user", "content": str(request.get("prompt", ""))}]
    return [{**m, "content": _text(m.get("content"))} for m in request["messages"] if isinstance(m, dict)]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _answer(name: str, side: dict[str, Any]) -> Answer:
    usage = side.get("usage") or {}
    ok = side.get("status") == 200 and side.get("answer") is not None
    error = None if ok else " ".join(str(x) for x in (side.get("status") or "no answer", side.get("error_type")) if x)
    return Answer(
        model=name,
        text=side.get("answer"),
        error=error,
        latency_s=side.get("latency_s"),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cost_usd=side.get("cost"),
    )


def summaries(loaded: ShadowRecords, cases: list[CaseResult], models: list[str]) -> list[BackendSummary]:
    sides = _sides(loaded)
    return [_summary(m, [c.answers[m] for c in cases if m in c.answers], sides[m]) for m in models]


def _sides(loaded: ShadowRecords) -> dict[str, list[dict[str, Any]]]:
    """Every recorded side (backend, location) per model name, to say where the answers came from."""
    out: dict[str, list[dict[str, Any]]] = {loaded.model: []}
    for record in loaded.records:
        out[loaded.model].append(record["primary"])
        name = label(record["shadow"])
        out.setdefault(f"{name} (shadow)" if name == loaded.model else name, []).append(record["shadow"])
    return out


def _summary(model: str, answers: list[Answer], sides: list[dict[str, Any]]) -> BackendSummary:
    ok = [a for a in answers if a.error is None]
    latencies = [a.latency_s for a in ok if a.latency_s is not None]
    speeds = [a.completion_tokens / a.latency_s for a in ok if a.latency_s and a.completion_tokens]
    locations = sorted({str(s.get("location") or "unknown") for s in sides})
    cost, note = _cost_per_1k(ok, locations)
    p50, p90 = bootstrap_percentile(latencies, 50), bootstrap_percentile(latencies, 90)
    return BackendSummary(
        model=model,
        backend=",".join(sorted({str(s["backend"]) for s in sides})),
        location="+".join(locations),
        n_cases=len(answers),
        n_errors=len(answers) - len(ok),
        cost_per_1k_cases_usd=cost,
        cost_note=note,
        latency_p50_s=p50.value,
        latency_p90_s=p90.value,
        prompt_tokens=sum(a.prompt_tokens for a in answers),
        completion_tokens=sum(a.completion_tokens for a in answers),
        tokens_per_s=percentile(speeds, 50),
        latency_p50_ci=p50,
        latency_p90_ci=p90,
        error_rate=proportion(len(answers) - len(ok), len(answers)),
    )


def _cost_per_1k(ok: list[Answer], locations: list[str]) -> tuple[Decimal | None, str | None]:
    known = [a.cost_usd for a in ok if a.cost_usd is not None]
    if known:
        per_1k = (sum(known, Decimal(0)) / len(known) * 1000).quantize(Decimal("0.000001"))
        partial = f"cost known for {len(known)} of {len(ok)} answers (the rest reported no usage)"
        return per_1k, None if len(known) == len(ok) else partial
    if not ok:
        return None, "no successful answers"
    return None, SELF_HOSTED if locations == ["local"] else "no price known for this deployment when recorded"


def latency_pairs(cases: list[CaseResult], primary: str, candidates: list[str]) -> list[Pairwise]:
    """Each candidate against the primary on the requests both answered: who was faster, by how much."""
    out = []
    for name in candidates:
        both = [(c.answers[name], c.answers[primary]) for c in cases if name in c.answers]
        diffs = [x.latency_s - y.latency_s for x, y in both if _timed(x) and _timed(y)]  # type: ignore[operator]
        if not diffs:
            continue
        pair = compare_pairs(name, primary, [-_sign(d) for d in diffs], "latency", diffs)
        pair.statement = _latency_statement(pair)
        out.append(pair)
    return out


def _timed(a: Answer) -> bool:
    return a.error is None and a.latency_s is not None


def _sign(value: float) -> int:
    return 0 if value == 0 else (1 if value > 0 else -1)


def _latency_statement(p: Pairwise) -> str:
    n = p.wins + p.losses + p.ties
    d = p.mean_difference
    mean = "" if d is None or d.value is None else f"; mean {_ms(d.value)} per request [{_ms(d.low)}, {_ms(d.high)}]"
    head = f"{p.a} answered faster than {p.b} on {p.wins} of {n} requests, slower on {p.losses}{mean}"
    if not p.significant:
        return f"{head}, sign test p={p.p_value:.3g}: not significant — these records cannot tell their latency apart."
    verdict = "faster" if p.wins > p.losses else "slower"
    return f"{head}, sign test p={p.p_value:.3g}: {p.a} is {verdict} (significant at {ALPHA:.0%})."


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds * 1000:+,.1f} ms" if abs(seconds) < 0.01 else f"{seconds * 1000:+,.0f} ms"


def judge_is_local(settings: Settings, model: str, seen: frozenset[str] = frozenset()) -> bool:
    """True when every backend ``model`` can reach (deployments, fallbacks, cascade judges) is local."""
    entry = settings.models[model]
    backends = {entry.backend, *(d.backend for d in entry.deployments)}
    if any(settings.backends[b].location != "local" for b in backends if b in settings.backends):
        return False
    nested = [*entry.fallbacks, *(v.model for v in (entry.cascade.validators if entry.cascade else []) if v.model)]
    return all(judge_is_local(settings, settings.resolve(m) or m, seen | {model}) for m in nested if m not in seen)


def judge_settings(settings: Settings, judge: str) -> Settings:
    """Only the judge and its backend; no metering (the lab needs no gateway key), no routing rules."""
    entry = settings.models[judge]
    plain = entry.model_copy(update={"shadow": [], "fallbacks": [], "cascade": None})
    names = {entry.backend, *(d.backend for d in entry.deployments)}
    return settings.model_copy(
        update={
            "models": {judge: plain},
            "backends": {n: settings.backends[n] for n in names},
            "metering": MeteringConfig(),
            "routing": settings.routing.model_copy(update={"rules": [], "shadow_log": None}),
        }
    )


def check_sensitive(settings: Settings, judge: str, cases: list[CaseResult], skip: bool) -> list[CaseResult]:
    """The cases the judge may read; refuses when sensitive text would reach a judge that may run hosted."""
    sensitive = [c for c in cases if "sensitive" in c.tags]
    if not sensitive or judge_is_local(settings, judge):
        return cases
    if skip:
        return [c for c in cases if "sensitive" not in c.tags]
    raise EvalError(
        f"{len(sensitive)} of {len(cases)} shadow records are sensitive and the judge {judge!r} is not local",
        [
            "their text was only ever meant for self-hosted models — it is not sent to a hosted judge",
            "use a judge model whose backends all have location: local",
            "or pass --skip-sensitive to judge only the other records (all still count for latency and cost)",
        ],
    )


async def judge_pairs(
    caller: Caller, judge: str, cases: list[CaseResult], primary: str, candidates: list[str], tracker: Tracker
) -> list[Pairwise]:
    """Each candidate against the primary, asked in both orders; the verdict is kept on the candidate's answer."""
    grader = Judge(caller, judge)
    out = []
    for name in candidates:
        rows = [c for c in cases if name in c.answers and usable(c.answers[name]) and usable(c.answers[primary])]
        tracker.phase(f"judging {name} against {primary} (both orders)", len(rows))
        verdicts = await asyncio.gather(*(_verdict(grader, c, name, primary, tracker.step) for c in rows))
        pair = judged(name, primary, verdicts)
        pair.statement = pair.statement.replace("this suite cannot", "these records cannot")
        out.append(pair)
    return out


async def _verdict(
    grader: Judge, case: CaseResult, name: str, primary: str, step: Callable[[], None]
) -> tuple[int, bool]:
    outcome, consistent = await grader.compare(
        case.messages, None, case.answers[name].text or "", case.answers[primary].text or ""
    )
    why = f"{VERDICT[outcome]} {primary}" if consistent else "inconsistent when the order was swapped (a tie)"
    case.answers[name].judge_reason = f"pairwise: {why}"
    step()
    return outcome, consistent


async def shadow_run(
    settings: Settings,
    loaded: ShadowRecords,
    options: ShadowOptions,
    *,
    cache: ResponseCache,
    concurrency: int = 4,
    tracker: Tracker | None = None,
    backends: dict[str, Backend] | None = None,
) -> RunResult:
    """The run: summaries and latency from the records, pairwise quality from ``options.judge`` if any."""
    tracker = tracker or Tracker()
    cases, models = build_cases(loaded)
    primary, candidates = models[0], models[1:]
    pairwise: list[Pairwise] = []
    judged = cases
    notes = [f"{len(loaded.records)} shadow records of {loaded.model} from {loaded.source}; answers as recorded"]
    if options.judge is not None:
        judged = check_sensitive(settings, options.judge, cases, options.skip_sensitive)
        pairwise = await _judge(
            settings, options.judge, judged, primary, candidates, cache, concurrency, tracker, backends
        )
        if len(judged) < len(cases):
            notes.append(f"{len(cases) - len(judged)} sensitive records not judged (hosted judge, --skip-sensitive)")
    return _result(loaded, options, cases, models, pairwise, notes, len(cases) - len(judged))


async def _judge(
    settings: Settings,
    judge: str,
    cases: list[CaseResult],
    primary: str,
    candidates: list[str],
    cache: ResponseCache,
    concurrency: int,
    tracker: Tracker,
    backends: dict[str, Backend] | None,
) -> list[Pairwise]:
    from crossroads.lab.eval.session import _backends, _ready, _start_one_by_one

    chosen = judge_settings(settings, judge)
    gateway = Gateway(chosen, backends=_backends(chosen, backends))
    await _start_one_by_one(gateway)
    try:
        await _ready(gateway)
        caller = Caller(gateway, cache, concurrency=concurrency)
        return await judge_pairs(caller, judge, cases, primary, candidates, tracker)
    finally:
        await gateway.aclose()


def _result(
    loaded: ShadowRecords,
    options: ShadowOptions,
    cases: list[CaseResult],
    models: list[str],
    pairwise: list[Pairwise],
    notes: list[str],
    not_judged: int,
) -> RunResult:
    now = datetime.now(UTC)
    ids = "\n".join(sorted(f"{r['request_id']} {label(r['shadow'])}" for r in loaded.records))
    digest = hashlib.sha256(ids.encode()).hexdigest()
    stamps = [datetime.fromtimestamp(float(r["ts"]), UTC) for r in loaded.records]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", loaded.model).strip("-") or "model"
    info = ShadowInfo(
        source=loaded.source,
        model=loaded.model,
        candidates=models[1:],
        n_records=len(loaded.records),
        n_sensitive=sum(1 for c in cases if "sensitive" in c.tags),
        n_not_judged=not_judged,
        first_at=min(stamps),
        last_at=max(stamps),
        since=options.since,
        limit=options.limit,
        latency=latency_pairs(cases, models[0], models[1:]),
    )
    span = f"{min(stamps):%Y-%m-%d %H:%M} to {max(stamps):%Y-%m-%d %H:%M} UTC"
    description = f"requests to {loaded.model} mirrored to {', '.join(models[1:])}, {span}"
    return RunResult(
        run_id=f"shadow-{safe}-{now:%Y%m%d-%H%M%S}-{hashlib.sha256(f'{digest}{now.isoformat()}'.encode()).hexdigest()[:6]}",
        created_at=now,
        suite=SuiteInfo(
            name=f"shadow:{loaded.model}",
            path=loaded.source,
            sha256=digest,
            n_cases=len(cases),
            description=description,
        ),
        params={"from_shadow": loaded.source, "since": options.since, "limit": options.limit},
        models=models,
        judge=options.judge,
        summaries=summaries(loaded, cases, models),
        pairwise=pairwise,
        cases=cases,
        notes=notes,
        shadow=info,
    )
