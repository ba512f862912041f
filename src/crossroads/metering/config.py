"""The ``metering:`` section of crossroads.yaml (frozen; absent means metering is off)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from crossroads.config_base import Strict

DEFAULT_DATABASE = "sqlite:///crossroads.db"


class LedgerConfig(Strict):
    batch_size: int = Field(500, ge=1, description="rows written per transaction at most")
    flush_ms: float = Field(50.0, ge=0, description="wait this long for more rows before a write")
    queue_size: int = Field(10_000, ge=1, description="rows waiting to be written; a full queue slows requests")


class ContentLogging(Strict):
    """Opt-in: prompt and completion text kept in the ledger, encrypted (Fernet) with a key from the environment."""

    enabled: bool = False
    key_env: str = Field("CROSSROADS_CONTENT_KEY", description="variable holding a Fernet key")


class SelfHostedPrice(Strict):
    """What one self-hosted model costs: the machine's $/hour over its measured throughput."""

    gpu_hourly: Decimal | None = Field(None, ge=0, description="USD per hour of the machine serving it")
    gpu: str | None = Field(None, description="a GPU instance from `crossroads prices --gpus`, instead of gpu_hourly")
    tokens_per_second: Decimal = Field(gt=0, description="generated tokens/s of the machine, all requests together")
    prompt_tokens_per_second: Decimal | None = Field(None, gt=0, description="prefill tokens/s (default: as above)")
    utilization: Decimal = Field(Decimal(1), gt=0, le=1, description="share of the hours the machine is busy")

    @model_validator(mode="after")
    def _one_hourly(self) -> SelfHostedPrice:
        if (self.gpu_hourly is None) == (self.gpu is None):
            raise ValueError("give exactly one of gpu_hourly (USD/hour) or gpu (an instance name)")
        return self


class MeteringConfig(Strict):
    enabled: bool = Field(False, description="ledger, keys, budgets, limits, audit chain and /metrics")
    database_url: str = Field(DEFAULT_DATABASE, description="sqlite:///path or postgresql://user@host/db")
    database_url_env: str | None = Field(None, description="variable holding the URL (use it when it has a password)")
    migrate_on_start: bool = Field(True, description="serve applies migrations before taking traffic")
    redis_url: str | None = Field(None, description="redis://host:6379/0 — share rate limits across replicas")
    redis_prefix: str = "crossroads"
    master_key_env: str = Field("CROSSROADS_MASTER_KEY", description="variable holding the admin master key")
    key_refresh_seconds: float = Field(
        5.0, gt=0, description="how often keys are re-read (PostgreSQL also tells every gateway of a change at once)"
    )
    key_reread_failures: int = Field(
        3, ge=1, description="failed key re-reads in a row after which every request is refused (503) until one works"
    )
    unauthenticated_per_minute: int = Field(
        30, ge=1, description="requests without a valid key one client address may make per minute (then 429)"
    )
    completion_estimate: int = Field(
        1024, ge=1, description="completion tokens assumed for a request without max_tokens (budgets, tpm)"
    )
    reservation_ttl_seconds: float = Field(
        3600,
        gt=0,
        description="a budget reservation not settled this long after it was made is released (its "
        "process died mid-request); longer than any request may take",
    )
    unpriced: Literal["refuse", "allow"] = Field(
        "refuse",
        description="a key with a budget may use a model without a price: refuse (403, the default) or allow "
        "(free, warned at start)",
    )
    ledger: LedgerConfig = LedgerConfig()
    content_logging: ContentLogging = ContentLogging()
    self_hosted: dict[str, SelfHostedPrice] = Field(default_factory=dict, description="prices of local models")

    @field_validator("database_url")
    @classmethod
    def _no_password(cls, url: str) -> str:
        from sqlalchemy.engine import make_url  # here: importing settings must not import SQLAlchemy
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ValueError(f"'{url}' is not a database URL — e.g. sqlite:///crossroads.db") from None
        if parsed.password:
            raise ValueError("secrets are not read from the file — put the URL in a variable named by database_url_env")
        return url
