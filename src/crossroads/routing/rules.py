"""Routing rules: the first rule whose every condition holds sends the call to its ``use`` model.

Conditions are data (``CONDITIONS``: field of ``when`` → test on the call); a rule with no conditions
matches everything, so put it last as the default. No rule matching leaves the requested model.

    privacy  the guard's action (``keep_local``, ``pseudonymize`` …), or ``local_only`` for a pinned call
    key      the API key's name (``call.key.name``)
    prompt   characters of message contents / prompt
    tier     header ``x-crossroads-tier`` or body ``metadata.tier``       (set by the client)
    route    header ``x-crossroads-route`` or body ``metadata.route``     (set by the client)
    metadata body ``metadata`` pairs                                     (set by the client)

The client sets ``tier``, ``route``, ``metadata`` and the prompt: treat them as a request, never as a
permission. A rule never takes a call to a model its key may not use (``scope``): such a rule is passed
over and the next one is tried. To give a rule to some keys only, add ``key: [names]`` to its ``when``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crossroads.pipeline.call import Call
from crossroads.routing import scope
from crossroads.routing.config import RuleConfig, RuleWhen

Test = Callable[[Call, Any], bool]


def privacy_classes(call: Call) -> tuple[str, ...]:
    """The guard's action (e.g. ``pseudonymize``, ``keep_local``; ``none`` without a guard), plus
    ``local_only`` when the call is pinned to self-hosted models."""
    privacy = call.facts.privacy
    action = privacy.action if privacy is not None and privacy.action else "none"
    return (action, "local_only") if call.local_only else (action,)


def prompt_chars(call: Call) -> int:
    body = call.body
    messages = body.get("messages")
    if isinstance(messages, list):
        return sum(len(m["content"]) for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))
    prompt = body.get("prompt")
    return len(prompt) if isinstance(prompt, str) else sum(len(str(p)) for p in prompt or ())


def _metadata(call: Call) -> dict[str, Any]:
    meta = call.body.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _asked(call: Call, name: str) -> str | None:
    value = call.headers.get(f"x-crossroads-{name}") or _metadata(call).get(name)
    return None if value is None else str(value)


def _key_name(call: Call) -> str | None:
    return call.key.name if call.key is not None else None


CONDITIONS: dict[str, Test] = {
    "model": lambda call, names: call.model in names,
    "privacy": lambda call, classes: any(c in classes for c in privacy_classes(call)),
    "key": lambda call, names: _key_name(call) in names,
    "min_prompt_chars": lambda call, n: prompt_chars(call) >= n,
    "max_prompt_chars": lambda call, n: prompt_chars(call) <= n,
    "tier": lambda call, tiers: _asked(call, "tier") in tiers,
    "route": lambda call, routes: _asked(call, "route") in routes,
    "metadata": lambda call, pairs: all(str(_metadata(call).get(k)) == v for k, v in pairs.items()),
}
assert set(CONDITIONS) == set(RuleWhen.model_fields)


@dataclass(frozen=True, slots=True)
class Rule:
    label: str
    use: str
    tests: tuple[tuple[Test, Any], ...]

    def matches(self, call: Call) -> bool:
        return all(test(call, expected) for test, expected in self.tests)


def compile_rules(rules: list[RuleConfig], resolve: Callable[[str], str | None]) -> tuple[Rule, ...]:
    """Rules with their set conditions looked up once; model names in ``when.model`` resolved from aliases."""
    compiled = []
    for index, rule in enumerate(rules):
        when = rule.when.model_dump(exclude_none=True)
        if "model" in when:
            when["model"] = frozenset(resolve(n) or n for n in when["model"])
        tests = tuple((CONDITIONS[name], _frozen(value)) for name, value in when.items())
        label = f"rule {rule.name or '#' + str(index)}"
        compiled.append(Rule(label, resolve(rule.use) or rule.use, tests))
    return tuple(compiled)


def _frozen(value: Any) -> Any:
    return frozenset(value) if isinstance(value, list) else value


def first_match(rules: tuple[Rule, ...], call: Call) -> Rule | None:
    """The first rule that matches and whose ``use`` model the call's key may use."""
    for rule in rules:
        if rule.matches(call) and scope.allows_model(call, rule.use):
            return rule
    return None
