"""What the fake model "says": deterministic answers, token counts and embedding vectors.

Token counting rule (documented, not tiktoken): one token per whitespace-separated word.
  - prompt tokens: the words of every message's text (string content or ``text`` parts), or of a
    completions prompt; a token-id array counts one token per id.
  - completion tokens: the words of the answer (summed over ``n`` choices); for a tool call, the
    whitespace-separated pieces of its JSON arguments.
An answer streams as one chunk per token; each token keeps its leading whitespace, so the chunks
concatenate to exactly the non-streamed content.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import uuid
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crossroads.testing.fake_upstream.faults import Fault

_TOKEN = re.compile(r"\s*\S+")
ANSWER_PREFIX = "This is a fake answer to: "


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One choice: its tokens (pieces that concatenate to the text) and why it stopped."""

    tokens: list[str]
    finish_reason: str
    tool_call: ToolCall | None = None

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_words(text: str) -> int:
    return len(text.split())


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or the ``text`` of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def chat_prompt_tokens(messages: list[Any]) -> int:
    return sum(count_words(text_of(m.get("content"))) for m in messages if isinstance(m, Mapping))


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def truncate(text: str, stop: Any, limit: int | None) -> Answer:
    """Cut ``text`` at the first stop string (finish "stop"), then at ``limit`` tokens (finish "length")."""
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str) and s]
    cuts = [i for i in (text.find(s) for s in stops) if i >= 0]
    tokens = tokenize(text[: min(cuts)] if cuts else text)
    if limit is not None and len(tokens) > limit:
        return Answer(tokens[:limit], "length")
    return Answer(tokens, "stop")


def forced_text(fault: Fault | None) -> str | None:
    """The answer a fault imposes (``content`` or ``tokens``), if any."""
    if fault is None:
        return None
    if fault.content is not None:
        return fault.content
    if fault.tokens is not None:
        return " ".join(f"tok{i}" for i in range(fault.tokens))
    return None


def chat_text(body: Mapping[str, Any]) -> str:
    """The default chat answer, shaped by ``response_format``."""
    answer = ANSWER_PREFIX + last_user_text(body["messages"])
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "json_object":
        return json.dumps({"answer": answer})
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}  # type: ignore[union-attr]
        return json.dumps(fill_schema(schema))
    return answer


def fill_schema(schema: Any) -> Any:
    """A deterministic value satisfying the basic shape of a JSON schema (required properties only)."""
    if not isinstance(schema, Mapping):
        return {}
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: fill_schema(props.get(name)) for name in schema.get("required") or []}
    return _SCALARS.get(kind, "fake")


_SCALARS: dict[str, Any] = {"string": "fake", "integer": 1, "number": 1.5, "boolean": True, "array": [], "null": None}


def chosen_tool(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The function a tool-calling request should call: the named one, else the first; None for "none"."""
    choice = body.get("tool_choice")
    functions = [t["function"] for t in body.get("tools") or [] if isinstance(t, Mapping) and "function" in t]
    if choice == "none" or not functions:
        return None
    if isinstance(choice, Mapping):
        wanted = (choice.get("function") or {}).get("name")
        return next((f for f in functions if f.get("name") == wanted), functions[0])
    return functions[0]


def tool_call_answer(function: Mapping[str, Any]) -> Answer:
    arguments = json.dumps(fill_schema(function.get("parameters") or {}))
    call = ToolCall("call_" + uuid.uuid4().hex[:24], str(function.get("name", "")), arguments)
    return Answer(tokenize(arguments), "tool_calls", call)


def prompt_size(prompt: Any) -> int:
    """Tokens of a completions prompt or embeddings input item: words of a string, or ids of a token array."""
    return count_words(prompt) if isinstance(prompt, str) else len(prompt)


def embedding(item: str | list[int], dim: int) -> array[float]:
    """A deterministic unit vector (float32) from a hash of the input."""
    raw = item.encode() if isinstance(item, str) else array("q", item).tobytes()
    ints = array("h", hashlib.shake_256(raw).digest(2 * dim))
    norm = math.sqrt(sum(v * v for v in ints)) or 1.0
    return array("f", [v / norm for v in ints])


def float32_le(vector: array[float]) -> bytes:
    """The vector as little-endian float32 bytes, as OpenAI's ``encoding_format: base64`` carries it."""
    if sys.byteorder == "little":
        return vector.tobytes()
    swapped = array("f", vector)
    swapped.byteswap()
    return swapped.tobytes()
