"""The ``crossroads`` command: thin subcommands over library functions, imported only when used."""

from __future__ import annotations

import os
from importlib import import_module

import click

from crossroads import __version__
from crossroads.cli.common import CONTEXT

# command name -> "module:attribute" of a click command; loaded on first use so `--help` stays fast
COMMANDS: dict[str, str] = {
    "serve": "crossroads.cli.serve_cmd:serve",
    "config": "crossroads.cli.config_cmd:config",
    "models": "crossroads.cli.models_cmd:models",
    "fake-upstream": "crossroads.cli.fake_cmd:fake_upstream",
    "eval": "crossroads.cli.eval_cmd:eval_group",
    "bench": "crossroads.cli.bench_cmd:bench",
    "prices": "crossroads.cli.prices_cmd:prices",
    "tco": "crossroads.cli.tco_cmd:tco",
    "report": "crossroads.cli.report_cmd:report",
    "scan": "crossroads.cli.scan_cmd:scan",
    "keys": "crossroads.cli.keys_cmd:keys",
    "db": "crossroads.cli.db_cmd:db",
    "audit": "crossroads.cli.audit_cmd:audit",
    "usage": "crossroads.cli.usage_cmd:usage",
    "tune": "crossroads.cli.tune_cmd:tune",
    "dataset": "crossroads.cli.tune_cmd:dataset",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="crossroads")
def main() -> None:
    """crossroads — one OpenAI-compatible gateway for hosted APIs and self-hosted models."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # model loading bars are noise in a server log
