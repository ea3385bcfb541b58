"""``advisor baseline``: train, evaluate and plateau-check baselines (needs the ``baselines`` extra).

This module imports only click at load time: torch and numpy are imported inside the commands, through
:mod:`advisor.baselines.runner`, so ``advisor recommend`` never pays for them.

With ``--json`` stdout holds only the JSON document; progress bars and notes go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advisor.cli.options import BadInput, NoAnswer
from advisor.vocabulary import TRAINABLE as ARCHS


def _runner():
    try:
        from advisor.baselines import runner
    except ImportError as exc:  # the extra is not installed
        raise NoAnswer(
            f"the baselines need the 'baselines' extra ({exc.name or exc}): "
            "pip install torch==2.13.0 && pip install 'text-encoder-advisor[baselines]'"
        ) from None
    return runner


def _call(fn, *args, **kwargs):
    """Run a runner function, mapping data errors to exit 2 and training failures to exit 1."""
    from advisor.data import DataError

    runner = _runner()
    try:
        return fn(runner)(*args, **kwargs)
    except (DataError, runner.OptionError) as exc:
        raise BadInput(str(exc)) from None
    except runner.BaselineError as exc:
        raise NoAnswer(str(exc)) from None


def _emit(result: dict, json_: bool, human) -> None:
    if json_:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(human(result))


def data_options(f):
    for option in reversed(
        [
            click.option(
                "--task",
                type=click.Choice(("classification", "tagging")),
                help="Task (default: sniffed from the file).",
            ),
            click.option("--text-column", default="text", show_default=True, help="CSV/TSV text column."),
            click.option("--label-column", default="label", show_default=True, help="CSV/TSV label column."),
        ]
    ):
        f = option(f)
    return f


@click.group()
def baseline():
    """Train and evaluate TextCNN/RNN/BiLSTM-CRF baselines on your data; write plateau evidence.

    \b
    Example:
        advisor baseline train train.jsonl --test test.jsonl --out runs/textcnn
        advisor baseline plateau train.jsonl --out evidence.json
    """


@baseline.command()
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@data_options
@click.option(
    "--test",
    "test_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Test file (default: a stratified split).",
)
@click.option(
    "--dev",
    "dev_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dev file for early stopping (default: a stratified split).",
)
@click.option(
    "--arch",
    type=click.Choice(ARCHS),
    default=None,
    help="Architecture.  [default: textcnn; bilstm-crf for tagging]",
)
@click.option(
    "--pooling",
    type=click.Choice(("max", "mean", "last")),
    default="max",
    show_default=True,
    help="RNN pooling.",
)
@click.option(
    "--embeddings",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Static vectors: GloVe text, .vec, or JSON word→vector.",
)
@click.option("--freeze-embeddings", is_flag=True, help="Keep the static vectors frozen.")
@click.option(
    "--epochs",
    type=click.IntRange(1, 1000),
    default=None,
    help="Maximum epochs (early stopping may stop sooner).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--device",
    type=click.Choice(("auto", "cpu", "cuda")),
    default="auto",
    show_default=True,
    help="Training device.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model directory.  [default: runs/<arch>-seed<N>]",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="CPU threads for torch (1 is fastest for these small models on a shared CPU).",
)
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
def train(data, json_, **opts):
    """Train a baseline on DATA; report test metrics, per-length accuracy (table + PNG), and save the model.

    \b
    Example:
        advisor baseline train train.jsonl --test test.jsonl --arch textcnn --out runs/textcnn
    """
    result = _call(lambda r: r.train, data, **opts)
    _emit(result, json_, lambda r: _runner().format_train(r))


@baseline.command()
@click.argument("model", type=click.Path(file_okay=False, path_type=Path))
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@data_options
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
def evaluate(model, data, json_, **opts):
    """Evaluate a saved MODEL directory on DATA (accuracy, macro-F1, per-class, per-length; or entity F1).

    \b
    Example:
        advisor baseline evaluate runs/textcnn test.jsonl
    """
    result = _call(lambda r: r.evaluate, model, data, **opts)
    _emit(result, json_, lambda r: _runner().format_evaluate(r))


@baseline.command()
@click.argument("model", type=click.Path(file_okay=False, path_type=Path))
@click.argument("texts", nargs=-1)
@click.option("json_", "--json", is_flag=True, help="Print predictions as JSON lines.")
def predict(model, texts, json_):
    """Predict labels (or tags) for TEXT arguments, or for lines on stdin.

    \b
    Example:
        advisor baseline predict runs/textcnn "where is my parcel"
        cat texts.txt | advisor baseline predict runs/textcnn
    """
    items = list(texts) if texts else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not items:
        raise BadInput("nothing to predict: give TEXT arguments or lines on stdin")
    for text, pred in _call(lambda r: r.predict, model, items):
        click.echo(json.dumps({"text": text, "prediction": pred}) if json_ else f"{pred}\t{text}")


@baseline.command()
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@data_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Evidence file to write (JSON, atomically).",
)
@click.option(
    "--arch",
    "archs",
    default=None,
    help="Comma-separated architectures.  [default: textcnn,bilstm; bilstm-crf for tagging]",
)
@click.option(
    "--seeds", type=click.IntRange(1, 20), default=3, show_default=True, help="Seeds per architecture."
)
@click.option(
    "--patience",
    type=click.IntRange(2, 50),
    default=3,
    show_default=True,
    help="Epochs after the best that must fail to improve.",
)
@click.option(
    "--min-delta",
    type=click.FloatRange(0, 0.01),
    default=0.001,
    show_default=True,
    help="An improvement must exceed this (metric in 0..1).",
)
@click.option(
    "--max-epochs",
    type=click.IntRange(3, 500),
    default=60,
    show_default=True,
    help="Give up (verdict not-plateaued) after this many epochs.",
)
@click.option(
    "--fractions", default="0.25,0.5,1.0", show_default=True, help="Training fractions of the learning curve."
)
@click.option(
    "--embeddings", type=click.Path(dir_okay=False, path_type=Path), help="Static vectors for the baselines."
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="CPU threads for torch (1 is fastest for these small models on a shared CPU).",
)
@click.option(
    "--device",
    type=click.Choice(("auto", "cpu", "cuda")),
    default="auto",
    show_default=True,
    help="Training device.",
)
@click.option("json_", "--json", is_flag=True, help="Print the evidence summary as JSON (stdout only).")
def plateau(data, out, json_, **opts):
    """Train baselines on DATA with several seeds until they plateau; write the evidence TEP101 verifies.

    The verdict is per run: after the best epoch, --patience further epochs each fail to beat it by more
    than --min-delta. The learning curve over training fractions is reported, not used for the verdict.

    \b
    Example:
        advisor baseline plateau train.jsonl --out evidence.json
        advisor recommend --data train.jsonl --evidence evidence.json
    """
    result = _call(lambda r: r.plateau, data, out, **opts)
    _emit(result, json_, lambda r: _runner().format_plateau(r))
