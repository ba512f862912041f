"""crossroads eval run / show / compare / suites through click, against the fake OpenAI upstream on a socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from crossroads.testing.fake_upstream import FakeConfig, create_fake_upstream
from crossroads.testing.server import serving

SUITE = [
    {"id": "hello", "prompt": "hello there", "assert": [{"type": "icontains", "value": "fake answer"}]},
    {"id": "paris", "prompt": "capital of France", "assert": [{"type": "icontains", "value": "Paris"}]},
    {"id": "words", "prompt": "a b c d e f", "assert": [{"type": "max-length", "value": 20, "unit": "words"}]},
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serving(create_fake_upstream(FakeConfig())) as url:
        yield url


@pytest.fixture
def workdir(tmp_path: Path, upstream: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "crossroads.yaml"
    config.write_text(
        f"backends:\n  fake: {{type: openai_compat, base_url: '{upstream}/v1'}}\n"
        "models:\n  gpt-4o-mini: {backend: fake}\n  house-model: {backend: fake, aliases: [house]}\n"
    )
    (tmp_path / "suite.jsonl").write_text("\n".join(json.dumps(c) for c in SUITE) + "\n")
    monkeypatch.setenv("CROSSROADS_CONFIG", str(config))
    monkeypatch.setenv("CROSSROADS_EVAL_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_run_show_compare(workdir: Path) -> None:
    code, out = invoke("eval", "run", "suite.jsonl", "--models", "gpt-4o-mini,house", "--no-similarity")
    assert code == 0, out
    assert "gpt-4o-mini" in out and "67% [" in out and "unknown" in out
    assert "not significant" in out and "cache: 0 hits, 6 misses" in out
    (path,) = (workdir / "runs").glob("*.json")
    run = json.loads(path.read_text())
    mini = next(s for s in run["summaries"] if s["model"] == "gpt-4o-mini")
    tokens_in, tokens_out = mini["prompt_tokens"], mini["completion_tokens"]
    expected = (
        (Decimal("0.15") * tokens_in + Decimal("0.60") * tokens_out) / 1_000_000 / 3 * 1000
    )  # catalog: $0.15/$0.60 per 1M
    assert Decimal(mini["cost_per_1k_cases_usd"]) == expected.quantize(Decimal("0.000001"))
    html = path.with_suffix(".html").read_text()
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org", "")

    code, again = invoke("eval", "run", "suite.jsonl", "--models", "gpt-4o-mini,house", "--no-similarity")
    assert code == 0 and "cache: 6 hits, 0 misses" in again

    code, shown = invoke("eval", "show", "latest", "--failed")
    assert (
        code == 0 and "paris" in shown and "FAIL" in shown and "hello" not in shown.split("cases")[1].split("\n\n")[0]
    )
    code, as_json = invoke("eval", "show", path.stem, "--json")
    assert code == 0 and json.loads(as_json)["schema_version"] == "1.0"

    first, second = sorted((workdir / "runs").glob("*.json"))
    code, compared = invoke("eval", "compare", str(first), str(second))
    assert code == 0 and "A:gpt-4o-mini" in compared and "every case tied" in compared


def test_user_mistakes_get_messages_not_tracebacks(workdir: Path) -> None:
    (workdir / "bad.jsonl").write_text('{"id": "a", "messages": [{"role": "user"}]}\n')
    code, out = invoke("eval", "run", "bad.jsonl", "--models", "gpt-4o-mini")
    assert code == 2 and "bad.jsonl:1: messages[0].content: required field is missing" in out
    code, out = invoke("eval", "run", "suite.jsonl", "--models", "gpt-5-ultra")
    assert code == 2 and "unknown model 'gpt-5-ultra'" in out and "gpt-4o-mini, house-model" in out
    code, out = invoke("eval", "run", "no-such-suite", "--models", "gpt-4o-mini")
    assert code == 2 and "shipped: arithmetic, classify, extract, qa, refusal, summarize" in out
    code, out = invoke("eval", "show", "nothing")
    assert code == 2 and "run 'nothing' was not found" in out
    (workdir / "junk.json").write_text("{}")
    code, out = invoke("eval", "show", "junk.json")
    assert code == 2 and "is not an eval result file" in out
    assert "Traceback" not in out


def test_suites_lists_starters() -> None:
    code, out = invoke("eval", "suites")
    assert code == 0 and "qa " in out and "25 cases" in out


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute-run", "..", "a/b\\c"])
def test_a_suite_name_cannot_write_outside_the_runs_folder(workdir: Path, name: str) -> None:
    suite = f"name: {json.dumps(name)}\nprompts: ['hello']\ntests:\n  - assert: [{{type: icontains, value: fake}}]\n"
    (workdir / "named.yaml").write_text(suite)
    around = workdir.parent  # what ../../ reaches from the runs folder (this run's own temp root)
    before = set(around.rglob("*"))
    code, out = invoke("eval", "run", "named.yaml", "--models", "gpt-4o-mini", "--no-similarity")
    assert code == 0, out
    new = [p for p in set(around.rglob("*")) - before if p.is_file()]
    stray = [p for p in new if workdir / "runs" not in p.parents and workdir / "cache" not in p.parents]
    assert stray == []
    assert sorted(p.suffix for p in (workdir / "runs").iterdir()) == [".html", ".json"]
    assert not list(Path("/tmp").glob("absolute-run*"))
