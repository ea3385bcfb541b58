"""The ``advisor`` command line (click).

Exit codes: 0 an answer (a refusal is an answer); 1 no answer could be produced (a plugin failed,
nothing meets the budgets, an answer that ``check`` found in violation); 2 anything wrong in what the
user passed (option values, profile, policy, data and evidence arguments). Errors are one clear message
on stderr, never a traceback. With ``--json`` stdout holds only the JSON document.

Imports stay light: torch, numpy and the rules engine are imported inside the commands that need them,
and ``recommend --format json`` on a plain profile builds no pydantic model at all (see advisor.fastpath).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advisor.fastpath import COMPUTES, DEPLOYS, PROFILE_FIELDS, TASKS

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 110}
FORMATS = ("text", "markdown", "json", "prompt")


class BadInput(click.ClickException):
    """Something wrong in what the user passed: exit 2, one line."""

    exit_code = 2


class NoAnswer(click.ClickException):
    """The advisor cannot produce an answer: exit 1."""

    exit_code = 1


# -- profile options -----------------------------------------------------------------------------
def _default(name: str) -> str:
    from advisor.profile import ConstraintProfile

    value = ConstraintProfile.model_fields[name].default
    return "unset" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


PROFILE_FLAGS = (
    "task",
    "examples",
    "classes",
    "tokens",
    "latency_ms",
    "deploy",
    "compute",
    "streaming",
    "max_model_mb",
    "language",
    "description",
)


def profile_options(f):
    """The constraint-profile flags shared by recommend, prompt, check and ask (flags override --profile)."""
    options = [
        click.option(
            "--profile",
            "profile_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Profile file, JSON or TOML (keys as the flags, with underscores). Flags override it.",
        ),
        click.option("--task", type=click.Choice(TASKS), help="Task.  [default: classification]"),
        click.option(
            "--examples",
            type=int,
            help="Labeled examples (tagging: sentences); required unless in --profile or --data.",
        ),
        click.option(
            "--classes", type=int, help="Number of classes (tagging: entity types).  [default: unset]"
        ),
        click.option("--tokens", type=int, help="Typical p95 text length in words.  [default: 32]"),
        click.option(
            "--latency-ms",
            type=float,
            help="p95 per-example inference budget, ms.  [default: unset = no budget]",
        ),
        click.option("--deploy", type=click.Choice(DEPLOYS), help="Deploy target.  [default: cpu-server]"),
        click.option("--compute", type=click.Choice(COMPUTES), help="Training compute.  [default: cpu]"),
        click.option(
            "--streaming/--no-streaming",
            default=None,
            help="Input arrives token by token.  [default: no-streaming]",
        ),
        click.option(
            "--max-model-mb", type=float, help="Model size budget, MB at fp32.  [default: unset = no budget]"
        ),
        click.option("--language", help="Language of the texts (BCP-47).  [default: en]"),
        click.option(
            "--description",
            help="Free-text description of the task (treated as data, never as instructions).  [default: unset]",
        ),
        click.option(
            "--policy",
            "policy_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Policy thresholds file (TOML/JSON). Default: [tool.advisor] of the nearest pyproject.toml.",
        ),
        click.option(
            "--data",
            "data_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read examples, classes and lengths from this data file (CSV/TSV/JSONL/label-TAB-text/CoNLL).",
        ),
        click.option(
            "--embeddings",
            "embeddings_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="With --data: report the OOV rate against this embeddings file.",
        ),
        click.option(
            "--text-column", default="text", show_default=True, help="With --data (CSV/TSV): text column."
        ),
        click.option(
            "--label-column", default="label", show_default=True, help="With --data (CSV/TSV): label column."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _closest(key: str, valid) -> str:
    import difflib

    match = difflib.get_close_matches(key, list(valid), n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (valid keys: {', '.join(valid)})"


def read_profile_file(path: Path) -> dict:
    """A profile file as a dict, with one-line errors naming the file, line and what was expected."""
    from advisor.files import parse_json_or_toml, read_text_file

    text = read_text_file(path, "profile", BadInput)
    data = parse_json_or_toml(text, path, BadInput, default="json")
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a profile must be a JSON object or TOML table, got {type(data).__name__}")
    valid = [k for k in PROFILE_FIELDS if k != "data"]
    for key in data:
        if key not in valid:
            raise BadInput(f"{path}: unknown profile key {key!r}{_closest(key, valid)}")
    return data


def validation_message(exc, source: str) -> str:
    """A pydantic ValidationError as one line: ``source: field: message``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "profile"
        parts.append(
            f"{loc}: {err['msg']}"
            + (f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], dict) else "")
        )
    return f"{source}: " + "; ".join(parts)


