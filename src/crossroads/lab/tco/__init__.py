"""Total cost of ownership: what hosted APIs and self-hosted GPUs cost for a traffic profile.

    from crossroads.catalog import load_catalog, load_gpu_catalog
    from crossroads.lab.tco import ApiOption, SelfHostedOption, TrafficProfile, analyze, to_json

    profile = TrafficProfile(queries_per_day=Decimal(10_000), prompt_tokens=Decimal(1_500),
                             completion_tokens=Decimal(500))          # + cached_share, peak_to_average,
                                                                      #   monthly_growth, private_share …
    api = ApiOption(load_catalog().require("gpt-3.5-turbo-0613"))     # batch_share for the Batch API
    p4d = SelfHostedOption("p4d", load_gpu_catalog().require("p4d.24xlarge").hourly, instances=2,
                           throughput=Decimal(2_500))                 # total tokens/s per machine
    analysis = analyze(profile, [api], [p4d])
    api.monthly_cost(profile)       # Decimal('975.00000')   = 300,000 queries x $0.00325
    p4d.monthly_cost(profile)       # Decimal('47844.20')    = 2 x $32.77 x 730 h
    profile.average_tokens_per_second   # 231.48…: far below one node's throughput

Model. Money is ``Decimal`` throughout and rounded only for display (``fmt``). API cost is linear in
tokens (so mean tokens per query give exact totals); a self-hosted fleet costs machines x $/hour x
730 h plus fixed monthly costs (engineering and operations, storage, egress), with ``instances``
given or sized so the peak (average x peak-to-average) uses at most ``target_utilization`` of each
machine's throughput. ``analyze()`` returns a ``TcoAnalysis``: per-option monthly cost, cost per 1M
tokens, machines, average use, a growth projection; break-even traffic for every self-hosted/API pair
(``breakeven``); hybrid cost curves by share of requests kept local (``hybrid_curve``); cost vs
traffic (``traffic_curve``); a sensitivity table with each input at an end of its stated range
(``ranges``: GPU price, throughput per machine, utilization, traffic, tokens per query, API price,
effort); Monte Carlo cost ranges, the chance each option is cheapest and break-even bands over those
ranges (``uncertainty``); and findings in plain sentences. A fleet's throughput taken from a bench
keeps what it was measured on (``BenchBasis``) so the report can check it against the machine priced.

Inputs from elsewhere: ``traffic.profile_from_rows`` builds a profile from recorded requests
(``TrafficRow``: time, tokens, model, privacy entity counts); ``ledger.read_ledger(url)`` reads those
rows from the gateway's ledger; ``inputs.throughput_from_bench`` takes the best throughput that met
the latency objective from a bench result. ``serialize`` writes the analysis as JSON (schema
``crossroads.tco`` 1) for ``crossroads report``.
"""

from crossroads.lab.tco.analysis import TcoAnalysis, analyze
from crossroads.lab.tco.breakeven import BreakEven, HybridPoint, break_even, hybrid_curve
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.options import ApiOption, OptionCost, SelfHostedOption
from crossroads.lab.tco.profile import TrafficProfile
from crossroads.lab.tco.serialize import read_analysis, to_dict, to_json
from crossroads.lab.tco.traffic import TrafficRow, profile_from_rows

__all__ = [
    "ApiOption",
    "BreakEven",
    "HybridPoint",
    "OptionCost",
    "SelfHostedOption",
    "TcoAnalysis",
    "TcoError",
    "TrafficProfile",
    "TrafficRow",
    "analyze",
    "break_even",
    "hybrid_curve",
    "profile_from_rows",
    "read_analysis",
    "to_dict",
    "to_json",
]
