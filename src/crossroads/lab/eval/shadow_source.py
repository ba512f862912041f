"""Reading recorded shadow traffic for ``eval run --from-shadow``: which source, which records.

A source is a database URL (the ``shadow_results`` table of the crossroads store), a SQLite file, or a
JSONL file (``routing.shadow_log``). Without one, the config's own sink is read — the same choice the
gateway makes when it writes: ``routing.shadow_log``, else the metering database, else
``crossroads-shadow.jsonl``. Every problem becomes an ``EvalError`` that says how to fix it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossroads.config import Settings
from crossroads.errors import ConfigError
from crossroads.lab.eval.suite_errors import EvalError

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class ShadowRecords:
    records: list[dict[str, Any]]  # oldest first
    source: str  # as shown to people (no password)
    model: str


def default_source(settings: Settings) -> str:
    """Where the gateway configured by ``settings`` writes shadow records."""
    from crossroads.routing.shadow_sinks import DEFAULT_LOG

    if settings.routing.shadow_log is not None:
        return str(settings.routing.shadow_log)
    if settings.metering.enabled:
        from crossroads.metering.database import database_url

        return database_url(settings.metering)
    return DEFAULT_LOG


def load_shadow(
    settings: Settings, ref: str | None, model: str | None, since: datetime | None = None, limit: int | None = None
) -> ShadowRecords:
    """The records of ``model`` (an alias is resolved; None: the only model with records) in ``ref``
    (None: the config's sink), at or after ``since``, the newest ``limit`` of them."""
    source, shown = _open(ref or default_source(settings))
    public = (settings.resolve(model) or model) if model else None
    cutoff = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp()
    seen: dict[str, int] = {}
    kept: deque[dict[str, Any]] = deque(maxlen=limit)
    try:
        _collect(source, public, cutoff, seen, kept)
        if not seen and public is not None:  # to name the models that do have records
            _collect(source, None, None, seen, deque(maxlen=1), one_model=False)
    finally:
        _dispose(source)
    if not kept:
        raise _nothing(settings, shown, public, seen, since)
    chosen = public or str(kept[0]["model"])
    return ShadowRecords(list(kept), shown, chosen)


def _collect(
    source: Any,
    model: str | None,
    cutoff: float | None,
    seen: dict[str, int],
    kept: deque[dict[str, Any]],
    one_model: bool = True,
) -> None:
    """Count records per model in ``seen``; keep the matching ones (all models only while just one exists)."""
    from orjson import JSONDecodeError
    from sqlalchemy.exc import SQLAlchemyError

    from crossroads.routing.shadow_records import count_shadow, read_shadow

    try:
        if isinstance(source, Path):  # a JSONL log: read through once
            for record in read_shadow(source, model):
                name = str(record["model"])
                seen[name] = seen.get(name, 0) + 1
                if cutoff is None or float(record["ts"]) >= cutoff:
                    _check(record)
                    kept.append(record)
        else:  # the store: counts and the wanted records in SQL, not every row read
            seen.update(count_shadow(source))
            if not (one_model and model is None and len(seen) > 1):
                since = None if cutoff is None else datetime.fromtimestamp(cutoff, UTC)
                for record in read_shadow(source, model, since, kept.maxlen):
                    _check(record)
                    kept.append(record)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        hint = " — run `crossroads db upgrade` to create it" if "no such table" in reason else ""
        raise EvalError(f"cannot read shadow records from {_shown(source)}: {reason}{hint}") from None
    except (JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EvalError(
            f"{_shown(source)} is not a shadow log: {type(exc).__name__}: {exc}",
            ["pass the file named by routing.shadow_log, or the metering database URL (sqlite:///crossroads.db)"],
        ) from None
    if one_model and model is None and len(seen) > 1:
        names = ", ".join(f"{m} ({n})" for m, n in sorted(seen.items()))
        raise EvalError(
            f"{_shown(source)} holds shadow records of several models", [f"choose one with --model: {names}"]
        )


def _check(record: dict[str, Any]) -> None:
    for side in ("primary", "shadow"):
        if not isinstance(record[side], dict) or "backend" not in record[side]:
            raise ValueError(f"record {record.get('request_id')}: '{side}' has no backend")


def _open(ref: str) -> tuple[Any, str]:
    """(engine or path, how to name it) for a URL, a SQLite file or a JSONL file."""
    from crossroads.store import describe, make_engine

    if "://" not in ref:
        path = Path(ref)
        if not path.is_file():
            raise EvalError(
                f"no shadow records: {ref} does not exist",
                [
                    "shadow records are written when a model has `shadow:` targets and the gateway served traffic",
                    "pass the JSONL file (routing.shadow_log) or a database URL, e.g. sqlite:///crossroads.db",
                ],
            )
        with path.open("rb") as file:
            if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return path, str(path)
        ref = f"sqlite:///{path}"
    try:
        engine = make_engine(_existing_sqlite(ref))
    except (ConfigError, ValueError, ImportError) as exc:
        raise EvalError(f"{ref!r} is not a usable database URL: {str(exc).splitlines()[0]}") from None
    return engine, describe(engine)


def _existing_sqlite(url: str) -> str:
    """``url``, after checking a SQLite file exists (opening one would create it, empty)."""
    from sqlalchemy.engine import make_url

    from crossroads.store import normalize_url

    parsed = make_url(normalize_url(url))
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" and not Path(database).exists():
        raise EvalError(f"no shadow records: the database {database} does not exist")
    return url


def _shown(source: Any) -> str:
    if isinstance(source, Path):
        return str(source)
    from crossroads.store import describe

    return describe(source)


def _dispose(source: Any) -> None:
    dispose = getattr(source, "dispose", None)
    if dispose is not None:
        dispose()


def _nothing(
    settings: Settings, shown: str, model: str | None, seen: dict[str, int], since: datetime | None
) -> EvalError:
    only = model or (next(iter(seen)) if len(seen) == 1 else None)
    if only is not None and seen.get(only) and since is not None:
        return EvalError(
            f"no shadow records of {only!r} in {shown} since {since:%Y-%m-%d %H:%M} UTC",
            [f"{seen[only]} older ones exist — widen --since"],
        )
    mirrored = [name for name, entry in settings.models.items() if entry.shadow]
    hints = [f"models with shadow records there: {', '.join(sorted(seen)) or 'none'}"]
    hints.append(f"models with shadow targets in {settings.source or 'the config'}: {', '.join(mirrored) or 'none'}")
    if model is not None and model not in settings.models and model not in seen:
        return EvalError(f"unknown model {model!r}: no shadow records of it in {shown}", hints)
    what = f"of {model!r} " if model is not None else ""
    return EvalError(f"no shadow records {what}in {shown}", hints)
