"""Embedders for the ``similarity`` metric: a configured embedding model, else the bundled all-MiniLM-L6-v2."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from crossroads.backends import Endpoint
from crossroads.backends.config import SentenceTransformersConfig as StConfig
from crossroads.config import ModelConfig, Settings
from crossroads.gateway import Gateway
from crossroads.lab.eval.metrics import Embedder


def embedding_model(settings: Settings) -> str | None:
    """The first configured model served by a sentence-transformers backend, if any."""
    for name, entry in settings.models.items():
        if settings.backends[entry.backend].type == "sentence_transformers":
            return name
    return None


def gateway_embedder(gateway: Gateway, model: str) -> Embedder:
    async def embed(texts: Sequence[str]) -> np.ndarray:
        response = await gateway.send(Endpoint.EMBEDDINGS, {"model": model, "input": list(texts)})
        rows = sorted(response["data"], key=lambda d: d["index"])
        return np.asarray([row["embedding"] for row in rows], dtype=float)

    return embed


def with_bundled_embedder(settings: Settings) -> tuple[Settings, str]:
    """``settings`` plus the bundled MiniLM (as model ``eval-minilm``) when no embedding model is configured."""
    existing = embedding_model(settings)
    if existing is not None:
        return settings, existing
    backends = {**settings.backends, "eval-minilm": StConfig(type="sentence_transformers")}
    models = {**settings.models, "eval-minilm": ModelConfig(backend="eval-minilm")}
    return settings.model_copy(update={"backends": backends, "models": models}), "eval-minilm"
