"""What the cost model picks (an API, a fleet, or a hybrid of both) and what the evals say about the
models it picks, against the models it passes over."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossroads.lab.report.consistency import same_model

if TYPE_CHECKING:
    from crossroads.lab.eval.result import BackendSummary, RunResult


@dataclass(frozen=True)
class Choice:
    kind: str  # "api" | "self-hosted" | "hybrid"
    option: str  # the TCO option (or "API + fleet" hybrid curve) whose cost it is
    monthly: Decimal
    api: dict[str, Any] | None = None
    fleet: dict[str, Any] | None = None
    share: Decimal | None = None  # of requests kept on the fleet (hybrid)

    @property
    def models(self) -> list[str]:
        return [o["model"] for o in (self.api, self.fleet) if o is not None and o.get("model")]


def choose(tco: dict[str, Any], private: Decimal | None) -> Choice:
    """The cheapest option; when it is an API and some traffic must stay local, the cheapest way to keep
    it local: a hybrid (the API for the rest) or one fleet for everything."""
    options = {o["name"]: o for o in tco["options"]}
    best = options[tco["cheapest"]]
    if best["kind"] != "api":
        return _fleet(best)
    hybrids = [(name, _at(points, private)) for name, points in tco["hybrid"].items()] if private else []
    local = [_fleet(o) for o in options.values() if o["kind"] == "self-hosted"] if private else []
    candidates = [_hybrid(name, total, options, private) for name, total in hybrids if total is not None] + local
    if not candidates:
        return Choice("api", best["name"], Decimal(best["monthly"]), api=best)
    return min(candidates, key=lambda c: c.monthly)


def _fleet(o: dict[str, Any]) -> Choice:
    return Choice("self-hosted", o["name"], Decimal(o["monthly"]), fleet=o)


def _hybrid(name: str, total: Decimal, options: dict[str, dict[str, Any]], share: Decimal | None) -> Choice:
    api_name, fleet_name = name.split(" + ", 1)
    return Choice("hybrid", name, total, api=options[api_name], fleet=options[fleet_name], share=share)


def _at(points: list[dict[str, Any]], share: Decimal | None) -> Decimal | None:
    return next((Decimal(p["total"]) for p in points if Decimal(p["share"]) == share), None)


def other_models(tco: dict[str, Any], model: str) -> list[str]:
    """The models of every other costed option, cheapest first: what ``model`` was preferred to."""
    named = sorted((o for o in tco["options"] if o.get("model")), key=lambda o: Decimal(o["monthly"]))
    return list(dict.fromkeys(o["model"] for o in named if not same_model(o["model"], model)))


def find(evals: list[RunResult], model: str) -> tuple[RunResult, BackendSummary] | None:
    for run in evals:
        for s in run.summaries:
            if same_model(s.model, model):
                return run, s
    return None


@dataclass(frozen=True)
class QualityView:
    state: str  # "not_evaluated" | "other_way" | "not_significant" | "agrees" | "alone"
    sentence: str


def judge_quality(evals: list[RunResult], model: str, others: list[str]) -> QualityView:
    """Is ``model`` (the one recommended) as good as the ``others`` it was preferred to, by the evals?"""
    if find(evals, model) is None:
        measured = sorted({m for run in evals for m in run.models})
        also = f" (the evals measured {', '.join(measured)})" if measured else " (no eval was given)"
        return QualityView("not_evaluated", f"{model} was not evaluated, so its quality is unknown{also}")
    views = [v for other in others if (v := _versus(evals, model, other)) is not None]
    for state in ("other_way", "not_significant", "agrees"):
        picked = [v for v in views if v.state == state]
        if picked:
            return picked[0]
    run, s = find(evals, model) or (None, None)
    rate = ""
    if run is not None and s is not None and s.pass_rate is not None and s.pass_rate.value is not None:
        e = s.pass_rate
        rate = f" (pass rate {e.value:.0%} [{e.low or 0:.0%}, {e.high or 0:.0%}] on {run.suite.name}, {e.n} cases)"
    return QualityView("alone", f"{model} was evaluated{rate}, but none of the alternatives was evaluated with it")


def _versus(evals: list[RunResult], model: str, other: str) -> QualityView | None:
    for run in evals:
        mine = next((s for s in run.summaries if same_model(s.model, model)), None)
        theirs = next((s for s in run.summaries if same_model(s.model, other)), None)
        if mine is None or theirs is None:
            continue
        better = _better(run, mine, theirs)
        where = f"on {run.suite.name} ({run.suite.n_cases} cases)"
        if better is None:
            return QualityView("not_significant", f"the quality gap to {theirs.model} {where} is not significant")
        if better is theirs:
            return QualityView(
                "other_way", f"quality points the other way: {theirs.model} is significantly better {where}"
            )
        return QualityView("agrees", f"it is also significantly better than {theirs.model} {where}")
    return None


def _better(run: RunResult, a: BackendSummary, b: BackendSummary) -> BackendSummary | None:
    """The significantly better of two models in one run: the pairwise sign test if there is one, else
    pass rates whose Wilson intervals do not overlap; None when the run cannot tell them apart."""
    for p in run.pairwise:
        if {p.a, p.b} == {a.model, b.model}:
            if not p.significant or p.wins == p.losses:
                return None
            winner = p.a if p.wins > p.losses else p.b
            return a if winner == a.model else b
    ra, rb = a.pass_rate, b.pass_rate
    if ra is None or rb is None or None in (ra.low, ra.high, rb.low, rb.high):
        return None
    if ra.low > rb.high:  # type: ignore[operator]
        return a
    if rb.low > ra.high:  # type: ignore[operator]
        return b
    return None
