"""Backends by config ``type``: a table of factories, imported only when used."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from crossroads.backends.base import Backend, Body, Endpoint

__all__ = ["Backend", "Body", "Endpoint", "build_backend"]

FACTORIES: dict[str, str] = {
    "openai_compat": "crossroads.backends.openai_compat:OpenAICompatBackend",
    "anthropic": "crossroads.backends.anthropic:AnthropicBackend",
    "embedded": "crossroads.backends.embedded.backend:EmbeddedBackend",
    "sentence_transformers": "crossroads.backends.sentence_transformers:SentenceTransformersBackend",
}


def build_backend(name: str, config: Any) -> Backend:
    module, _, attr = FACTORIES[config.type].partition(":")
    factory = getattr(import_module(module), attr)
    backend: Backend = factory(name, config)
    return backend
