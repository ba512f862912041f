"""Which deployments may serve a call, in which order — and the sentence that explains the choice.

The order is the group's strategy, then each fallback model's group — only the deployments its key
may use (``scope``: a fallback must not carry a call to a model the key is not allowed). A call the privacy guard keeps
local (``call.local_only``) only ever sees self-hosted deployments: the filter runs here, before any
attempt, retry, cascade step or fallback, so none of them can reach a hosted one (fail closed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from random import Random

from crossroads.errors import CrossroadsError, PermissionDenied, RateLimited, ServiceUnavailable
from crossroads.pipeline.call import AttemptRecord, Call
from crossroads.routing import scope
from crossroads.routing.deployment import Deployment
from crossroads.routing.groups import Group


def candidates(call: Call, group: Group, groups: Mapping[str, Group], rng: Random) -> Sequence[Deployment]:
    if not scope.allows_model(call, group.name):  # admission and rules check this first; never reached
        raise PermissionDenied(f"This key may not use model '{group.name}'.", param="model", code="model_not_allowed")
    ordered = group.order(rng)
    if group.fallbacks:
        ordered = _with_fallbacks(ordered, group, groups, rng)
        in_scope = scope.deployments(call, groups)
        if in_scope is not None:
            ordered = [d for d in ordered if d.key in in_scope]
    if call.local_only:
        local = [d for d in ordered if d.location == "local"]
        if not local:
            raise _no_local(call, ordered)
        return local
    return ordered


def _with_fallbacks(
    ordered: Sequence[Deployment], group: Group, groups: Mapping[str, Group], rng: Random
) -> list[Deployment]:
    result = list(ordered)
    for name in group.fallbacks:
        result += [d for d in groups[name].order(rng) if d not in result]
    return result


def _no_local(call: Call, ordered: Sequence[Deployment]) -> ServiceUnavailable:
    hosted = ", ".join(sorted({d.backend.name for d in ordered}))
    return ServiceUnavailable(
        f"This request must stay on a self-hosted model, and model '{call.model}' is served only by the "
        f"hosted backend(s) '{hosted}'. Use a model on a local backend, or add a local deployment or fallback.",
        code="no_local_backend",
    )


def served_model(group: Group, d: Deployment, groups: Mapping[str, Group]) -> str:
    """The public model ``d`` serves in this call: the group's own, else the first fallback's that lists it."""
    if d in group.prepared.deployments:
        return group.name
    return next((n for n in group.fallbacks if d in groups[n].prepared.deployments), group.name)


def _how(group: Group, used: Deployment, groups: Mapping[str, Group]) -> str:
    if used in group.prepared.deployments:
        return group.strategy
    return next((f"fallback {n}" for n in group.fallbacks if used in groups[n].prepared.deployments), "fallback")


def explain(
    call: Call, group: Group, used: Deployment | None, attempts: list[AttemptRecord], groups: Mapping[str, Group]
) -> str:
    """e.g. ``rule private -> llama; weighted -> vllm:llama; after a:gpt-4o 502 bad_gateway; local only``."""
    parts = [call.facts.route_rule or f"model {group.name}"]
    if used is not None:
        parts.append(f"{_how(group, used, groups)} -> {used.key}")
    for record in attempts:
        if "purpose" in record:
            continue
        if record.get("rejected"):
            parts.append(f"cascade rejected {record['backend']}:{record['upstream_model']} ({record['rejected']})")
        elif record["status"] != 200 and record["status"] is not None:
            parts.append(
                f"after {record['backend']}:{record['upstream_model']} {record['status']} {record['error_type']}"
            )
    if call.local_only:
        parts.append("local only")
    return "; ".join(parts)


def brief(
    call: Call, group: Group, used: Deployment | None, attempts: list[AttemptRecord], groups: Mapping[str, Group]
) -> str:
    """The reason without upstream detail, for clients: ``rule cheap -> local; fallback premium; 1 failed``."""
    parts = [call.facts.route_rule or f"model {group.name}"]
    own = [r for r in attempts if "purpose" not in r]
    if used is not None and any(r.get("used") for r in own):  # how the answer was served, if one was
        parts.append(_how(group, used, groups))
    rejected = sum(1 for r in own if r.get("rejected"))
    failed = sum(1 for r in own if not r.get("rejected") and r["status"] not in (200, None))
    parts += [f"{n} {what}" for n, what in ((failed, "failed"), (rejected, "rejected by cascade")) if n]
    if call.local_only:
        parts.append("local only")
    return "; ".join(parts)


def header_safe(text: str) -> str:
    """ASCII on one line, at most 512 characters."""
    return " ".join(text.encode("ascii", "replace").decode("ascii").split())[:512]


def with_route_headers(exc: CrossroadsError, call: Call) -> CrossroadsError:
    """The route headers ride on the error response too."""
    exc.headers = {**exc.headers, **call.response_headers}
    return exc


def nothing_to_try(call: Call, order: Sequence[Deployment]) -> CrossroadsError:
    """Nothing may be tried now: 429 when every candidate is cooling down after a rate limit, else 503."""
    now = time.monotonic()
    waits = [w for d in order if (w := d.breaker.retry_in(now)) is not None]
    wait = max(1, math.ceil(min(waits))) if waits else 1
    headers = {"Retry-After": str(wait)}
    if all(d.breaker.cooling(now) for d in order):
        return RateLimited(
            f"Every deployment of model '{call.model}' is rate limited upstream; retry in {wait}s.", headers=headers
        )
    return ServiceUnavailable(
        f"Every deployment of model '{call.model}' is unavailable (circuit open); retry in {wait}s.",
        code="circuit_open",
        headers=headers,
    )
