"""Build a fine-tuning dataset from what the gateway already stores.

Two sources, both written by a running gateway:

    shadow records   ``routing.shadow`` mirrors: the request after the privacy guard and each side's answer
                     before the guard restored anything (placeholders stay placeholders)
    content log      ``metering.content_logging``: the request after the guard and the answer, sealed with the
                     Fernet key from the environment. When the guard rewrote the request, the answer the client
                     got has the values put back; the log then also keeps the answer as the upstream gave it
                     (placeholders in), and that is the one taught. A rewritten row without it (a stream) is left
                     out: its answer holds values the hosted model never saw.

Only answers of hosted backends are taught (a local model's own answers teach it nothing). Each pair must pass
the checks (the cascade validators of the model's group, or ones given) before it is kept; then pairs are
de-duplicated by prompt and split by time (``dataset.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossroads.config import Settings
from crossroads.errors import ConfigError
from crossroads.routing.answer_checks import Check, Judge, build_checks, first_failure
from crossroads.routing.config import ValidatorConfig
from crossroads.tune.dataset import CollectResult, Example, dedupe, split_by_time, write_jsonl


@dataclass(frozen=True)
class CollectRequest:
    out_dir: Path
    shadow: str | None = None  # a JSONL file or database URL of shadow records
    ledger: str | None = None  # database URL of the ledger holding the content log
    content_key_env: str = "CROSSROADS_CONTENT_KEY"
    hosted: frozenset[str] = frozenset()  # backend names whose answers teach
    models: tuple[str, ...] = ()  # public model names (empty: every one)
    teachers: tuple[str, ...] = ()  # backend or backend:upstream_model (empty: every hosted one)
    since: datetime | None = None
    until: datetime | None = None
    checks: tuple[ValidatorConfig, ...] = ()
    validation: float = 0.1
    test: float = 0.2
    eval_assertions: tuple[dict[str, Any], ...] | None = None  # None: the eval form of ``checks``


async def _no_judge(model: str, prompt: str) -> str:
    raise ConfigError(f"a judge check needs the gateway: give --config with model '{model}'")


async def collect_with_gateway(request: CollectRequest, settings: Settings) -> CollectResult:
    """``collect``, with a judge check (if any) asking its model through a gateway built from ``settings`` —
    so the judge call obeys the privacy policy as every other call does."""
    if not any(c.type == "judge" for c in request.checks):
        return await collect(request)
    from crossroads.backends.base import Endpoint
    from crossroads.gateway import Gateway
    from crossroads.routing.answer_checks import answer_text

    gateway = Gateway(settings)
    await gateway.start()

    async def judge(model: str, prompt: str) -> str:
        body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 8, "temperature": 0}
        return answer_text(await gateway.send(Endpoint.CHAT, body))

    try:
        return await collect(request, judge)
    finally:
        await gateway.aclose()


async def collect(request: CollectRequest, judge: Judge = _no_judge) -> CollectResult:
    """Read both sources, keep the pairs that pass, write train/validation/test JSONL and a manifest."""
    if request.shadow is None and request.ledger is None:
        raise ConfigError("nothing to collect from", ["give --shadow FILE|DB_URL and/or --ledger DB_URL"])
    result = CollectResult()
    found: list[Example] = []
    for example in _examples(request, result):
        found.append(example)
    checks = build_checks(list(request.checks))
    kept = await _passing(found, checks, judge, result) if checks else found
    unique, result.duplicates = dedupe(kept)
    split = split_by_time(unique, request.validation, request.test)
    request.out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in split.parts().items():
        path = request.out_dir / f"{name}.jsonl"
        result.counts[name] = write_jsonl(path, (e.chat() for e in part))
        result.files[name] = path
    suite = request.out_dir / "test.eval.jsonl"
    assertions = list(request.eval_assertions) if request.eval_assertions is not None else eval_form(request.checks)
    write_jsonl(suite, (e.eval_case(assertions) for e in split.test))
    result.files["eval_suite"] = suite
    if unique:
        result.first = datetime.fromtimestamp(unique[0].at, UTC)
        result.last = datetime.fromtimestamp(unique[-1].at, UTC)
    manifest = {"request": _request_json(request), "result": result.to_json()}
    (request.out_dir / "dataset.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return result


EVAL_FORM = {
    "json": lambda c: {"type": "is-json"},
    "json_schema": lambda c: {"type": "json-schema", "value": c.json_schema},
    "regex": lambda c: {"type": "regex", "value": c.pattern},
}


def eval_form(checks: tuple[ValidatorConfig, ...]) -> list[dict[str, Any]]:
    """The checks ``crossroads eval`` can run itself, as the test suite's assertions."""
    return [EVAL_FORM[c.type](c) for c in checks if c.type in EVAL_FORM]


async def _passing(
    examples: list[Example], checks: tuple[Check, ...], judge: Judge, result: CollectResult
) -> list[Example]:
    kept = []
    for example in examples:
        question = "\n".join(c for _, c in example.messages)
        reason = await first_failure(checks, question, example.answer, judge)
        if reason is None:
            kept.append(example)
        else:
            result.skipped[f"check failed: {reason.split(':')[0]}"] += 1
    return kept


def _examples(request: CollectRequest, result: CollectResult) -> Iterator[Example]:
    from crossroads.tune import sources

    if request.shadow is not None:
        yield from _wanted(sources.from_shadow(request.shadow, request.hosted, result), request, result)
    if request.ledger is not None:
        rows = sources.from_content_log(request.ledger, request.content_key_env, request.hosted, result)
        yield from _wanted(rows, request, result)


def _wanted(examples: Iterator[Example], request: CollectRequest, result: CollectResult) -> Iterator[Example]:
    since = None if request.since is None else _utc(request.since).timestamp()
    until = None if request.until is None else _utc(request.until).timestamp()
    for example in examples:
        result.read += 1
        if request.models and example.model not in request.models:
            result.skipped["other model"] += 1
        elif request.teachers and not _teacher_matches(example.teacher, request.teachers):
            result.skipped["other teacher"] += 1
        elif (since is not None and example.at < since) or (until is not None and example.at >= until):
            result.skipped["outside the time range"] += 1
        else:
            yield example


def _teacher_matches(teacher: str, wanted: tuple[str, ...]) -> bool:
    backend = teacher.partition(":")[0]
    return teacher in wanted or backend in wanted


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _request_json(request: CollectRequest) -> dict[str, Any]:
    return {
        "shadow": _no_secret(request.shadow),
        "ledger": _no_secret(request.ledger),
        "models": list(request.models),
        "teachers": list(request.teachers),
        "since": None if request.since is None else request.since.isoformat(),
        "until": None if request.until is None else request.until.isoformat(),
        "checks": [c.model_dump(exclude_none=True, by_alias=True) for c in request.checks],
        "validation": request.validation,
        "test": request.test,
    }


def _no_secret(url: str | None) -> str | None:
    """A database URL without its password."""
    if url is None or "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':')[0]}:***@{host}"
