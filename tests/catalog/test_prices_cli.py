"""crossroads prices: table with the catalog date, --json, filters, clear failure."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crossroads.cli import main


def test_table_shows_date_and_prices() -> None:
    result = CliRunner().invoke(main, ["prices", "gpt-3.5-turbo-0613"])
    assert result.exit_code == 0, result.output
    assert "as of 2026-11-27" in result.output
    assert "1.50" in result.output and "2.00" in result.output


def test_json_keeps_decimals_exact() -> None:
    result = CliRunner().invoke(main, ["prices", "--json", "--provider", "azure", "gpt-4o-mini"])
    data = json.loads(result.output)
    assert {e["deployment"] for e in data["entries"]} == {"global", "data_zone", "regional"}
    assert "0.0825" in {e["cached_input"] for e in data["entries"]}
    assert data["as_of"] == "2026-11-27" and data["unit"] == "USD per 1M tokens"
    (one,) = json.loads(CliRunner().invoke(main, ["prices", "--json", "gpt-3.5-turbo-0613"]).output)["entries"]
    assert (one["input"], one["output"], one["cached_input"], one["batch_discount"]) == ("1.50", "2.00", None, None)


def test_gpus() -> None:
    result = CliRunner().invoke(main, ["prices", "--gpus", "--json", "p4d.24xlarge"])
    (entry,) = json.loads(result.output)["entries"]
    assert (entry["hourly"], entry["monthly_730h"], entry["gpus"]) == ("32.77", "23922.10", 8)


def test_no_match_is_a_message_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["prices", "zzz"])
    assert result.exit_code == 1
    assert "nothing in the catalog matches 'zzz'" in result.output
