"""One request on its way through the gateway, and the facts it gathers for the ledger."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    facts             what happened, for the ledger: backend, upstream_model, route_reason, privacy, usage …
    outbound          the body one attempt sends to its target (set by the privacy guard, which decides its policy
                      for each target and may refuse one); without it, ``body`` with the upstream's model name
    """

    endpoint: Endpoint
    body: Body
    model: str
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    key: Any = None
    client: str | None = None
    local_only: bool = False
    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    response_headers: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    outbound: Outbound | None = None

    async def body_for(self, target: Target) -> Body:
        """What is sent to ``target``: the guard's body for it, the model replaced by the upstream's name."""
        body = self.body if self.outbound is None else await self.outbound(target)
        return {**body, "model": target.upstream}
