"""Cascade: accept a cheaper deployment's answer when every validator passes, else escalate to the
next candidate. The last candidate's answer is taken as it is. A stream is read whole before it is
judged (nothing reaches the client until an answer is accepted), then replayed.

When no later candidate answers, the last rejected answer is used rather than an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

from crossroads.backends.base import Body, Endpoint
from crossroads.errors import CrossroadsError
from crossroads.pipeline.call import AttemptRecord, Call
from crossroads.routing.answer_checks import Check, answer_text, build_checks, first_failure, question_text
from crossroads.routing.deployment import Deployment
from crossroads.routing.groups import Group
from crossroads.routing.streams import chunks_text, drain, replay

JudgeCall = Callable[[Call, str, str], Awaitable[str]]


class Cascade:
    def __init__(self, groups: Mapping[str, Group], judge: JudgeCall) -> None:
        self.checks: dict[str, tuple[Check, ...]] = {
            name: build_checks(g.cascade.validators) for name, g in groups.items() if g.cascade is not None
        }
        self.judge = judge

    async def review(
        self, call: Call, group: Group, d: Deployment, record: AttemptRecord, result: Any, order: Sequence[Deployment]
    ) -> tuple[bool, Any]:
        """(accepted, the result to use or keep); a stream that fails while being read is not accepted."""
        checks = self.checks.get(group.name)
        if checks is None or d is order[-1]:
            return True, result
        ready: Any = result
        if isinstance(result, dict):
            text = answer_text(result, call.endpoint)
        else:
            try:
                chunks = await drain(result)
            except CrossroadsError:
                return False, None
            text, ready = chunks_text(chunks, call.endpoint), replay(chunks)
        reason = await self._verdict(call, checks, text)
        if reason is not None:
            record["rejected"] = reason
        return reason is None, ready

    async def _verdict(self, call: Call, checks: tuple[Check, ...], text: str) -> str | None:
        try:
            return await first_failure(checks, question_text(call.body, call.endpoint), text, partial(self.judge, call))
        except CrossroadsError as exc:
            return f"judge failed: {exc.message[:60]}"

    @staticmethod
    def text(answer: Body, endpoint: Endpoint = Endpoint.CHAT) -> str:
        return answer_text(answer, endpoint)
