"""The report as a reader sees it: rendered by Debian's headless chromium, every section laid out with
visible content in the screenshot, every plot decoded."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from crossroads.cli import main
from crossroads.lab.report import SECTION_IDS
from tests.lab.report.browser import render
from tests.lab.report.fixtures import bench_result, eval_result, write_ledger

T0 = datetime(2026, 11, 2, 9, 0)
TITLES = ["Recommendation", "Cost", "Quality", "Performance", "Privacy", "Assumptions"]


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    bench = bench_result(tmp_path / "bench.json", shape=(1500, 500))
    run = CliRunner().invoke
    traffic = ["--queries-per-day", "10000", "--prompt-tokens", "1500", "--completion-tokens", "500"]
    gpu = ["--api", "gpt-4o-mini", "--gpu", f"g6.xlarge,bench={bench}", "--ops-monthly", "2000"]
    assert run(main, ["tco", *traffic, *gpu, "--out", str(tmp_path / "tco.json")]).exit_code == 0
    rows = [(T0 + timedelta(minutes=9 * i), 1500, 500, "m", {"PERSON": 1} if i % 4 == 0 else {}) for i in range(40)]
    ledger = write_ledger(tmp_path / "ledger.db", rows)
    args = ["--tco", str(tmp_path / "tco.json"), "--bench", str(bench), "--eval", str(eval_result(tmp_path / "e.json"))]
    result = run(main, ["report", *args, "--ledger", ledger, "--out", str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.output

    png, sections, images = render(tmp_path / "report.html", tmp_path / "profile")

    assert [s["id"] for s in sections] == list(SECTION_IDS)
    assert [s["title"] for s in sections] == TITLES
    figures = (tmp_path / "report.html").read_text().count("<figure ")
    assert figures >= 6 and len(images) == figures and all(width > 300 for width in images)  # every plot decoded
    shot = Image.open(io.BytesIO(png)).convert("L")
    assert shot.width >= 1100 and shot.height >= sum(s["height"] for s in sections)  # the whole page
    dark = shot.point(lambda v: 255 if v < 110 else 0)  # text, lines and plot ink on a white page
    assert sum(dark.histogram()[255:]) / (shot.width * shot.height) > 0.01  # not blank
    for s in sections:  # each section's own band of the screenshot holds a title and content
        assert s["height"] > 60, s
        band = dark.crop((0, int(s["top"]), shot.width, int(s["top"] + s["height"])))
        assert band.histogram()[255] > 500, f"section {s['id']} looks empty"
