"""The examples' checker itself: what it extracts and what it lets through."""

from __future__ import annotations

import re
from pathlib import Path

from .blocks import PAGES, ROOT, blocks, checked, missing_lines, transcript


def test_transcript_reads_commands_continuations_and_exit_status() -> None:
    steps = transcript("$ crossroads tco --api a \\\n    --gpu b   # exits 2\nline one\n$ crossroads --help\nUsage")
    assert [s.argv for s in steps] == [["crossroads", "tco", "--api", "a", "--gpu", "b"], ["crossroads", "--help"]]
    assert [s.exit_code for s in steps] == [2, 0]
    assert steps[0].expected == ["line one"]


def test_expected_lines_must_appear_in_order_with_their_figures() -> None:
    actual = "┏━━┓\n┃ option  ┃ monthly ┃\n│ api     │ $975    │\nwrote r.html: Provisional, 2 mismatches\n"
    assert missing_lines(["┃ option ┃ monthly ┃", "│ api │ $975 │", "wrote r.html: …"], actual) == []
    assert missing_lines(["│ api │ $976 │"], actual) == ["│ api │ $976 │"]  # a changed figure is caught
    assert missing_lines(["wrote r.html: …", "│ api │ $975 │"], actual) == ["│ api │ $975 │"]  # order counts
    assert missing_lines(["━━━━"], "") == []  # a border alone is not compared


def test_fences_and_options(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("text\n```yaml check\na: 1\n```\n````console\n```\n````\n", encoding="utf-8")
    found = blocks(page)
    assert [(b.lang, b.line, b.text) for b in found] == [("yaml", 2, "a: 1"), ("console", 5, "```")]
    assert "check" in found[0].options and "check" not in found[1].options


def test_every_reference_page_has_checked_examples() -> None:
    pages = {b.page.name for lang in ("console", "python", "bash", "yaml") for b in checked(lang)}
    wanted = {"README.md", "api.md", "configuration.md", "privacy.md", "metering.md", "routing.md", "lab.md", "cli.md"}
    assert wanted <= pages, f"pages without a checked example: {sorted(wanted - pages)}"


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(c for c in heading.strip().lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"^(`{3,}).*?^\1", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)  # not in code
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_anchor_matches_github() -> None:
    assert _anchor("How well it detects (public test sets, Presidio side by side)") == (
        "how-well-it-detects-public-test-sets-presidio-side-by-side"
    )
    assert _anchor("`crossroads config check`") == "crossroads-config-check"


def test_relative_links_and_their_anchors_resolve() -> None:
    broken = []
    for page in PAGES:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            path = (page.parent / target) if target else page
            if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
                broken.append(f"{page.relative_to(ROOT)} → {target}" + (f"#{anchor}" if anchor else ""))
    assert broken == []


def _mapped(code: str) -> set[str]:
    """Top-level names in the code map: what opens an entry (``  api/``, ``  gateway.py``), and every module named
    on a module's entry (``  workers.py … urls.py: …``); continuation lines and descriptions name inner parts."""
    names: set[str] = set()
    for line in code.splitlines():
        entry = re.match(r"^  ([a-z_]+(?:/|\.py))\s", line)
        if entry:
            names.add(entry.group(1))
            if entry.group(1).endswith(".py"):
                names |= set(re.findall(r"(?<![\w/.])([a-z_]+\.py)\b", line))
    return names


def test_readme_code_map_matches_the_package() -> None:
    """README's map of src/crossroads names every package and module at its top, and nothing that is gone."""
    code = next(b.text for b in blocks(ROOT / "README.md") if b.text.startswith("src/crossroads/"))
    package = ROOT / "src" / "crossroads"
    present = {p.name + "/" for p in package.iterdir() if (p / "__init__.py").exists()}
    present |= {p.name for p in package.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    mapped = _mapped(code)
    assert sorted(present - mapped) == [], "packages or modules missing from README's code map"
    assert sorted(mapped - present) == [], "README's code map names what is not there"


def test_code_map_entries() -> None:
    code = "src/crossroads/\n  api/   the app\n  privacy/  stage.py and detect/\n  workers.py  and urls.py: x\n"
    assert _mapped(code) == {"api/", "privacy/", "workers.py", "urls.py"}


def test_readme_stays_a_front_door() -> None:
    """README opens with the two commands and stays short: the reference lives in docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README has {len(lines)} lines: move reference material into docs/"
    first = next(b for b in blocks(ROOT / "README.md"))
    assert [line.split()[:2] for line in first.text.splitlines()] == [["make", "run"], ["make", "test"]]


# Written when something runs, or read only if present: named in the docs, not shipped.
MADE_AT_RUN_TIME = {"benchmarks/results", "requirements/audit-accepted.txt"}


def test_paths_the_pages_name_exist() -> None:
    """Every repository path a page names in backticks (src/…, tests/…, benchmarks/…) is there."""
    tops = "src|tests|benchmarks|scripts|deploy|examples|requirements|docs"
    missing = []
    for page in PAGES:
        for path in re.findall(rf"`((?:{tops})/[^`\s*{{}}…]*)`", page.read_text(encoding="utf-8")):
            if path.rstrip("/") not in MADE_AT_RUN_TIME and not (ROOT / path).exists():
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert missing == []


def test_every_benchmark_is_on_the_benchmarks_page() -> None:
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))
    assert [name for name in scripts if name not in page] == []
