"""The lab page's report example runs as shipped, on the files in examples/lab/, and the page shows what it writes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from crossroads.cli import main

ROOT = Path(__file__).resolve().parents[3]
LAB = ROOT / "examples" / "lab"


def test_lab_page_report_example(tmp_path: Path) -> None:
    bench, evals = str(LAB / "bench-smollm2-cpu.json"), str(LAB / "eval-arithmetic-smollm2.json")
    tco = ["tco", "--queries-per-day", "2000", "--prompt-tokens", "400", "--completion-tokens", "48"]
    tco += ["--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}", "--min-goodput", "0"]
    tco += ["--ops-monthly", "1500", "--private-share", "0.1", "--out", str(tmp_path / "tco.json")]
    assert CliRunner().invoke(main, tco).exit_code == 0
    report = ["report", "--tco", str(tmp_path / "tco.json"), "--bench", bench, "--eval", evals]
    report += ["--out", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md")]
    result = CliRunner().invoke(main, report)
    assert result.exit_code == 0, result.output
    page = (ROOT / "docs" / "lab.md").read_text(encoding="utf-8")
    verdict = result.output.splitlines()[0].removeprefix(f"wrote {tmp_path / 'r.html'}: ")
    assert verdict.startswith("Provisional") and verdict in page
    top = (tmp_path / "r.md").read_text(encoding="utf-8").split("\n\n")[4].replace("\\[", "[").replace("\\]", "]")
    assert top.splitlines()[0].startswith("| option | monthly cost (90% range)")
    assert top in page  # the page shows the report's top table as it is
