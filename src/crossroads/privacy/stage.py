"""The privacy guard as a pipeline stage: scan → act by policy → send on → restore the answer.

Fail closed: a call with a ``keep_local`` finding (or a failed scan under ``on_error: keep_local``)
gets ``call.local_only = True`` before ``next``; a ``block`` finding or a failed scan under
``on_error: block`` is refused before anything is sent.

What is scanned in a request is listed in ``body``; a new placeholder never repeats one the client's
request already holds as text (``vault``).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import secrets
import time
from bisect import bisect_right
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from crossroads import formats
from crossroads.backends.base import Body
from crossroads.errors import (
    BadGateway,
    ConfigError,
    GatewayTimeout,
    PermissionDenied,
    PrivacyRefused,
    ServiceUnavailable,
)
from crossroads.pipeline import Call, Next, NextStream, PassThrough
from crossroads.pipeline.call import Target
from crossroads.privacy import walk
from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer, combine
from crossroads.privacy.detect.views import read_views, windows
from crossroads.privacy.outbound import READABLE, Guarded
from crossroads.privacy.spans import Span, resolve
from crossroads.privacy.tokenizers import tokenizer_for
from crossroads.privacy.transform.body import json_answer, placeholders_in, restore_answer
from crossroads.privacy.transform.operators import hmac_key, operators
from crossroads.privacy.transform.policy import CallPolicy, Verdict, policy_for
from crossroads.privacy.transform.restore import json_string, plain, restore
from crossroads.privacy.transform.stream import restored, restored_events
from crossroads.privacy.transform.vault import Pseudonyms, Vault
from crossroads.routing.answer_checks import answer_text

log = logging.getLogger("crossroads.privacy")
HEADER = "x-crossroads-privacy"
FAST_ON_LOOP_CHARS = 65536  # larger requests are scanned on a worker thread
JOIN = "\n\n"  # between the texts of one request in the fast detectors' single pass


def resolve_models(config: PrivacyConfig, resolve: Callable[[str], str | None], models: Iterable[str]) -> PrivacyConfig:
    """``privacy.models`` keyed by public model names, aliases resolved (``resolve``); an unknown name is a
    config error (``models``: the public names, for the hint)."""
    resolved: dict[str, Any] = {}
    for name, policy in config.models.items():
        public = resolve(name)
        if public is None:
            close = difflib.get_close_matches(name, list(models), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                "privacy policy names an unknown model", [f"privacy.models.{name}: no such model or alias{hint}"]
            )
        resolved[public] = {**resolved.get(public, {}), **policy}
    return config.model_copy(update={"models": resolved})


class ScanFailed(Exception):
    """A detector failed or timed out; the request must not leave unscanned."""


class PrivacyGuard(PassThrough):
    def __init__(self, config: PrivacyConfig, analyzer: Analyzer | None = None) -> None:
        self.config = config
        self.analyzer = analyzer or Analyzer(config)
        self.vault = Vault(config.vault_ttl_s)
        self.hash_key = hmac_key(config)
        self.needs_ner = any(
            policy_for(config, k, m, b).ner_types()
            for k in [None, *config.keys]
            for m in ["", *config.models]
            for b in ["", *config.backends]
        )
        self.pool: ThreadPoolExecutor | None = None
        self.ner_waiting = 0
        self.ner_types_by_key: dict[str | None, frozenset[str]] = {}
        self.leaves = walk.leaves  # what the guard reads in a body (replaceable to compare readers)

    async def start(self) -> None:
        if self.needs_ner:
            self.pool = ThreadPoolExecutor(self.config.ner.threads, thread_name_prefix="privacy-ner")
            await asyncio.get_running_loop().run_in_executor(self.pool, self.analyzer.load_ner)

    async def aclose(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def send(self, call: Call, next: Next) -> Body:
        mapping, scope = await self._guard(call)
        try:
            answer = await self._next(call, next)
            fmt = formats.format_for(call.endpoint)
            fix = partial(_fix, mapping.reverse)
            if fmt is not None:
                return fmt.restore_answer(answer, fix, fmt.json_answer(call.body))
            if mapping.reverse:  # the answer as the upstream gave it, placeholders in (content logging keeps it)
                call.facts.upstream_answer = answer_text(answer)
            return restore_answer(answer, fix, json_answer(call.body))
        finally:
            self._done(scope)

    async def stream(self, call: Call, next: NextStream) -> AsyncIterator[Body]:
        mapping, scope = await self._guard(call)
        try:
            chunks = await self._next(call, next)
        except BaseException:
            self._done(scope)
            raise
        fmt = formats.format_for(call.endpoint)
        if fmt is not None:
            restorer = fmt.restorer(mapping.reverse, fmt.json_answer(call.body))
            return restored_events(chunks, restorer, lambda: self._done(scope))
        return restored(chunks, mapping.reverse, lambda: self._done(scope), json_answer(call.body))

    async def _next(self, call: Call, next: Any) -> Any:
        try:
            return await next(call)
        except (ServiceUnavailable, BadGateway, GatewayTimeout) as exc:
            if not call.local_only:
                raise
            entities = call.facts.privacy.entities if call.facts.privacy is not None else {}
            if exc.code == "no_local_backend" and entities:  # the model has no self-hosted deployment at all
                kept = ", ".join(f"{t} ({n})" for t, n in sorted(entities.items()))
                raise PrivacyRefused(
                    f"This request contains {kept}, which the privacy policy keeps on self-hosted models, and model "
                    f"'{call.model}' is served only by hosted backends. Use a model served locally, or ask an "
                    "administrator to change the privacy policy"
                    + (" (UNSCANNABLE: allow lets unreadable content leave)." if "UNSCANNABLE" in entities else "."),
                    code="privacy_kept_local",
                    headers={HEADER: call.response_headers.get(HEADER, "")},
                ) from exc
            why = ", ".join(sorted(entities)) or "a failed privacy scan"
            raise ServiceUnavailable(
                f"This request may only be served by a self-hosted backend (it contains {why}), and none could "
                f"serve it: {exc.message}",
                code="no_local_backend",
                headers={HEADER: call.response_headers.get(HEADER, "")},
            ) from exc

    async def _guard(self, call: Call) -> tuple[Pseudonyms, str | None]:
        requested = self._policy(call, call.model, "")
        try:
            leaves = self.leaves(call.body)
        except RecursionError:
            return self._scan_failed(call, "the request is nested too deeply to read"), None
        readable = [i for i, leaf in enumerate(leaves) if leaf.kind in READABLE]
        texts = [leaves[i].value for i in readable]
        try:
            found_texts = await self._read(texts, [leaves[i].prose for i in readable], self._ner_types(call))
        except ScanFailed as exc:
            return self._scan_failed(call, str(exc)), None
        found: list[list[Span]] = [[] for _ in leaves]
        for i, spans in zip(readable, found_texts, strict=True):
            found[i] = spans
        scope, mapping = self._mapping(call)
        maybe_rewritten = any(found) or any(leaf.kind == "tokens" for leaf in leaves)
        taken = placeholders_in(call.body) if maybe_rewritten else frozenset()  # a second walk only when needed
        guarded = Guarded(call.body, leaves, found, operators(self.hash_key, mapping, taken), self._read_tokens(call))
        verdict = Verdict.of(guarded.spans(), requested, guarded.opaque)  # token ids: read per target
        self._record(call, verdict)
        if verdict.types_with("block"):
            raise _blocked(verdict, call)
        call.local_only = call.local_only or verdict.local_only
        if guarded.spans() or guarded.opaque or guarded.has_tokens:
            call.body = guarded.safe_body()
            call.outbound = partial(self._outbound, call, guarded)
        return mapping, scope

    def _policy(self, call: Call, model: str, backend: str) -> CallPolicy:
        return policy_for(self.config, (call.key.name if call.key is not None else None), model, backend)

    def _ner_types(self, call: Call) -> frozenset[str]:
        """What the name model looks for: every type any target's policy may act on (decided per attempt);
        worked out once per key name (the policies never change while the guard runs)."""
        key = call.key.name if call.key is not None else None
        found = self.ner_types_by_key.get(key)
        if found is None:
            found = self.ner_types_by_key[key] = frozenset().union(
                *(policy_for(self.config, key, m, b).ner_types() for m in ["", *self.config.models]
                  for b in ["", *self.config.backends])
            )  # fmt: skip
        return found

    def _read_tokens(self, call: Call) -> Any:
        async def read(texts: list[str], prose: list[bool]) -> list[list[Span]]:
            return await self._read(texts, prose, self._ner_types(call))

        return read

    async def _outbound(self, call: Call, guarded: Guarded, target: Target) -> Body:
        policy = self._policy(call, target.model, target.backend)
        try:
            body, verdict = await guarded.body_for(policy, target, tokenizer_for(target))
        except ScanFailed as exc:
            raise PrivacyRefused(
                f"The privacy guard could not read this request ({exc}), so it was not sent to '{target.backend}'.",
                code="privacy_scan_failed",
            ) from None
        self._record(call, verdict)
        return body

    async def _read(self, texts: list[str], prose: list[bool], ner_types: frozenset[str]) -> list[list[Span]]:
        async def scan_all(views: list[str]) -> list[list[Span]]:
            return await self._scan(views, ner_types)

        async def scan_extra(views: list[str]) -> list[list[Span]]:
            return await self._scan(views, frozenset())

        return await read_views(texts, prose, scan_all, scan_extra)

    async def _scan(self, texts: list[str], ner_types: frozenset[str]) -> list[list[Any]]:
        try:
            fast = await self._fast(texts)
            ner = await self._ner(texts, ner_types) if ner_types else [[] for _ in texts]
        except (ScanFailed, ServiceUnavailable):
            raise
        except Exception as exc:  # any detector failure fails closed; logged without its message (values)
            log.error("privacy scan failed: %s in %s", type(exc).__name__, _where(exc))
            raise ScanFailed(type(exc).__name__) from None
        return [combine(f, n, self.config.min_score) for f, n in zip(fast, ner, strict=True)]

    async def _fast(self, texts: list[str]) -> list[list[Any]]:
        """On the event loop (microseconds) unless the texts are large, then on a worker thread."""
        if sum(len(t) for t in texts) <= FAST_ON_LOOP_CHARS:
            return self._fast_batch(texts)
        return await asyncio.to_thread(self._fast_batch, texts)

    def _fast_batch(self, texts: list[str]) -> list[list[Span]]:
        """The fast detectors over all texts in one pass, joined by blank lines (a request has dozens of short
        strings; one scan costs about what one short string does). A finding that crosses a join belongs to no
        text: the texts it touches are scanned again on their own, so the join never hides or makes a finding."""
        if len(texts) < 2:
            return [self.analyzer.scan_fast(t) for t in texts]
        starts, position = [], 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(JOIN)
        found: list[list[Span]] = [[] for _ in texts]
        alone: set[int] = set()
        for span in self.analyzer.scan_fast(JOIN.join(texts)):
            i = bisect_right(starts, span.start) - 1
            if span.end - starts[i] > len(texts[i]):
                alone.update(range(i, bisect_right(starts, span.end - 1)))
                continue
            found[i].append(span._replace(start=span.start - starts[i], end=span.end - starts[i]))
        for i in alone:
            found[i] = self.analyzer.scan_fast(texts[i])
        return found

    async def _ner(self, texts: list[str], ner_types: frozenset[str]) -> list[list[Any]]:
        """On the model's worker threads, in bounded windows, within the time limit; a full queue is a 503."""
        if self.pool is None:
            raise ScanFailed("the NER model is not loaded")
        ner = self.config.ner
        if self.ner_waiting >= ner.max_queue:
            raise ServiceUnavailable(
                "The privacy guard is busy reading other requests; retry shortly.",
                code="privacy_busy",
                headers={"Retry-After": "1"},
            )
        deadline = time.monotonic() + ner.timeout_s
        work = asyncio.get_running_loop().run_in_executor(
            self.pool, lambda: [self._ner_text(t, ner_types, deadline) for t in texts]
        )
        self.ner_waiting += 1
        try:
            return await asyncio.wait_for(work, ner.timeout_s)
        except TimeoutError:
            raise ScanFailed(f"the NER model took longer than {ner.timeout_s:g} s") from None
        finally:
            self.ner_waiting -= 1

    def _ner_text(self, text: str, ner_types: frozenset[str], deadline: float) -> list[Span]:
        """The name model over ``text`` in windows of at most ``ner.window_chars``: time linear in the length, and
        a request past its time limit stops at the next window (its worker is free for the others)."""
        found: list[Span] = []
        for offset, window in windows(text, self.config.ner.window_chars):
            if time.monotonic() > deadline:
                raise TimeoutError
            spans = self.analyzer.scan_ner(window, ner_types)
            found += [s._replace(start=s.start + offset, end=s.end + offset) for s in spans]
        return resolve(found) if len(found) > 1 else found

    def _scan_failed(self, call: Call, reason: str) -> Pseudonyms:
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
        return Pseudonyms()

    def _record(self, call: Call, verdict: Verdict) -> None:
        call.facts.privacy = verdict.facts()
        call.response_headers[HEADER] = verdict.header()

    def _mapping(self, call: Call) -> tuple[str | None, Pseudonyms]:
        """The request's own mapping, or a conversation's: under an API key, the key id's conversation of that
        name; without keys, only a conversation id this gateway issued (an unknown one starts a new conversation,
        whose id goes back in the response header)."""
        conversation = call.headers.get(self.config.conversation_header)
        if not conversation:
            return call.request_id, self.vault.get(call.request_id)
        key_id = call.key.id if call.key is not None else None
        if key_id is not None:
            return None, self.vault.get(f"key:{key_id}\0{conversation}")
        if not self.vault.has(f"conv:{conversation}"):
            conversation = secrets.token_urlsafe(24)
        call.response_headers[self.config.conversation_header] = conversation
        return None, self.vault.get(f"conv:{conversation}")

    def _done(self, scope: str | None) -> None:
        if scope is not None:
            self.vault.drop(scope)


def _where(exc: BaseException) -> str:
    """file:line where ``exc`` was raised — enough to debug, with no message that could carry a value."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"


def _fix(reverse: Any, text: str, is_json: bool) -> str:
    return restore(text, reverse, _escape(is_json))


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
