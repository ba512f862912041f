"""Form posts of the dashboard: the urlencoded body read within a bound, the Origin checked (a post from
another site is refused before anything else), and the key fields turned into typed values."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request

from crossroads.api.body import read_body
from crossroads.errors import InvalidRequest, PermissionDenied
from crossroads.metering.keys import PERIODS

FORM_BYTES = 16384


async def read_form(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDenied("This form was posted from another site; open the dashboard itself and try again.")
    raw = await read_body(request, FORM_BYTES)
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=32)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The form could not be read; reload the page and try again.") from None
    return {name: values[-1] for name, values in fields.items()}


def amount(text: str, field: str = "budget") -> Decimal | None:
    """A budget in USD from a form field; empty means none."""
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise InvalidRequest(f"{field} must be a non-negative amount in USD, e.g. 50 (or empty for none).", param=field)
    return value


def count(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InvalidRequest(f"{field} must be a positive whole number (or empty for no limit).", param=field)
    return int(text)


def period(text: str) -> str:
    if text not in PERIODS:
        raise InvalidRequest(f"period must be one of {', '.join(PERIODS)}.", param="period")
    return text


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui"
