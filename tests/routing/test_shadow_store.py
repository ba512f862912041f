"""Shadow records in the crossroads store (table shadow_results, migration 0002) and in JSONL, read back alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossroads.config import parse_settings
from crossroads.gateway import shadow_sink
from crossroads.routing.shadow_records import count_shadow, read_shadow
from crossroads.routing.shadow_sinks import JsonlSink, StoreSink
from crossroads.store import make_engine, upgrade


def record(model: str = "chat") -> dict[str, Any]:
    side = {"status": 200, "error_type": None, "usage": {"prompt_tokens": 3, "completion_tokens": 2}, "used": True}
    return {
        "ts": 1_790_000_000.5,
        "request_id": "req_1",
        "model": model,
        "endpoint": "chat/completions",
        "sensitive": False,
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        "primary": {**side, "backend": "a", "upstream_model": "gpt-4o-mini", "location": "hosted",
                    "latency_s": 0.2, "cost": Decimal("0.0000015"), "answer": "Hello"},
        "shadow": {**side, "backend": "l", "upstream_model": "llama", "location": "local",
                   "latency_s": 1.5, "cost": None, "answer": "Hi"},
    }  # fmt: skip


async def test_store_round_trip(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    sink = StoreSink(engine)
    await sink.write(record())
    await sink.write(record("other"))
    (got,) = list(read_shadow(engine, model="chat"))
    assert got["primary"]["cost"] == Decimal("0.0000015") and got["shadow"]["cost"] is None
    assert got["shadow"]["answer"] == "Hi" and got["ts"] == 1_790_000_000.5
    assert got["request"]["messages"][0]["content"] == "hi"
    await sink.aclose()


async def test_jsonl_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    await JsonlSink(path).write(record())
    (got,) = list(read_shadow(path))
    assert got["primary"]["cost"] == Decimal("0.0000015") and got["shadow"]["latency_s"] == 1.5


def test_sink_choice(tmp_path: Path) -> None:
    base = {"backends": {"l": {"type": "embedded"}}, "models": {"m": {"backend": "l"}}}
    assert isinstance(shadow_sink(parse_settings(base, "t")), JsonlSink)
    logged = parse_settings({**base, "routing": {"shadow_log": str(tmp_path / "x.jsonl")}}, "t")
    assert isinstance(shadow_sink(logged), JsonlSink)
    metered = parse_settings({**base, "metering": {"enabled": True, "database_url": f"sqlite:///{tmp_path}/m.db"}}, "t")
    assert isinstance(shadow_sink(metered), StoreSink)


async def test_since_limit_and_model_read_alike_from_the_store_and_jsonl(tmp_path: Path) -> None:
    """The store filters in SQL, the log in Python: the same records, oldest first, the newest ``limit``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    store, log = StoreSink(engine), JsonlSink(tmp_path / "s.jsonl")
    for i in range(10):
        one = {**record("chat" if i % 3 else "other"), "ts": 1_790_000_000.0 + 60 * i, "request_id": f"req_{i}"}
        await store.write(one)
        await log.write(one)
    since = datetime.fromtimestamp(1_790_000_000.0 + 60 * 2, UTC)
    for model, when, limit in [(None, None, None), ("chat", since, None), ("chat", since, 3), (None, since, 2)]:
        from_store = [r["request_id"] for r in read_shadow(engine, model, when, limit)]
        assert from_store == [r["request_id"] for r in read_shadow(tmp_path / "s.jsonl", model, when, limit)]
    assert [r["request_id"] for r in read_shadow(engine, "chat", since, 3)] == ["req_5", "req_7", "req_8"]
    assert count_shadow(engine) == {"chat": 6, "other": 4}
    await store.aclose()
