"""crossroads tune route prints a config the gateway accepts; crossroads tune train wires its options through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crossroads.cli import main
from crossroads.config import parse_settings
from crossroads.tune.route import RouteRequest, route_config
from tests.support.tiny_gguf import write_tiny_gguf

pytest.importorskip("peft")


def test_the_printed_route_is_a_valid_cascade_with_a_shadow(tmp_path: Path) -> None:
    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"GGUF")
    schema = {"type": "object", "required": ["category"]}
    args = ["tune", "route", "--adapter", str(adapter), "--hosted-backend", "api", "--schema", json.dumps(schema)]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    printed = yaml.safe_load(done.output)
    hosted = {"api": {"type": "openai_compat", "base_url": "https://api.example.com/v1"}}
    settings = parse_settings({"backends": {**hosted, **printed["backends"]}, "models": printed["models"]}, "t")
    group = settings.models["support"]
    assert [d.backend for d in group.deployments] == ["tuned", "api"] and group.strategy == "priority"
    assert group.cascade is not None and group.cascade.validators[0].json_schema == schema
    assert group.shadow[0].backend == "api" and settings.backends["tuned"].lora == str(adapter)  # type: ignore[union-attr]
    assert route_config(RouteRequest(adapter))["models"]["support"]["cascade"]["validators"] == [{"type": "json"}]


def test_bad_route_options_teach_the_fix(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["tune", "route", "--adapter", str(tmp_path / "none.gguf")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    (tmp_path / "a.gguf").write_bytes(b"GGUF")
    bad = CliRunner().invoke(main, ["tune", "route", "--adapter", str(tmp_path / "a.gguf"), "--schema", "{"])
    assert bad.exit_code == 2 and "--schema is not JSON" in bad.output


def test_tune_train_command_on_the_tiny_model(tmp_path: Path) -> None:
    tiny = write_tiny_gguf(tmp_path / "tiny.gguf")
    data = tmp_path / "train.jsonl"
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "{}"}]}
    data.write_text((json.dumps(row) + "\n") * 4)
    out = tmp_path / "run"
    args = ["tune", "train", "--data", str(data), "--base", str(tiny), "--out", str(out), "--max-steps", "2"]
    args += ["--batch-size", "2", "--targets", "q_proj,v_proj", "--last-layers", "1", "--checkpoint-every", "0"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "2 steps" in done.output and "lora:" in done.output and (out / "adapter.gguf").is_file()
    settings = json.loads((out / "tune.json").read_text())["settings"]
    assert settings["targets"] == ["q_proj", "v_proj"] and settings["last_layers"] == 1
    missing = CliRunner().invoke(main, ["tune", "train", "--data", str(tmp_path / "none.jsonl"), "--base", str(tiny)])
    assert missing.exit_code == 2 and "no such file" in missing.output
