"""The cost section: the TCO analysis's tables, findings and the cost and hybrid plots."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossroads.lab.report import plots
from crossroads.lab.report.model import Block, Bullets, Paragraph, Section, Table
from crossroads.lab.tco.fmt import band, num, pct, usd

MISSING = (
    "No cost analysis was given. Run `crossroads tco ... --out tco.json` with your traffic, the API models "
    "and the GPU instances to compare, then pass `--tco tco.json`."
)
HYBRID_SHARES = ("0", "0.25", "0.5", "0.75", "1")


def cost_section(tco: dict[str, Any] | None) -> Section:
    if tco is None:
        return Section("cost", "Cost", [Paragraph(MISSING)])
    blocks: list[Block] = [Bullets(list(tco["findings"])), _options(tco), *_ranges_note(tco)]
    blocks.append(plots.cost_vs_traffic(tco))
    if tco["break_evens"]:
        blocks.append(_break_evens(tco))
    if tco["hybrid"]:
        blocks += [plots.hybrid_split(tco), _hybrid(tco)]
    chart = plots.tornado(tco)
    blocks += [chart] if chart is not None else []
    blocks.append(_sensitivity(tco))
    return Section("cost", "Cost", blocks)


def _ranges_note(tco: dict[str, Any]) -> list[Block]:
    u = tco.get("uncertainty")
    if not u:
        return []
    text = (
        f"Ranges are the 5th–95th percentiles of {u['draws']:,} Monte Carlo draws (seed {u['seed']}) with every "
        f"input drawn at once within its stated range: {'; '.join(u['inputs'])}. Cost at your load divides the "
        "month's bill by the tokens this traffic sends; at full use assumes every machine busy all month, as "
        "calculators do."
    )
    return [Paragraph(text)]


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _options(tco: dict[str, Any]) -> Table:
    ranges = (tco.get("uncertainty") or {}).get("ranges", {})
    rows = [
        [
            o["name"],
            o["kind"],
            usd(_d(o["monthly"])),
            _range(ranges.get(o["name"])),
            usd(_d(o["per_million_tokens"]), 2),
            usd(_d(o.get("full_use_per_million")), 2),
            "-" if o["instances"] is None else str(o["instances"]),
            pct(_d(o["average_utilization"])),
            o["note"],
        ]
        for o in sorted(tco["options"], key=lambda o: Decimal(o["monthly"]))
    ]
    headers = ["option", "kind", "per month", "90% range", "per 1M tokens at your load", "at full use"]
    headers += ["machines", "average use", "basis"]
    return Table(headers, rows, "Monthly cost of each option at today's traffic")


def _range(band: dict[str, Any] | None) -> str:
    if not band:
        return "-"
    text = f"{usd(_d(band['low']))}–{usd(_d(band['high']))}"
    if band.get("over_capacity"):
        text += f" (over capacity in {float(band['over_capacity']):.0%} of draws)"
    return text


def _break_evens(tco: dict[str, Any]) -> Table:
    bands = {(b["self_hosted"], b["api"]): b for b in (tco.get("uncertainty") or {}).get("break_evens", [])}
    rows = []
    for b in tco["break_evens"]:
        qpd = _d(b["queries_per_day"])
        at = num(qpd) if qpd is not None else b["status"].replace("_", " ")
        rows.append([b["self_hosted"], b["api"], at, band_text(bands.get((b["self_hosted"], b["api"]))), b["reason"]])
    headers = ["self-hosted", "vs API", "break-even queries/day", "90% band", "why"]
    return Table(headers, rows, "Break-even traffic")


def band_text(found: dict[str, Any] | None) -> str:
    return "-" if found is None else band(_d(found["low"]), _d(found["high"]), float(found["found"]))


def _hybrid(tco: dict[str, Any]) -> Table:
    shares = [Decimal(s) for s in HYBRID_SHARES]
    private = _d(tco["profile"].get("private_share"))
    if private is not None and private not in shares:
        shares = sorted([*shares, private])
    rows = []
    for name, points in tco["hybrid"].items():
        by_share = {Decimal(p["share"]): Decimal(p["total"]) for p in points}
        rows.append([name, *(usd(by_share.get(s)) for s in shares)])
    headers = ["hybrid", *(f"{pct(s, 0)} local" for s in shares)]
    return Table(headers, rows, "Monthly cost by share of requests kept self-hosted")


def _sensitivity(tco: dict[str, Any]) -> Table:
    names = [o["name"] for o in tco["options"]]
    rows = [
        [r["parameter"], r["value"], *(usd(_d(r["costs"][n])) for n in names), r["cheapest"]]
        for r in tco["sensitivity"]
    ]
    caption = "Sensitivity: monthly cost with one input at an end of its range (rows that change nothing left out)"
    return Table(["input", "value", *names, "cheapest"], rows, caption)
