"""``crossroads eval``: answer quality, cost and latency of several models on the user's own prompts.

suite.py        load JSONL / YAML suites into ``Suite`` (problems name file:line and field; suite_errors.py)
assertions.py   equals, contains, regex, JSON / JSON schema, number, max-length, and metric thresholds
metrics.py      ROUGE-L and embedding cosine similarity (embedding.py: MiniLM through the gateway)
caller.py       ask a model through the in-process Gateway, chat or completion style, timed
cache.py        SQLite response cache keyed by (model identity, parameters, prompt)
judge.py        rubric grades and pairwise verdicts asked in both orders (position swap)
scoring.py      metrics, grades, then assertions on every answer
stats.py        Wilson intervals for shares, bootstrap intervals for means (fixed seed), sign test
summarize.py    per-model summaries (pass rate, scores, cost per 1k cases, latency) and pairwise results
runner.py       ``run_eval``: all of the above for one suite -> ``RunResult``
session.py      ``evaluate``: start only the needed backends, check them, run, close
result.py       the versioned JSON result file (``RunResult``), read by reports
compare.py      two runs compared case by case
render.py       rich tables; html.py: a self-contained HTML page
quant.py        quantization trade-off: a locally made GGUF variant against its source
store.py        where run files live and finding them again
pricing.py      prices from the catalog (``crossroads.catalog``); self-hosted: unknown, never invented
shadow_source.py  ``eval run --from-shadow``: which shadow records (database, JSONL, the config's sink)
from_shadow.py  recorded shadow traffic as a run: latency, cost, errors, judge (sensitive records stay local)
"""
