from __future__ import annotations

from pathlib import Path

import pytest

from crossroads.config import default_settings, load_settings, parse_settings
from crossroads.errors import ConfigError

FULL = """
server: {port: 8100}
backends:
  openai: {type: openai_compat, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY}
  azure:
    type: openai_compat
    flavor: azure
    base_url: https://acme.openai.azure.com
    api_key_env: AZURE_OPENAI_API_KEY
    api_version: "2024-10-21"
  vllm: {type: openai_compat, base_url: "http://gpu:8000/v1", location: local}
  local: {type: embedded, slots: 2}
models:
  gpt-4o: {backend: openai, aliases: [gpt4o]}
  gpt-4o-azure: {backend: azure, upstream_model: my-gpt4o-deployment}
  llama: {backend: vllm, upstream_model: meta-llama/Llama-3.1-8B-Instruct}
  smollm2: {backend: local}
"""


def problems_of(raw: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_settings(raw, "crossroads.yaml")
    return info.value.problems


def test_full_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "crossroads.yaml"
    path.write_text(FULL)
    settings = load_settings(path)
    assert settings.server.port == 8100
    assert settings.resolve("gpt4o") == "gpt-4o"
    assert settings.upstream_name("gpt-4o-azure") == "my-gpt4o-deployment"
    assert settings.backends["vllm"].location == "local"
    assert settings.backends["openai"].location == "hosted"


def test_defaults_are_embedded() -> None:
    settings = default_settings()
    assert set(settings.models) == {"smollm2", "minilm"}
    assert {b.location for b in settings.backends.values()} == {"local"}


def test_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(FULL)
    monkeypatch.setenv("CROSSROADS_CONFIG", str(path))
    assert "llama" in load_settings().models


def test_missing_field_names_path_and_fix() -> None:
    problems = problems_of({"backends": {"openai": {"type": "openai_compat"}}, "models": {"m": {"backend": "openai"}}})
    assert problems == ["backends.openai.base_url: required field is missing — add it"]


def test_unknown_backend_reference_lists_known_ones() -> None:
    problems = problems_of({"backends": {"local": {"type": "embedded"}}, "models": {"m": {"backend": "lcoal"}}})
    assert "models.m.backend: no backend named 'lcoal' (defined: local)" in problems[0]


def test_secret_in_file_is_refused() -> None:
    raw = {"backends": {"o": {"type": "openai_compat", "base_url": "u", "api_key": "sk-123"}}, "models": {}}
    problems = problems_of(raw)
    assert any("backends.o.api_key: secrets are not read from the file" in p for p in problems)
    assert not any("sk-123" in p for p in problems)


def test_bad_type_and_typo_are_both_reported() -> None:
    raw = {
        "backends": {"b": {"type": "embeded"}, "c": {"type": "embedded", "slot": 2}},
        "models": {"m": {"backend": "c"}},
    }
    problems = problems_of(raw)
    assert any(p.startswith("backends.b") and "type" in p for p in problems)
    assert any(p.startswith("backends.c.slot:") and "unknown field" in p for p in problems)


def test_azure_needs_api_version() -> None:
    raw = {
        "backends": {"a": {"type": "openai_compat", "flavor": "azure", "base_url": "u"}},
        "models": {"m": {"backend": "a"}},
    }
    assert any("api_version" in p for p in problems_of(raw))


def test_alias_collision() -> None:
    raw = {
        "backends": {"l": {"type": "embedded"}},
        "models": {"a": {"backend": "l"}, "b": {"backend": "l", "aliases": ["a"]}},
    }
    assert any("'a' is already used" in p for p in problems_of(raw))


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("backends:\n  x: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "line" in info.value.problems[0]


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.yaml")
    assert "--config" in info.value.problems[0]


def test_shipped_example_is_valid() -> None:
    example = Path(__file__).parent.parent / "examples" / "crossroads.yaml"
    settings = load_settings(example)
    assert {b.location for b in settings.backends.values()} == {"local", "hosted"}
    assert settings.resolve("mini") == "gpt-4o-mini"


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "crossroads.yaml"
    path.write_text(
        "backends:\n  hosted: {type: openai_compat, base_url: 'http://127.0.0.1:9/v1'}\n"
        "models:\n  chat: {backend: hosted}\n"
        "privacy:\n  default: {EMAIL_ADDRESS: redact}\n  default: {PERSON: redact}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "not valid YAML" in caught.value.message
    assert any("line 7" in d and "key 'default' given twice" in d for d in caught.value.problems), caught.value.problems
