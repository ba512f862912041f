"""Where a request may end up, and the most it may cost there — so a budget is reserved after routing.

The metering stage runs before the routing rules and the router, so it reserves for every place the
request may reach, worked out once from the configuration:

    the model asked for, and every model a routing rule may send it to (a rule without a model condition
    may send any request)
      └─ each one's candidates: its group's deployments, then its fallbacks' (as the router orders them)
           ├─ no cascade: one answer is used                     → the dearest candidate
           └─ cascade: every step may answer and be billed        → the sum of the candidates, plus one
                                                                    judge call per step that can be judged

The reservation is the largest of these. Deployments without a price are listed in ``unpriced``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from crossroads.catalog import ModelPrice
from crossroads.metering.pricing import Pricer
from crossroads.routing.config import CascadeConfig, Routes

JUDGE_MAX_TOKENS = 8  # the router's judge call asks for this many tokens
JUDGE_PROMPT_EXTRA = 512  # the judge's instructions around the question and the answer it reads
Target = tuple[str, str, str]  # backend, upstream model, public model


@dataclass(frozen=True, slots=True)
class Route:
    """One model a request may be served by: its priced candidates, and whether a cascade bills them all."""

    prices: tuple[ModelPrice, ...]
    cascade: bool = False
    judges: tuple[ModelPrice, ...] = ()

    def bound(self, prompt: int, completion: int) -> Decimal:
        costs = [p.cost(prompt, completion) for p in self.prices]
        if not costs:
            return Decimal(0)
        if not self.cascade:
            return max(costs)
        judged = prompt + completion + JUDGE_PROMPT_EXTRA
        judge = max((j.cost(judged, JUDGE_MAX_TOKENS) for j in self.judges), default=Decimal(0))
        return sum(costs, Decimal(0)) + judge * (len(costs) - 1)


@dataclass(frozen=True, slots=True)
class Reach:
    routes: tuple[Route, ...]
    unpriced: tuple[str, ...] = ()  # backend:upstream of candidates without a price

    def bound(self, prompt: int, completion: int) -> Decimal:
        """The most a request with this many prompt and completion tokens may cost."""
        if len(self.routes) == 1:
            return self.routes[0].bound(prompt, completion)
        return max((r.bound(prompt, completion) for r in self.routes), default=Decimal(0))


def targets(routes: Routes, public: str) -> list[Target]:
    """The candidates of a model: its deployments, then its fallbacks' (each deployment once)."""
    found: list[Target] = []
    for name in [public, *routes.models[public].fallbacks]:
        name = routes.resolve(name) or name
        for t in _deployments(routes, name):
            if t[:2] not in [f[:2] for f in found]:
                found.append(t)
    return found


def _deployments(routes: Routes, public: str) -> list[Target]:
    model = routes.models[public]
    if not model.deployments:
        return [(model.backend, model.upstream_model or public, public)]
    return [(d.backend, d.upstream_model or public, public) for d in model.deployments]


def rule_targets(routes: Routes, public: str) -> list[str]:
    """The models a routing rule may send a request for ``public`` to."""
    out = []
    for rule in routes.routing.rules:
        names = rule.when.model
        if names is None or public in {routes.resolve(n) or n for n in names}:
            out.append(routes.resolve(rule.use) or rule.use)
    return out


def reach_of(routes: Routes, pricer: Pricer, public: str) -> Reach:
    found: list[Route] = []
    unpriced: list[str] = []
    for name in dict.fromkeys([public, *rule_targets(routes, public)]):
        priced, missing = _priced(pricer, targets(routes, name))
        unpriced += missing
        cascade = routes.models[name].cascade
        judges = _judges(routes, pricer, cascade) if cascade is not None else ()
        found.append(Route(tuple(priced), cascade is not None, judges))
    return Reach(tuple(found), tuple(dict.fromkeys(unpriced)))


def _priced(pricer: Pricer, found: Sequence[Target]) -> tuple[list[ModelPrice], list[str]]:
    priced, missing = [], []
    for backend, upstream, public in found:
        price = pricer.price(backend, [upstream, public])
        if price is None:
            missing.append(f"{backend}:{upstream}")
        else:
            priced.append(price)
    return priced, missing


def _judges(routes: Routes, pricer: Pricer, cascade: CascadeConfig) -> tuple[ModelPrice, ...]:
    judges: list[ModelPrice] = []
    for v in cascade.validators:
        if v.type == "judge" and v.model is not None:
            name = routes.resolve(v.model) or v.model
            judges += _priced(pricer, targets(routes, name))[0]
    return tuple(judges)


def reaches(routes: Routes, pricer: Pricer) -> dict[str, Reach]:
    """Every public model's reach, computed once at start."""
    return {public: reach_of(routes, pricer, public) for public in routes.models}
