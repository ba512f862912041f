"""Every part of a request body the guard reads, and the body rebuilt with those parts rewritten.

The guard reads the whole body: every string at any depth, values and object keys, on every endpoint —
known fields and unknown ones (forwarded, so read like the rest). Not read (they cannot carry what a person
wrote): the top-level ``model`` (replaced by the upstream's name anyway), the top-level numeric and boolean
sampling parameters (``temperature``, ``seed``, ``max_tokens`` …), object keys that are field names of the
wire formats (``messages``, ``content``, ``role`` …; any other key is read), and the values of fixed enums
(``role: user``, ``type: text``; any other value is read). Numbers elsewhere with six digits or more are read
as text (a phone number or an SSN sent as a JSON number). A string that holds a JSON object or array (tool-call
arguments, a document pasted as JSON) is parsed, read as JSON — its escapes decoded, keys and values — and
written back as JSON when something in it changed.

Leaves of three other kinds:

- ``tokens``: token ids (a completions ``prompt`` or an embeddings ``input`` given as integers) — decoded
  with the serving model's tokenizer where the gateway knows it, else unreadable;
- ``opaque``: base64 payloads the guard cannot read (images, audio, files in data URLs or ``input_audio`` /
  ``file_data``, Anthropic's base64 ``source.data``; a long base64 string that does not decode to text). The
  ``data`` of a plain-text source (``{"type": "text", "data": …}``, Anthropic's text documents) is text.
  A base64 data URL of text is decoded, read, and re-encoded;
- ``text``, ``key`` and ``number``: read as text.

``leaves(body)`` lists them in a fixed order; ``rebuild(body, replace)`` walks the same order and asks
``replace(index, leaf)`` for each one's new value (``None``: unchanged), copying only what changes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "key", "number", "tokens", "opaque"]
MIN_NUMBER_DIGITS = 6  # shorter numbers carry no identifier the detectors know
MIN_OPAQUE_BASE64 = 256  # a base64 string this long that is not text is a payload, not a word
TOP_LEVEL_SKIPPED = frozenset({
    "model", "temperature", "top_p", "n", "max_tokens", "max_completion_tokens", "max_output_tokens",
    "presence_penalty", "frequency_penalty", "seed", "logprobs", "top_logprobs", "best_of", "echo",
    "stream", "parallel_tool_calls", "store", "dimensions", "top_k", "min_p", "repetition_penalty",
})  # fmt: skip
# object keys that are wire-format field names (never scanned as keys; their values are)
FIELD_NAMES = frozenset({
    "messages", "role", "content", "name", "tool_calls", "tool_call_id", "function_call", "function", "functions",
    "arguments", "id", "type", "text", "image_url", "url", "detail", "input_audio", "data", "format", "file",
    "file_id", "file_data", "filename", "refusal", "audio", "tools", "tool_choice", "description", "parameters",
    "strict", "response_format", "json_schema", "schema", "prediction", "stop", "stream_options",
    "include_usage", "user", "metadata", "logit_bias", "modalities", "reasoning_effort", "service_tier",
    "web_search_options", "user_location", "approximate", "city", "country", "region", "timezone",
    "search_context_size", "prompt", "suffix", "input", "encoding_format", "custom", "grammar", "properties",
    "required", "items", "enum", "title", "default", "examples", "const", "additionalProperties", "anyOf",
    "oneOf", "allOf", "not", "$defs", "definitions", "$ref", "$schema", "$comment", "pattern", "minimum",
    "maximum", "minLength", "maxLength", "minItems", "maxItems", "nullable", "instructions", "previous_response_id",
    "max_output_tokens", "truncation", "include", "reasoning", "effort", "summary", "cache_control", "system",
    "source", "media_type", "tool_use_id", "is_error", "input_schema", "stop_sequences", "top_k", "thinking",
    "budget_tokens", "call_id", "output", "status", "verbosity",
})  # fmt: skip
# values of fixed enums: a value outside its key's set is read like any other string
# fmt: off
ENUMS: dict[str, frozenset[str]] = {
    "role": frozenset({"system", "developer", "user", "assistant", "tool", "function"}),
    "type": frozenset({
        "text", "image_url", "input_audio", "file", "function", "custom", "json_object", "json_schema", "object",
        "array", "string", "number", "integer", "boolean", "null", "content", "refusal", "approximate",
        "input_text", "input_image", "input_file", "output_text", "message", "function_call",
        "function_call_output", "image", "document", "tool_use", "tool_result", "base64", "ephemeral",
        "enabled", "disabled", "auto", "any", "none", "tool", "reasoning", "thinking", "url", "grammar",
    }),
    "tool_choice": frozenset({"none", "auto", "required"}),
    "detail": frozenset({"auto", "low", "high"}),
    "format": frozenset({"wav", "mp3", "flac", "opus", "pcm16", "aac", "text", "lark", "regex", "email", "date",
                         "date-time", "uri", "uuid", "ipv4", "ipv6", "hostname", "time"}),
    "encoding_format": frozenset({"float", "base64"}),
    "reasoning_effort": frozenset({"minimal", "low", "medium", "high"}),
    "service_tier": frozenset({"auto", "default", "flex", "priority", "scale"}),
    "search_context_size": frozenset({"low", "medium", "high"}),
    "media_type": frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}),
    "modalities": frozenset({"text", "audio"}),
    "truncation": frozenset({"auto", "disabled"}),
    "status": frozenset({"completed", "in_progress", "incomplete"}),
}
# fmt: on
OPAQUE_FIELDS = frozenset({"data", "file_data", "b64_json", "audio_data"})
_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,", re.I)
_BASE64 = re.compile(r"[A-Za-z0-9+/\s]+={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]+")


@dataclass(frozen=True, slots=True)
class Leaf:
    kind: Kind
    value: Any  # str for text, key, number (its digits) and opaque; list[int] for tokens
    prose: bool = False  # a message, prompt or input text: split values across neighbours are looked for


Replace = Callable[[int, Leaf], Any]  # (leaf index, leaf) -> its new value, or None for unchanged


def leaves(body: Any) -> list[Leaf]:
    found: list[Leaf] = []

    def collect(index: int, leaf: Leaf) -> None:
        found.append(leaf)

    _Walker(collect).body(body)
    return found


def rebuild(body: Any, replace: Replace) -> Any:
    """``body`` with each leaf's replacement; containers that hold no change are the client's own objects."""
    return _Walker(replace).body(body)


class _Walker:
    def __init__(self, visit: Callable[[int, Leaf], Any]) -> None:
        self.visit = visit
        self.count = 0

    def _leaf(self, leaf: Leaf) -> Any:
        new = self.visit(self.count, leaf)
        self.count += 1
        return new

    def body(self, body: Any) -> Any:
        return self._object(body, False, top=True) if isinstance(body, dict) else self.node(body, None, False)

    def node(self, node: Any, key: str | None, prose: bool) -> Any:
        if isinstance(node, str):
            return self._string(node, key, prose)
        if isinstance(node, dict):
            return self._object(node, prose)
        if isinstance(node, list):
            return self._list(node, key, prose)
        if isinstance(node, int) and not isinstance(node, bool) and abs(node) >= 10 ** (MIN_NUMBER_DIGITS - 1):
            new = self._leaf(Leaf("number", str(node)))
            return node if new is None else new
        return node

    def _top(self, key: str, value: Any) -> Any:
        """A top-level field: sampling parameters are not read, token ids and logit_bias have their own leaves."""
        if key in TOP_LEVEL_SKIPPED and (key == "model" or not isinstance(value, str | dict | list)):
            return value
        if key in ("prompt", "input") and _token_ids(value):
            return self._tokens(value)
        if key == "logit_bias" and isinstance(value, dict):
            return self._logit_bias(value)
        return self.node(value, key, key in ("messages", "prompt", "input"))

    def _object(self, node: dict[str, Any], prose: bool, top: bool = False) -> dict[str, Any]:
        out: dict[str, Any] | None = None
        for key, value in node.items():
            new_key = key
            if key not in FIELD_NAMES and not (top and key in TOP_LEVEL_SKIPPED):
                replaced = self._leaf(Leaf("key", key))
                new_key = key if replaced is None else replaced
            read_as = "text" if key == "data" and node.get("type") == "text" else key  # a plain-text source
            new = self._top(key, value) if top else self.node(value, read_as, prose or key == "content")
            if new is not value or new_key is not key:
                if out is None:
                    out = {}
                    for k, v in node.items():
                        if k == key:
                            break
                        out[k] = v
                out[new_key] = new
            elif out is not None:
                out[key] = value
        return node if out is None else out

    def _list(self, node: list[Any], key: str | None, prose: bool) -> list[Any]:
        out: list[Any] | None = None
        for i, item in enumerate(node):
            new = self.node(item, key, prose)
            if new is not item:
                out = out if out is not None else list(node)
                out[i] = new
        if out is not None and key == "enum":  # a schema's enum items stay unique (two redacted alike: one kept)
            out = _unique(out)
        return node if out is None else out

    def _string(self, text: str, key: str | None, prose: bool) -> str:
        if key is not None and text in ENUMS.get(key, ()):
            return text
        if text[:5].lower() == "data:":
            return self._data_url(text, key, prose)
        if key in OPAQUE_FIELDS or _opaque_base64(text):
            new = self._leaf(Leaf("opaque", text))
            return text if new is None else str(new)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "[") and (parsed := _json(stripped)) is not None:
            new_doc = self.node(parsed, None, prose)
            return text if new_doc is parsed else json.dumps(new_doc, ensure_ascii=False)
        new = self._leaf(Leaf("text", text, prose))
        return text if new is None else str(new)

    def _data_url(self, url: str, key: str | None, prose: bool) -> str:
        head = _DATA_URL.match(url)
        decoded = _text_of_base64(url[head.end() :]) if head is not None and _is_text_mime(head["mime"]) else None
        if head is None or decoded is None:
            if head is None and "," in url:  # a plain (percent-encoded) data URL is text
                new = self._leaf(Leaf("text", url, prose))
                return url if new is None else str(new)
            new = self._leaf(Leaf("opaque", url))
            return url if new is None else str(new)
        new = self._string(decoded, None, prose)
        return url if new is decoded else head[0] + base64.b64encode(new.encode()).decode()

    def _tokens(self, value: list[Any]) -> list[Any]:
        if value and isinstance(value[0], list):
            out = [self._tokens(ids) for ids in value]
            return value if all(n is o for n, o in zip(out, value, strict=True)) else out
        new = self._leaf(Leaf("tokens", value, prose=True))
        return value if new is None else list(new)

    def _logit_bias(self, bias: dict[str, Any]) -> dict[str, Any]:
        """Keys are token ids: read as ids (a key that is not one is read as text)."""
        ids = [int(k) for k in bias if k.strip().isdigit()]
        new = self._leaf(Leaf("tokens", ids)) if ids else None
        keys = {k: self._leaf(Leaf("key", k)) for k in bias if not k.strip().isdigit()}
        if new is None and all(v is None for v in keys.values()):
            return bias
        kept = {str(i) for i in new} if new is not None else None
        return {(keys.get(k) or k): v for k, v in bias.items() if kept is None or not k.strip().isdigit() or k in kept}


def _unique(items: list[Any]) -> list[Any]:
    unique: list[Any] = []
    for item in items:  # items may be unhashable (objects in an enum)
        if item not in unique:
            unique.append(item)
    return unique


def _token_ids(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    if isinstance(first, list):
        return all(isinstance(v, list) and all(_is_id(i) for i in v) for v in value)
    return all(_is_id(i) for i in value)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def _is_text_mime(mime: str | None) -> bool:
    return mime is not None and (mime.lower().startswith("text/") or mime.lower().endswith(("json", "xml")))


def _text_of_base64(payload: str) -> str | None:
    try:
        raw = base64.b64decode("".join(payload.split()), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _opaque_base64(text: str) -> bool:
    """A long run of base64 (not hex) that is not text: a payload the detectors cannot read."""
    if len(text) < MIN_OPAQUE_BASE64 or _BASE64.fullmatch(text) is None or _HEX.fullmatch(text) is not None:
        return False
    if " " in text.strip():  # words, not base64
        return False
    return _text_of_base64(text) is None
