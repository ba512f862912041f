"""``crossroads bench``: real runs against the fake upstream and the embedded SmolLM2, and messages that teach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crossroads.cli import main
from crossroads.testing.server import free_port

FAULT = '{"ttft_ms": 20, "token_delay_ms": 5, "tokens": 8}'


def bench(*args: str) -> Result:
    return CliRunner().invoke(main, ["bench", *args])


def run_fake(fake: str, out: Path, *extra: str) -> Result:
    args = ["run", "--url", fake, "--model", "gpt-4o-mini", "--requests", "4", "--warmup", "0", "--out", str(out)]
    return bench(*args, "--header", f"x-fake-fault: {FAULT}", *extra)


def test_run_prints_a_table_writes_json_and_plots_and_compare_reads_them(fake: str, tmp_path: Path) -> None:
    first = run_fake(fake, tmp_path / "a.json", "--concurrency", "1,2", "--cost-per-hour", "0.90")
    assert first.exit_code == 0, first.output
    assert "concurrency" in first.stdout and "4/4" in first.stdout and "$/1M out" in first.stdout
    data = json.loads((tmp_path / "a.json").read_text())
    assert [lv["level"] for lv in data["levels"]] == [1, 2]
    assert data["target"]["model"] == "gpt-4o-mini" and data["load"]["pattern"] == "concurrency"
    for png in ("a-latency.png", "a-ttft.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    second = run_fake(fake, tmp_path / "b.json", "--concurrency", "2", "--no-plots")
    assert second.exit_code == 0 and not (tmp_path / "b-latency.png").exists()
    compared = bench("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert compared.exit_code == 0, compared.output
    assert "B/A" in compared.stdout and "TTFT p50 ms" in compared.stdout and "×" in compared.stdout


def test_open_loop_poisson_run(fake: str, tmp_path: Path) -> None:
    result = run_fake(fake, tmp_path / "p.json", "--rate", "20", "--poisson", "--no-plots")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "p.json").read_text())["load"]["pattern"] == "poisson"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gpt-5-nope"], "unknown model 'gpt-5-nope' at"),
        (["--model", "gpt-4o-mini", "--concurrency", "1,two"], "--concurrency '1,two': 'two' is wrong"),
        (["--model", "gpt-4o-mini", "--rate", "0"], "--rate '0'"),
        (["--model", "gpt-4o-mini", "--concurrency", "1", "--rate", "2"], "give one of them"),
        (["--model", "gpt-4o-mini", "--poisson"], "add --rate"),
        (["--model", "gpt-4o-mini", "--bandwidth", "10GB"], "--bandwidth needs --model-size"),
        (["--model", "gpt-4o-mini", "--api-key-env", "NO_SUCH_VAR_XYZ"], "export NO_SUCH_VAR_XYZ="),
        ([], "missing --model"),
    ],
)
def test_bad_arguments_say_how_to_fix_them(fake: str, args: list[str], message: str) -> None:
    result = bench("run", "--url", fake, *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_unreachable_url_and_bad_dataset_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    unreachable = bench("run", "--url", url, "--model", "m")
    assert unreachable.exit_code == 2 and f"cannot reach {url}" in unreachable.stderr
    assert "start the server or fix --url" in unreachable.stderr
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": "hi"}\n')
    bad = bench("run", "--url", url, "--model", "m", "--dataset", str(dataset))
    assert bad.exit_code == 2 and "d.jsonl, line 2: field 'messages' must be a non-empty list" in bad.stderr
    assert bench("run", "--url", "localhost:8000", "--model", "m").stderr.count("is not an http(s) URL") == 1


def test_compare_refuses_a_file_that_is_not_a_result(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    result = bench("compare", str(tmp_path / "x.json"), str(tmp_path / "x.json"))
    assert result.exit_code == 2 and "is not a crossroads bench result" in result.stderr


def test_every_request_failing_exits_non_zero_with_the_errors(fake: str, tmp_path: Path) -> None:
    args = ["run", "--url", fake, "--model", "gpt-4o-mini", "--requests", "3", "--warmup", "0", "--no-plots"]
    result = bench(*args, "--out", str(tmp_path / "f.json"), "--header", 'x-fake-fault: {"status": 503}')
    assert result.exit_code == 2 and "every request failed (http_503×3)" in result.stderr
    assert json.loads((tmp_path / "f.json").read_text())["levels"][0]["errors"] == {"http_503": 3}


def test_config_model_on_an_embedded_backend_points_to_serve(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("backends: {local: {type: embedded}}\nmodels: {small: {backend: local}}\n")
    result = bench("run", "--config", str(config), "--model", "small")
    assert result.exit_code == 2 and "add --serve" in result.stderr
    unknown = bench("run", "--config", str(config), "--model", "big")
    assert unknown.exit_code == 2 and "unknown model 'big' in" in unknown.stderr and "(models: small)" in unknown.stderr


@pytest.mark.slow
def test_end_to_end_through_the_gateway_with_the_embedded_smollm2(tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    config.write_text(
        "backends: {local: {type: embedded, slots: 2, n_threads: 1}}\nmodels: {smollm2: {backend: local}}\n"
    )
    args = ["run", "--serve", "--config", str(config), "--model", "smollm2", "--concurrency", "1,2", "--requests", "4"]
    args += ["--output-tokens", "12", "--input-tokens", "24", "--warmup", "1", "--out", str(tmp_path / "e.json")]
    result = bench(*args, "--bandwidth", "0.5GB", "--cost-per-hour", "0.10")  # a bandwidth far too low, on purpose
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["target"]["via"] == "gateway" and data["target"]["location"] == "local"
    for level in data["levels"]:
        assert level["succeeded"] == 4 and level["errors"] == {}
        assert 0 < level["output_tokens"] <= 4 * 12 and level["prompt_tokens"] >= 4 * 24
        assert level["client_output_tokens"] == level["output_tokens"] and level["token_mismatches"] == 0
        assert level["ttft_ms"]["count"] == 4 and level["cost_per_million_output_tokens"] is not None
        # 0.5 GB/s over a 98 MB GGUF allows ~5 tokens/s per stream; SmolLM2 decodes far faster
        assert level["decode_limit_exceeded"] is True
    assert any("memory-bandwidth limit" in w for w in data["warnings"])


def test_a_config_model_is_benched_at_its_backend_with_its_upstream_name(fake: str, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    backend = f"{{type: openai_compat, base_url: '{fake}', location: local, api_key_env: BENCH_TEST_KEY_X}}"
    config.write_text(
        f"backends: {{fake: {backend}}}\nmodels: {{mini: {{backend: fake, upstream_model: gpt-4o-mini}}}}\n"
    )
    args = ["run", "--config", str(config), "--model", "mini", "--requests", "2", "--no-plots"]
    missing = bench(*args)
    assert (
        missing.exit_code == 2
        and "backends.fake.api_key_env BENCH_TEST_KEY_X: the variable is not set" in missing.stderr
    )
    ok = CliRunner().invoke(main, ["bench", *args, "--out", str(tmp_path / "c.json")], env={"BENCH_TEST_KEY_X": "k"})
    assert ok.exit_code == 0, ok.output
    target = json.loads((tmp_path / "c.json").read_text())["target"]
    assert target == target | {"via": "config", "model": "gpt-4o-mini", "location": "local", "url": fake}
