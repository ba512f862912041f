"""Shared CLI pieces: the --config option and turning a ConfigError into a message that teaches."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from crossroads.config import CONFIG_ENV, Settings, load_settings
from crossroads.errors import ConfigError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        envvar=CONFIG_ENV,
        default=None,
        help=f"crossroads.yaml to use (default: ${CONFIG_ENV}, else the embedded defaults).",
    )(func)


def settings_or_exit(path: str | None) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        fail(str(exc))


def fail(message: str, code: int = 2) -> NoReturn:
    click.secho(f"crossroads: {message}", fg="red", err=True)
    raise SystemExit(code)


def output_file(path: str | None, option: str) -> Path | None:
    """Check an output file before any work: its folder is created when missing; a folder that cannot
    be, a path that is a folder, or one that cannot be written stops the command with the fix."""
    if path is None:
        return None
    file = Path(path)
    if file.is_dir():
        fail(f"{option} {path} is a folder — give a file name, e.g. {option} {file / 'result'}")
    output_dir(str(file.parent), option, create=True)
    if file.exists() and not os.access(file, os.W_OK):
        fail(f"{option} {path}: the file cannot be written (permission denied) — choose another {option}")
    return file


def output_dir(path: str | Path, option: str, create: bool = False) -> Path:
    """A folder results go to: it, or the nearest folder above it that exists, must be a writable folder
    (``create``: made now, with its parents); else a clear error."""
    folder = Path(path or ".")
    existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
    if not existing.is_dir():
        fail(f"{option} {path}: {existing} is a file, not a folder — choose another {option}")
    if not os.access(existing, os.W_OK | os.X_OK):
        fail(f"{option} {path}: {existing} cannot be written (permission denied) — choose another {option}")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"{option} {path}: cannot create the folder ({exc.strerror}) — choose another {option}")
    return folder
