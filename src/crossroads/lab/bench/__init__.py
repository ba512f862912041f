"""``crossroads bench``: load-test any OpenAI-compatible backend and measure what users feel.

result.py   the versioned JSON result schema (``BenchResult``) — what other lab code reads
files.py    ``read_result(path)``: a result file, or a ``BenchError`` that says what is wrong
prompts.py  JSONL datasets and synthetic prompts, encoded as request bodies
target.py   where the load goes (URL, a model of crossroads.yaml, the gateway) and the preflight check
client.py   one timed request (TTFT, ITLs, usage), failures classified by type
load.py     closed loop (concurrency) and open loop (constant or Poisson rate) per level
metrics.py  records -> ``LevelResult``: percentiles, rates, goodput, token check, cost
sanity.py   the memory-bandwidth limit on a stream's decode rate
runner.py   a whole run: ``run_bench(BenchSpec) -> (BenchResult, TTFT samples)``
report.py, plots.py  tables and PNG plots
request.py  ``BenchRequest`` (what ``bench run`` is asked) and ``execute``: run it with progress, write the result
"""

from crossroads.lab.bench.files import read_result
from crossroads.lab.bench.result import SCHEMA_VERSION, BenchResult, LevelResult

__all__ = ["SCHEMA_VERSION", "BenchResult", "LevelResult", "read_result"]
