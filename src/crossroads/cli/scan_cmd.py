"""crossroads scan: find personal data and secrets in a file or stdin, as the gateway's guard would."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

import click

from crossroads.cli.common import CONTEXT, config_option, fail, settings_or_exit
from crossroads.errors import ConfigError
from crossroads.privacy.config import PrivacyConfig
from crossroads.privacy.detect.analyzer import Analyzer
from crossroads.privacy.spans import Span
from crossroads.privacy.transform.operators import apply, hmac_key, operators
from crossroads.privacy.transform.policy import CallPolicy, policy_for
from crossroads.privacy.transform.vault import Pseudonyms

# without a privacy section: look for everything, and --redact redacts everything
SCAN_ALL = PrivacyConfig(default={"*": "redact"})


@click.command(context_settings=CONTEXT)
@click.argument("source", metavar="[FILE|-]", default="-", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings (character offsets).")
@click.option("--redact", is_flag=True, help="Print the text with the configured policy applied.")
@click.option("--model", help="Apply this model's policy (privacy.models).")
@click.option("--key", "key_name", help="Apply this API key's policy (privacy.keys).")
@config_option
def scan(source: TextIO, as_json: bool, redact: bool, model: str | None, key_name: str | None,
         config_path: str | None) -> None:  # fmt: skip
    """Find personal data and secrets in FILE (or stdin) with the guard's detectors and policy.

    Uses the privacy section of the configuration; without one, looks for every entity type."""
    config = settings_or_exit(config_path).privacy or SCAN_ALL
    text = source.read()
    policy = policy_for(config, key_name, model or "")
    spans = _detect(config, policy, text)
    if redact:
        click.echo(_redacted(config, policy, text, spans), nl=False)
        _warn_unchanged(policy, spans)
    elif as_json:
        fields = ("entity_type", "start", "end", "score", "text")
        click.echo(json.dumps([{k: s.as_dict(text)[k] for k in fields} for s in spans], indent=2, ensure_ascii=False))
    else:
        _print_findings(text, spans, policy)


GATE_FROM = 1_000_000  # characters: below this, compiling the Hyperscan gate costs more than it saves


def _detect(config: PrivacyConfig, policy: CallPolicy, text: str) -> list[Span]:
    analyzer = Analyzer(config, gate=len(text) >= GATE_FROM)
    ner_types = policy.ner_types()
    if ner_types:
        try:
            analyzer.load_ner()
        except OSError as exc:
            fail(f"cannot load the name model '{config.ner.model}' ({exc}) — set privacy.ner.model to crossroads-names "
                 "(shipped) or to an installed spaCy pipeline")  # fmt: skip
    return analyzer.scan(text, ner_types)


def _redacted(config: PrivacyConfig, policy: CallPolicy, text: str, spans: Sequence[Span]) -> str:
    try:
        key = hmac_key(config)
    except ConfigError as exc:
        fail(str(exc))
    return apply(text, spans, policy.action, operators(key, Pseudonyms()))


OUTCOMES = {
    "block": "the gateway would refuse this text (403)",
    "keep_local": "the gateway would send this text only to a self-hosted backend",
}


def _warn_unchanged(policy: CallPolicy, spans: Sequence[Span]) -> None:
    """Findings whose action does not change the text say what the gateway would do instead."""
    for action, outcome in OUTCOMES.items():
        types = sorted({s.entity_type for s in spans if policy.action(s.entity_type) == action})
        if types:
            click.secho(f"crossroads: {outcome}: it contains {', '.join(types)} ({action})", fg="yellow", err=True)


def _print_findings(text: str, spans: Sequence[Span], policy: CallPolicy) -> None:
    if not spans:
        click.echo("no personal data or secrets found")
        return
    for span in spans:
        line = text.count("\n", 0, span.start) + 1
        column = span.start - (text.rfind("\n", 0, span.start) + 1) + 1
        value = text[span.start : span.end].replace("\n", "\\n")
        value = value if len(value) <= 60 else value[:57] + "..."
        action = policy.action(span.entity_type)
        click.echo(f"{line}:{column}\t{span.entity_type}\t{span.score:.2f}\t{action}\t{value}")
    click.echo(f"{len(spans)} findings")
