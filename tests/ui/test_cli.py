"""The CLI side of the dashboard: a key created with a role may sign in; `crossroads audit verify` is kept as
a verification the Audit page shows."""

from __future__ import annotations

from click.testing import CliRunner

from crossroads.cli import main
from crossroads.metering.keys import list_keys
from crossroads.store import make_engine
from crossroads.ui.ops_view import audit_page
from tests.metering.conftest import sqlite_url

__all__ = ["sqlite_url"]


def test_keys_create_role_and_audit_verify_is_recorded(sqlite_url: str) -> None:
    runner = CliRunner()
    db = ["--database", sqlite_url]
    assert runner.invoke(main, ["db", "upgrade", *db]).exit_code == 0
    made = runner.invoke(main, ["keys", "create", "--name", "ops", "--role", "viewer", *db])
    assert made.exit_code == 0, made.output
    wrong = runner.invoke(main, ["keys", "create", "--name", "x", "--role", "owner", *db])
    assert wrong.exit_code == 2 and "'owner' is not one of 'admin', 'viewer'" in wrong.output
    verified = runner.invoke(main, ["audit", "verify", *db])
    assert verified.exit_code == 0 and "audit chain intact" in verified.output
    engine = make_engine(sqlite_url)
    assert [(k.name, k.role) for k in list_keys(engine)] == [("ops", "viewer")]
    with engine.connect() as conn:
        checks = audit_page(conn)["checks"]
    assert [(c["ok"], c["by"], c["entries"]) for c in checks] == [(True, "crossroads audit verify", 1)]
    engine.dispose()
