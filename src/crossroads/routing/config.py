"""Routing configuration: the public models (``ModelConfig``: a backend, or a group of deployments with
strategy, fallbacks, cascade and shadow) and the ``routing:`` section (retries, breakers, health checks,
rules, where shadow records go); ``Routes`` is both together, what the router is built from.

Plain pydantic models, frozen, unknown fields refused; no import of ``crossroads.config`` (which
imports these). ``cross_check(raw)`` finds references to backends and models that do not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from crossroads.config_base import Strict

Strategy = Literal["priority", "weighted", "least_inflight", "lowest_latency", "lowest_cost"]


class Price(Strict):
    """USD per 1M tokens, for a deployment the price catalog does not know (e.g. self-hosted)."""

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cached_input: Decimal | None = Field(None, ge=0, description="prompt tokens read from the upstream's cache")


class DeploymentConfig(Strict):
    backend: str = Field(description="name of a backend under 'backends'")
    upstream_model: str | None = Field(None, description="name the backend knows (default: the public name)")
    weight: float = Field(1.0, gt=0, description="share of traffic under strategy 'weighted'")
    priority: int = Field(0, description="lower is tried first under strategy 'priority'")
    price: Price | None = Field(None, description="overrides the price catalog for this deployment")


class ValidatorConfig(Strict):
    """One check on a cheap answer; the cascade accepts it when every check passes."""

    type: Literal["json", "json_schema", "regex", "min_length", "no_refusal", "judge"]
    json_schema: dict[str, Any] | None = Field(None, alias="schema", description="for json_schema")
    pattern: str | None = Field(None, description="for regex: must match somewhere in the answer")
    chars: int | None = Field(None, ge=0, description="for min_length")
    phrases: list[str] | None = Field(None, description="for no_refusal (default: common refusals)")
    model: str | None = Field(None, description="for judge: the public model that scores the answer")
    threshold: float = Field(7.0, description="for judge: minimum score out of 10")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _needs(self) -> ValidatorConfig:
        need = {"json_schema": "json_schema", "regex": "pattern", "min_length": "chars", "judge": "model"}.get(
            self.type
        )
        if need and getattr(self, need) is None:
            field = "schema" if need == "json_schema" else need
            raise ValueError(f"validator type {self.type} needs '{field}'")
        return self


class CascadeConfig(Strict):
    """Try the group's deployments in order (cheapest first); accept the first answer that passes."""

    validators: list[ValidatorConfig] = Field(min_length=1)


class ShadowTarget(Strict):
    backend: str = Field(description="a backend under 'backends'")
    upstream_model: str | None = None
    sample: float = Field(0.1, ge=0, le=1, description="share of this model's requests mirrored")
    price: Price | None = None


class RetryConfig(Strict):
    retries: int = Field(0, ge=0, le=10, description="extra rounds over the candidates after each failed once")
    backoff: float = Field(0.25, ge=0, description="seconds before the first retry; doubles each time")
    max_backoff: float = Field(8.0, ge=0)
    jitter: float = Field(0.5, ge=0, le=1, description="random share taken off each wait")
    max_retry_after: float = Field(30.0, ge=0, description="longest Retry-After honoured before giving up")
    attempt_timeout: float | None = Field(None, gt=0, description="seconds per attempt (first chunk for streams)")
    total_timeout: float | None = Field(None, gt=0, description="seconds for all attempts together")


class BreakerConfig(Strict):
    enabled: bool = True
    failures: int = Field(5, ge=1, description="failures within 'window' that open the circuit")
    window: float = Field(30.0, gt=0, description="seconds")
    cooldown: float = Field(30.0, gt=0, description="seconds open before one probe request is let through")


class HealthConfig(Strict):
    interval: float | None = Field(None, gt=0, description="seconds between active checks (null: off)")


class RuleWhen(Strict):
    model: list[str] | None = Field(None, description="requested public names or aliases")
    privacy: list[str] | None = Field(None, description="local_only, or the guard's action (keep_local, redact …)")
    key: list[str] | None = Field(None, description="API key names")
    min_prompt_chars: int | None = Field(None, ge=0)
    max_prompt_chars: int | None = Field(None, ge=0)
    tier: list[str] | None = Field(None, description="header x-crossroads-tier or metadata.tier (client-set)")
    route: list[str] | None = Field(None, description="header x-crossroads-route or metadata.route (client-set)")
    metadata: dict[str, str] | None = Field(None, description="every pair must be in the body's metadata (client-set)")


class RuleConfig(Strict):
    name: str | None = None
    when: RuleWhen = RuleWhen()
    use: str = Field(description="public model that serves a matching request")


