"""Shared CLI pieces: the --config option and turning a ConfigError into a message that teaches."""

from __future__ import annotations

from collections.abc import Callable
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
