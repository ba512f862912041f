"""The ``ui:`` section of crossroads.yaml: the dashboard at /ui (served only when metering is on)."""

from __future__ import annotations

from pydantic import Field

from crossroads.config_base import Strict


class UiConfig(Strict):
    enabled: bool = Field(True, description="serve the dashboard at /ui (it needs metering and the master key)")
    session_hours: float = Field(12, gt=0, le=24 * 30, description="a sign-in lasts this long")
    runs_dir: str | None = Field(
        None,
        description="folder of lab results (bench and eval JSON) for the Lab page; default $CROSSROADS_EVAL_DIR "
        "or crossroads-eval",
    )
    report: str = Field("crossroads-report.html", description="the decision report (`crossroads report --out`) to show")
    refresh_seconds: int = Field(10, ge=2, le=3600, description="how often the pages refresh their numbers")
