"""The base of every config section: frozen, and an unknown field is an error (a typo must not pass).

Its own module so section modules (metering, privacy, routing) can share it without importing
``crossroads.config``, which imports them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
