"""Metering: every request counted, priced, limited and provable.

    request ─► MeteringStage ─► (privacy, routing, backend) ─► MeteringStage ─► response
               key (401/403)                                   Pending ─► LedgerWriter (batched, thread)
               rate limits (429, Retry-After)                              ledger row + audit link
               budget reservation (429 insufficient_quota)                 + budget settlement, one transaction

Parts: ``keys`` (create/list/revoke, hashed), ``auth`` (key cache), ``admission`` (allow-list, limits,
budgets), ``budget`` (atomic reserve/settle), ``ratelimit`` (in process or Redis), ``tokens`` (tiktoken,
offline), ``pricing`` (catalog, self-hosted), ``ledger`` + ``rows`` (the writer), ``audit`` +
``audit_verify`` (hash chain), ``metrics`` (Prometheus), ``content`` (opt-in encrypted text).
Nothing is imported or opened until ``stage.build`` is called with settings that enable metering.
"""
