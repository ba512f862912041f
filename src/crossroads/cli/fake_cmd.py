"""crossroads fake-upstream: the bundled fake OpenAI-compatible server, for tests and benchmarks."""

from __future__ import annotations

import os

import click

from crossroads.cli.common import CONTEXT


@click.command("fake-upstream", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=9000, show_default=True)
@click.option("--api-key-env", default=None, help="Require the key held in this environment variable.")
def fake_upstream(host: str, port: int, api_key_env: str | None) -> None:
    """Serve a fake OpenAI-compatible API that can inject faults (status, latency, disconnects)."""
    from crossroads.testing.fake_upstream import FakeConfig, run_fake_upstream

    key = os.environ.get(api_key_env) if api_key_env else None
    click.echo(f"fake OpenAI-compatible upstream on http://{host}:{port}/v1")
    run_fake_upstream(host, port, FakeConfig(api_key=key))
