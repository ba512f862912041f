"""Output paths are checked before any work: a missing folder is created, an impossible one is refused
with the fix — never a traceback after a bench has run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from tests.lab.report.fixtures import bench_result

TCO = ["tco", "--queries-per-day", "1000", "--prompt-tokens", "100", "--completion-tokens", "50", "--api", "gpt-4o"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_missing_folders_are_created(tmp_path: Path) -> None:
    code, out = run(*TCO, "--out", str(tmp_path / "new" / "deeper" / "tco.json"))
    assert code == 0, out
    bench = bench_result(tmp_path / "b.json")
    args = ["report", "--tco", str(tmp_path / "new" / "deeper" / "tco.json"), "--bench", str(bench)]
    code, out = run(*args, "--out", str(tmp_path / "r" / "x.html"), "--markdown", str(tmp_path / "m" / "x.md"))
    assert code == 0, out
    assert (tmp_path / "r" / "x.html").exists() and (tmp_path / "m" / "x.md").exists()


@pytest.mark.parametrize("command", ["tco", "report", "bench", "eval"])
def test_an_impossible_output_path_is_refused_before_any_work(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    target = str(blocker / "sub" / "out.json")
    args = {
        "tco": [*TCO, "--out", target],
        "report": ["report", "--bench", str(bench_result(tmp_path / "b.json")), "--out", target],
        # an unreachable URL: had the path been checked after the run, this would be a connection error
        "bench": ["bench", "run", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--out", target],
        "eval": ["eval", "run", "qa", "--models", "smollm2", "--runs-dir", str(blocker / "runs")],
    }[command]
    code, out = run(*args)
    assert code == 2
    option = "--runs-dir" if command == "eval" else "--out"
    assert f"{option} " in out and "is a file, not a folder" in out and str(blocker) in out


def test_a_folder_given_as_the_output_file(tmp_path: Path) -> None:
    code, out = run(*TCO, "--out", str(tmp_path))
    assert code == 2 and "is a directory" in out  # click's own check of the option, before the command runs


def test_bench_options_without_run_point_at_bench_run() -> None:
    code, out = run("bench", "--concurrency", "2")
    assert code == 2 and "--concurrency is an option of `crossroads bench run`" in out
