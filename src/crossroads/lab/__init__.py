"""The lab: load tests, quality evaluation, cost model and decision report."""
