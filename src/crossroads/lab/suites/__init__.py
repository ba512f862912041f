"""Starter eval suites written for crossroads (not public benchmarks): ``crossroads eval suites`` lists them.

classify.yaml (sentiment, 20), extract.yaml (JSON extraction, 15), qa.jsonl (short factual QA with
references, 25), summarize.yaml (one-sentence summaries with references, 12). Package data: the
``*.yaml`` and ``*.jsonl`` files next to this module.
"""
