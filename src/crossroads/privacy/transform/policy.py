"""Which action applies to which entity type for one call, and what the findings add up to.

Resolution, for the deployment that serves each attempt: the key's policy, else the served model's (an alias
resolves to its model), else the backend's, else the global default — per entity type, the most specific
policy that names the type (or has ``*``) wins. ``*`` covers every detected type except the NER extras
DATE_TIME and NRP, which are only looked for when a policy names them, and UNSCANNABLE (content the guard
cannot read: images, audio, files, token ids it cannot decode), which is ``keep_local`` unless a policy names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crossroads.pipeline.call import PrivacyFacts
from crossroads.privacy.config import ANY, Action, Policy, PrivacyConfig
from crossroads.privacy.spans import Span, count_types

UNSCANNABLE = "UNSCANNABLE"
NAMED_ONLY = frozenset({"DATE_TIME", "NRP", UNSCANNABLE})
UNNAMED: dict[str, Action] = {UNSCANNABLE: "keep_local"}  # the action of a type no policy names
NER_BASE = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
# the strongest action among the findings names the request's action
STRENGTH: dict[str, int] = {
    "allow": 0, "mask": 1, "hash": 2, "redact": 3, "pseudonymize": 4, "keep_local": 5, "block": 6,
}  # fmt: skip
PAST = {
    "allow": "allowed", "mask": "masked", "hash": "hashed", "redact": "redacted",
    "pseudonymize": "pseudonymized", "keep_local": "kept_local", "block": "blocked",
}  # fmt: skip


@dataclass(frozen=True)
class CallPolicy:
    """The policies that apply to one call, most specific first."""

    layers: tuple[Policy, ...]

    def action(self, entity_type: str) -> Action:
        for layer in self.layers:
            if entity_type in layer:
                return layer[entity_type]
            if ANY in layer and entity_type not in NAMED_ONLY:
                return layer[ANY]
        return UNNAMED.get(entity_type, "allow")

    def ner_types(self) -> frozenset[str]:
        """The NER entity types this call must look for (none: the NER model is not run)."""
        named = {t for layer in self.layers for t in layer if t in NAMED_ONLY}
        return frozenset(t for t in NER_BASE | named if self.action(t) != "allow")


def policy_for(config: PrivacyConfig, key_name: str | None, model: str, backend: str = "") -> CallPolicy:
    layers = [config.keys.get(key_name or ""), config.models.get(model), config.backends.get(backend), config.default]
    return CallPolicy(tuple(layer for layer in layers if layer is not None))


@dataclass
class Verdict:
    """What the findings of one call add up to: counts per type, the actions taken, and the outcome."""

    entities: dict[str, int] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def of(cls, spans: Sequence[Span], policy: CallPolicy, unscannable: int = 0) -> Verdict:
        entities = count_types(spans)
        if unscannable:
            entities[UNSCANNABLE] = unscannable
        return cls(entities, {t: policy.action(t) for t in entities})

    def types_with(self, action: Action) -> list[str]:
        return [t for t, a in self.actions.items() if a == action]

    @property
    def action(self) -> str:
        if self.error is not None:
            return "keep_local"
        return max(self.actions.values(), key=STRENGTH.__getitem__, default="allow")

    @property
    def local_only(self) -> bool:
        return self.action in {"keep_local", "block"} or bool(self.types_with("keep_local"))

    def facts(self) -> PrivacyFacts:
        return PrivacyFacts(self.action, dict(self.entities), self.local_only)

    def header(self) -> str:
        """e.g. ``pseudonymized=EMAIL_ADDRESS:2,PERSON:1; redacted=CREDIT_CARD:1`` (strongest action first)."""
        if self.error is not None:
            return "kept_local=SCAN_FAILED"
        groups: dict[str, list[str]] = {}
        for entity, action in sorted(self.actions.items(), key=lambda item: -STRENGTH[item[1]]):
            groups.setdefault(PAST[action], []).append(f"{entity}:{self.entities[entity]}")
        return "; ".join(f"{name}={','.join(items)}" for name, items in groups.items()) or "none"
