"""The routing stage (innermost, just outside the router): applies ``routing.rules``.

Rules run here, after the metering and privacy stages, so they see the key and the privacy class.
The first matching rule replaces ``call.model`` with its ``use`` model (the router serves that) and
keeps the client's choice in ``call.facts.requested_model``. The router's own background work
(health checks, shadow drain) is the router's: ``Router.start`` / ``Router.aclose``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from crossroads.backends.base import Body
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.routing.rules import Rule, first_match


class RoutingStage(PassThrough):
    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules

    def _apply_rules(self, call: Call) -> None:
        rule = first_match(self.rules, call)
        if rule is not None:
            call.facts.route_rule, call.facts.requested_model = f"{rule.label} -> {rule.use}", call.model
            call.model = rule.use

    async def send(self, call: Call, next: Next) -> Body:
        self._apply_rules(call)
        return await next(call)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        self._apply_rules(call)
        return await next(call)
