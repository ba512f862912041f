"""The documentation's examples run as shipped.

Blocks marked ``check`` (see ``blocks.py``) are run: ``console`` transcripts through the CLI in process, with
their output compared line by line; ``python`` and ``bash`` against a live gateway (its hosted side the fake
upstream, the URLs of the docs pointed at both); ``yaml`` through ``crossroads config check``.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from crossroads import yamlfile
from crossroads.api import create_app
from crossroads.cli import main
from crossroads.config import load_settings
from crossroads.lab.eval.suite import load_suite
from crossroads.testing.fake_upstream import create_fake_upstream
from crossroads.testing.server import serving

from .blocks import PAGES, ROOT, Block, blocks, checked, missing_lines, output_of, transcript

GATEWAY, UPSTREAM = "http://127.0.0.1:8000", "http://127.0.0.1:9000"
# What `make run` serves, with the fake upstream standing in for the embedded models (the examples' answers
# are not compared, and the real engines are tested on their own).
MAKE_RUN = """
backends:
  standin: {{type: openai_compat, base_url: "{upstream}/v1", location: local}}
models:
  smollm2: {{backend: standin}}
  minilm: {{backend: standin}}
"""
TERMINAL = {"COLUMNS": "400", "NO_COLOR": "1", "TTY_COMPATIBLE": "1"}  # a wide terminal, as the pages show
CLIENT_PACKAGES = {"openai", "anthropic", "httpx", "starlette"}
SECRETS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "CROSSROADS_CONFIG", "CROSSROADS_MASTER_KEY")


def _ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder where the docs' relative paths (``examples/…``) resolve, as in a checkout."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("block", CONSOLE := checked("console"), ids=_ids(CONSOLE))
def test_console_transcript(block: Block, workdir: Path) -> None:
    steps = transcript(block.text)
    assert steps, f"{block.where}: a checked transcript without a $ command"
    env: dict[str, str | None] = {name: None for name in SECRETS} | TERMINAL
    for step in steps:
        assert step.argv[0] == "crossroads", f"{block.where}: only crossroads commands are run: {step.argv}"
        result = CliRunner(env=env).invoke(main, step.argv[1:], prog_name="crossroads")
        shown = f"{block.where}: $ {' '.join(step.argv)}\n{result.output}"
        assert result.exit_code == step.exit_code, shown
        assert missing_lines(step.expected, result.output) == [], shown


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serving(create_fake_upstream()) as url:
        yield url


@pytest.fixture(scope="module")
def gateways(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Gateways by configuration (``""``: what ``make run`` serves), started on first use."""
    with contextlib.ExitStack() as stack:
        started: dict[str, str] = {}

        def gateway(config: str) -> str:
            if config not in started:
                text = (ROOT / config).read_text(encoding="utf-8") if config else MAKE_RUN.format(upstream=upstream)
                path = tmp_path_factory.mktemp("gateway") / "crossroads.yaml"
                path.write_text(text.replace(UPSTREAM, upstream), encoding="utf-8")
                started[config] = stack.enter_context(serving(create_app(load_settings(path))))
            return started[config]

        yield gateway


def _close_clients(names: dict[str, Any]) -> None:
    """Close the HTTP clients an example made, as the end of its script would (their pools hold sockets)."""
    for value in names.values():
        if type(value).__module__.split(".")[0] in CLIENT_PACKAGES and callable(getattr(value, "close", None)):
            value.close()


def _pointed(text: str, gateway: str, upstream: str) -> str:
    return text.replace(GATEWAY, gateway).replace(UPSTREAM, upstream)


@pytest.mark.parametrize("block", PYTHON := checked("python"), ids=_ids(PYTHON))
def test_python_example(block: Block, gateways: Any, upstream: str, workdir: Path) -> None:
    code = _pointed(block.text, gateways(block.options.get("config", "")), upstream)
    out, names = io.StringIO(), {"__name__": "__main__"}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, block.where, "exec"), names)
    finally:
        _close_clients(names)
    printed = out.getvalue()
    assert printed.strip(), f"{block.where}: the example printed nothing"
    expected = output_of(block)
    if expected is not None:
        assert missing_lines(expected, printed) == [], f"{block.where} printed:\n{printed}"


@pytest.mark.parametrize("block", BASH := checked("bash"), ids=_ids(BASH))
def test_bash_example(block: Block, gateways: Any, upstream: str, workdir: Path) -> None:
    script = _pointed(block.text, gateways(block.options.get("config", "")), upstream)
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{block.where}:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{block.where}: the example printed nothing"


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


@pytest.mark.parametrize("block", YAML := [b for b in checked("yaml") if "suite" not in b.options], ids=_ids(YAML))
def test_yaml_config(block: Block, workdir: Path) -> None:
    """A configuration example is valid laid over examples/crossroads.yaml (so a section may name its backends)."""
    part = yamlfile.load(block.text)  # a key given twice is refused
    assert isinstance(part, dict), block.where
    base = yaml.safe_load((ROOT / "examples" / "crossroads.yaml").read_text(encoding="utf-8"))
    (workdir / "example.yaml").write_text(yaml.safe_dump(_merged(base, part)), encoding="utf-8")
    env = {name: "set" for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")}
    result = CliRunner(env=env).invoke(main, ["config", "check", "--config", "example.yaml"])
    assert result.exit_code == 0, f"{block.where}:\n{result.output}"


SUITES = [b for lang in ("json", "yaml") for b in checked(lang) if "suite" in b.options]


@pytest.mark.parametrize("block", SUITES, ids=_ids(SUITES))
def test_eval_suite_example(block: Block, workdir: Path) -> None:
    """An eval suite example loads as `crossroads eval run` reads it (a JSON case is one line of a .jsonl suite)."""
    path = workdir / ("example.jsonl" if block.lang == "json" else "example.yaml")
    path.write_text(block.text + "\n", encoding="utf-8")
    suite = load_suite(path)
    assert suite.cases and all(case.messages and case.assertions for case in suite.cases), block.where


SHOWN = [b for page in PAGES for b in blocks(page) if "file" in b.options]


@pytest.mark.parametrize("block", SHOWN, ids=_ids(SHOWN))
def test_block_shows_its_file_as_it_is(block: Block) -> None:
    shipped = (ROOT / block.options["file"]).read_text(encoding="utf-8")
    assert block.text.strip() == shipped.strip(), f"{block.where} differs from {block.options['file']}"
