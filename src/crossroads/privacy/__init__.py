"""The privacy guard: find personal data and secrets before a request leaves, act on them by policy.

    text ─► detectors (Span values) ─► policy (type → action) ─► operators ─► body sent on
                                                                  (redact, mask, hash, pseudonymize)
    answer ◄─ restore (vault: placeholder → value, per request and conversation) ◄─ backend

Detect, then transform, joined by a plain value (``Span``); restore is the same machinery run backwards.
Nothing here runs at import: the spaCy model loads when the guard is built.
"""
