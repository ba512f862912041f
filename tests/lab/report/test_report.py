"""The decision report from real result files: every section and plot present, the verdict, Markdown, CLI."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads.cli import main
from crossroads.lab.report import SECTION_IDS, build_report, load_inputs, render_html
from tests.lab.report.fixtures import bench_result, eval_result, write_ledger

PLOTS = {
    "cost_vs_traffic.png",
    "hybrid_split.png",
    "tornado.png",
    "quality_vs_cost.png",
    "ttft_vs_throughput.png",
    "latency_vs_throughput.png",
}
T0 = datetime(2026, 11, 2, 9, 0)


class Outline(HTMLParser):
    """Section ids, figures (name -> image bytes) and the text of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.figures: dict[str, bytes] = {}
        self.text: list[str] = []
        self._figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"] or "")
        elif tag == "figure":
            self._figure = a["data-plot"]
        elif tag == "img" and self._figure and (a["src"] or "").startswith("data:image/png;base64,"):
            self.figures[self._figure] = base64.b64decode((a["src"] or "").split(",", 1)[1])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("report")
    bench = bench_result(d / "bench.json")
    tco = d / "tco.json"
    args = ["tco", "--queries-per-day", "10000", "--prompt-tokens", "1500", "--completion-tokens", "500"]
    args += ["--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}", "--gpu", "p4d.24xlarge,count=2"]
    result = CliRunner().invoke(main, [*args, "--out", str(tco), "--json"])
    assert result.exit_code == 0, result.output
    day = [(T0 + timedelta(minutes=i), 1_500, 500, "gpt-4o-mini", {}) for i in range(8)]
    day += [(T0 + timedelta(hours=3), 1_500, 500, "gpt-4o-mini", {"EMAIL_ADDRESS": 2, "PERSON": 1})]
    day += [(T0 + timedelta(hours=4), 1_500, 500, "gpt-4o-mini", {"CREDIT_CARD": 1})]
    return {
        "tco": str(tco),
        "bench": str(bench),
        "eval": str(eval_result(d / "eval.json")),
        "ledger": write_ledger(d / "ledger.db", day),
        "ledger_file": str(d / "ledger.db"),
        "dir": str(d),
    }


def test_every_section_and_plot(files: dict[str, str]) -> None:
    inputs = load_inputs(files["tco"], (files["bench"],), (files["eval"],), files["ledger"])
    html = render_html(build_report(inputs))
    parsed = outline(html)
    assert parsed.sections == list(SECTION_IDS)
    assert set(parsed.figures) == PLOTS
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000 for png in parsed.figures.values())
    text = " ".join(parsed.text)
    # 20% [5.7%, 51.0%] of 10 requests must stay local: one L4 for everything beats the API plus that L4
    assert "Self-host llama-3.1-8b on g6.xlarge ×1 ($588/month at today's traffic)" in text
    assert "20.0% [5.7%, 51.0%] of 10 requests carry personal data and would leave" in text
    assert "EMAIL_ADDRESS" in text and "CREDIT_CARD" in text  # privacy by type, from the ledger
    assert "price of 2024-10-01" in text  # the price's date is stamped
    assert "1x L4 24 GB" in text  # the hardware too
    assert "http" not in html.replace("http://gpu-box:8000/v1", "")  # self-contained: no external resources


def test_only_a_tco_file(files: dict[str, str]) -> None:
    report = build_report(load_inputs(files["tco"]))
    parsed = outline(render_html(report))
    assert parsed.sections == list(SECTION_IDS)
    assert set(parsed.figures) == {"cost_vs_traffic.png", "hybrid_split.png", "tornado.png"}
    verdict = report.recommendation.verdict
    assert "Use the hosted API openai/gpt-4o-mini-2024-07-18 ($158/month at today's traffic)" in verdict
    assert "openai/gpt-4o-mini-2024-07-18 was not evaluated, so its quality is unknown (no eval was given)" in verdict
    assert verdict.startswith("Provisional")  # the bench's 300 / 100 tokens are not the workload's 1,500 / 500
    assert any("Quality was not measured" in c for c in report.recommendation.caveats)
    assert "crossroads eval run" in " ".join(parsed.text)  # the missing section says how to fill it


def test_only_bench_and_eval(files: dict[str, str]) -> None:
    report = build_report(load_inputs(None, (files["bench"],), (files["eval"],)))
    plots = {"latency_vs_throughput.png", "ttft_vs_throughput.png", "quality_vs_cost.png"}
    assert {p.name for p in report.plots()} == plots
    text = " ".join(outline(render_html(report)).text)
    assert "llama-3.1-8b (support-qa): no price known" in text  # a local model needs the TCO to be placed
    assert report.recommendation.verdict.startswith("No cost verdict yet")
    assert any("sustains 620 tokens/s" in r for r in report.recommendation.reasons)


def test_cli_html_and_markdown(files: dict[str, str]) -> None:
    out = Path(files["dir"]) / "r.html"
    md = Path(files["dir"]) / "r.md"
    args = ["report", "--tco", files["tco"], "--eval", files["eval"], "--out", str(out), "--markdown", str(md)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    figures = {"cost_vs_traffic.png", "hybrid_split.png", "tornado.png", "quality_vs_cost.png"}
    assert set(outline(out.read_text()).figures) == figures
    text = md.read_text()
    assert "## Recommendation" in text and "![quality against cost for each model](r_files/quality_vs_cost.png)" in text
    assert (md.parent / "r_files" / "cost_vs_traffic.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to report"),
        (["--tco", "/nope/tco.json"], "no such file"),
        (["--bench", "{tco}"], "is a tco result, not a bench result — pass it with --tco"),
        (["--eval", "{bench}"], "is a bench result, not an eval result — pass it with --bench"),
        (["--tco", "{eval}"], "is an eval result, not a tco result — pass it with --eval"),
        (["--bench", "{ledger_file}"], "cannot read it"),
        (["--ledger", "not a url"], "not a database URL"),
    ],
)
def test_clear_messages(files: dict[str, str], args: list[str], message: str) -> None:
    args = [a.format(**files) for a in args]
    result = CliRunner().invoke(main, ["report", *args, "--out", str(Path(files["dir"]) / "x.html")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
