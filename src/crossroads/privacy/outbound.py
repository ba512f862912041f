"""One request as the guard holds it: its leaves, what was found in each, and the body each target may see.

The request is read once (``walk.leaves`` + the detectors); the policy is then decided for the target of each
attempt — its backend, location and served model — and the body for that target built from the client's
original: a ``block`` finding refuses every target; a ``keep_local`` finding (or unreadable content, unless a
policy allows it) refuses hosted targets; every other action rewrites the value. Token ids are decoded with the
target's tokenizer where the gateway knows it (tiktoken for OpenAI models), read, rewritten and encoded again;
elsewhere they are unreadable. Bodies are built once per distinct policy and tokenizer.

``safe_body`` is the request with every finding replaced by its placeholder, whatever the policy: what the
gateway keeps or shows anywhere else (shadow records, judge prompts, logs) — never a value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossroads.backends.base import Body
from crossroads.errors import PermissionDenied, PrivacyRefused
from crossroads.pipeline.call import Target
from crossroads.privacy.spans import Span
from crossroads.privacy.transform.operators import Operator, apply
from crossroads.privacy.transform.policy import UNSCANNABLE, CallPolicy, Verdict
from crossroads.privacy.walk import Leaf, rebuild

ReadTexts = Callable[[list[str], list[bool]], Awaitable[list[list[Span]]]]  # texts, prose flags -> findings
Tokenizer = Any  # a tiktoken Encoding: decode(list[int]) -> str, encode(str) -> list[int]
READABLE = frozenset({"text", "key", "number"})


@dataclass
class Guarded:
    original: Body
    leaves: list[Leaf]
    found: list[list[Span]]  # per leaf (empty for tokens and opaque leaves)
    ops: dict[str, Operator]
    read: ReadTexts
    built: dict[tuple[Any, ...], tuple[Body, Verdict]] = field(default_factory=dict)
    decoded: dict[str, tuple[list[str], list[list[Span]]]] = field(default_factory=dict)

    @property
    def opaque(self) -> int:
        return sum(leaf.kind == "opaque" for leaf in self.leaves)

    @property
    def has_tokens(self) -> bool:
        return any(leaf.kind == "tokens" for leaf in self.leaves)

    def spans(self) -> list[Span]:
        return [s for spans in self.found for s in spans]

    def safe_body(self) -> Body:
        """Every finding a placeholder, unreadable payloads and token ids dropped."""
        return self._rebuild(lambda _type: "pseudonymize", self.ops, lambda ids: [], "[UNSCANNABLE]")

    async def body_for(self, policy: CallPolicy, target: Target, tokenizer: Tokenizer | None) -> tuple[Body, Verdict]:
        """The body ``target`` may receive under ``policy``, and the verdict; raises when it may receive none."""
        cache_key = (tuple(id(layer) for layer in policy.layers), target.location, id(tokenizer))
        if cache_key not in self.built:
            self.built[cache_key] = await self._build(policy, target, tokenizer)
        body, verdict = self.built[cache_key]
        refusal = refused(verdict, target, self.where(verdict))
        if refusal is not None:
            raise refusal
        return body, verdict

    async def _build(self, policy: CallPolicy, target: Target, tokenizer: Tokenizer | None) -> tuple[Body, Verdict]:
        token_texts, token_spans = await self._tokens(tokenizer)
        tokens_unread = 0 if tokenizer is not None else sum(leaf.kind == "tokens" for leaf in self.leaves)
        unreadable = self.opaque + tokens_unread
        verdict = Verdict.of([*self.spans(), *(s for spans in token_spans for s in spans)], policy, unreadable)
        if verdict.types_with("block") or (target.location == "hosted" and verdict.local_only):
            return self.original, verdict  # never sent: refused in body_for
        texts = iter(zip(token_texts, token_spans, strict=True))

        def tokens(ids: list[int]) -> list[int] | None:
            text, spans = next(texts)
            new = apply(text, spans, policy.action, self.ops) if spans else text
            return None if new == text or tokenizer is None else list(tokenizer.encode(new, disallowed_special=()))

        return self._rebuild(policy.action, self.ops, tokens if tokenizer is not None else None), verdict

    def _rebuild(
        self, action_of: Callable[[str], Any], ops: dict[str, Operator], tokens: Any, opaque: str | None = None
    ) -> Body:
        def replace(index: int, leaf: Leaf) -> Any:
            if leaf.kind == "tokens":
                return tokens(leaf.value) if tokens is not None else None
            if leaf.kind == "opaque":
                return opaque
            spans = self.found[index]
            if not spans:
                return None
            new = apply(leaf.value, spans, action_of, ops)
            return None if new == leaf.value else new

        return rebuild(self.original, replace)

    async def _tokens(self, tokenizer: Tokenizer | None) -> tuple[list[str], list[list[Span]]]:
        """Token-id leaves decoded with ``tokenizer`` and read (once per tokenizer)."""
        if tokenizer is None or not self.has_tokens:
            return [], []
        name = str(getattr(tokenizer, "name", id(tokenizer)))
        if name not in self.decoded:
            texts = [tokenizer.decode(leaf.value) for leaf in self.leaves if leaf.kind == "tokens"]
            self.decoded[name] = (texts, await self.read(texts, [True] * len(texts)))
        return self.decoded[name]

    def where(self, verdict: Verdict) -> str:
        """Where the refused content is, by field kind (never a value)."""
        kinds = {leaf.kind for leaf, spans in zip(self.leaves, self.found, strict=True) if spans}
        if verdict.entities.get(UNSCANNABLE):
            kinds |= {leaf.kind for leaf in self.leaves if leaf.kind in ("opaque", "tokens")}
        names = {"text": "text", "key": "object keys", "number": "numbers", "opaque": "image, audio or file "
                 "payloads", "tokens": "token ids"}  # fmt: skip
        return ", ".join(names[k] for k in sorted(kinds))


def refused(verdict: Verdict, target: Target, where: str) -> PermissionDenied | None:
    blocked = verdict.types_with("block")
    if blocked:
        return PrivacyRefused(
            f"This request was blocked by the privacy policy: it contains {_listed(verdict, blocked)} (in {where}). "
            "Remove them and retry, or ask an administrator to change the privacy policy (privacy.default, "
            "privacy.models, privacy.backends or privacy.keys).",
            code="privacy_blocked",
        )
    if target.location == "hosted" and verdict.local_only:
        kept = [t for t, a in verdict.actions.items() if a in ("keep_local", "block")]
        return PrivacyRefused(
            f"This request contains {_listed(verdict, kept)} (in {where}), which the privacy policy keeps on "
            f"self-hosted models, and model '{target.model}' would send it to the hosted backend "
            f"'{target.backend}'. Use a model served locally, or ask an administrator to change the privacy policy"
            + (" (UNSCANNABLE: allow lets unreadable content leave)" if UNSCANNABLE in kept else "")
            + ".",
            code="privacy_kept_local",
        )
    return None


def _listed(verdict: Verdict, types: Sequence[str]) -> str:
    return ", ".join(f"{t} ({verdict.entities[t]})" for t in sorted(types))
