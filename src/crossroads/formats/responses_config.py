"""``responses:`` in crossroads.yaml — keeping Responses API answers for ``previous_response_id``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossroads.config_base import Strict


class ResponsesConfig(Strict):
    storage: Literal["off", "database"] = Field(
        "off",
        description="database: a request with store: true (the API's default) is kept for previous_response_id and "
        "GET /v1/responses/{id} — as the privacy guard let it out (placeholders, never the values); off: nothing is "
        "kept, responses say store: false and previous_response_id is refused",
    )
    database_url: str | None = Field(
        None, description="where they are kept; default: metering.database_url (the ledger's database)"
    )
    ttl_hours: float = Field(720, gt=0, description="kept responses are deleted after this long (OpenAI keeps 30 days)")
