"""crossroads tune collect on what a real gateway stored: shadow records and the encrypted content log."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from crossroads.backends.base import Body, Endpoint
from crossroads.cli import main
from crossroads.config import Settings, parse_settings
from crossroads.routing.config import ValidatorConfig
from crossroads.tune.collect import CollectRequest, collect
from crossroads.tune.dataset import Example, dedupe, read_chat_jsonl, split_by_time
from tests.metering.conftest import client_for, running
from tests.support.scripted import ScriptedBackend

EMAIL = "ann.lee@example.com"


@dataclass
class EchoTeacher(ScriptedBackend):
    """A hosted model that answers with a JSON record of what it was sent (so placeholders show)."""

    async def _next(self, endpoint: Endpoint, body: Body) -> str:
        self.calls.append((endpoint, body))
        text = body["messages"][-1]["content"]
        return "Sorry, I cannot." if "gibberish" in text else json.dumps({"summary": text})


def gateway_settings(tmp_path: Path) -> Settings:
    return parse_settings(
        {
            "backends": {"hosted": {"type": "openai_compat", "base_url": "http://x/v1"}, "local": {"type": "embedded"}},
            "models": {
                "support": {
                    "backend": "hosted",
                    "upstream_model": "gpt-4o-mini",
                    "shadow": [{"backend": "local", "sample": 1.0}],
                }
            },
            "routing": {"shadow_log": str(tmp_path / "shadow.jsonl")},
            "privacy": {"default": {"EMAIL_ADDRESS": "pseudonymize"}},
            "metering": {
                "enabled": True,
                "database_url": f"sqlite:///{tmp_path / 'gw.db'}",
                "ledger": {"flush_ms": 5},
                "content_logging": {"enabled": True, "key_env": "CR_TUNE_KEY"},
            },
        },
        "test",
    )


PROMPTS = [
    "Ticket 1: the printer on floor 3 jams.",
    f"Ticket 2: refund order 88, write to {EMAIL}.",
    "Ticket 1: the printer on floor 3 jams.",  # asked again: one example
    "Ticket 3: gibberish",  # the teacher's answer is not JSON: the check leaves it out
    "Ticket 4: the VPN drops every hour.",
    "Ticket 5: password reset loops.",
]


@pytest.fixture
async def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CR_TUNE_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("CROSSROADS_HASH_KEY", "k" * 32)
    settings = gateway_settings(tmp_path)
    backends = {"hosted": EchoTeacher("hosted", location="hosted"), "local": ScriptedBackend("local", ["{}"])}
    async with running(settings, backends) as (app, _):
        client = client_for(app)
        for prompt in PROMPTS:
            await client.chat.completions.create(model="support", messages=[{"role": "user", "content": prompt}])
        streamed = [{"role": "user", "content": f"Ticket 6: streamed, from {EMAIL}."}]
        async for _ in await client.chat.completions.create(model="support", messages=streamed, stream=True):  # type: ignore[call-overload]
            pass
    return settings


async def _content(settings: Settings) -> list[dict[str, Any]]:
    """Every sealed content of the ledger, opened."""
    from sqlalchemy import select

    from crossroads.metering.content import Sealer
    from crossroads.store import make_engine
    from crossroads.store.models import LedgerRow

    engine = make_engine(settings.metering.database_url)
    with engine.connect() as conn:
        sealed = [row.content for row in conn.execute(select(LedgerRow)) if row.content]
    engine.dispose()
    sealer = Sealer.from_env("CR_TUNE_KEY")
    return [sealer.open(s) for s in sealed]


def request_for(settings: Settings, out: Path, **extra: Any) -> CollectRequest:
    return CollectRequest(
        out_dir=out,
        shadow=str(settings.routing.shadow_log),
        ledger=settings.metering.database_url,
        content_key_env="CR_TUNE_KEY",
        hosted=frozenset({"hosted"}),
        **extra,
    )


async def test_pairs_from_both_stores_keep_placeholders_and_pass_the_checks(stored: Settings, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    checks = (ValidatorConfig(type="json"),)
    result = await collect(request_for(stored, out, checks=checks, validation=0.0, test=0.25))
    assert result.read == 21  # seven requests in each store, and the ledger's rows of the seven mirrored calls
    assert result.skipped["answered by a local backend"] == 7
    assert result.skipped["check failed: not valid JSON"] == 2
    why = "the guard rewrote the request and the answer was logged only with its values restored"
    assert result.skipped[why] == 1  # the stream: its logged answer has the e-mail back, and only that
    assert result.duplicates == 21 - 7 - 1 - 2 - 5
    every = "".join(p.read_text() for p in out.glob("*.jsonl"))
    assert EMAIL not in every and "<EMAIL_ADDRESS" in every  # the placeholder the hosted model saw
    logged = [e for e in await _content(stored) if "Ticket 2" in e["request"]["messages"][0]["content"]]
    assert EMAIL in logged[0]["response"] and EMAIL not in logged[0]["upstream_response"]
    train, test = read_chat_jsonl(out / "train.jsonl"), read_chat_jsonl(out / "test.jsonl")
    assert (len(train), len(test)) == (4, 1) and result.counts["validation"] == 0
    assert test[0][0]["content"] not in {conversation[0]["content"] for conversation in train}
    assert json.loads(test[0][-1]["content"]) == {"summary": test[0][0]["content"]}
    suite = [json.loads(line) for line in (out / "test.eval.jsonl").read_text().splitlines()]
    assert suite[0]["assert"] == [{"type": "is-json"}] and suite[0]["reference"] == test[0][-1]["content"]
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["result"]["counts"] == {"train": 4, "validation": 0, "test": 1}


async def test_model_and_time_filters(stored: Settings, tmp_path: Path) -> None:
    result = await collect(request_for(stored, tmp_path / "a", models=("other",)))
    assert result.skipped["other model"] == 13 and result.counts == {"train": 0, "validation": 0, "test": 0}
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await collect(request_for(stored, tmp_path / "b", since=later))).skipped["outside the time range"] == 13


async def test_the_command_reads_where_the_config_writes(stored: Settings, tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    config.write_text(json.dumps(stored.model_dump(exclude={"source"}, mode="json")))
    out = tmp_path / "cli"
    args = ["tune", "collect", "--config", str(config), "--out", str(out), "--check", '{"type": "json"}']
    done = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert done.exit_code == 0, done.output
    assert "left out:" in done.output and (out / "train.jsonl").exists()
    bad = await asyncio.to_thread(CliRunner().invoke, main, [*args, "--check", '{"type": "regex"}'])
    assert bad.exit_code == 2 and "needs 'pattern'" in bad.output


def example(at: float, text: str) -> Example:
    return Example(at, (("user", text),), "a", "m", "h:x", "shadow", f"r{at}")


def test_split_is_by_time_and_dedupe_keeps_the_oldest() -> None:
    examples = [example(t, f"q{t}") for t in (5, 1, 9, 3, 7, 2, 8, 4, 6, 10)]
    split = split_by_time(examples, validation=0.1, test=0.2)
    assert [e.at for e in split.train] == [1, 2, 3, 4, 5, 6, 7]
    assert [e.at for e in split.validation] == [8] and [e.at for e in split.test] == [9, 10]
    kept, dropped = dedupe([example(2, "same"), example(1, "same"), example(3, "other")])
    assert dropped == 1 and [e.at for e in kept] == [1, 3]


def test_bad_chat_lines_say_where(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(ValueError, match=r"x.jsonl:1: the last message must be the assistant's answer"):
        read_chat_jsonl(path)


async def test_a_judge_check_keeps_the_answers_it_scores_high(tmp_path: Path) -> None:
    side = {"backend": "hosted", "upstream_model": "m", "status": 200, "location": "hosted"}
    records = [
        {"ts": 1_790_000_000 + i, "request_id": f"r{i}", "model": "support", "endpoint": "chat/completions",
         "sensitive": False, "request": {"messages": [{"role": "user", "content": f"question {i}"}]},
         "primary": {**side, "answer": answer}, "shadow": {**side, "backend": "local", "location": "local"}}
        for i, answer in enumerate(["a good answer", "a poor answer"])
    ]  # fmt: skip
    log = tmp_path / "shadow.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    asked: list[tuple[str, str]] = []

    async def judge(model: str, prompt: str) -> str:
        asked.append((model, prompt))
        return "9" if "a good answer" in prompt else "2"

    check = ValidatorConfig(type="judge", model="grader", threshold=7)
    request = CollectRequest(out_dir=tmp_path / "ds", shadow=str(log), checks=(check,), validation=0, test=0)
    result = await collect(request, judge)
    assert [m for m, _ in asked] == ["grader", "grader"] and "question 0" in asked[0][1]
    assert result.skipped["check failed: judge score 2 < 7"] == 1
    assert read_chat_jsonl(tmp_path / "ds" / "train.jsonl")[0][-1]["content"] == "a good answer"
