"""The privacy guard as a pipeline stage: scan → act by policy → send on → restore the answer.

Fail closed: a call with a ``keep_local`` finding (or a failed scan under ``on_error: keep_local``)
gets ``call.local_only = True`` before ``next``; a ``block`` finding or a failed scan under
``on_error: block`` is refused before anything is sent.

What is scanned in a request is listed in ``body``; a new placeholder never repeats one the client's
request already holds as text (``vault``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from crossroads.backends.base import Body
from crossroads.errors import BadGateway, GatewayTimeout, PermissionDenied, ServiceUnavailable
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.privacy.body import get, json_answer, placeholders_in, restore_answer, text_slots, with_texts
from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.engine import Engine, combine
from crossroads.privacy.operators import apply, hmac_key, operators
from crossroads.privacy.policy import Verdict, policy_for
from crossroads.privacy.restore import json_string, plain, restore
from crossroads.privacy.stream import restored
from crossroads.privacy.vault import Mapping, Vault

log = logging.getLogger("crossroads.privacy")
HEADER = "x-crossroads-privacy"
FAST_ON_LOOP_CHARS = 65536  # larger requests are scanned on a worker thread


def build(settings: Any, gateway: Any) -> PrivacyGuard | None:
    config: PrivacyConfig | None = getattr(settings, "privacy", None)
    return None if config is None else PrivacyGuard(config)


class ScanFailed(Exception):
    """A detector failed or timed out; the request must not leave unscanned."""


class PrivacyGuard(PassThrough):
    def __init__(self, config: PrivacyConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or Engine(config)
        self.vault = Vault(config.vault_ttl_s)
        self.hash_key = hmac_key(config)
        self.needs_ner = any(
            policy_for(config, k, m).ner_types() for k in [None, *config.keys] for m in ["", *config.models]
        )
        self.pool: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        if self.needs_ner:
            self.pool = ThreadPoolExecutor(self.config.ner.threads, thread_name_prefix="privacy-ner")
            await asyncio.get_running_loop().run_in_executor(self.pool, self.engine.load_ner)

    async def aclose(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def send(self, call: Call, next: Next) -> Body:
        mapping, scope = await self._guard(call)
        try:
            answer = await self._next(call, next)
            return restore_answer(
                answer, lambda text, is_json: restore(text, mapping.reverse, _escape(is_json)), json_answer(call.body)
            )
        finally:
            self._done(scope)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        mapping, scope = await self._guard(call)
        try:
            chunks = await self._next(call, next)
        except BaseException:
            self._done(scope)
            raise
        return restored(chunks, mapping.reverse, lambda: self._done(scope), json_answer(call.body))

    async def _next(self, call: Call, next: Any) -> Any:
        try:
            return await next(call)
        except (ServiceUnavailable, BadGateway, GatewayTimeout) as exc:
            if not call.local_only:
                raise
            why = ", ".join(sorted(call.facts["privacy"]["entities"])) or "a failed privacy scan"
            raise ServiceUnavailable(
                f"This request may only be served by a self-hosted backend (it contains {why}), and none could "
                f"serve it: {exc.message}",
                code="no_local_backend",
                headers={HEADER: call.response_headers.get(HEADER, "")},
            ) from exc

    async def _guard(self, call: Call) -> tuple[Mapping, str | None]:
        policy = policy_for(self.config, getattr(call.key, "name", None), call.model)
        slots = text_slots(call.endpoint, call.body)
        texts = [get(call.body, path) for path in slots]
        try:
            found = await self._scan(texts, policy.ner_types())
        except ScanFailed as exc:
            return self._scan_failed(call, str(exc)), None
        verdict = Verdict.of([s for spans in found for s in spans], policy)
        self._record(call, verdict)
        if verdict.types_with("block"):
            raise _blocked(verdict, call)
        scope, mapping = self._mapping(call)
        taken = placeholders_in(call.body) if verdict.types_with("pseudonymize") else frozenset()
        ops = operators(self.hash_key, mapping, taken)
        changes = {p: apply(t, s, policy.action, ops) for p, t, s in zip(slots, texts, found, strict=True) if s}
        call.body = with_texts(call.body, {p: t for p, t in changes.items() if t != get(call.body, p)})
        call.local_only = call.local_only or verdict.local_only
        return mapping, scope

    async def _scan(self, texts: list[str], ner_types: frozenset[str]) -> list[list[Any]]:
        try:
            fast = await self._fast(texts)
            ner = await self._ner(texts, ner_types) if ner_types else [[] for _ in texts]
        except ScanFailed:
            raise
        except Exception as exc:  # any detector failure fails closed; logged without its message (values)
            log.error("privacy scan failed: %s in %s", type(exc).__name__, _where(exc))
            raise ScanFailed(type(exc).__name__) from None
        return [combine(f, n, self.config.min_score) for f, n in zip(fast, ner, strict=True)]

    async def _fast(self, texts: list[str]) -> list[list[Any]]:
        """On the event loop (microseconds) unless the texts are large, then on a worker thread."""
        if sum(len(t) for t in texts) <= FAST_ON_LOOP_CHARS:
            return [self.engine.scan_fast(t) for t in texts]
        return await asyncio.to_thread(lambda: [self.engine.scan_fast(t) for t in texts])

    async def _ner(self, texts: list[str], ner_types: frozenset[str]) -> list[list[Any]]:
        if self.pool is None:
            raise ScanFailed("the NER model is not loaded")
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.pool, lambda: [self.engine.scan_ner(t, ner_types) for t in texts])
        try:
            return await asyncio.wait_for(work, self.config.ner.timeout_s)
        except TimeoutError:
            raise ScanFailed(f"the NER model took longer than {self.config.ner.timeout_s:g} s") from None

    def _scan_failed(self, call: Call, reason: str) -> Mapping:
        verdict = Verdict(error=reason)
        self._record(call, verdict)
        if self.config.on_error == "block":
            raise ServiceUnavailable(
                f"The privacy guard could not scan this request ({reason}), so it was not sent anywhere. "
                "Retry it; if this persists, check the gateway log (privacy.on_error: keep_local serves such "
                "requests on self-hosted backends instead).",
                code="privacy_scan_failed",
            )
        call.local_only = True
        return Mapping()

    def _record(self, call: Call, verdict: Verdict) -> None:
        call.facts["privacy"] = verdict.facts()
        call.response_headers[HEADER] = verdict.header()

    def _mapping(self, call: Call) -> tuple[str | None, Mapping]:
        conversation = call.headers.get(self.config.conversation_header)
        if conversation:
            return None, self.vault.get(f"{getattr(call.key, 'name', '')}\0{conversation}")
        return call.request_id, self.vault.get(call.request_id)

    def _done(self, scope: str | None) -> None:
        if scope is not None:
            self.vault.drop(scope)


def _where(exc: BaseException) -> str:
    """file:line where ``exc`` was raised — enough to debug, with no message that could carry a value."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"


def _escape(is_json: bool) -> Any:
    return json_string if is_json else plain


def _blocked(verdict: Verdict, call: Call) -> PermissionDenied:
    found = ", ".join(f"{t} ({verdict.entities[t]})" for t in verdict.types_with("block"))
    return PermissionDenied(
        f"This request was blocked by the privacy policy: it contains {found}. Remove them and retry, or ask an "
        "administrator to change the privacy policy (privacy.default, privacy.keys or privacy.models).",
        code="privacy_blocked",
        headers={HEADER: call.response_headers[HEADER]},
    )
