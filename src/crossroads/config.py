"""Typed settings: ``crossroads.yaml`` (path by ``--config`` or ``CROSSROADS_CONFIG``) or the embedded defaults.

Secrets never live in the file: a backend names the environment variable that holds its key
(``api_key_env``). ``load_settings`` turns every problem into a ``ConfigError`` whose ``problems``
name the field path and how to fix it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from crossroads.config_base import Strict
from crossroads.errors import ConfigError
from crossroads.formats.responses_config import ResponsesConfig
from crossroads.metering.config import MeteringConfig
from crossroads.privacy.config import PrivacyConfig
from crossroads.routing.config import (
    CascadeConfig,
    DeploymentConfig,
    RoutingConfig,
    ShadowTarget,
    Strategy,
    cross_check,
    group_backend,
)
from crossroads.ui.config import UiConfig
from crossroads.urls import header_problem, url_problem

CONFIG_ENV = "CROSSROADS_CONFIG"


class Timeouts(Strict):
    connect: float = Field(5.0, gt=0, description="seconds to open a connection")
    read: float = Field(60.0, gt=0, description="seconds to wait for the next byte")
    total: float = Field(600.0, gt=0, description="seconds for a whole request")


class OpenAICompatBackend(Strict):
    """Any server that speaks the OpenAI API: OpenAI, Azure OpenAI, vLLM, llama.cpp's server, Ollama."""

    type: Literal["openai_compat"]
    base_url: str = Field(description="e.g. https://api.openai.com/v1 or http://gpu-box:8000/v1")
    flavor: Literal["openai", "azure"] = "openai"
    api_key_env: str | None = Field(None, description="environment variable holding the API key")
    api_version: str | None = Field(None, description="Azure OpenAI api-version query parameter")
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers sent upstream (no secrets)")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="extra headers whose values come from environment variables: {header: VAR}"
    )
    location: Literal["local", "hosted"] = "hosted"
    responses: Literal["translate", "native"] = Field(
        "translate",
        description="native: the upstream serves /v1/responses itself (OpenAI), so Responses requests go to it as "
        "they came, hosted tools included; translate: they become Chat Completions requests",
    )
    timeout: Timeouts = Timeouts()
    max_connections: int = Field(100, ge=1)
    keepalive_seconds: float = Field(
        4.0, gt=0, description="close idle upstream connections sooner than the upstream does (uvicorn: 5 s)"
    )

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, url: str) -> str:
        problem = url_problem(url)
        if problem:
            raise ValueError(f"base_url {problem}")
        return url

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        problems = [p for p in map(header_problem, headers) if p]
        if problems:
            raise ValueError("; ".join(problems))
        return headers

    @model_validator(mode="after")
    def _azure_needs_version(self) -> OpenAICompatBackend:
        if self.flavor == "azure" and not self.api_version:
            raise ValueError("flavor azure needs api_version (e.g. api_version: 2024-10-21)")
        return self


class AnthropicBackend(Strict):
    """Anthropic's Messages API (or a server that speaks it): Messages requests go as they came, chat and
    Responses requests are translated."""

    type: Literal["anthropic"]
    base_url: str = Field("https://api.anthropic.com", description="the API root, without /v1")
    api_key_env: str | None = Field("ANTHROPIC_API_KEY", description="environment variable holding the API key")
    anthropic_version: str = Field("2023-06-01", description="the anthropic-version header sent upstream")
    default_max_tokens: int = Field(
        4096, ge=1, description="max_tokens for a translated request that sets none (Anthropic requires one)"
    )
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers sent upstream (no secrets)")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="extra headers whose values come from environment variables: {header: VAR}"
    )
    location: Literal["local", "hosted"] = "hosted"
    timeout: Timeouts = Timeouts()
    max_connections: int = Field(100, ge=1)
    keepalive_seconds: float = Field(4.0, gt=0, description="close idle upstream connections sooner than it does")

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, url: str) -> str:
        return OpenAICompatBackend._no_credentials(url)

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        return OpenAICompatBackend._no_secret_headers(headers)


