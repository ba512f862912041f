"""The eval run-result file: a versioned JSON schema (pydantic), stable for other readers.

One ``RunResult`` per ``crossroads eval run``, written as ``<run_id>.json``. Readers (the decision
report, ``eval show``, ``eval compare``) load it with ``RunResult.load(path)``, which refuses files of
an unknown major ``schema_version``. Fields are only ever *added* within a schema version.

    RunResult
    ├── schema_version, run_id, created_at, suite (SuiteInfo), params, models, judge, notes
    ├── summaries: [BackendSummary]   one per model: pass rate + 95% CI, mean scores + CIs,
    │                                 cost per 1k cases (Decimal USD or None = unknown), p50/p90 latency, tokens
    ├── pairwise:  [Pairwise]         win/loss/tie of two models, win rate + CI, sign-test p-value, statement
    ├── cases:     [CaseResult]       per case: input, reference, and one Answer per model
    │                                 (text, error, latency, tokens, cost, cached, assertion results, scores)
    └── shadow:    ShadowInfo | None  set by ``eval run --from-shadow``: the models are the answer the client
                                      got (the public name) and each mirrored candidate (``backend:upstream``),
                                      a case is one recorded request, answers come from the records (not asked
                                      again); summaries add latency intervals and an error rate

Scores are floats in [0, 1] keyed by metric name: ``assertions`` (fraction passed), ``rouge_l``,
``similarity`` (cosine of all-MiniLM-L6-v2 embeddings), ``judge`` (rubric score mapped 1..5 -> 0..1).
Money is ``Decimal`` (serialised as a string); ``None`` means no price is known (e.g. self-hosted).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Estimate(_Model):
    """A mean (or rate) with its 95% interval; ``value`` is None when ``n`` is 0.

    ``method``: ``wilson`` (Wilson score interval: every share — pass, win and error rates) or
    ``bootstrap`` (percentile bootstrap, fixed seed: mean scores, latency percentiles). Files written
    before the Wilson interval may carry ``exact`` (Clopper-Pearson) or bootstrap pass rates.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    level: float = 0.95
    method: str = "bootstrap"


class AssertionResult(_Model):
    type: str
    passed: bool
    detail: str = ""


class Answer(_Model):
    """One model's answer to one case."""

    model: str
    text: str | None = None
    error: str | None = None
    latency_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal | None = None
    cached: bool = False
    assertions: list[AssertionResult] = Field(default_factory=list)
    passed: bool | None = Field(None, description="all assertions passed; None when the case has none")
    scores: dict[str, float] = Field(default_factory=dict)
    judge_reason: str | None = None


class CaseResult(_Model):
    id: str
    messages: list[dict[str, Any]]
    reference: str | None = None
    tags: list[str] = Field(default_factory=list)
    answers: dict[str, Answer] = Field(default_factory=dict)


class BackendSummary(_Model):
    model: str
    backend: str
    location: str
    n_cases: int
    n_errors: int = 0
    pass_rate: Estimate | None = None
    scores: dict[str, Estimate] = Field(default_factory=dict)
    cost_per_1k_cases_usd: Decimal | None = None
    cost_note: str | None = None
    latency_p50_s: float | None = None
    latency_p90_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_per_s: float | None = Field(None, description="median over answers of completion tokens / request seconds")
    latency_p50_ci: Estimate | None = Field(None, description="p50 latency (s), 95% bootstrap interval (shadow runs)")
    latency_p90_ci: Estimate | None = Field(None, description="p90 latency (s), 95% bootstrap interval (shadow runs)")
    error_rate: Estimate | None = Field(None, description="errors / cases, Wilson 95% interval (shadow runs)")


class Pairwise(_Model):
    """Model ``a`` against model ``b`` on the same cases."""

    a: str
    b: str
    method: str = Field(description="'judge' (pairwise judge, both orders), 'pass' or 'score:<metric>'")
    wins: int
    losses: int
    ties: int
    win_rate: Estimate = Field(description="wins / (wins + losses), Wilson 95% interval")
    mean_difference: Estimate | None = Field(
        None, description="mean per-case (a - b): +1/0/-1 outcomes, or score differences; paired bootstrap 95% CI"
    )
    p_value: float | None = Field(None, description="two-sided sign test on wins vs losses")
    significant: bool = False
    inconsistent: int | None = Field(None, description="judge verdicts that flipped with the answer order")
    inconsistency_rate: float | None = None
    statement: str = ""


class SuiteInfo(_Model):
    name: str
    path: str
    sha256: str
    n_cases: int
    description: str = ""


class ShadowInfo(_Model):
    """What a run built from recorded shadow traffic (``crossroads eval run --from-shadow``) read."""

    source: str = Field(description="the JSONL file or database the records came from (no password)")
    model: str = Field(description="the public model whose traffic was mirrored")
    candidates: list[str] = Field(default_factory=list, description="mirrored deployments, 'backend:upstream_model'")
    n_records: int = 0
    n_sensitive: int = Field(0, description="records of requests the privacy guard found personal data in")
    n_not_judged: int = Field(0, description="sensitive records left out of judging (--skip-sensitive)")
    first_at: datetime | None = None
    last_at: datetime | None = None
    since: datetime | None = None
    limit: int | None = None
    latency: list[Pairwise] = Field(
        default_factory=list,
        description="per candidate against the primary, requests both answered: 'wins' = candidate faster, "
        "mean_difference = candidate minus primary seconds (paired bootstrap), sign test",
    )


class RunResult(_Model):
    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: datetime
    suite: SuiteInfo
    params: dict[str, Any] = Field(default_factory=dict)
    models: list[str]
    judge: str | None = None
    summaries: list[BackendSummary] = Field(default_factory=list)
    pairwise: list[Pairwise] = Field(default_factory=list)
    cases: list[CaseResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    shadow: ShadowInfo | None = None

    def summary(self, model: str) -> BackendSummary:
        for s in self.summaries:
            if s.model == model:
                return s
        raise KeyError(f"no model {model!r} in run {self.run_id} (models: {', '.join(self.models)})")

    def save(self, path: str | Path) -> Path:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return file

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        """Read a result file; raises ``ValueError`` for a schema version this code cannot read."""
        text = Path(path).read_text(encoding="utf-8")
        result = cls.model_validate_json(text)
        if result.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ValueError(
                f"{path}: schema_version {result.schema_version} is not readable (expected {SCHEMA_VERSION})"
            )
        return result
