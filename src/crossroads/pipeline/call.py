"""One request on its way through the gateway, and the facts it gathers for the ledger.

Every value that one layer writes and another reads is a typed field here: ``Call`` (the request),
``Facts`` (what happened: written by the guard and the router, read by rules, shadow and the ledger),
``PrivacyFacts`` (the guard's verdict, counts only), ``AttemptRecord`` (one try on one deployment) and
``Caller`` (the authenticated key, as the later stages see it).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NotRequired, Protocol, TypedDict

from crossroads.backends.base import Body, Endpoint, Location


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt goes — what the privacy policy is decided for, attempt by attempt."""

    location: Location
    backend: str
    model: str  # the public model this deployment serves in the call (a fallback's own name)
    upstream: str


Outbound = Callable[[Target], Awaitable[Body]]


class Caller(Protocol):
    """The authenticated API key as the stages after metering see it (``crossroads.metering.keys.KeyRecord``)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def models(self) -> frozenset[str] | None: ...


class AttemptRecord(TypedDict):
    """One try on one deployment (``Facts.attempts``); also a shadow record's ``primary`` and ``shadow``."""

    backend: str
    upstream_model: str
    status: int | None
    error_type: str | None
    latency_s: float | None
    usage: dict[str, Any] | None
    cost: Decimal | None
    used: bool  # this attempt's answer went to the client
    retry_after: NotRequired[float]  # seconds the upstream asked to wait (429/503)
    rejected: NotRequired[str]  # why a cascade validator turned the answer down
    purpose: NotRequired[str]  # "judge": a call made to judge another attempt's answer


@dataclass(frozen=True, slots=True)
class PrivacyFacts:
    """What the privacy guard found and did: the strongest action, counts per entity type (never values)."""

    action: str
    entities: dict[str, int]
    local_only: bool


@dataclass(slots=True)
class Facts:
    """What happened to one call, for the ledger, the rules and shadow traffic."""

    backend: str | None = None  # the backend that served it (the router)
    upstream_model: str | None = None
    location: Location | None = None
    route_reason: str | None = None  # the full reason; the client's header may be briefer
    route_rule: str | None = None  # the routing rule that picked the model (``rule name -> model``)
    requested_model: str | None = None  # the client's model, when a rule replaced it
    format: str | None = None  # the client's wire format when it is not Chat Completions (``anthropic_messages``)
    privacy: PrivacyFacts | None = None  # the guard's verdict (None without a guard)
    attempts: list[AttemptRecord] = field(default_factory=list)
    upstream_answer: str | None = None  # the answer's text before the guard put values back (content logging)


@dataclass(slots=True)
class Call:
    """A request as the pipeline sees it.

    endpoint          which OpenAI endpoint
    body              the body to send on (stages may replace it; unknown fields are kept)
    model             the public model name the client asked for (resolved from an alias)
    headers           the client's request headers, lower-case names
    stream            the client asked for server-sent events
    key               the authenticated API key, when keys are in use (set by the metering stage)
    client            the client's address (limits requests without a valid key)
    local_only        only self-hosted (``location: local``) backends may serve this call (privacy guard);
                      every later stage and the router must obey it — fail closed
    response_headers  headers to add to the client's response (``x-crossroads-*``)
    facts             what happened, for the ledger: backend, upstream_model, route_reason, privacy, attempts
    outbound          the body one attempt sends to its target (set by the privacy guard, which decides its policy
                      for each target and may refuse one); without it, ``body`` with the upstream's model name
    """

    endpoint: Endpoint
    body: Body
    model: str
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    key: Caller | None = None
    client: str | None = None
    local_only: bool = False
    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    response_headers: dict[str, str] = field(default_factory=dict)
    facts: Facts = field(default_factory=Facts)
    outbound: Outbound | None = None

    async def body_for(self, target: Target) -> Body:
        """What is sent to ``target``: the guard's body for it, the model replaced by the upstream's name."""
        body = self.body if self.outbound is None else await self.outbound(target)
        return {**body, "model": target.upstream}
