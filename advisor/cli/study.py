"""``advisor study``: the lesson's experiments as reproducible studies (needs the ``baselines`` extra).

This module imports only click at load time; the studies (torch, numpy, scipy, matplotlib) are imported
when the command runs. The Python API beside it is ``advisor.baselines.studies.run_study``.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from advisor.cli.baseline import _runner
from advisor.cli.options import CONTEXT_SETTINGS, BadInput, NoAnswer, threads_option
from advisor.vocabulary import DEVICES, EXECUTORS, STUDIES


@click.command("study", context_settings=CONTEXT_SETTINGS)
@click.argument("name", type=click.Choice(STUDIES), metavar="NAME")
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A classification file (widths: the real set beside the invented one; pooling: the set, "
    "default the invented one; ner: the training CoNLL file, with --dev and --test). vanishing-gradient "
    "generates its own sequences.",
)
@click.option(
    "--test",
    "test_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Test file for --data (default: a stratified 80/10/10 split of --data).",
)
@click.option(
    "--dev",
    "dev_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ner: the dev CoNLL file for early stopping (with --data and --test).",
)
@click.option(
    "--encoder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="ner: a local Hugging Face folder to fine-tune.  [default: the shipped all-MiniLM-L6-v2]",
)
@click.option(
    "--max-train-sentences",
    type=click.IntRange(2, None),
    help="ner, a CPU budget: train on a seeded subset of this many sentences.",
)
@click.option(
    "--max-dev-sentences", type=click.IntRange(1, None), help="ner, a CPU budget: dev sentences (a subset)."
)
@click.option(
    "--epochs", type=click.IntRange(1, 1000), help="ner, a CPU budget: cap the neural models' epochs."
)
@click.option(
    "--device",
    type=click.Choice(DEVICES),
    default=None,
    help="ner: where the neural models train.  [default: auto]",
)
@click.option(
    "--seeds", type=click.IntRange(1, 1000), default=None, help="Seeds per model.  [default: the study's]"
)
@click.option("--quick", is_flag=True, help="CI-sized settings (seconds, not a result).")
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: the runs one after another; ray: a Ray task per run (seed x configuration), --threads CPUs "
    "each (joins RAY_ADDRESS when set; needs the ray extra).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder.  [default: outputs/studies/NAME; with --quick runs/studies/NAME-quick]",
)
@threads_option
@click.option("json_", "--json", is_flag=True, help="Print results.json's document (stdout only).")
def study(name, data, test_file, seeds, quick, executor, out, threads, json_, dev_file, **options):
    """Run study NAME and write report.md, results.json and PNGs into --out, atomically.

    \b
    widths              TextCNN filter widths (2,3,4) against (3), both filter budgets, >= 10 seeds
    pooling             LSTM max / mean / last-state pooling, overall and per length bucket
    vanishing-gradient  gradient to the first hidden state against length, RNN / LSTM / GRU
    ner                 CRF alone vs BiLSTM-CRF vs fine-tuned MiniLM on CoNLL (F1, time, peak memory)

    Finished runs are kept beside --out until the study is written: the same command resumes.

    \b
    Example:
        advisor study widths --data ../shared/datasets/trec/train.jsonl --test ../shared/datasets/trec/test.jsonl
        advisor study vanishing-gradient --quick
        advisor study widths --executor ray --threads 1   # a Ray task per (dataset, model, seed)
        advisor study ner --max-train-sentences 2000 --epochs 3   # CoNLL-2003 from ../shared/datasets
    """
    _runner()  # the baselines extra, or a one-line NoAnswer
    from advisor.baselines.api import ExtraMissing
    from advisor.baselines.studies import StudyError, default_out, run_study
    from advisor.data import DataError

    out = out or default_out(name, quick)
    command = shlex.join(["advisor", *sys.argv[1:]]) if _from_console(name) else None
    try:
        results = run_study(
            name,
            data=data,
            test=test_file,
            seeds=seeds,
            quick=quick,
            executor=executor,
            out=out,
            threads=threads,
            command=command,
            dev=dev_file,
            **options,
        )
    except DataError as exc:
        raise BadInput(str(exc)) from None
    except (StudyError, ExtraMissing) as exc:
        raise NoAnswer(str(exc)) from None
    if json_:
        click.echo(json.dumps(json.loads(results.model_dump_json()), indent=2))
    else:
        click.echo(f"wrote {out}/report.md, results.json and plots ({results.seconds:.0f} s)")


def _from_console(name: str) -> bool:
    """Whether sys.argv is this very command line (``advisor study NAME ...``), not a test runner's."""
    return len(sys.argv) >= 3 and Path(sys.argv[0]).name == "advisor" and sys.argv[1:3] == ["study", name]
