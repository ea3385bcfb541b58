"""``advisor compare``: a measured bake-off of the admissible candidates (a thin layer over
:func:`advisor.baselines.compare.compare`; needs the ``baselines`` extra, ``--executor ray`` the ``ray`` extra)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor.cli.baseline import _api, _call, augment_option, data_options, teacher_option
from advisor.cli.options import (
    CONTEXT_SETTINGS,
    build_profile,
    evidence_option,
    profile_options,
    threads_option,
)
from advisor.vocabulary import DEVICES, EXECUTORS


def _names(ctx, param, value):
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


@click.command("compare", context_settings=CONTEXT_SETTINGS)
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@data_options
@click.option(
    "--test",
    "test_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Test file: scored and reported, never used to pick.",
)
@click.option(
    "--dev",
    "dev_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dev file (default: "
    "the evidence's split of DATA, policy evidence_split_seed and evidence_dev_fraction).",
)
@evidence_option
@click.option(
    "--candidates",
    callback=_names,
    help="Comma-separated subset of the admissible candidates.  "
    "[default: every candidate the engine leaves admissible]",
)
@click.option(
    "--seeds", type=click.IntRange(2, 100), default=3, show_default=True, help="Seeds per candidate."
)
@click.option(
    "--time-budget-min",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Plan successive halving (and skip the dearest candidates) to fit this many minutes, "
    "from the estimates.  [default: no budget: every seed of every candidate]",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: one trial after another; ray: a Ray task per trial (joins RAY_ADDRESS when set).",
)
@teacher_option(
    "logits every distillation student among the candidates also learns, as its own row "
    '("textcnn (distilled)"), same split and seeds; auto: the best measured teacher-capable candidate\'s '
    "seed-0 model teaches, in a last round.",
    auto=True,
)
@augment_option
@click.option(
    "--device", type=click.Choice(DEVICES), default="auto", show_default=True, help="Training device."
)
@threads_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/compare"),
    show_default=True,
    help="Output folder (replaced atomically; only an earlier compare's).",
)
@click.option("json_", "--json", is_flag=True, help="Print measurements.json's document (stdout only).")
@profile_options(omit=("task", "data_file", "embeddings_file", "text_column", "label_column"))
def compare(
    data,
    task,
    text_column,
    label_column,
    test_file,
    dev_file,
    evidence,
    candidates,
    seeds,
    time_budget_min,
    executor,
    teacher,
    augment,
    device,
    threads,
    out,
    json_,
    **opts,
):
    """Train the admissible candidates on DATA (one split, several seeds), measure dev score, size and latency;
    write measurements.json, measurements.md and measurements.png into --out.

    Feed the result back with `advisor recommend --data DATA --measurements OUT/measurements.json`.

    \b
    Example:
        advisor compare train.jsonl --test test.jsonl --seeds 3 --out runs/compare
        advisor compare train.jsonl --deploy phone --latency-ms 5 --candidates ngram-linear,textcnn
        advisor compare train.jsonl --candidates ngram-linear,textcnn --teacher runs/frozen-transformer --augment 4
    """
    data_params = {"data_file": data, "task": task, "text_column": text_column, "label_column": label_column}
    profile, policy = build_profile({**opts, **data_params})
    from advisor.baselines.compare import compare as run_compare
    from advisor.baselines.compare import table

    _call(_api().require_baselines)
    doc = _call(
        run_compare,
        data,
        profile,
        test=test_file,
        dev=dev_file,
        policy=policy,
        evidence=evidence,
        candidates=candidates,
        seeds=seeds,
        time_budget_min=time_budget_min,
        executor=executor,
        out=out,
        task=task,
        text_column=text_column,
        label_column=label_column,
        device=device,
        threads=threads,
        teacher=teacher,
        augment=augment,
    )
    if json_:
        click.echo(json.dumps(doc.model_dump(mode="json"), indent=2))
        return
    from advisor.sanitize import clean

    click.echo(clean(table(doc)), nl=False)
    click.echo(f"\nwrote {out}/measurements.json, measurements.md and measurements.png")
