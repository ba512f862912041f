"""Faults the fake upstream can inject, and OpenAI-style error bodies.

A fault is a plain value (``Fault``), parsed from a JSON object such as
``{"status": 429, "retry_after": 2}`` or ``{"ttft_ms": 200, "token_delay_ms": 20, "disconnect_after": 5}``.
Every field is optional; unknown fields and ill-typed values are rejected with a message naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


class FaultSpecError(ValueError):
    """A fault specification that cannot be used; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Fault:
    """What to do to one request. Times are milliseconds; ``retry_after`` is seconds.

    status            answer with this HTTP status and an OpenAI error body (``Retry-After`` when ``retry_after``)
    message           the error message for ``status`` (a per-status default otherwise)
    latency_ms        wait before the response starts (errors included)
    ttft_ms           streams: wait before the first chunk; non-streams: added before responding
    token_delay_ms    streams: gap between content chunks; non-streams: tokens × delay added
    disconnect_after  streams: drop the connection after N events (N past the end: before [DONE]);
                      non-streams: drop it without a response
    malformed_after   streams: after N events send a line that is not JSON, then end the body;
                      non-streams: a 200 whose JSON body is cut after N bytes
    tokens            answer with exactly N tokens: "tok0 tok1 …"
    content           answer with exactly this text
    cached_tokens     chat usage: report this many prompt tokens as read from the prompt cache
    reasoning_tokens  chat usage: this many hidden reasoning tokens, billed within completion_tokens
    spec_departures   chat: answer as llama.cpp's server does — no ``refusal``, no ``usage``, and
                      ``stream_options.include_usage`` ignored (no usage chunk)
    """

    status: int | None = None
    message: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float = 0.0
    token_delay_ms: float = 0.0
    disconnect_after: int | None = None
    malformed_after: int | None = None
    tokens: int | None = None
    content: str | None = None
    retry_after: float | None = None
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    spec_departures: bool = False

    @classmethod
    def from_dict(cls, spec: Any) -> Fault:
        """Parse a JSON object; raise ``FaultSpecError`` naming the first bad field."""
        if not isinstance(spec, Mapping):
            raise FaultSpecError("", f"a fault must be a JSON object, got {type(spec).__name__}")
        for name, value in spec.items():
            _check_field(name, value)
        return cls(**{name: value for name, value in spec.items() if value is not None})

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from the defaults, ready for JSON."""
        defaults = Fault()
        return {k: v for k, v in asdict(self).items() if v != getattr(defaults, k)}

    @property
    def delays(self) -> bool:
        return bool(self.ttft_ms or self.token_delay_ms)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_status(value: Any) -> bool:
    return _is_count(value) and 400 <= value <= 599


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "status": (_is_status, "an integer HTTP status from 400 to 599"),
    "message": (_is_text, "a string"),
    "latency_ms": (_is_number, "a number >= 0"),
    "ttft_ms": (_is_number, "a number >= 0"),
    "token_delay_ms": (_is_number, "a number >= 0"),
    "disconnect_after": (_is_count, "an integer >= 0"),
    "malformed_after": (_is_count, "an integer >= 0"),
    "tokens": (_is_count, "an integer >= 0"),
    "content": (_is_text, "a string"),
    "retry_after": (_is_number, "a number of seconds >= 0"),
    "cached_tokens": (_is_count, "an integer >= 0"),
    "reasoning_tokens": (_is_count, "an integer >= 0"),
    "spec_departures": (lambda v: isinstance(v, bool), "true or false"),
}
assert set(_RULES) == {f.name for f in fields(Fault)}


def _check_field(name: str, value: Any) -> None:
    rule = _RULES.get(name)
    if rule is None:
        known = ", ".join(_RULES)
        raise FaultSpecError(name, f"unknown fault field '{name}' (known fields: {known})")
    check, expected = rule
    if value is not None and not check(value):
        raise FaultSpecError(name, f"fault field '{name}' must be {expected}, got {value!r}")


def parse_fault_list(spec: Any) -> list[Fault]:
    """A JSON list of faults (or one fault object); errors name the index and field."""
    items = spec if isinstance(spec, list) else [spec]
    faults = []
    for index, item in enumerate(items):
        try:
            faults.append(Fault.from_dict(item))
        except FaultSpecError as exc:
            raise FaultSpecError(f"[{index}].{exc.field}", f"fault [{index}]: {exc}") from exc
    return faults


# status -> (default message, type, code), as the OpenAI API answers them
_STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request (injected by the fake upstream).", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model.", "invalid_request_error", None),
    404: ("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
    408: ("Request timed out.", "invalid_request_error", None),
    409: ("Conflict (injected by the fake upstream).", "invalid_request_error", None),
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


def error_body(message: str, type: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def fault_error(fault: Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, OpenAI error body and headers for a fault that carries a ``status``."""
    status = fault.status or 500
    default = _STATUS_ERRORS.get(status)
    if default is None:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        default = (f"Error {status} (injected by the fake upstream).", kind, None)
    message, kind, code = default
    headers = {} if fault.retry_after is None else {"retry-after": _seconds(fault.retry_after)}
    return status, error_body(fault.message or message, kind, None, code), headers


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
