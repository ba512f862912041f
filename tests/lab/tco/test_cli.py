"""crossroads tco end to end: tables, --json, --out, bench throughput, and messages for bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from tests.lab.report.fixtures import bench_result

ISSUE = ["tco", "--queries-per-day", "10000", "--prompt-tokens", "1500", "--completion-tokens", "500"]
OPTIONS = ["--api", "gpt-3.5-turbo-0613", "--gpu", "p4d.24xlarge,count=2", "--gpu", "p4de.24xlarge,count=2"]


def run(*args: str) -> tuple[int, str]:
    """Exit code and stdout (warnings about the inputs go to stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_issue_figures_in_the_table() -> None:
    code, out = run(*ISSUE, *OPTIONS, "--throughput", "2500")
    assert code == 0, out
    for figure in ("$975", "$47,844", "$59,816", "averages 231 tokens/s", "4.6% busy"):
        assert figure in out


def test_json_is_exact_and_written_for_the_report(tmp_path: Path) -> None:
    out_file = tmp_path / "tco.json"
    code, out = run(*ISSUE, *OPTIONS, "--json", "--out", str(out_file))
    assert code == 0, out
    data = json.loads(out)
    assert data == json.loads(out_file.read_text())
    monthly = {o["name"]: Decimal(o["monthly"]) for o in data["options"]}
    assert monthly == {
        "openai/gpt-3.5-turbo-0613": Decimal(975),
        "p4d.24xlarge ×2": Decimal("47844.20"),
        "p4de.24xlarge ×2": Decimal("59816.20"),
    }
    assert data["cheapest"] == "openai/gpt-3.5-turbo-0613"
    assert "2023-06-13" in data["options"][0]["note"]  # the price's date travels with it


def test_throughput_from_a_bench_file(tmp_path: Path) -> None:
    bench = bench_result(tmp_path / "bench.json")
    code, out = run(*ISSUE, "--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}", "--json")
    assert code == 0, out
    (hosted,) = [o for o in json.loads(out)["options"] if o["kind"] == "self-hosted"]
    assert Decimal(hosted["throughput"]) == Decimal("620.5")  # level 4: the best one meeting the SLO
    # peak 231.48 tokens/s over 0.7 x 620.5 = 434.35 usable per machine -> 1 machine
    assert hosted["instances"] == 1


def test_hand_priced_gpu_and_growth() -> None:
    code, out = run(*ISSUE, "--gpu", "my-box,hourly=2.5,tps=1000", "--growth", "0.1", "--months", "2", "--json")
    assert code == 0, out
    (option,) = json.loads(out)["options"]
    assert [Decimal(x) for x in option["projection"]] == [Decimal(1825), Decimal(1825)]  # 2.5 x 730, 1 machine


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tco", "--api", "gpt-4o"], "missing --queries-per-day, --prompt-tokens, --completion-tokens"),
        ([*ISSUE], "nothing to compare"),
        ([*ISSUE, "--api", "gpt-4o-mnii"], "did you mean"),
        ([*ISSUE, "--gpu", "p9.huge"], "unknown GPU instance 'p9.huge'"),
        ([*ISSUE, "--gpu", "p4d.24xlarge"], "instances or a throughput"),
        ([*ISSUE, "--gpu", "p4d.24xlarge,cnt=2"], "is not KEY=VALUE"),
        ([*ISSUE, "--api", "gpt-4o", "--peak-to-average", "0.5"], "at least 1"),
        ([*ISSUE, "--api", "gpt-4o", "--gpu", "g6.xlarge,bench=/nope.json"], "no such file"),
        ([*ISSUE, "--api", "gpt-4o", "--from-ledger", "sqlite:///x.db"], "drop --queries-per-day"),
        ([*ISSUE, "--api", "abc", "--prompt-tokens", "x"], "'x' is not a number"),
    ],
)
def test_clear_messages(args: list[str], message: str) -> None:
    code, out = run(*args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out
