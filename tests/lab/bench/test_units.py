"""Pure pieces: the result schema, datasets, level parsing, statistics, goodput, cost, bandwidth limit."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import orjson
import pytest

from crossroads.lab.bench.client import Record
from crossroads.lab.bench.errors import BenchError
from crossroads.lab.bench.files import read_result
from crossroads.lab.bench.load import arrivals
from crossroads.lab.bench.metrics import cost_per_million, meets, stats, tpot
from crossroads.lab.bench.options import parse_headers, parse_levels, parse_money
from crossroads.lab.bench.prompts import BodyOptions, encode, load_dataset, synthetic
from crossroads.lab.bench.result import SLO, BenchResult, LevelResult, LoadSettings, Stats, Target, json_schema
from crossroads.lab.bench.sanity import decode_limit, parse_size


def a_result(**level: object) -> BenchResult:
    values: dict[str, object] = dict(
        level=4, requests=10, succeeded=9, failed=1, errors={"http_429": 1}, duration_s=2.0, request_rate=4.5,
        output_tokens_per_s=100.0, total_tokens_per_s=300.0, ttft_ms=Stats(count=9, mean=50, p50=50, p90=60,
        p95=61, p99=70, min=40, max=71), goodput=0.8, goodput_rate=4.0,
        cost_per_million_output_tokens=Decimal("3.3333"),
    ) | level  # fmt: skip
    return BenchResult(
        target=Target(url="http://h/v1", model="m"),
        load=LoadSettings(levels=[4], requests_per_level=10, cost_per_hour=Decimal("1.20")),
        levels=[LevelResult.model_validate(values)],
    )


def test_result_file_round_trips_and_validates_against_its_json_schema(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    a_result().write(path)
    raw = json.loads(path.read_text())
    jsonschema.validate(raw, json_schema())
    assert raw["schema"] == "crossroads.bench" and raw["schema_version"] == 1
    assert raw["load"]["cost_per_hour"] == "1.20"  # money is a decimal string, never a float
    assert raw["levels"][0]["cost_per_million_output_tokens"] == "3.3333"
    assert raw["environment"]["tool_version"] and raw["environment"]["date"]
    assert read_result(path) == a_result().model_copy(update={"environment": read_result(path).environment})


def test_unknown_fields_are_ignored_but_a_new_major_version_is_refused(tmp_path: Path) -> None:
    raw = json.loads(a_result().to_json()) | {"added_later": 1}
    (tmp_path / "new.json").write_text(json.dumps(raw))
    assert read_result(tmp_path / "new.json").levels[0].level == 4
    (tmp_path / "v2.json").write_text(json.dumps(raw | {"schema_version": 2}))
    with pytest.raises(BenchError, match=r"v2.json is not a crossroads bench result: schema_version"):
        read_result(tmp_path / "v2.json")
    with pytest.raises(BenchError, match="no such file"):
        read_result(tmp_path / "missing.json")


def test_dataset_lines_are_checked_with_line_number_and_field(tmp_path: Path) -> None:
    good = '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}\n\n{"prompt": "plain"}\n'
    (tmp_path / "ok.jsonl").write_text(good)
    prompts = load_dataset(tmp_path / "ok.jsonl")
    assert [p.max_tokens for p in prompts] == [5, None] and prompts[1].messages[0]["content"] == "plain"
    cases = {
        '{"messages": [{"role": "usr", "content": "x"}]}': r"line 2: field 'messages\[0\].role' must be one of",
        '{"messages": []}': r"line 2: field 'messages' must be a non-empty list",
        '{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}': "line 2: field 'max_tokens'",
        "{not json": "line 2: not valid JSON",
        "[1]": "line 2: expected a JSON object",
    }
    for line, message in cases.items():
        (tmp_path / "bad.jsonl").write_text(good.splitlines()[0] + "\n" + line + "\n")
        with pytest.raises(BenchError, match=message):
            load_dataset(tmp_path / "bad.jsonl")


def test_synthetic_prompts_have_the_target_size_and_bodies_ask_for_usage() -> None:
    prompts = synthetic(3, 100, 20, seed=1)
    assert [len(p.text().split()) for p in prompts] == [99, 99, 99]
    assert len({p.text() for p in prompts}) == 3
    body = orjson.loads(encode(prompts[0], BodyOptions("m", "chat", True, ignore_eos=True)))
    assert body["stream_options"] == {"include_usage": True} and body["max_tokens"] == 20
    assert body["ignore_eos"] is True and body["min_tokens"] == 20
    assert set(orjson.loads(encode(prompts[0], BodyOptions("m", "embeddings", True)))) == {"model", "input"}


def test_levels_headers_and_money_parse_or_say_how_to_fix() -> None:
    assert parse_levels("1, 2,4", "--concurrency", integers=True) == [1, 2, 4]
    assert parse_levels("0.5,10", "--rate", integers=False) == [0.5, 10]
    for bad in ("1,x", "0", "1.5", "2,2", ""):
        with pytest.raises(BenchError, match="--concurrency"):
            parse_levels(bad, "--concurrency", integers=True)
    assert parse_headers(("X-A: 1",)) == {"x-a": "1"}
    with pytest.raises(BenchError, match="Name: value"):
        parse_headers(("nocolon",))
    assert parse_money("2.50") == Decimal("2.50")
    with pytest.raises(BenchError, match="non-negative"):
        parse_money("-1")


def test_stats_tpot_goodput_and_cost() -> None:
    assert stats([]).count == 0
    summary = stats([0.1, 0.2, 0.3, 0.4])
    assert summary.p50 == pytest.approx(250) and summary.max == pytest.approx(400)
    streamed = Record(start=0.0, end=1.1, ttft=0.1, output_tokens=11, chunks=11)
    assert tpot(streamed) == pytest.approx(0.1)
    assert meets(streamed, SLO(ttft_ms=200, tpot_ms=100)) and not meets(streamed, SLO(ttft_ms=50))
    assert not meets(streamed, SLO(tpot_ms=99)) and not meets(Record(0, 0.1, error="timeout"), SLO())
    assert meets(Record(start=0, end=0.3, output_tokens=5), SLO(ttft_ms=400, tpot_ms=1))  # whole answer in time
    # $3.60/hour at 100 tokens/s = 360,000 tokens/hour -> $10 per million
    assert cost_per_million(Decimal("3.60"), 100.0) == Decimal("10.0000")
    assert cost_per_million(None, 100.0) is None and cost_per_million(Decimal(1), 0.0) is None


def test_memory_bandwidth_limit() -> None:
    assert parse_size("98MB", "--model-size") == 98e6 and parse_size("2 GiB", "x") == 2 * 2**30
    assert decode_limit(98e6, parse_size("19.6GB", "--bandwidth")) == pytest.approx(200)
    with pytest.raises(BenchError, match=r"e\.g\. 98MB"):
        parse_size("lots", "--model-size")


def test_poisson_arrivals_average_the_rate_and_constant_ones_are_even() -> None:
    times = [t for _, t in zip(range(5001), arrivals(50.0, True, seed=3), strict=False)]
    assert times[-1] / 5000 == pytest.approx(1 / 50, rel=0.05)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert len(gaps) > 100  # exponential gaps, not a fixed step
    even = [t for _, t in zip(range(5), arrivals(4.0, False, seed=0), strict=False)]
    assert even == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
