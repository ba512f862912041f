"""Prompts to send: a JSONL dataset file or synthetic prompts of a target length, pre-encoded as request bodies.

Dataset lines are JSON objects: ``{"messages": [{"role": "user", "content": "…"}], "max_tokens": 64}``
(``max_tokens`` optional). For the completions and embeddings endpoints a line may give ``prompt`` (a
string) instead; messages are then joined into one text. A bad line is refused with its number and field.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from crossroads.lab.bench.errors import BenchError

# Short common words: nearly every BPE vocabulary encodes " word" as one token, so N words ≈ N tokens.
_WORD_TEXT = (
    "time year people way day man thing woman life child world school state family student group country "
    "problem hand part place case week company system program question work government number night point "
    "home water room mother area money story fact month lot right study book eye job word business issue "
    "side kind head house service friend father power hour game line end member law car city name team"
)
_WORDS = _WORD_TEXT.split()
_ROLES = {"system", "user", "assistant", "developer", "tool"}


@dataclass(frozen=True, slots=True)
class Prompt:
    messages: list[dict[str, Any]]
    max_tokens: int | None = None

    def text(self) -> str:
        return "\n".join(str(m.get("content") or "") for m in self.messages)


@dataclass(frozen=True, slots=True)
class BodyOptions:
    model: str
    endpoint: str
    stream: bool
    max_tokens: int | None = None  # default when a prompt has none
    ignore_eos: bool = False
    extra: Mapping[str, Any] | None = None


def encode(prompt: Prompt, opts: BodyOptions) -> bytes:
    """The JSON request body for one prompt."""
    body: dict[str, Any] = {"model": opts.model}
    if opts.endpoint == "embeddings":
        body["input"] = prompt.text()
        return orjson.dumps(body | dict(opts.extra or {}))
    if opts.endpoint == "chat":
        body["messages"] = prompt.messages
    else:
        body["prompt"] = prompt.text()
    limit = prompt.max_tokens or opts.max_tokens
    if limit is not None:
        body["max_tokens"] = limit
    if opts.stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    if opts.ignore_eos:
        body |= {"ignore_eos": True, **({"min_tokens": limit} if limit else {})}
    return orjson.dumps(body | dict(opts.extra or {}))


def synthetic(count: int, input_tokens: int, output_tokens: int | None, seed: int = 0) -> list[Prompt]:
    """``count`` distinct prompts of about ``input_tokens`` tokens (distinct, so prefix caches cannot help)."""
    rng = random.Random(seed)
    prompts = []
    for _ in range(count):
        words = " ".join(rng.choice(_WORDS) for _ in range(max(input_tokens - 1, 1)))
        prompts.append(Prompt([{"role": "user", "content": words}], output_tokens))
    return prompts


def load_dataset(path: str | Path) -> list[Prompt]:
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"cannot read dataset {file}: {exc} — pass a UTF-8 JSONL file with --dataset") from None
    prompts = [_parse_line(file, number, line) for number, line in enumerate(lines, 1) if line.strip()]
    if not prompts:
        raise BenchError(f'dataset {file} has no prompts — add lines like {{"messages": [{{"role": "user", …}}]}}')
    return prompts


def _parse_line(file: Path, number: int, line: str) -> Prompt:
    where = f"{file}, line {number}"
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise BenchError(f"{where}: not valid JSON ({exc}) — each line must be one JSON object") from None
    if not isinstance(item, dict):
        raise BenchError(f"{where}: expected a JSON object with 'messages', got {type(item).__name__}")
    max_tokens = item.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise BenchError(f"{where}: field 'max_tokens' must be an integer >= 1, got {max_tokens!r}")
    if "messages" not in item and isinstance(item.get("prompt"), str):
        return Prompt([{"role": "user", "content": item["prompt"]}], max_tokens)
    return Prompt(_messages(where, item.get("messages")), max_tokens)


def _messages(where: str, messages: Any) -> list[dict[str, Any]]:
    example = '[{"role": "user", "content": "Hello"}]'
    if not isinstance(messages, list) or not messages:
        raise BenchError(f"{where}: field 'messages' must be a non-empty list like {example} (or give 'prompt')")
    for index, message in enumerate(messages):
        field = f"messages[{index}]"
        if not isinstance(message, dict):
            raise BenchError(f"{where}: field '{field}' must be an object like {example[1:-1]}")
        if message.get("role") not in _ROLES:
            roles = ", ".join(sorted(_ROLES))
            raise BenchError(f"{where}: field '{field}.role' must be one of {roles}, got {message.get('role')!r}")
        if not isinstance(message.get("content"), str | list):
            raise BenchError(f"{where}: field '{field}.content' must be a string or a list of parts")
    return messages
