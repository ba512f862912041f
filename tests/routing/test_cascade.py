"""Cascade: the cheap answer is accepted when the validators pass, else the strong model answers.
Both attempts are recorded with cost and latency, and which one was used."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from crossroads.backends import Endpoint
from crossroads.config import parse_settings
from crossroads.errors import BadGateway
from crossroads.gateway import build_router
from crossroads.metering.pricing import Pricer
from crossroads.pipeline import Call
from crossroads.routing.answer_checks import VALIDATORS
from crossroads.routing.config import ValidatorConfig
from crossroads.routing.router import Router
from crossroads.routing.streams import drain
from tests.support.scripted import ScriptedBackend

SCHEMA = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}


async def no_judge(model: str, prompt: str) -> str:
    raise AssertionError("no judge here")


@pytest.mark.parametrize(
    ("spec", "good", "bad"),
    [
        ({"type": "json"}, '{"a": 1}', "{a: 1}"),
        ({"type": "json_schema", "schema": SCHEMA}, '{"city": "Paris"}', '{"town": "Paris"}'),
        ({"type": "regex", "pattern": r"\bParis\b"}, "It is Paris.", "It is Lyon."),
        ({"type": "min_length", "chars": 10}, "long enough answer", "short"),
        ({"type": "no_refusal"}, "Paris.", "I'm sorry, but I can't help with that."),
        ({"type": "no_refusal", "phrases": ["nope"]}, "I'm sorry, but yes", "Nope."),
    ],
)
async def test_validators(spec: dict[str, Any], good: str, bad: str) -> None:
    check = VALIDATORS[spec["type"]](ValidatorConfig.model_validate(spec))
    assert await check("q", good, no_judge) is None
    assert await check("q", bad, no_judge) is not None


def test_validator_config_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="validator type regex needs 'pattern'"):
        ValidatorConfig.model_validate({"type": "regex"})


def build(
    validators: list[dict[str, Any]], cheap: list[Any], strong: list[Any], judge: list[Any] | None = None
) -> tuple[Router, dict[str, ScriptedBackend]]:
    raw = {
        "backends": {
            n: {"type": "openai_compat", "base_url": "http://unused/v1"} for n in ("cheap", "strong", "judge")
        },
        "models": {
            "answer": {
                "deployments": [
                    {"backend": "strong", "upstream_model": "gpt-4o"},
                    {"backend": "cheap", "upstream_model": "gpt-4o-mini"},
                ],
                "strategy": "lowest_cost",
                "cascade": {"validators": validators},
            },
            "grader": {"backend": "judge", "upstream_model": "gpt-4o-mini"},
        },
    }
    backends = {
        "cheap": ScriptedBackend("cheap", answers=cheap, location="hosted"),
        "strong": ScriptedBackend("strong", answers=strong, location="hosted"),
        "judge": ScriptedBackend("judge", answers=judge or ["0"], location="hosted"),
    }
    settings = parse_settings(raw, "test")
    return build_router(settings, backends, Pricer.from_settings(settings)), backends


def call(stream: bool = False) -> Call:
    return Call(
        Endpoint.CHAT,
        {"model": "answer", "messages": [{"role": "user", "content": "Capital?"}]},
        "answer",
        stream=stream,
    )


async def answer(r: Router, c: Call) -> str:
    if c.stream:
        chunks = await drain(await r.stream(c))
        return "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks)
    return str((await r.send(c))["choices"][0]["message"]["content"])


def summary(c: Call) -> list[tuple[str, bool, Any]]:
    return [(a["backend"], a["used"], a.get("rejected")) for a in c.facts.attempts]


@pytest.mark.parametrize("stream", [False, True])
async def test_cheap_answer_accepted(stream: bool) -> None:
    r, backends = build([{"type": "regex", "pattern": "Paris"}], ["It is Paris."], ["Strong says Paris."])
    c = call(stream)
    assert await answer(r, c) == "It is Paris."
    assert summary(c) == [("cheap", True, None)]
    assert backends["strong"].calls == []
    assert c.facts.attempts[0]["latency_s"] is not None
    assert stream or c.facts.attempts[0]["cost"] > 0  # the scripted stream reports no usage


@pytest.mark.parametrize("stream", [False, True])
async def test_rejected_cheap_answer_escalates(stream: bool) -> None:
    r, _ = build([{"type": "no_refusal"}], ["I'm sorry, but I can't."], ["It is Paris."])
    c = call(stream)
    assert await answer(r, c) == "It is Paris."
    assert summary(c) == [("cheap", False, 'refusal ("i\'m sorry, but")'), ("strong", True, None)]
    cheap, strong = c.facts.attempts
    assert cheap["latency_s"] is not None and strong["latency_s"] is not None
    if not stream:  # the scripted stream reports no usage, so no cost
        assert isinstance(cheap["cost"], Decimal) and strong["cost"] > cheap["cost"]  # gpt-4o costs more than mini
    assert "cascade rejected cheap:gpt-4o-mini" in c.facts.route_reason
    assert c.facts.backend == "strong"


async def test_judge_score_decides() -> None:
    r, backends = build([{"type": "judge", "model": "grader", "threshold": 7}], ["Paris."], ["Paris!"], ["Score: 8"])
    c = call()
    assert await answer(r, c) == "Paris."
    assert "Capital?" in backends["judge"].calls[0][1]["messages"][0]["content"]
    r, _ = build([{"type": "judge", "model": "grader", "threshold": 7}], ["Lyon."], ["Paris!"], ["3"])
    c = call()
    assert await answer(r, c) == "Paris!"
    assert c.facts.attempts[0]["rejected"] == "judge score 3 < 7"
    judged = [(a["backend"], a["purpose"], a["cost"] is not None) for a in c.facts.attempts if "purpose" in a]
    assert judged == [("judge", "judge", True)]  # the judge's cost is the call's too


async def test_a_failing_cheap_deployment_falls_back_as_usual() -> None:
    r, _ = build([{"type": "json"}], [BadGateway("down")], ["{}"])
    c = call()
    assert await answer(r, c) == "{}"
    assert [(a["backend"], a["status"]) for a in c.facts.attempts] == [("cheap", 502), ("strong", 200)]


async def test_rejected_answer_is_used_when_the_strong_one_fails() -> None:
    r, _ = build([{"type": "json"}], ["not json"], [BadGateway("down")])
    c = call()
    assert await answer(r, c) == "not json"
    assert summary(c) == [("cheap", True, "not valid JSON"), ("strong", False, None)]
