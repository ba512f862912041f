"""crossroads tune: collect a dataset from stored traffic, fine-tune the embedded model, print its route.

crossroads tune collect   (prompt, hosted answer) pairs -> train/validation/test chat JSONL (also: crossroads dataset)
crossroads tune train     LoRA on CPU -> a GGUF LoRA adapter the embedded backend loads (``lora:``)
crossroads tune route     the model group that serves the tuned model first and cascades to the hosted one
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from crossroads.cli.common import CONTEXT, config_option, fail, output_dir, settings_or_exit
from crossroads.cli.usage_cmd import _since
from crossroads.config import Settings
from crossroads.errors import ConfigError
from crossroads.routing.config import ValidatorConfig


@click.group(context_settings=CONTEXT)
def tune() -> None:
    """Customize the self-hosted model on your own traffic: collect, train, evaluate (crossroads eval), route."""


def _checks(values: tuple[str, ...]) -> tuple[ValidatorConfig, ...]:
    out = []
    for value in values:
        try:
            out.append(ValidatorConfig.model_validate(json.loads(value)))
        except ValidationError as exc:
            fail(f"--check {value!r}: {exc.errors()[0]['msg']}")
        except ValueError:
            fail(f'--check {value!r} is not JSON — e.g. --check \'{{"type": "json"}}\'')
    return tuple(out)


def _hosted(settings: Settings, teachers: tuple[str, ...]) -> frozenset[str]:
    named = {t.partition(":")[0] for t in teachers}
    return frozenset(n for n, b in settings.backends.items() if b.location == "hosted") | named


def _group_checks(settings: Settings, models: tuple[str, ...]) -> tuple[ValidatorConfig, ...]:
    """The cascade validators of the one model asked for, when its group has a cascade."""
    if len(models) != 1 or models[0] not in settings.models:
        return ()
    cascade = settings.models[models[0]].cascade
    return tuple(cascade.validators) if cascade is not None else ()


def collect_request(settings: Settings, opts: dict[str, Any]) -> Any:
    from crossroads.metering.database import database_url
    from crossroads.routing.shadow_sinks import DEFAULT_LOG
    from crossroads.tune.collect import CollectRequest

    models, teachers = tuple(opts["models"]), tuple(opts["teachers"])
    checks = _checks(opts["checks"]) or (() if opts["no_checks"] else _group_checks(settings, models))
    shadow, ledger = opts["shadow"], opts["ledger"]
    if shadow is None and ledger is None:  # what this config's gateway writes
        shadow = str(settings.routing.shadow_log or DEFAULT_LOG)
        shadow = shadow if Path(shadow).exists() else None
        ledger = database_url(settings.metering) if settings.metering.content_logging.enabled else None
    return CollectRequest(
        out_dir=output_dir(opts["out"], "--out", create=True),
        shadow=shadow,
        ledger=ledger,
        content_key_env=settings.metering.content_logging.key_env,
        hosted=_hosted(settings, teachers),
        models=models,
        teachers=teachers,
        since=opts["since"],
        until=opts["until"],
        checks=checks,
        validation=opts["validation"],
        test=opts["test"],
    )


@tune.command("collect", context_settings=CONTEXT)
@config_option
@click.option("--shadow", help="Shadow records: a JSONL file or database URL (default: where --config writes them).")
@click.option("--ledger", help="Database URL of the ledger with the content log (metering.content_logging).")
@click.option("--model", "models", multiple=True, help="Only requests to this public model (repeatable).")
@click.option("--teacher", "teachers", multiple=True, help="Only answers of this backend[:upstream_model].")
@click.option("--since", callback=_since, help="Only traffic since a UTC date (2026-11-01) or an age (12h, 7d).")
@click.option("--until", callback=_since, help="Only traffic before a UTC date or an age.")
@click.option("--check", "checks", multiple=True, help='A validator every answer must pass, e.g. \'{"type": "json"}\'.')
@click.option("--no-checks", is_flag=True, help="Keep every answer (default: the model's cascade validators).")
@click.option("--validation", type=click.FloatRange(0, 0.5), default=0.1, show_default=True, help="Share.")
@click.option("--test", type=click.FloatRange(0, 0.5), default=0.2, show_default=True, help="Share (the newest).")
@click.option("--out", default="crossroads-dataset", show_default=True, help="Folder for the JSONL files.")
def collect(config_path: str | None, **opts: Any) -> None:
    """Build a fine-tuning dataset (OpenAI chat JSONL) from the hosted answers the gateway stored."""
    from crossroads.tune.collect import collect_with_gateway

    settings = settings_or_exit(config_path)
    try:
        result = asyncio.run(collect_with_gateway(collect_request(settings, opts), settings))
    except ConfigError as exc:
        fail(str(exc))
    skipped = ", ".join(f"{n} {why}" for why, n in result.skipped.most_common()) or "none"
    click.echo(f"read {result.read} answers; left out: {skipped}; {result.duplicates} duplicate prompts")
    for name, path in result.files.items():
        click.echo(f"  {name:<11} {result.counts.get(name, result.counts.get('test', 0)):>6}  {path}")


dataset = click.Command("dataset", callback=collect.callback, params=collect.params, help=collect.help,
                        context_settings=CONTEXT)  # fmt: skip


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@tune.command("train", context_settings=CONTEXT)
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="train.jsonl from tune collect.")
@click.option("--validation", type=click.Path(dir_okay=False), help="validation.jsonl: its loss is reported.")
@click.option("--base", type=click.Path(dir_okay=False), help="GGUF to tune (default: the bundled SmolLM2).")
@click.option("--out", default="crossroads-tuned", show_default=True, help="Folder for adapter.gguf and tune.json.")
@click.option("--rank", type=click.IntRange(1, 256), default=8, show_default=True, help="LoRA rank.")
@click.option("--alpha", type=click.IntRange(1), default=16, show_default=True, help="LoRA alpha (scale alpha/rank).")
@click.option("--targets", default="q_proj,v_proj", show_default=True, help="Projections to adapt.")
@click.option("--last-layers", type=click.IntRange(1), help="Adapt only the last N blocks (faster on CPU).")
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=1e-3, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=4, show_default=True)
@click.option("--epochs", type=click.FloatRange(0, min_open=True), default=3.0, show_default=True)
@click.option("--max-steps", type=click.IntRange(1), help="Stop after this many steps.")
@click.option("--max-minutes", type=click.FloatRange(0, min_open=True), help="Stop after this long (then write).")
@click.option("--max-length", type=click.IntRange(16), default=512, show_default=True, help="Tokens per example.")
@click.option("--checkpoint-every", type=click.IntRange(0), default=50, show_default=True, help="Steps (0: never).")
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in --out.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="CPU threads (default: torch's choice).")
def train(**opts: Any) -> None:
    """Fine-tune the embedded model with LoRA on CPU; write a GGUF adapter for the embedded backend's lora:."""
    from crossroads.tune.train import TrainRequest
    from crossroads.tune.train import train as run

    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loading bar; ours shows the training
    opts["targets"] = _csv(opts["targets"])
    for name in ("data", "validation", "base"):
        opts[name] = Path(opts[name]) if opts[name] else None
    opts["out_dir"] = output_dir(opts.pop("out"), "--out", create=True)
    try:
        result = run(TrainRequest(**opts), _ProgressBar().update)
    except ConfigError as exc:
        fail(str(exc))
    val = "" if result.validation_loss is None else f", validation loss {result.validation_loss:.3f}"
    click.echo(
        f"{result.steps} steps in {result.seconds:.0f} s (stopped by {result.stopped_by}): loss "
        f"{result.first_loss:.3f} -> {result.last_loss:.3f}{val}\nwrote {result.adapter} and {result.manifest}\n"
        f"serve it: add  lora: {result.adapter}  to an embedded backend (crossroads tune route prints a config)"
    )


