"""The answer commands: ``recommend``, ``rules`` (and ``rules explain``), ``schema`` and ``prompt``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor.cli.options import (
    FORMATS,
    BadInput,
    _engine,
    _policy,
    build_profile,
    check_attached,
    evidence_option,
    measurements_option,
    profile_keys,
    profile_options,
    run_recommend,
)
from advisor.contracts import NAMES as SCHEMA_NAMES
from advisor.data.files import write_text_atomic


@click.command()
@profile_options
@evidence_option
@measurements_option
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format.  [default: text]"
)
@click.option("json_", "--json", is_flag=True, help="Same as --format json.")
@click.option("--explain", is_flag=True, help="Also print the trail of every rule's effect.")
@click.option(
    "--reproduce",
    is_flag=True,
    help="With --evidence: also retrain one recorded run on CPU and compare its whole curve.",
)
def recommend(evidence, measurements, fmt, json_, explain, reproduce, **params):
    """Recommend an encoder, embedding input, recipe and monitoring signal for a constraint profile.

    \b
    Example:
        advisor recommend --task classification --examples 300 --deploy phone --latency-ms 5
        advisor recommend --profile profile.toml --format json
        advisor recommend --data train.jsonl --evidence evidence.json
        advisor recommend --data train.jsonl --measurements runs/compare/measurements.json
    """
    if json_ and fmt not in (None, "json"):
        raise BadInput(f"--json contradicts --format {fmt}: use one of them")
    fmt = "json" if json_ else (fmt or "text")
    check_attached(params, evidence, measurements)
    if reproduce and evidence is None:
        raise BadInput("--reproduce needs --evidence (it retrains a run the evidence records)")
    profile, policy = build_profile(params)
    rec = run_recommend(profile, policy, evidence, reproduce=reproduce, measurements=measurements)
    from advisor.render import render_recommendation

    click.echo(render_recommendation(rec, fmt, explain=explain), nl=False)


@click.group(invoke_without_command=True)
@click.option("json_", "--json", is_flag=True, help="Print the rules and policy as JSON.")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Show this policy's values.",
)
@click.pass_context
def rules(ctx, json_, policy_file):
    """List every rule (id, name, severity, plugin, summary) and the policy values in force.

    \b
    Example:
        advisor rules
        advisor rules explain TEP101
    """
    if ctx.invoked_subcommand is not None:
        return
    engine = _engine()
    policy = _policy(policy_file)
    rows = [r.rendered(policy) for r in sorted(engine.rules.values(), key=lambda r: r.id)]
    if json_:
        doc = {
            "rules": [r.as_dict(docs=False) for r in rows],
            "policy": policy.as_dict(),
            "overrides": {k: {"default": d, "value": v} for k, (d, v) in policy.overrides().items()},
        }
        click.echo(json.dumps(doc, indent=2))
        return
    from advisor.sanitize import one_line

    for r in rows:  # a plugin's name and summary are its text: one line each, escaped
        click.echo(f"{r.id}  {r.name:<30} {r.severity:<8} {one_line(r.plugin):<32} {one_line(r.summary)}")
    click.echo("\nPolicy in force:")
    overrides = policy.overrides()
    for name, value in policy.as_dict().items():
        note = f"   (override; shipped default {overrides[name][0]!r})" if name in overrides else ""
        click.echo(f"  {name:<26} {value!r}{note}")


@rules.command("explain")
@click.argument("rule_id")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Show this policy's values in the docs.",
)
def rules_explain(rule_id, policy_file):
    """Show a rule's full documentation, rationale and sources (by id or name), with the policy values in force.

    \b
    Example:
        advisor rules explain TEP101
        advisor rules explain finetune-needs-plateau
    """
    from advisor.errors import UnknownRuleError

    engine = _engine()
    try:
        rule = engine.rule(rule_id).rendered(_policy(policy_file))
    except UnknownRuleError as exc:
        raise BadInput(f"{exc} (see `advisor rules`)") from None
    from advisor.sanitize import clean, one_line

    click.echo(
        f"{rule.id} {rule.name} ({rule.severity}, plugin {one_line(rule.plugin)})\n{one_line(rule.summary)}"
        f"\n\n{clean(rule.docs)}"
    )


@click.command()
@click.argument("which", type=click.Choice(SCHEMA_NAMES))
def schema(which):
    """Print the JSON schema of a data contract.

    \b
    Example:
        advisor schema recommendation
    """
    from advisor.contracts import schema_for

    click.echo(json.dumps(schema_for(which), indent=2))


@click.command()
@profile_options
@measurements_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the prompt to this file (atomically).",
)
def prompt(out, measurements, **params):
    """Render the text-encoder-picker prompt for an LLM agent; with a profile, the engine's verdicts become hard constraints.

    \b
    Example:
        advisor prompt --out outputs/prompt-text-encoder-picker.md
        advisor prompt --examples 300 --deploy phone
    """
    from advisor.render import render_prompt

    has_profile = (
        params.get("profile_file") is not None
        or params.get("data_file") is not None
        or any(params.get(k) is not None for k in profile_keys())
    )
    check_attached(params, measurements=measurements)
    rec = None
    if has_profile:
        profile, policy = build_profile(params)
        rec = run_recommend(profile, policy, measurements=measurements)
    text = render_prompt(rec)
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            write_text_atomic(out, text)
        except OSError as exc:
            raise BadInput(f"--out {out}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"wrote {out}", err=True)
