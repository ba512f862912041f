"""crossroads scan: findings, --json with character offsets, --redact with the configured policy."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crossroads.cli import main

TEXT = "Mail zoë@example.com, card 4111 1111 1111 1111.\nkey AKIAIOSFODNN7EXAMPLE\n"
NO_NAMES = "privacy:\n  default: {'*': redact, PERSON: allow, LOCATION: allow, ORGANIZATION: allow}\n"


def run(*args: str, stdin: str = TEXT) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["scan", *args], input=stdin, env={"CROSSROADS_CONFIG": "", "CROSSROADS_HASH_KEY": ""}
    )
    return result.exit_code, result.output


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "crossroads.yaml"
    path.write_text("backends: {local: {type: embedded}}\nmodels: {m: {backend: local}}\n" + text)
    return str(path)


def test_json_offsets_are_characters(tmp_path: Path) -> None:
    code, out = run("--json", "--config", config(tmp_path, NO_NAMES), "-")
    assert code == 0
    findings = json.loads(out)
    assert [(f["entity_type"], f["text"]) for f in findings] == [
        ("EMAIL_ADDRESS", "zoë@example.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("SECRET_API_KEY", "AKIAIOSFODNN7EXAMPLE"),
    ]
    assert all(TEXT[f["start"] : f["end"]] == f["text"] for f in findings)
    assert set(findings[0]) == {"entity_type", "start", "end", "score", "text"}


def test_redact_applies_the_configured_policy(tmp_path: Path) -> None:
    policy = "privacy:\n  default: {EMAIL_ADDRESS: pseudonymize, CREDIT_CARD: mask, SECRET_API_KEY: block}\n"
    code, out = run("--redact", "--config", config(tmp_path, policy))
    assert code == 0
    assert out.startswith("Mail <EMAIL_ADDRESS_1>, card **** **** **** 1111.\nkey AKIAIOSFODNN7EXAMPLE\n")
    assert "the gateway would refuse this text (403): it contains SECRET_API_KEY (block)" in out


def test_human_output_and_a_file(tmp_path: Path) -> None:
    file = tmp_path / "ticket.txt"
    file.write_text(TEXT)
    code, out = run(str(file), "--config", config(tmp_path, NO_NAMES))
    assert code == 0
    assert out.splitlines() == [
        "1:6\tEMAIL_ADDRESS\t0.95\tredact\tzoë@example.com",
        "1:28\tCREDIT_CARD\t0.95\tredact\t4111 1111 1111 1111",
        "2:5\tSECRET_API_KEY\t0.99\tredact\tAKIAIOSFODNN7EXAMPLE",
        "3 findings",
    ]


def test_without_config_finds_names_with_the_real_model() -> None:
    code, out = run("--json", stdin="Angela Merkel flew to Paris.")
    assert code == 0
    assert [(f["entity_type"], f["text"]) for f in json.loads(out)] == [
        ("PERSON", "Angela Merkel"),
        ("LOCATION", "Paris"),
    ]


def test_hash_without_a_key_teaches_the_fix(tmp_path: Path) -> None:
    code, out = run("--redact", "--config", config(tmp_path, "privacy:\n  default: {EMAIL_ADDRESS: hash}\n"))
    assert code == 2
    assert "set CROSSROADS_HASH_KEY" in out