def build_profile(params: dict, *, light: bool = False):
    """(profile, policy) from the profile options, with the checks every profile command shares.

    With ``light``, a plain profile (no --data) that the committed schema certainly accepts comes back as an
    :class:`advisor.fastpath.LightProfile` (no pydantic model built); anything else, invalid input included,
    is validated by ConstraintProfile as always, so every error message is pydantic's.
    """
    from advisor.policy import PolicyError, find_project_policy, load_policy_file

    file_values: dict = {}
    source = "profile"
    if params.get("profile_file") is not None:
        file_values = read_profile_file(params["profile_file"])
        source = str(params["profile_file"])
    flags = {k: params[k] for k in PROFILE_FLAGS if params.get(k) is not None}
    values: dict = {}
    data_file = params.get("data_file")
    if params.get("embeddings_file") is not None and data_file is None:
        raise BadInput("--embeddings needs --data (the OOV rate is measured on the data)")
    if data_file is not None:
        # Data first; --profile and flags override what the data shows, except the two facts evidence is bound to.
        from advisor.dataprofile import DataError, profile_values_from_data

        try:
            values = profile_values_from_data(
                data_file,
                task=flags.get("task") or file_values.get("task"),
                text_column=params.get("text_column") or "text",
                label_column=params.get("label_column") or "label",
                embeddings=params.get("embeddings_file"),
            )
        except DataError as exc:
            raise BadInput(str(exc)) from None
        for key in ("examples", "task"):
            given = flags.get(key, file_values.get(key))
            if given is not None and given != values[key]:
                raise BadInput(
                    f"--{key} {given} contradicts --data {data_file}, which has {key} {values[key]}: "
                    f"drop --{key} (it is read from the data)"
                )
    values.update(file_values)
    values.update(flags)
    if "examples" not in values:
        raise BadInput("missing --examples (or an 'examples' key in --profile, or --data FILE)")
    profile = None
    if light and data_file is None:
        from advisor.fastpath import light_profile

        profile = light_profile(values)
    if profile is None:
        from pydantic import ValidationError

        from advisor.profile import ConstraintProfile

        try:
            profile = ConstraintProfile.model_validate(values)
        except ValidationError as exc:
            raise BadInput(validation_message(exc, source if not flags else "profile")) from None
    try:
        policy = (
            load_policy_file(params["policy_file"]) if params.get("policy_file") else find_project_policy()
        )
    except PolicyError as exc:
        raise BadInput(str(exc)) from None
    return profile, policy


def run_recommend(profile, policy, evidence=None, *, as_json: bool = False):
    """recommend() (``as_json``: recommend_json()) with the engine's errors mapped to exit codes."""
    from advisor import api
    from advisor.engine import AdvisorError

    try:
        return (api.recommend_json if as_json else api.recommend)(profile, policy=policy, evidence=evidence)
    except AdvisorError as exc:
        raise NoAnswer(str(exc)) from None


from advisor.files import write_text_atomic  # noqa: E402  (re-exported for callers)