class RoutingConfig(Strict):
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    health: HealthConfig = HealthConfig()
    rules: list[RuleConfig] = Field(default_factory=list)
    shadow_log: str | None = Field(None, description="JSONL file for shadow records (default: crossroads-shadow.jsonl)")
    shadow_max_in_flight: int = Field(32, ge=1, description="mirrored requests running at once; more are skipped")
    reason_header: Literal["brief", "full", "off"] = Field(
        "brief",
        description="x-crossroads-route-reason: brief (rule, strategy, how many attempts failed), full (also "
        "each upstream and its status — for trusted clients) or off; the ledger always keeps the full reason",
    )


class ModelConfig(Strict):
    """One public model: a plain ``backend:``, or a group of ``deployments`` (see ``crossroads.routing``)."""

    backend: str = Field(description="name of a backend under 'backends' (a group: its first deployment's)")
    upstream_model: str | None = Field(None, description="name the backend knows (Azure: the deployment)")
    aliases: list[str] = Field(default_factory=list)
    owned_by: str | None = None
    deployments: list[DeploymentConfig] = Field(default_factory=list, description="a group: where it may be served")
    strategy: Strategy = "priority"
    fallbacks: list[str] = Field(default_factory=list, description="models tried when every deployment failed")
    cascade: CascadeConfig | None = None
    shadow: list[ShadowTarget] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _group_backend(cls, data: Any) -> Any:
        return group_backend(data)


@dataclass(frozen=True, slots=True)
class Routes:
    """What the router is built from: the public models (each a group of deployments) and ``routing:``."""

    models: Mapping[str, ModelConfig]
    routing: RoutingConfig = field(default_factory=RoutingConfig)

    def resolve(self, name: str) -> str | None:
        return resolve_model(self.models, name)


def resolve_model(models: Mapping[str, ModelConfig], name: str) -> str | None:
    """Public model name for a name or alias, or None."""
    if name in models:
        return name
    return next((public for public, model in models.items() if name in model.aliases), None)


def _names(raw: dict[str, Any], section: str) -> dict[str, Any]:
    value = raw.get(section)
    return value if isinstance(value, dict) else {}


def _backend_refs(public: str, model: dict[str, Any]) -> list[tuple[str, Any]]:
    refs = [(f"models.{public}.deployments.{i}.backend", d.get("backend")) for i, d in _items(model, "deployments")]
    return refs + [(f"models.{public}.shadow.{i}.backend", d.get("backend")) for i, d in _items(model, "shadow")]


def _items(mapping: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = mapping.get(key)
    return [(i, d) for i, d in enumerate(value) if isinstance(d, dict)] if isinstance(value, list) else []


def _model_refs(public: str, model: dict[str, Any]) -> list[tuple[str, Any]]:
    fallbacks = model.get("fallbacks")
    refs = [
        (f"models.{public}.fallbacks.{i}", n) for i, n in enumerate(fallbacks if isinstance(fallbacks, list) else [])
    ]
    cascade = _names(model, "cascade")
    refs += [
        (f"models.{public}.cascade.validators.{i}.model", v.get("model")) for i, v in _items(cascade, "validators")
    ]
    return refs


def cross_check(raw: dict[str, Any]) -> list[str]:
    """Every backend and model a group, rule, fallback or judge names must exist."""
    backends, models = _names(raw, "backends"), _names(raw, "models")
    names = set(models) | {a for m in models.values() if isinstance(m, dict) for a in m.get("aliases") or []}
    problems = []
    for public, model in models.items():
        if not isinstance(model, dict):
            continue
        for path, name in _backend_refs(public, model):
            if isinstance(name, str) and name not in backends:
                problems.append(f"{path}: no backend named '{name}' (defined: {', '.join(backends) or 'none'})")
        problems += _unknown_models(_model_refs(public, model), names)
    rules = _names({"r": _names(raw, "routing")}, "r").get("rules")
    rule_refs = [(f"routing.rules.{i}.use", r.get("use")) for i, r in enumerate(rules or []) if isinstance(r, dict)]
    return problems + _unknown_models(rule_refs, names)


def _unknown_models(refs: list[tuple[str, Any]], names: set[str]) -> list[str]:
    return [
        f"{path}: no model named '{name}' (defined: {', '.join(sorted(names)) or 'none'}) — fix the name or add it"
        for path, name in refs
        if isinstance(name, str) and name not in names
    ]


def group_backend(data: Any) -> Any:
    """A group's ``backend`` is its first deployment's, so code that reads ``model.backend`` keeps working."""
    if not isinstance(data, dict) or not data.get("deployments"):
        return data
    if data.get("backend") is not None:
        raise ValueError("set either backend (one deployment) or deployments (a group), not both")
    first = data["deployments"][0] if isinstance(data["deployments"], list) else None
    backend = first.get("backend") if isinstance(first, dict) else None
    return {**data, "backend": backend} if isinstance(backend, str) else data