class _ProgressBar:
    """A rich progress bar with the loss, started on the first step (loading the model comes before)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    def update(self, step: int, total: int, loss: float, seconds: float) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        if self.bar is None:
            columns = [
                TextColumn("training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
            ]
            self.bar = Progress(*columns, TimeElapsedColumn())
            self.bar.start()
            self.task = self.bar.add_task("train", total=total, loss="-")
        self.bar.update(self.task, completed=step, loss=f"{loss:.3f}")
        if step >= total:
            self.bar.stop()


@tune.command("route", context_settings=CONTEXT)
@click.option("--adapter", required=True, type=click.Path(dir_okay=False, exists=True), help="adapter.gguf.")
@click.option("--model", default="support", show_default=True, help="Public model name clients ask for.")
@click.option("--base", type=click.Path(dir_okay=False), help="The GGUF the adapter was trained on (default: bundled).")
@click.option("--hosted-backend", default="openai", show_default=True, help="The hosted backend to cascade to.")
@click.option("--hosted-model", default="gpt-4o-mini", show_default=True, help="Its upstream model.")
@click.option("--schema", help="A JSON schema the local answer must match (else: it must be JSON).")
@click.option("--shadow-sample", type=click.FloatRange(0, 1), default=0.05, show_default=True)
def route(adapter: str, base: str | None, schema: str | None, **opts: Any) -> None:
    """Print the model group that serves the tuned model first and cascades to the hosted one."""
    from crossroads.tune.route import RouteRequest, route_yaml

    try:
        validators = [{"type": "json_schema", "schema": json.loads(schema)}] if schema else [{"type": "json"}]
    except ValueError:
        fail('--schema is not JSON — give a JSON schema, e.g. --schema \'{"type": "object"}\'')
    request = RouteRequest(Path(adapter), base=Path(base) if base else None, validators=validators, **opts)
    click.echo(route_yaml(request), nl=False)
