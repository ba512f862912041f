"""The request pipeline: a ``Call`` travels through stages to the router and back.

    API route ─► Call ─► stage 1 (outermost) ─► … ─► stage N ─► Router ─► Backend
                         (auth, budgets, meter)     (privacy)    (route, fall back)

Each stage is a plain class with ``send(call, next)`` and ``stream(call, next)``: it may change
``call.body``, refuse the call (raise from ``crossroads.errors``), pass it on with ``await next(call)``,
and transform what comes back. Stages are testable without HTTP.
"""

from crossroads.pipeline.call import Call
from crossroads.pipeline.stage import Next, NextStream, PassThrough, Stage, compose, compose_stream

__all__ = ["Call", "Next", "NextStream", "PassThrough", "Stage", "compose", "compose_stream"]
