"""The agent-surface commands: ``advisor check``, ``advisor ask`` and ``advisor mcp``.

Exit codes (as the rest of the CLI): 0 the answer respects the policy (``mcp``: the client closed the
server); 1 it violates the policy, or no checked answer could be produced (the model failed or replied
without JSON, the engine cannot answer, ``llm``/``mcp`` is not installed); 2 anything wrong in what the
user passed (a malformed answer file, profile options, an unknown model name).

This module imports only click at load time: the engine, ``llm`` and ``mcp`` are imported inside the
commands. The logic lives in :mod:`advisor.answers`, :mod:`advisor.agents.ask` and :mod:`advisor.agents.mcp_server`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor.cli.options import (
    BadInput,
    NoAnswer,
    _policy,
    build_profile,
    check_attached,
    evidence_option,
    measurements_option,
    profile_options,
)
from advisor.vocabulary import TASKS


def _check_evidence(evidence: Path | None, params: dict) -> None:
    check_attached(params, evidence)


@click.command("check")
@click.argument("answer", metavar="ANSWER")
@profile_options
@evidence_option
@measurements_option
@click.option("json_", "--json", is_flag=True, help="Print the verdict as JSON (same exit codes).")
@click.pass_context
def check_command(ctx, answer, evidence, measurements, json_, **params):
    """Check an answer against the policy for a profile; exit 1 on any violation.

    ANSWER is a file or - for stdin, holding the JSON object the prompt asks for (`advisor schema
    answer`), bare or inside a ```json block. Every violation is printed with its rule id.

    \b
    Example:
        advisor check answer.json --examples 300
        cat reply.md | advisor check - --examples 300 --deploy phone --json
    """
    from advisor.answers import CheckInputError, check, read_answer, render_check
    from advisor.errors import AdvisorError
    from advisor.sanitize import json_text

    check_attached(params, evidence, measurements)
    try:
        parsed = read_answer(answer)
    except CheckInputError as exc:
        raise BadInput(str(exc)) from None
    profile, policy = build_profile(params)
    try:
        result = check(parsed, profile, policy=policy, evidence=evidence, measurements=measurements)
    except AdvisorError as exc:
        raise (BadInput if exc.exit_code == 2 else NoAnswer)(str(exc)) from None
    if json_:
        click.echo(json_text(result.model_dump_json(indent=2)))
    else:
        click.echo(render_check(result, source="answer" if answer == "-" else Path(answer).name), nl=False)
    ctx.exit(0 if result.ok else 1)


@click.command("ask")
@profile_options
@evidence_option
@click.option(
    "-m",
    "--model",
    "model_name",
    help="llm model id or alias (`llm models`).  [default: llm's default model]",
)
@click.option("json_", "--json", is_flag=True, help="Print the model, its reply and the verdict as JSON.")
@click.pass_context
def ask_command(ctx, evidence, model_name, json_, **params):
    """Ask an LLM (through the llm library) for advice, then check its answer against the policy.

    The prompt carries the engine's verdicts as hard constraints; the reply is parsed and checked like
    `advisor check`: with violations the verdict says so and shows the engine's own recommendation
    beside the model's answer (exit 1). Needs the llm extra and a model configured in llm.

    \b
    Example:
        advisor ask --examples 300 --deploy phone --model gpt-4o-mini
        advisor ask --profile profile.toml --json
    """
    from advisor.agents.ask import AskError, ask
    from advisor.answers import render_check
    from advisor.errors import AdvisorError
    from advisor.sanitize import clean, one_line

    _check_evidence(evidence, params)
    profile, policy = build_profile(params)
    try:
        result = ask(profile, model=model_name, policy=policy, evidence=evidence)
    except AskError as exc:
        if exc.reply is not None:
            shown = exc.reply if len(exc.reply) <= 2000 else exc.reply[:2000] + " [...]"
            click.echo(f"the model's reply:\n{clean(shown)}", err=True)
        raise (BadInput if exc.exit_code == 2 else NoAnswer)(str(exc)) from None
    except AdvisorError as exc:
        raise NoAnswer(str(exc)) from None
    if json_:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(f"model: {one_line(result.model)}\n")
        click.echo(render_check(result.check, source=f"model {result.model}"), nl=False)
    ctx.exit(0 if result.check.ok else 1)


@click.command("mcp")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy thresholds file (TOML/JSON). Default: [tool.advisor] of the nearest pyproject.toml.",
)
def mcp_command(policy_file):
    """Serve the advisor as a Model Context Protocol server over stdio (needs the mcp extra).

    Tools: recommend, check, list_rules, explain_rule, render_prompt; resources: the JSON schemas
    (advisor://schema/NAME). Point an MCP client at the command `advisor mcp`.

    \b
    Example:
        advisor mcp
        claude mcp add text-encoder-advisor -- advisor mcp
    """
    from advisor.agents.mcp_server import MCP_MISSING, serve

    policy = _policy(policy_file)
    try:
        import mcp.server.mcpserver  # noqa: F401  (the extra; imported for real by serve)
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mcp")
        except PackageNotFoundError:
            found = None
        old = found is not None and found.split(".")[0].isdigit() and int(found.split(".")[0]) < 2
        raise NoAnswer(
            MCP_MISSING + (f" (found mcp {found}; the server is written for mcp 2.x)" if old else "")
        ) from None
    serve(policy)


@click.command("profile")
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--task", type=click.Choice(TASKS), help="Task (default: sniffed from the file).")
@click.option(
    "--embeddings",
    type=click.Path(path_type=Path),
    help="Report the OOV rate against these vectors (a file, or a model2vec folder).",
)
@click.option("--text-column", default="text", show_default=True, help="CSV/TSV text column.")
@click.option("--label-column", default="label", show_default=True, help="CSV/TSV label column.")
@click.option("json_", "--json", is_flag=True, help="Print the profile as JSON (stdout only).")
def profile_command(data, task, embeddings, text_column, label_column, json_):
    """Show the profile the advisor reads off a data file (examples, classes, balance, lengths, S/W ratio, OOV).

    \b
    Example:
        advisor profile train.jsonl
        advisor profile train.conll --task tagging --json
    """
    from pydantic import ValidationError

    from advisor.data.from_file import DataError, profile_values_from_data
    from advisor.profile import ConstraintProfile
    from advisor.sanitize import json_text, one_line

    notes: list[str] = []
    try:
        values = profile_values_from_data(
            data,
            task=task,
            text_column=text_column,
            label_column=label_column,
            embeddings=embeddings,
            notes=notes,
        )
        profile = ConstraintProfile.model_validate(values)
    except DataError as exc:
        raise BadInput(str(exc)) from None
    except ImportError as exc:  # a model2vec folder without the transformer extra
        raise NoAnswer(str(exc)) from None
    except ValidationError as exc:
        raise BadInput(f"{data}: {exc.errors()[0]['msg']}") from None
    for note in notes:  # e.g. the cp1252 fallback: on stderr, so --json stays one document
        click.echo(f"note: {data}: {note}", err=True)
    if json_:
        click.echo(json_text(profile.model_dump_json(indent=2)))
        return
    d = profile.data
    counts = ", ".join(f"{one_line(k)} {v}" for k, v in d.label_counts.items())
    lines = [
        f"{one_line(data)}: {profile.task}, {profile.examples} {'sentences' if profile.task == 'tagging' else 'examples'}",
        f"  classes: {profile.classes or len(d.label_counts)} ({counts})",
        f"  imbalance: {d.imbalance_ratio:.1f}:1" if d.imbalance_ratio else "  imbalance: n/a",
        f"  words per example: median {d.tokens_median:g}, p95 {d.tokens_p95:g}, max {d.tokens_max}",
        f"  samples / words-per-sample (S/W): {d.sw_ratio:.0f}" if d.sw_ratio else "  S/W: n/a",
        f"  fingerprint: {d.fingerprint}",
    ]
    if d.oov_rate is not None:
        lines.append(f"  OOV vs {one_line(d.embeddings)}: {d.oov_rate:.1%}")
    click.echo("\n".join(lines))
