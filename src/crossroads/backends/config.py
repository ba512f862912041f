"""Backend settings: one pydantic class per ``type:`` under ``backends:`` in crossroads.yaml.

How to talk (the backend's module) is kept apart from where to connect (these): a new OpenAI-compatible
vendor is an ``openai_compat`` entry with its ``base_url``, not a class.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from crossroads.config_base import Strict
from crossroads.urls import header_problem, url_problem


class Timeouts(Strict):
    connect: float = Field(5.0, gt=0, description="seconds to open a connection")
    read: float = Field(60.0, gt=0, description="seconds to wait for the next byte")
    total: float = Field(600.0, gt=0, description="seconds for a whole request")


class OpenAICompatConfig(Strict):
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
    def _azure_needs_version(self) -> OpenAICompatConfig:
        if self.flavor == "azure" and not self.api_version:
            raise ValueError("flavor azure needs api_version (e.g. api_version: 2024-10-21)")
        return self


class AnthropicConfig(Strict):
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
        return OpenAICompatConfig._no_credentials(url)

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        return OpenAICompatConfig._no_secret_headers(headers)


class EmbeddedConfig(Strict):
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


class SentenceTransformersConfig(Strict):
    """An embedding model run in process by sentence-transformers (CPU)."""

    type: Literal["sentence_transformers"]
    model_path: str | None = Field(None, description="model directory; empty means the bundled all-MiniLM-L6-v2")
    device: str = "cpu"
    max_batch: int = Field(64, ge=1)
    location: Literal["local"] = "local"


BackendConfig = Annotated[
    OpenAICompatConfig | AnthropicConfig | EmbeddedConfig | SentenceTransformersConfig,
    Field(discriminator="type"),
]
# the ``type:`` values, read from the classes above (for messages that list them)
TYPES: tuple[str, ...] = tuple(
    get_args(member.model_fields["type"].annotation)[0] for member in get_args(get_args(BackendConfig)[0])
)
