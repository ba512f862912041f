"""Errors in Anthropic's shape: ``{"type": "error", "error": {"type": …, "message": …}}``.

The gateway's one error tree (``crossroads.errors``) is rendered here for the Messages routes; the status
says the type, as Anthropic's API does (503, a backend not ready or the guard busy, is Anthropic's 529).
"""

from __future__ import annotations

from typing import Any

from crossroads.errors import CrossroadsError

# HTTP status → (Anthropic error type, status sent)
BY_STATUS: dict[int, tuple[str, int]] = {
    400: ("invalid_request_error", 400),
    401: ("authentication_error", 401),
    402: ("billing_error", 402),
    403: ("permission_error", 403),
    404: ("not_found_error", 404),
    408: ("timeout_error", 408),
    413: ("request_too_large", 413),
    429: ("rate_limit_error", 429),
    500: ("api_error", 500),
    502: ("api_error", 502),
    503: ("overloaded_error", 529),
    504: ("timeout_error", 504),
    529: ("overloaded_error", 529),
}


def error_type(status: int) -> tuple[str, int]:
    """(type, status) for a gateway status; other 4xx are invalid requests, other 5xx API errors."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    return ("invalid_request_error", status) if status < 500 else ("api_error", status)


def error_body(exc: CrossroadsError) -> tuple[dict[str, Any], int]:
    kind, status = error_type(exc.status)
    return {"type": "error", "error": {"type": kind, "message": exc.message}}, status
