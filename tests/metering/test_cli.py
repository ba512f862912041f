"""crossroads keys / db: real commands on a real SQLite file, messages that teach the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from crossroads.cli import main
from crossroads.store import head_revision, make_engine


def latest(url: str) -> str | None:
    engine = make_engine(url)
    head = head_revision(engine)
    engine.dispose()
    return head


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_keys_lifecycle(sqlite_url: str) -> None:
    db, head = ["--database", sqlite_url], latest(sqlite_url)
    upgraded = f"{sqlite_url}: upgraded from an empty database to revision {head} (latest)\n"
    assert run("db", "upgrade", *db) == (0, upgraded)
    assert run("db", "upgrade", *db)[1].endswith(f"already at revision {head} (latest)\n")
    code, out = run(
        "keys", "create", "--name", "team-a", "--budget", "50", "--period", "month",
        "--rpm", "60", "--tpm", "100000", "--models", "gpt-4o,smollm2", *db,
    )  # fmt: skip
    assert code == 0
    assert "budget $50 per month, 60 requests/min, 100000 tokens/min, models gpt-4o, smollm2" in out
    plaintext = re.search(r"sk-cr-\S+", out)
    assert plaintext is not None
    code, listed = run("keys", "list", "--json", *db)
    [key] = json.loads(listed)
    assert (key["name"], key["budget"], key["spent"], key["models"]) == ("team-a", "50", "0", ["gpt-4o", "smollm2"])
    assert plaintext.group() not in listed and "hash" not in listed
    assert run("keys", "revoke", "team-a", *db) == (0, f"Revoked key {key['id']} (team-a).\n")
    assert json.loads(run("keys", "list", "--json", *db)[1]) == []
    assert json.loads(run("keys", "list", "--all", "--json", *db)[1])[0]["revoked_at"] is not None
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
    engine.dispose()
    assert plaintext.group() not in stored


def test_errors_teach_the_fix(sqlite_url: str, tmp_path: Path) -> None:
    code, out = run("keys", "list", "--database", sqlite_url)
    assert code == 2 and "run `crossroads db upgrade` first" in out
    run("db", "upgrade", "--database", sqlite_url)
    code, out = run("keys", "revoke", "nobody", "--database", sqlite_url)
    assert code == 2 and "No active key with id or name 'nobody'" in out
    code, out = run("keys", "create", "--name", "x", "--budget", "ten", "--database", sqlite_url)
    assert code == 2 and "'ten' is not an amount in USD" in out
    code, out = run("db", "upgrade", "--database", "not a url")
    assert code == 2 and "is not a database URL" in out


def test_config_names_the_database_and_warns_when_metering_is_off(tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    db_file = tmp_path / "from-config.db"
    config.write_text(
        "backends: {b: {type: embedded}}\nmodels: {m: {backend: b}}\n"
        f"metering: {{enabled: false, database_url: 'sqlite:///{db_file}'}}\n"
    )
    code, out = run("db", "upgrade", "--config", str(config))
    assert code == 0 and db_file.exists()
    assert "note: metering is off" in out and "metering: {enabled: true}" in out


def test_a_password_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "crossroads.yaml"
    config.write_text(
        "backends: {b: {type: embedded}}\nmodels: {m: {backend: b}}\n"
        "metering: {enabled: true, database_url: 'postgresql://u:secret@db/x'}\n"
    )
    code, out = run("config", "check", "--config", str(config))
    assert code == 2 and "metering.database_url" in out and "database_url_env" in out


def test_serve_preparation_names_an_unreachable_database() -> None:
    import pytest

    from crossroads.errors import ConfigError
    from crossroads.metering.config import MeteringConfig
    from crossroads.metering.database import prepare_store

    config = MeteringConfig(enabled=True, database_url="postgresql://postgres@127.0.0.1:1/none")
    with pytest.raises(ConfigError) as caught:
        prepare_store(config)
    assert "127.0.0.1:1" in str(caught.value) and "is the database running?" in str(caught.value)


def test_serve_preparation_migrates(sqlite_url: str) -> None:
    from crossroads.metering.config import MeteringConfig
    from crossroads.metering.database import prepare_store

    line = prepare_store(MeteringConfig(enabled=True, database_url=sqlite_url))
    assert line == f"metering: {sqlite_url} at schema revision {latest(sqlite_url)}"
