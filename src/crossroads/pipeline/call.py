"""One request on its way through the gateway, and the facts it gathers for the ledger."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body, Endpoint


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex


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
                      every later stage and the dispatcher must obey it — fail closed
    response_headers  headers to add to the client's response (``x-crossroads-*``)
    facts             what happened, for the ledger: backend, upstream_model, route_reason, privacy, usage …
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
