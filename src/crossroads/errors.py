"""The one exception tree of crossroads, mapped once to OpenAI-style error JSON.

    class                            status type/code                          raised for
    CrossroadsError                  500 api_error                             never for a user's mistake
    ├── ConfigError                  500 api_error                             an invalid crossroads.yaml (not HTTP)
    ├── InvalidRequest               400 invalid_request_error                 bad JSON, a missing or ill-typed field
    │   ├── PayloadTooLarge          413 invalid_request_error/request_too_large
    │   ├── RequestTimeout           408 invalid_request_error/request_timeout the body did not arrive in time
    │   └── Unsupported              400 invalid_request_error/unsupported_parameter  a feature a backend lacks
    ├── ClientClosed                 499 client_closed/client_closed           the client went away (logged only)
    ├── AuthenticationFailed         401 authentication_error/invalid_api_key
    ├── PermissionDenied             403 permission_error
    │   └── PrivacyRefused           403 permission_error                      code privacy_*: policy forbids a target
    ├── NotFound                     404 invalid_request_error
    │   └── ModelNotFound            404 invalid_request_error/model_not_found
    ├── RateLimited                  429 rate_limit_error/rate_limit_exceeded
    │   └── QuotaExceeded            429 insufficient_quota/insufficient_quota a key's budget is spent
    ├── ServiceUnavailable           503 service_unavailable/backend_unavailable  a backend not loaded or reachable
    └── UpstreamError                500 upstream_error                        the backend failed
        ├── UpstreamStatusError      4xx (the upstream's type and code)        an upstream 4xx, passed through
        ├── BadGateway               502 upstream_error/bad_gateway            upstream 5xx, refused, malformed answer
        └── GatewayTimeout           504 timeout_error/upstream_timeout

Commands add leaves of their own: ``ConfigError`` ← ``CatalogError``, ``EvalError`` (← ``SuiteError``),
``ReportError``, ``TcoError``; ``CrossroadsError`` ← ``BenchError``. Every error knows its HTTP status and renders
itself as ``{"error": {"message", "type", "param", "code"}}``. Exceptions that never leave their module (a regex
the gate cannot translate, a scan that failed) are signals, not part of this tree.
"""

from __future__ import annotations

from typing import Any


class CrossroadsError(Exception):
    status: int = 500
    type: str = "api_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class ConfigError(CrossroadsError):
    """An invalid configuration; ``problems`` lists each one as 'field.path: what to do'."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class InvalidRequest(CrossroadsError):
    status = 400
    type = "invalid_request_error"


class PayloadTooLarge(InvalidRequest):
    status = 413
    code = "request_too_large"


class RequestTimeout(InvalidRequest):
    status = 408
    code = "request_timeout"


class ClientClosed(CrossroadsError):
    """The client closed the connection before the exchange ended (nginx's 499; never seen by the client)."""

    status = 499
    type = "client_closed"
    code = "client_closed"


class AuthenticationFailed(CrossroadsError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(CrossroadsError):
    status = 403
    type = "permission_error"


class PrivacyRefused(PermissionDenied):
    pass


class NotFound(CrossroadsError):
    status = 404
    type = "invalid_request_error"


class ModelNotFound(NotFound):
    code = "model_not_found"


class Unsupported(InvalidRequest):
    code = "unsupported_parameter"


class RateLimited(CrossroadsError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class QuotaExceeded(RateLimited):
    """A key's budget for the period is spent (OpenAI's own shape for an exhausted quota)."""

    type = "insufficient_quota"
    code = "insufficient_quota"


class ServiceUnavailable(CrossroadsError):
    status = 503
    type = "service_unavailable"
    code = "backend_unavailable"


class UpstreamError(CrossroadsError):
    type = "upstream_error"


class UpstreamStatusError(UpstreamError):
    """An upstream 4xx: passed through with its status, message, type, param and code."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code, status=status, headers=headers)
        self.type = type or "invalid_request_error"


class BadGateway(UpstreamError):
    status = 502
    code = "bad_gateway"


class GatewayTimeout(UpstreamError):
    status = 504
    type = "timeout_error"
    code = "upstream_timeout"
