"""The bench result file: a versioned JSON schema that other lab code (TCO, report) reads.

    result = BenchResult.read("bench.json")     # validates; refuses an unknown major schema version
    for level in result.levels: level.output_tokens_per_s, level.cost_per_million_output_tokens, …

Schema ``crossroads.bench/1`` (``schema_version`` = 1). Stability rules: fields are only ever added
(with defaults), never renamed or removed, within a major version; a reader accepts files of its own
major version and ignores unknown fields. Times are milliseconds, rates are per second, money is the
currency of ``--cost-per-hour`` (a string holding a decimal, never a float).

    BenchResult
      schema, schema_version          "crossroads.bench", 1
      environment  Environment        tool version, python, platform, hardware description, date (UTC, ISO 8601)
      target       Target             url, model, endpoint, stream, backend location ("local" | "hosted" | null)
      load         LoadSettings       pattern (concurrency | constant | poisson), levels, requests/duration per
                                      level, warmup, prompts source, token targets, SLO, timeout, $/hour
      levels       [LevelResult]      one per load level, in the order run
      warnings     [str]              run-wide notes (e.g. token count mismatch, bandwidth sanity)

    LevelResult
      level                           concurrency (closed loop) or requests/s (open loop)
      requests, succeeded, failed     counted after warm-up
      errors       {type: count}      "http_429", "http_500", "timeout", "connection", "stream_error", "malformed"
      duration_s                      first send to last completion
      request_rate, output_tokens_per_s, total_tokens_per_s        per second over duration_s
      ttft_ms, itl_ms, tpot_ms, e2e_ms  Stats (count, mean, p50, p90, p95, p99, min, max); TTFT/ITL/TPOT
                                      only for streams that produced tokens
      goodput                         share of all requests (failures count as misses) meeting the SLO
      goodput_rate                    requests/s that met the SLO
      prompt_tokens, output_tokens    totals from the server's usage
      client_output_tokens            totals counted by the client (content chunks), None when not countable
      token_mismatches                requests whose server count differs from the client count
      usage_missing                   succeeded requests without server usage (client count used instead)
      cost_per_million_output_tokens  Decimal as string, None without --cost-per-hour
      decode_limit_exceeded           per-stream decode rate above the memory-bandwidth limit (None: not checked)
"""

from __future__ import annotations

import datetime
import os
import platform
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from crossroads import __version__

SCHEMA = "crossroads.bench"
SCHEMA_VERSION = 1

Pattern = Literal["concurrency", "constant", "poisson"]
EndpointName = Literal["chat", "completions", "embeddings"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Stats(_Model):
    """Summary of one latency (milliseconds). ``count`` 0 means no samples (the other fields are None)."""

    count: int = 0
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None


class Environment(_Model):
    tool: str = "crossroads"
    tool_version: str = __version__
    python: str = Field(default_factory=platform.python_version)
    platform: str = Field(default_factory=platform.platform)
    cpu: str = ""
    cpu_count: int | None = Field(default_factory=os.cpu_count)
    memory_gib: float | None = None
    hardware: str = Field("", description="user's description of the deployment, e.g. '1x L4 24 GB'")
    date: str = Field(default_factory=lambda: datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))


class Target(_Model):
    url: str
    model: str
    endpoint: EndpointName = "chat"
    stream: bool = True
    location: Literal["local", "hosted"] | None = None
    via: str = Field("url", description="'url', 'config' (a model of crossroads.yaml) or 'gateway'")


class SLO(_Model):
    ttft_ms: float | None = 500.0
    tpot_ms: float | None = 50.0
    e2e_ms: float | None = None


class LoadSettings(_Model):
    pattern: Pattern = "concurrency"
    levels: list[float]
    requests_per_level: int | None = None
    duration_per_level_s: float | None = None
    warmup_requests: int = 0
    prompts: str = "synthetic"
    input_tokens: int | None = None
    output_tokens: int | None = None
    ignore_eos: bool = False
    slo: SLO = SLO()
    timeout_s: float = 120.0
    cost_per_hour: Decimal | None = None
    seed: int = 0

    @field_serializer("cost_per_hour")
    def _money(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class LevelResult(_Model):
    level: float
    requests: int
    succeeded: int
    failed: int
    errors: dict[str, int] = Field(default_factory=dict)
    duration_s: float
    request_rate: float
    output_tokens_per_s: float
    total_tokens_per_s: float
    ttft_ms: Stats = Stats()
    itl_ms: Stats = Stats()
    tpot_ms: Stats = Stats()
    e2e_ms: Stats = Stats()
    goodput: float
    goodput_rate: float
    prompt_tokens: int = 0
    output_tokens: int = 0
    client_output_tokens: int | None = None
    token_mismatches: int = 0
    usage_missing: int = 0
    cost_per_million_output_tokens: Decimal | None = None
    decode_limit_exceeded: bool | None = None

    @field_serializer("cost_per_million_output_tokens")
    def _money(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class BenchResult(_Model):
    schema_: Literal["crossroads.bench"] = Field("crossroads.bench", alias="schema")
    schema_version: int = SCHEMA_VERSION
    environment: Environment = Field(default_factory=Environment)
    target: Target
    load: LoadSettings
    levels: list[LevelResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @field_validator("schema_version")
    @classmethod
    def _known_major(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is not supported (this crossroads reads {SCHEMA_VERSION})")
        return value

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)

    def write(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> BenchResult:
        """Read and validate a result file (raises ``pydantic.ValidationError`` or ``OSError``)."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def json_schema() -> dict[str, object]:
    """The JSON Schema of a result file (for ``jsonschema`` validation by other tools)."""
    return BenchResult.model_json_schema(by_alias=True, mode="serialization")
