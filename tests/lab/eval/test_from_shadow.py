"""``crossroads eval run --from-shadow``: shadow records made by the real gateway (fake upstreams on sockets,
rule backends in process), then compared by the CLI — latency, catalog costs, judge verdicts, refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml
from asgi_lifespan import LifespanManager
from click.testing import CliRunner

from crossroads import gateway as gateway_module
from crossroads.api import create_app
from crossroads.backends import Endpoint
from crossroads.catalog import load_catalog
from crossroads.cli import main
from crossroads.config import load_settings
from crossroads.errors import ServiceUnavailable
from crossroads.gateway import Gateway
from crossroads.lab.eval.result import RunResult
from crossroads.testing.fake_upstream import FakeConfig, Fault, create_fake_upstream
from crossroads.testing.server import serving
from tests.lab.eval.doubles import RuleBackend, case_number, fair_judge

SLOW_MS = 150
REQUESTS = 8


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    """'a' answers at once; 'b' waits SLOW_MS before every answer (the injected slow shadow)."""
    slow = FakeConfig(default=Fault(latency_ms=SLOW_MS))
    with serving(create_fake_upstream(FakeConfig())) as a, serving(create_fake_upstream(slow)) as b:
        yield {"a": a, "b": b}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSROADS_EVAL_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CROSSROADS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def latest(folder: Path) -> RunResult:
    path = max((folder / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    assert path.with_suffix(".html").exists()
    return RunResult.load(path)


def write_config(path: Path, raw: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(raw))
    return str(path)


# --- the metering database: a slow hosted candidate, costs from the catalog ------------------------------------------


@pytest.fixture
def store_config(env: Path, fakes: dict[str, str]) -> str:
    """Serve REQUESTS chat requests through the gateway; every one is mirrored to the slow 'b' (gpt-4o)."""
    raw = {
        "backends": {n: {"type": "openai_compat", "base_url": f"{url}/v1"} for n, url in fakes.items()},
        "models": {
            "chat": {
                "deployments": [{"backend": "a", "upstream_model": "gpt-4o-mini"}],
                "shadow": [{"backend": "b", "upstream_model": "gpt-4o", "sample": 1.0}],
            }
        },
        "metering": {"enabled": True, "database_url": f"sqlite:///{env / 'crossroads.db'}", "ledger": {"flush_ms": 5}},
    }
    config = write_config(env / "crossroads.yaml", raw)
    asyncio.run(_serve(config))
    return config


async def _serve(config: str) -> None:
    app = create_app(load_settings(config))
    async with LifespanManager(app) as manager:  # leaving it drains the running mirrors
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=30) as http:
            client = openai.AsyncOpenAI(base_url="http://gw/v1", api_key="k", http_client=http, max_retries=0)
            for i in range(REQUESTS):
                words = " ".join(["word"] * i)
                await client.chat.completions.create(
                    model="chat", messages=[{"role": "user", "content": f"question {i}: {words}"}]
                )


def catalog_cost_per_1k(run: RunResult, model: str, upstream: str) -> Decimal:
    price = load_catalog().price(upstream)
    assert price is not None
    costs = [
        (price.input * a.prompt_tokens + price.output * a.completion_tokens) / 1_000_000
        for a in (c.answers[model] for c in run.cases)
    ]
    return (sum(costs, Decimal(0)) / len(costs) * 1000).quantize(Decimal("0.000001"))


def test_latency_and_cost_from_the_metering_database(store_config: str, env: Path) -> None:
    code, out = invoke("eval", "run", "--from-shadow", "--model", "chat", "--config", store_config)
    assert code == 0, out
    assert f"shadow traffic of chat: {REQUESTS} requests" in out and "b:gpt-4o" in out
    assert f"b:gpt-4o answered faster than chat on 0 of {REQUESTS} requests, slower on {REQUESTS}" in out
    assert "b:gpt-4o is slower (significant at 5%)" in out

    run = latest(env)
    assert run.shadow is not None and run.shadow.n_records == REQUESTS and run.shadow.source.endswith("crossroads.db")
    assert run.models == ["chat", "b:gpt-4o"] and run.suite.n_cases == REQUESTS
    primary, shadow = run.summary("chat"), run.summary("b:gpt-4o")
    assert primary.backend == "a" and primary.location == "hosted" and shadow.backend == "b"
    assert shadow.latency_p50_s is not None and primary.latency_p50_s is not None
    assert shadow.latency_p50_s >= SLOW_MS / 1000 > primary.latency_p50_s
    for s in (primary, shadow):
        ci = s.latency_p50_ci
        assert ci is not None and ci.low is not None and ci.high is not None and ci.n == REQUESTS
        assert ci.low <= ci.value <= ci.high  # type: ignore[operator]
        assert s.error_rate is not None and s.error_rate.value == 0 and s.n_errors == 0
        assert s.latency_p90_s is not None and s.latency_p90_s >= (s.latency_p50_s or 0)
    (latency,) = run.shadow.latency
    assert (latency.wins, latency.losses, latency.significant) == (0, REQUESTS, True)
    assert latency.mean_difference is not None and (latency.mean_difference.value or 0) >= SLOW_MS / 1000 * 0.9
    # the fake counts a token per word: the prompt grows by one word per request, both sides saw the same
    assert [c.answers["chat"].prompt_tokens for c in run.cases] == [
        c.answers["b:gpt-4o"].prompt_tokens for c in run.cases
    ]
    assert primary.prompt_tokens > 0 and primary.completion_tokens > 0
    assert primary.cost_per_1k_cases_usd == catalog_cost_per_1k(run, "chat", "gpt-4o-mini")
    assert shadow.cost_per_1k_cases_usd == catalog_cost_per_1k(run, "b:gpt-4o", "gpt-4o")
    assert shadow.cost_per_1k_cases_usd > primary.cost_per_1k_cases_usd  # type: ignore[operator]
    assert run.pairwise == [] and run.judge is None

    code, shown = invoke("eval", "show", "latest")
    assert code == 0 and "p50 latency [95% CI]" in shown and "cost / 1k requests" in shown
    code, as_json = invoke("eval", "show", "latest", "--json")
    assert code == 0 and json.loads(as_json)["shadow"]["model"] == "chat"


def test_since_limit_and_explicit_sources(store_config: str, env: Path) -> None:
    code, out = invoke("eval", "run", "--from-shadow", f"sqlite:///{env / 'crossroads.db'}", "--limit", "3")
    assert code == 0, out  # the only model with records is chosen; --config not needed with a URL
    run = latest(env)
    # the newest three: "question N: word…" with N = 5, 6, 7 words after the first two
    assert [c.answers["chat"].prompt_tokens for c in run.cases] == [7, 8, 9]

    code, out = invoke("eval", "run", "--from-shadow", str(env / "crossroads.db"), "-m", "chat", "--since", "1h")
    assert code == 0 and latest(env).suite.n_cases == REQUESTS

    code, out = invoke("eval", "run", "--from-shadow", "--config", store_config, "--since", "2099-01-01")
    assert code == 2 and "no shadow records of 'chat'" in out and f"{REQUESTS} older ones exist" in out


def test_mistakes_get_messages(store_config: str, env: Path) -> None:
    code, out = invoke("eval", "run", "--from-shadow", "--model", "nope", "--config", store_config)
    assert code == 2 and "unknown model 'nope'" in out and "models with shadow records there: chat" in out
    code, out = invoke("eval", "run", "--from-shadow", "missing.jsonl")
    assert code == 2 and "no shadow records: missing.jsonl does not exist" in out
    code, out = invoke("eval", "run", "--from-shadow", "sqlite:///nowhere.db")
    assert code == 2 and "nowhere.db does not exist" in out and not (env / "nowhere.db").exists()
    (env / "junk.jsonl").write_text("this is not json\n")
    code, out = invoke("eval", "run", "--from-shadow", "junk.jsonl")
    assert code == 2 and "junk.jsonl is not a shadow log" in out
    code, out = invoke("eval", "run", "--from-shadow", "postgresql://u:secret@127.0.0.1:1/x")
    assert code == 2 and "cannot read shadow records" in out and "secret" not in out
    code, out = invoke("eval", "run", "qa", "--from-shadow", "--config", store_config)
    assert code == 2 and "drop the suite 'qa'" in out
    code, out = invoke("eval", "run", "--from-shadow", "--config", store_config, "--max-tokens", "5")
    assert code == 2 and "--max-tokens applies to suites" in out
    code, out = invoke("eval", "run", "--from-shadow", "--config", store_config, "--judge", "gpt-9")
    assert code == 2 and "unknown model 'gpt-9'" in out
    code, out = invoke("eval", "run", "qa", "--since", "1h", "--models", "x")
    assert code == 2 and "--since only applies with --from-shadow" in out


# --- a JSONL log: a local candidate, a scripted judge, sensitive records -------------------------------------------


YES_ON = {1, 2, 3, 4, 5, 6, 7}  # the candidate says yes on these cases; the primary always says no
FAILS_ON = 8  # the candidate answers 503 here: an error, not judged
SENSITIVE = {9, 10}  # these prompts name the secret project: the guard pseudonymizes it


@pytest.fixture
def judged_config(env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    log = env / "shadow.jsonl"
    dummy = {"type": "openai_compat", "base_url": "http://unused.invalid/v1"}
    raw = {
        "backends": {"p": dummy, "s": {**dummy, "location": "local"}, "j": dummy, "lj": {**dummy, "location": "local"}},
        "models": {
            "chat": {
                "deployments": [{"backend": "p", "upstream_model": "gpt-4o-mini"}],
                "shadow": [{"backend": "s", "upstream_model": "cand", "sample": 1.0}],
            },
            "judge": {"backend": "j"},
            "local-judge": {"backend": "lj"},
        },
        "privacy": {"default": {"PROJECT": "pseudonymize"}, "deny_lists": {"PROJECT": ["Zephyr"]}},
        "routing": {"shadow_log": str(log)},
    }
    config = write_config(env / "crossroads.yaml", raw)
    asyncio.run(_record(config))
    real = gateway_module.build_backend
    judges = {"j": RuleBackend("j", fair_judge), "lj": RuleBackend("lj", fair_judge, location="local")}
    monkeypatch.setattr(gateway_module, "build_backend", lambda name, cfg: judges.get(name) or real(name, cfg))
    return config


async def _record(config: str) -> None:
    def candidate_says(prompt: str) -> str:
        if case_number(prompt) == FAILS_ON:
            raise ServiceUnavailable("the candidate is overloaded")
        return "yes" if case_number(prompt) in YES_ON else "no"

    candidate = RuleBackend("s", candidate_says, location="local")
    backends = {"p": RuleBackend("p", lambda p: "no"), "s": candidate, "j": RuleBackend("j", fair_judge)}
    gateway = Gateway(load_settings(config), backends={**backends, "lj": RuleBackend("lj", fair_judge)})
    await gateway.start()
    for i in range(1, 11):
        secret = " about Zephyr" if i in SENSITIVE else ""
        body = {"model": "chat", "messages": [{"role": "user", "content": f"case {i}: say yes{secret}"}]}
        await gateway.send(Endpoint.CHAT, body)
    await gateway.aclose()


def test_judge_verdicts_with_position_swap(judged_config: str, env: Path) -> None:
    code, out = invoke("eval", "run", "--from-shadow", "--config", judged_config, "--judge", "local-judge")
    assert code == 0, out
    run = latest(env)
    assert run.shadow is not None and run.shadow.n_sensitive == len(SENSITIVE) and run.shadow.n_not_judged == 0
    assert run.summary("s:cand").location == "local" and run.summary("chat").location == "hosted"
    assert run.summary("s:cand").cost_note is not None and "self-hosted" in run.summary("s:cand").cost_note  # type: ignore[operator]
    (pair,) = run.pairwise
    assert (pair.a, pair.b, pair.method) == ("s:cand", "chat", "judge")
    assert (pair.wins, pair.losses, pair.ties, pair.inconsistent) == (len(YES_ON), 0, 9 - len(YES_ON), 0)
    assert pair.significant and "s:cand is better (significant at 5%)" in out
    assert "Judge inconsistent when the answer order was swapped: 0 of 9 (0%)" in out
    failed = run.summary("s:cand")
    assert failed.n_errors == 1 and failed.error_rate is not None and failed.error_rate.value == 0.1
    assert "1 (10% [2%, 40%])" in out and run.summary("chat").n_errors == 0  # Wilson for 1 of 10
    (broken,) = [c for c in run.cases if c.answers["s:cand"].error]
    assert broken.answers["s:cand"].error == "503 backend_unavailable" and broken.answers["s:cand"].text is None
    reasons = [c.answers["s:cand"].judge_reason for c in run.cases]
    assert reasons.count("pairwise: better than chat") == len(YES_ON) and reasons.count(None) == 1
    assert reasons.count("pairwise: as good as chat") == 9 - len(YES_ON)
    sensitive = [c for c in run.cases if "sensitive" in c.tags]
    assert len(sensitive) == 2 and all("Zephyr" not in c.messages[0]["content"] for c in sensitive)


def test_sensitive_records_never_reach_a_hosted_judge(judged_config: str, env: Path) -> None:
    code, out = invoke("eval", "run", "--from-shadow", "--config", judged_config, "--judge", "judge")
    assert code == 2 and "2 of 10 shadow records are sensitive and the judge 'judge' is not local" in out
    assert "--skip-sensitive" in out and not (env / "runs").exists()

    code, out = invoke(
        "eval", "run", "--from-shadow", "--config", judged_config, "--judge", "judge", "--skip-sensitive"
    )
    assert code == 0, out
    run = latest(env)
    assert run.shadow is not None and run.shadow.n_not_judged == 2 and run.summary("chat").n_cases == 10
    (pair,) = run.pairwise
    assert (pair.wins, pair.losses, pair.ties) == (len(YES_ON), 0, 0)  # 10 - 2 sensitive - 1 failed
    judged = [c for c in run.cases if c.answers["s:cand"].judge_reason]
    assert len(judged) == 7 and not any("sensitive" in c.tags for c in judged)


def test_too_few_records_say_not_significant(judged_config: str, env: Path) -> None:
    code, out = invoke(
        "eval", "run", "--from-shadow", "--config", judged_config, "--judge", "local-judge", "--limit", "5"
    )
    assert code == 0, out  # the newest five: cases 6..10 (8 failed), the candidate wins 2 and ties 2
    (pair,) = latest(env).pairwise
    assert (pair.wins, pair.losses, pair.ties) == (2, 0, 2) and not pair.significant
    assert "not significant — these records cannot tell s:cand and chat apart" in out
