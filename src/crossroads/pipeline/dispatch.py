"""The innermost step: serve the call from its model's group of deployments (``crossroads.routing``) —
never from a hosted deployment for a call that must stay local (fail closed).

``Dispatcher`` keeps the interface every stage composes around: ``send(call)`` and ``stream(call)``
(the stream's first chunk already received, so failures before it raise with a status code).
"""

from __future__ import annotations

from crossroads.routing.router import Router


class Dispatcher(Router):
    """A public model → its group: strategy, fallbacks, retries, breakers, cascade, shadow."""


__all__ = ["Dispatcher"]
