"""Typed settings: ``crossroads.yaml`` (path by ``--config`` or ``CROSSROADS_CONFIG``) or the embedded defaults.

Secrets never live in the file: a backend names the environment variable that holds its key
(``api_key_env``). ``load_settings`` turns every problem into a ``ConfigError`` whose ``problems``
name the field path and how to fix it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from crossroads import yamlfile
from crossroads.backends.config import TYPES, BackendConfig, EmbeddedConfig, SentenceTransformersConfig
from crossroads.config_base import Strict
from crossroads.errors import ConfigError
from crossroads.formats.responses_config import ResponsesConfig
from crossroads.metering.config import MeteringConfig
from crossroads.privacy.config import PrivacyConfig
from crossroads.routing.config import ModelConfig, Routes, RoutingConfig, cross_check, resolve_model
from crossroads.ui.config import UiConfig

CONFIG_ENV = "CROSSROADS_CONFIG"


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    body_timeout_seconds: float = Field(30.0, gt=0, description="a request body not fully read by then: 408")
    max_tokens: int = Field(1_000_000, ge=1, description="largest max_tokens / max_completion_tokens a client may ask")
    max_messages: int = Field(10_000, ge=1, description="most messages in one chat request")
    max_json_depth: int = Field(64, ge=4, description="deepest nesting of objects and lists in a request body")
    ops_access: Literal["master_key", "open"] = Field(
        "master_key",
        description="who may read /metrics and /ready's details: holders of the master key, or anyone "
        "reaching the port (open: only where a trusted network or proxy guards it); /health is always open",
    )
    workers: int = Field(1, ge=1, le=256, description="gateway processes sharing the port (--workers overrides)")


class Settings(Strict):
    server: ServerConfig = ServerConfig()
    backends: dict[str, BackendConfig] = Field(default_factory=dict)
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    privacy: PrivacyConfig | None = Field(None, description="the privacy guard; absent: requests pass untouched")
    routing: RoutingConfig = RoutingConfig()
    metering: MeteringConfig = MeteringConfig()
    ui: UiConfig = UiConfig()
    responses: ResponsesConfig = ResponsesConfig()
    source: str | None = Field(None, exclude=True, description="where these settings came from")

    def upstream_name(self, public: str) -> str:
        model = self.models[public]
        return model.upstream_model or public

    def resolve(self, name: str) -> str | None:
        """Public model name for a name or alias, or None."""
        return resolve_model(self.models, name)

    def routes(self) -> Routes:
        """What the router is built from: the models and the ``routing:`` section."""
        return Routes(self.models, self.routing)


def default_settings() -> Settings:
    """The embedded defaults: SmolLM2 for chat and completions, all-MiniLM-L6-v2 for embeddings."""
    return Settings(
        backends={
            "embedded": EmbeddedConfig(type="embedded"),
            "minilm": SentenceTransformersConfig(type="sentence_transformers"),
        },
        models={
            "smollm2": ModelConfig(backend="embedded", owned_by="HuggingFaceTB"),
            "minilm": ModelConfig(backend="minilm", owned_by="sentence-transformers"),
        },
        source="built-in defaults",
    )


_TYPES = ", ".join(TYPES[:-1]) + " or " + TYPES[-1]
_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it or check the spelling",
    "literal_error": "use one of the allowed values",
    "union_tag_invalid": f"set type to {_TYPES}",
    "union_tag_not_found": f"add type: {_TYPES}",
}


_MESSAGES = {"extra_forbidden": "unknown field", "missing": "required field is missing"}


def _problem(err: Any) -> str:
    path = ".".join(str(part) for part in err["loc"] if not str(part).startswith("function-"))
    loc = [str(p) for p in err["loc"]]
    # drop the discriminator tag pydantic inserts after a backend name
    if len(loc) >= 3 and loc[0] == "backends" and loc[2] in TYPES:
        path = ".".join([loc[0], loc[1], *loc[3:]])
    message = _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, "))
    fix = _FIXES.get(err["type"])
    return f"{path or '(top level)'}: {message}" + (f" — {fix}" if fix else "")


def _cross_check(raw: dict[str, Any]) -> list[str]:
    """Checks across sections, on the raw mapping so they run even when a field is invalid."""
    backends: dict[str, Any] = raw["backends"] if isinstance(raw.get("backends"), dict) else {}
    models: dict[str, Any] = raw["models"] if isinstance(raw.get("models"), dict) else {}
    problems: list[str] = []
    seen: dict[str, str] = {}
    for public, model in models.items():
        if not isinstance(model, dict):
            continue
        backend = model.get("backend")
        if isinstance(backend, str) and backend not in backends:
            known = ", ".join(backends) or "none"
            problems.append(
                f"models.{public}.backend: no backend named '{backend}' (defined: {known}) — "
                "fix the name or add it under backends"
            )
        for name in [public, *(model.get("aliases") or [])]:
            if name in seen and seen[name] != public:
                problems.append(f"models.{public}.aliases: '{name}' is already used by model '{seen[name]}'")
            seen.setdefault(name, public)
    return problems + cross_check(raw)


_SECRET_KEYS = {"api_key", "key", "password", "token", "secret"}


def _secret_fields(raw: dict[str, Any]) -> list[str]:
    problems = []
    for name, backend in (raw.get("backends") or {}).items():
        if isinstance(backend, dict):
            for key in _SECRET_KEYS & set(backend):
                problems.append(
                    f"backends.{name}.{key}: secrets are not read from the file — put the key in an "
                    "environment variable and name it with api_key_env"
                )
    return problems


def parse_settings(raw: Any, source: str) -> Settings:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} is not valid", ["(top level): expected a mapping with backends and models"])
    problems = _secret_fields(raw)
    try:
        settings = Settings.model_validate({**raw, "source": source})
    except ValidationError as exc:
        problems += [_problem(e) for e in exc.errors() if not _is_secret_echo(e, problems)]
        raise ConfigError(f"{source} is not valid", problems + _cross_check(raw)) from None
    problems += _cross_check(raw)
    if not settings.models:
        problems.append("models: no models defined — add at least one, e.g. models: {smollm2: {backend: embedded}}")
    if problems:
        raise ConfigError(f"{source} is not valid", problems)
    return settings


def _is_secret_echo(err: Any, problems: list[str]) -> bool:
    """The secret-field problem already explains an 'extra field' error for the same path."""
    path = ".".join(str(p) for p in err["loc"])
    return err["type"] == "extra_forbidden" and any(p.startswith(path.replace(".openai_compat", "")) for p in problems)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from ``path``, else ``$CROSSROADS_CONFIG``, else the embedded defaults."""
    path = path or os.environ.get(CONFIG_ENV) or None
    if path is None:
        return default_settings()
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"config file {file} not found",
            [f"{file}: no such file — pass an existing file with --config or unset {CONFIG_ENV}"],
        )
    try:
        raw = yamlfile.load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(f"{file} is not valid YAML", [f"{where}: {getattr(exc, 'problem', exc)}"]) from None
    return parse_settings(raw, str(file))
