"""Metering: every request counted, priced, limited and provable.

    request ─► MeteringStage ─► (privacy, routing, backend) ─► MeteringStage ─► response
               key (401/403)                                   Pending ─► LedgerWriter (batched, thread)
               rate limits (429, Retry-After)                              ledger row + audit link
               budget reservation (429 insufficient_quota)                 + budget settlement, one transaction

Parts: ``keys`` (create/list/revoke, hashed), ``auth`` (key cache), ``admission`` (allow-list, limits,
budgets), ``budget`` (atomic reserve/settle), ``ratelimit`` (in process or Redis), ``tokens`` (tiktoken,
offline), ``pricing`` (catalog, self-hosted), ``ledger`` + ``rows`` (the writer), ``audit`` +
``audit_verify`` (hash chain), ``metrics`` (Prometheus), ``content`` (opt-in encrypted text).
``access.Metering`` is what the rest of the gateway may use (``Gateway.metering``).
Nothing is imported or opened until the gateway builds the stage (``build.metering_stage``), which it does
only when ``metering.enabled`` is true.
"""