class EmbeddedBackend(Strict):
    """A GGUF model run in process by llama-cpp-python."""

    type: Literal["embedded"]
    model_path: str | None = Field(None, description="GGUF file; empty means the bundled SmolLM2-135M-Instruct")
    lora: str | None = Field(None, description="a GGUF LoRA adapter applied to the model (crossroads tune train)")
    n_ctx: int = Field(2048, ge=64)
    n_threads: int | None = Field(None, ge=1, description="CPU threads per slot (default: all cores)")
    n_batch: int = Field(512, ge=1)
    slots: int = Field(1, ge=1, le=64, description="requests generated in parallel")
    max_queue: int = Field(256, ge=0, description="requests waiting for a slot before 503")
    chat_format: str | None = Field(None, description="llama-cpp-python chat format; default: the GGUF template")
    default_max_tokens: int | None = Field(
        512, ge=1, description="token limit for chat requests that set none (null: up to the context size)"
    )
    location: Literal["local"] = "local"


class SentenceTransformersBackend(Strict):
    """An embedding model run in process by sentence-transformers (CPU)."""

    type: Literal["sentence_transformers"]
    model_path: str | None = Field(None, description="model directory; empty means the bundled all-MiniLM-L6-v2")
    device: str = "cpu"
    max_batch: int = Field(64, ge=1)
    location: Literal["local"] = "local"


BackendConfig = Annotated[
    OpenAICompatBackend | AnthropicBackend | EmbeddedBackend | SentenceTransformersBackend,
    Field(discriminator="type"),
]


class ModelConfig(Strict):
    """One public model: a plain ``backend:``, or a group of ``deployments`` (see ``crossroads.routing``)."""

    backend: str = Field(description="name of a backend under 'backends' (a group: its first deployment's)")
    upstream_model: str | None = Field(None, description="name the backend knows (Azure: the deployment)")
    aliases: list[str] = Field(default_factory=list)
    owned_by: str | None = None
    deployments: list[DeploymentConfig] = Field(default_factory=list, description="a group: where it may be served")
    strategy: Strategy = "priority"
    fallbacks: list[str] = Field(default_factory=list, description="models tried when every deployment failed")
    cascade: CascadeConfig | None = None
    shadow: list[ShadowTarget] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _group_backend(cls, data: Any) -> Any:
        return group_backend(data)


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
        if name in self.models:
            return name
        for public, model in self.models.items():
            if name in model.aliases:
                return public
        return None


def default_settings() -> Settings:
    """The embedded defaults: SmolLM2 for chat and completions, all-MiniLM-L6-v2 for embeddings."""
    return Settings(
        backends={
            "embedded": EmbeddedBackend(type="embedded"),
            "minilm": SentenceTransformersBackend(type="sentence_transformers"),
        },
        models={
            "smollm2": ModelConfig(backend="embedded", owned_by="HuggingFaceTB"),
            "minilm": ModelConfig(backend="minilm", owned_by="sentence-transformers"),
        },
        source="built-in defaults",
    )


_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it or check the spelling",
    "literal_error": "use one of the allowed values",
    "union_tag_invalid": "set type to openai_compat, anthropic, embedded or sentence_transformers",
    "union_tag_not_found": "add type: openai_compat, anthropic, embedded or sentence_transformers",
}


BACKEND_TYPES = frozenset({"openai_compat", "anthropic", "embedded", "sentence_transformers"})
_MESSAGES = {"extra_forbidden": "unknown field", "missing": "required field is missing"}


def _problem(err: Any) -> str:
    path = ".".join(str(part) for part in err["loc"] if not str(part).startswith("function-"))
    loc = [str(p) for p in err["loc"]]
    # drop the discriminator tag pydantic inserts after a backend name
    if len(loc) >= 3 and loc[0] == "backends" and loc[2] in BACKEND_TYPES:
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
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(f"{file} is not valid YAML", [f"{where}: {getattr(exc, 'problem', exc)}"]) from None
    return parse_settings(raw, str(file))