# -- commands ------------------------------------------------------------------------------------
# Commands that live in their own modules, imported only when invoked or listed (keeps cold start light
# and avoids import cycles: those modules import this one).
LAZY_COMMANDS = {
    "baseline": "advisor.cli_baseline:baseline",
    "check": "advisor.cli_agent:check_command",
    "ask": "advisor.cli_agent:ask_command",
    "mcp": "advisor.cli_agent:mcp_command",
    "profile": "advisor.cli_agent:profile_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attr = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attr, None)
            if command is None:
                return None
            self.add_command(command, name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="text-encoder-advisor", prog_name="advisor")
def cli():
    """Which text encoder to build under your constraints, and proof for the risky step.

    \b
    Example:
        advisor recommend --examples 300 --deploy phone --latency-ms 5
    """


@cli.command()
@profile_options
@click.option(
    "--evidence",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plateau evidence from `advisor baseline plateau` (needs --data).",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format.  [default: text]"
)
@click.option("json_", "--json", is_flag=True, help="Same as --format json.")
@click.option("--explain", is_flag=True, help="Also print the trail of every rule's effect.")
def recommend(evidence, fmt, json_, explain, **params):
    """Recommend an encoder, embedding input, recipe and monitoring signal for a constraint profile.

    \b
    Example:
        advisor recommend --task classification --examples 300 --deploy phone --latency-ms 5
        advisor recommend --profile profile.toml --format json
        advisor recommend --data train.jsonl --evidence evidence.json
    """
    if json_ and fmt not in (None, "json"):
        raise BadInput(f"--json contradicts --format {fmt}: use one of them")
    fmt = "json" if json_ else (fmt or "text")
    if evidence is not None and params.get("data_file") is None:
        raise BadInput(
            "--evidence needs --data: evidence is matched to the data by fingerprint, never by a count alone"
        )
    if evidence is not None and not evidence.is_file():
        raise BadInput(f"{evidence}: evidence file not found")
    if fmt == "json":  # the JSON document without building a pydantic model where the profile allows
        profile, policy = build_profile(params, light=True)
        click.echo(run_recommend(profile, policy, evidence, as_json=True), nl=False)
        return
    profile, policy = build_profile(params)
    rec = run_recommend(profile, policy, evidence)
    from advisor.render import render_recommendation

    click.echo(render_recommendation(rec, fmt, explain=explain), nl=False)


@cli.group(invoke_without_command=True)
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
    rows = sorted(engine.rules.values(), key=lambda r: r.id)
    if json_:
        doc = {
            "rules": [
                {"id": r.id, "name": r.name, "severity": r.severity, "plugin": r.plugin, "summary": r.summary}
                for r in rows
            ],
            "policy": policy.as_dict(),
            "overrides": {k: {"default": d, "value": v} for k, (d, v) in policy.overrides().items()},
        }
        click.echo(json.dumps(doc, indent=2))
        return
    for r in rows:
        click.echo(f"{r.id}  {r.name:<30} {r.severity:<8} {r.plugin:<32} {r.summary}")
    click.echo("\nPolicy in force:")
    overrides = policy.overrides()
    for name, value in policy.as_dict().items():
        note = f"   (override; shipped default {overrides[name][0]!r})" if name in overrides else ""
        click.echo(f"  {name:<26} {value!r}{note}")


@rules.command("explain")
@click.argument("rule_id")
def rules_explain(rule_id):
    """Show a rule's full documentation, rationale and sources.

    \b
    Example:
        advisor rules explain TEP101
    """
    engine = _engine()
    rule = engine.rules.get(rule_id.upper())
    if rule is None:
        names = {r.name: r.id for r in engine.rules.values()}
        if rule_id.lower() in names:
            rule = engine.rules[names[rule_id.lower()]]
        else:
            import difflib

            close = difflib.get_close_matches(rule_id.upper(), list(engine.rules), n=3, cutoff=0.5)
            close += [names[n] for n in difflib.get_close_matches(rule_id.lower(), list(names), n=2)]
            hint = f"; closest: {', '.join(dict.fromkeys(close))}" if close else ""
            raise BadInput(f"unknown rule {rule_id!r}{hint} (see `advisor rules`)")
    click.echo(
        f"{rule.id} {rule.name} ({rule.severity}, plugin {rule.plugin})\n{rule.summary}\n\n{rule.docs}"
    )


@cli.command()
@click.argument("which", type=click.Choice(("profile", "recommendation", "answer", "evidence")))
def schema(which):
    """Print the JSON schema of a data contract.

    \b
    Example:
        advisor schema recommendation
    """
    from advisor.contracts import schema_for

    click.echo(json.dumps(schema_for(which), indent=2))


@cli.command()
@profile_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the prompt to this file (atomically).",
)
def prompt(out, **params):
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
        or any(params.get(k) is not None for k in PROFILE_FLAGS)
    )
    rec = None
    if has_profile:
        profile, policy = build_profile(params)
        rec = run_recommend(profile, policy)
    text = render_prompt(rec)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
        click.echo(f"wrote {out}", err=True)


def _engine():
    from advisor.engine import AdvisorError, default_engine

    try:
        return default_engine()
    except AdvisorError as exc:
        raise NoAnswer(str(exc)) from None


def _policy(policy_file):
    from advisor.policy import PolicyError, find_project_policy, load_policy_file

    try:
        return load_policy_file(policy_file) if policy_file else find_project_policy()
    except PolicyError as exc:
        raise BadInput(str(exc)) from None


def main() -> None:  # pragma: no cover - console entry
    cli(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
