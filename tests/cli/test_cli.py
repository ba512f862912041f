"""The CLI: messages that teach the fix, tables that tell the truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crossroads import __version__
from crossroads.cli import main
from crossroads.testing.server import free_port


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "crossroads.yaml"
    path.write_text(text)
    return str(path)


def test_version() -> None:
    assert run("--version") == (0, f"crossroads, version {__version__}\n")


def test_config_check_ok_with_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "backends:\n"
        "  openai: {type: openai_compat, base_url: 'https://api.openai.com/v1', api_key_env: NO_SUCH_KEY_X}\n"
        "models:\n  gpt-4o: {backend: openai}\n",
    )
    code, out = run("config", "check", "--config", path)
    assert code == 0
    assert "OK — 1 backends, 1 models" in out
    assert "NO_SUCH_KEY_X is not set" in out


def test_config_check_lists_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "backends:\n  o: {type: openai_compat}\nmodels:\n  m: {backend: nope}\n")
    code, out = run("config", "check", "--config", path)
    assert code == 2
    assert "backends.o.base_url: required field is missing — add it" in out
    assert "models.m.backend: no backend named 'nope'" in out
    assert "Traceback" not in out


def test_config_check_missing_file(tmp_path: Path) -> None:
    code, out = run("config", "check", "--config", str(tmp_path / "none.yaml"))
    assert code == 2 and "no such file" in out


def test_serve_refuses_invalid_config(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  m: {backend: nope}\n")
    code, out = run("serve", "--config", path)
    assert code == 2
    assert "models.m.backend" in out


def test_models_list_shows_unreachable_and_missing_key(tmp_path: Path) -> None:
    port = free_port()
    path = write(
        tmp_path,
        "backends:\n"
        f"  down: {{type: openai_compat, base_url: 'http://127.0.0.1:{port}/v1', location: local}}\n"
        "  keyless: {type: openai_compat, base_url: 'https://api.openai.com/v1', api_key_env: NO_SUCH_KEY_Y}\n"
        "models:\n  a: {backend: down, aliases: [aa]}\n  b: {backend: keyless, upstream_model: gpt-4o}\n",
    )
    code, out = run("models", "list", "--config", path, "--json")
    assert code == 0, out
    rows = {row["model"]: row for row in json.loads(out)}
    assert rows["a"]["status"].startswith("unavailable: cannot reach")
    assert rows["a"]["aliases"] == "aa" and rows["a"]["location"] == "local"
    assert "set NO_SUCH_KEY_Y" in rows["b"]["status"]
    assert rows["b"]["upstream"] == "gpt-4o"


@pytest.mark.parametrize("args", [("models", "list", "--no-check"), ("models", "list", "--no-check", "--json")])
def test_models_list_defaults(args: tuple[str, ...]) -> None:
    code, out = run(*args, env={"CROSSROADS_CONFIG": ""})
    assert code == 0
    assert "smollm2" in out and "minilm" in out
