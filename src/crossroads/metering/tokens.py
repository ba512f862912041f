"""Token counting with tiktoken, its encodings seeded offline from the ``bpe-openai`` package.

tiktoken looks for ``<TIKTOKEN_CACHE_DIR>/<sha1 of the encoding URL>``; ``seed_cache`` writes the
shipped files there once, so nothing is downloaded. Counts are estimates for budgets and rate
limits, and the fallback when an upstream reports no usage.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import tiktoken

SHIPPED = ("o200k_base", "cl100k_base")
URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
FALLBACK = "o200k_base"
PER_MESSAGE = 3  # OpenAI's chat format: <|start|>{role}\n{content}<|end|>
PER_REPLY = 3


def seed_cache() -> Path:
    """Write the shipped encodings where tiktoken looks for them (``TIKTOKEN_CACHE_DIR``, set if unset)."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "crossroads-tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        target = cache / hashlib.sha1(URL.format(name=name).encode()).hexdigest()
        if not target.exists():
            data = gzip.decompress((_shipped_data() / f"{name}.tiktoken.gz").read_bytes())
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(data)
            partial.replace(target)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


def _shipped_data() -> Path:
    """The package's data folder, found without importing the package (its import has side effects)."""
    spec = find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the bpe-openai package is missing: pip install bpe-openai")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.cache
def encoding(name: str) -> tiktoken.Encoding:
    seed_cache()
    return tiktoken.get_encoding(name)


@functools.lru_cache(maxsize=256)
def encoding_for(model: str) -> tiktoken.Encoding:
    """The model's encoding when tiktoken knows it and it ships offline, else o200k_base."""
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        name = FALLBACK
    return encoding(name if name in SHIPPED else FALLBACK)


def count_text(model: str, text: str) -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))


OUTSIDE = ("instructions", "system")


def count_prompt(model: str, body: dict[str, Any]) -> int:
    """Prompt tokens of a chat, completions, embeddings, Responses or Messages request body."""
    for name in OUTSIDE:  # a system prompt outside the messages: Responses' instructions, Messages' system
        if body.get(name) and isinstance(body.get(name), str | list):
            rest = {k: v for k, v in body.items() if k != name}
            return PER_MESSAGE + count_text(model, _text(body[name])) + count_prompt(model, rest)
    if isinstance(body.get("messages"), list):
        return sum(PER_MESSAGE + count_text(model, _text(m)) for m in body["messages"]) + PER_REPLY
    value = body.get("prompt", body.get("input", ""))
    items = value if isinstance(value, list) else [value]
    return sum(_item_tokens(model, item) for item in items)


def prompt_chars(body: dict[str, Any]) -> int:
    """Characters of the prompt's text, without tokenizing it (cheap: decides whether counting may block)."""
    value = body.get("messages") if isinstance(body.get("messages"), list) else body.get("prompt", body.get("input"))
    items = value if isinstance(value, list) else [value]
    return sum(len(_text(item)) for item in items if not isinstance(item, int))


def _item_tokens(model: str, item: Any) -> int:
    """One prompt: a text, a token id, or a list of token ids."""
    if isinstance(item, int):
        return 1
    if isinstance(item, list) and all(isinstance(i, int) for i in item):
        return len(item)
    return count_text(model, _text(item))


def _text(value: Any) -> str:
    """The text of a message, a content part list, or a plain string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        parts = [_text(value.get("content") or "")]
        parts += [str(value[k]) for k in ("name", "tool_calls", "arguments", "output") if value.get(k)]
        return " ".join(p for p in parts if p)
    if isinstance(value, list):  # content parts or blocks: their text, a tool result's content, a tool call's input
        return " ".join(_part_text(v) if isinstance(v, dict) else _text(v) for v in value)
    return "" if value is None else str(value)


def _part_text(part: dict[str, Any]) -> str:
    if "text" in part:
        return _text(part["text"])
    pieces = [_text(part.get("content")), str(part["input"]) if part.get("input") else ""]
    return " ".join(p for p in pieces if p)


def completion_text(body: dict[str, Any]) -> str:
    """The generated text of a complete (non-streamed) response."""
    out = []
    for choice in body.get("choices") or []:
        message = choice.get("message") or {}
        out.append(choice.get("text") or _text(message))
    return "".join(out)
