"""Routing configuration: groups next to plain models, and errors that name the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from crossroads.config import parse_settings
from crossroads.errors import ConfigError

BACKENDS = {"a": {"type": "openai_compat", "base_url": "http://a/v1"}, "l": {"type": "embedded"}}


def problems(models: dict[str, Any], **routing: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_settings({"backends": BACKENDS, "models": models, "routing": routing}, "test")
    return info.value.problems


def test_a_group_and_a_plain_model_side_by_side() -> None:
    s = parse_settings(
        {
            "backends": BACKENDS,
            "models": {
                "chat": {"deployments": [{"backend": "l"}, {"backend": "a", "weight": 2}], "strategy": "weighted"},
                "plain": {"backend": "a"},
            },
        },
        "test",
    )
    assert s.models["chat"].backend == "l"  # code that reads model.backend sees the first deployment
    assert s.models["plain"].deployments == [] and s.models["plain"].strategy == "priority"
    assert s.routing.retry.retries == 0 and s.routing.breaker.failures == 5


@pytest.mark.parametrize(
    ("models", "routing", "expected"),
    [
        ({"m": {"deployments": [{"backend": "nope"}]}}, {}, "models.m.deployments.0.backend: no backend named 'nope'"),
        ({"m": {"backend": "a", "deployments": [{"backend": "l"}]}}, {}, "models.m: set either backend"),
        ({"m": {"backend": "a", "strategy": "fastest"}}, {}, "models.m.strategy: Input should be 'priority'"),
        ({"m": {"backend": "a", "fallbacks": ["ghost"]}}, {}, "models.m.fallbacks.0: no model named 'ghost'"),
        ({"m": {"backend": "a", "shadow": [{"backend": "x"}]}}, {}, "models.m.shadow.0.backend: no backend named 'x'"),
        (
            {"m": {"backend": "a", "cascade": {"validators": [{"type": "regex"}]}}},
            {},
            "models.m.cascade.validators.0: validator type regex needs 'pattern'",
        ),
        (
            {"m": {"backend": "a", "cascade": {"validators": [{"type": "judge", "model": "who"}]}}},
            {},
            "models.m.cascade.validators.0.model: no model named 'who'",
        ),
        ({"m": {"backend": "a"}}, {"rules": [{"use": "ghost"}]}, "routing.rules.0.use: no model named 'ghost'"),
        ({"m": {"backend": "a"}}, {"rules": [{"when": {"tierr": ["x"]}, "use": "m"}]}, "routing.rules.0.when.tierr"),
        ({"m": {"backend": "a"}}, {"retry": {"retries": -1}}, "routing.retry.retries: Input should be greater"),
        ({"m": {"backend": "a"}}, {"breaker": {"failures": 0}}, "routing.breaker.failures: Input should be greater"),
    ],
)
def test_errors_name_the_field(models: dict[str, Any], routing: dict[str, Any], expected: str) -> None:
    found = problems(models, **routing)
    assert any(p.startswith(expected) for p in found), found
