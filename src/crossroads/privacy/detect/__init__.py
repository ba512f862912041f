"""Detect: what in a text is personal data or a secret, as ``Span`` values.

``analyzer.Analyzer`` joins the fast rows (``rows``: the built-in table in ``patterns`` with its ``validators``,
user detectors and deny-lists, pre-screened by the Hyperscan ``gate``) and a name model (``names``).
``normalize`` and ``views`` give the detectors text as it reads, mapped back to the original offsets.
"""
