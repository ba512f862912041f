"""The dashboard at /ui: server-rendered pages over the ledger's rollups, the keys, routing, the lab's results
and the audit chain, with JSON endpoints under /admin/api/ (``crossroads.ui.api``). Importing it does nothing."""
