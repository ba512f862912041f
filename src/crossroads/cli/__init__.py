"""The ``crossroads`` command: thin subcommands over library functions."""

from __future__ import annotations

import os

import click

from crossroads import __version__
from crossroads.cli.common import CONTEXT
from crossroads.cli.config_cmd import config
from crossroads.cli.fake_cmd import fake_upstream
from crossroads.cli.models_cmd import models
from crossroads.cli.serve_cmd import serve


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="crossroads")
def main() -> None:
    """crossroads — one OpenAI-compatible gateway for hosted APIs and self-hosted models."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # model loading bars are noise in a server log


for command in (serve, config, models, fake_upstream):
    main.add_command(command)
