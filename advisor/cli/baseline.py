"""``advisor baseline``: train, evaluate and plateau-check baselines (needs the ``baselines`` extra).

A thin layer over the Python API (:mod:`advisor.baselines.api`: ``train``, ``plateau``, ``evaluate``,
``predict``): the commands parse the options, call it, render its result and map its errors to exit codes. This
module imports only click at load time: torch and numpy load when the API trains, so ``advisor recommend``
never pays for them.

With ``--json`` stdout holds only the JSON document; progress bars and notes go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advisor.cli import export as exported
from advisor.cli.options import (
    BadInput,
    Interrupted,
    NoAnswer,
    build_profile,
    evidence_option,
    profile_options,
    threads_option,
)
from advisor.runtime import is_export
from advisor.vocabulary import DEVICES, DISTILL_STUDENTS, DISTILL_TEACHERS, FINETUNING, HEADS, POOLINGS, TASKS
from advisor.vocabulary import TRAINABLE as ARCHS


def _api():
    """advisor.baselines.api: the Python API the commands call (it loads torch only when it trains)."""
    from advisor.baselines import api

    return api


def _call(fn, *args, **kwargs):
    """Call an API function, mapping its errors to exit codes (``AdvisorError.exit_code``: 2 bad input, 130
    interrupted, otherwise 1)."""
    from advisor.errors import AdvisorError

    try:
        return fn(*args, **kwargs)
    except AdvisorError as exc:
        raise {2: BadInput, 130: Interrupted}.get(exc.exit_code, NoAnswer)(str(exc)) from None


def _runner():
    """The runner, or a one-line NoAnswer naming the install command when the baselines extra is missing."""
    return _call(_api().require_baselines)


def _finite(param, value: float) -> float:
    """click's FloatRange lets nan through (every comparison with nan is false)."""
    if value != value:
        raise click.BadParameter("nan is not a number in 0..0.01", param=param)
    return value


def _emit(result: dict, json_: bool, human) -> None:
    from advisor.sanitize import clean

    if json_:
        click.echo(json.dumps(result, indent=2))  # ensure_ascii: every unsafe character is a \\u escape
    else:
        click.echo(clean(human(result)))  # paths and labels come from the user's files


def data_options(f):
    for option in reversed(
        [
            click.option(
                "--task",
                type=click.Choice(TASKS),
                help="Task (default: sniffed from the file).",
            ),
            click.option("--text-column", default="text", show_default=True, help="CSV/TSV text column."),
            click.option("--label-column", default="label", show_default=True, help="CSV/TSV label column."),
        ]
    ):
        f = option(f)
    return f


class _TeacherDir(click.Path):
    """A model folder, or the word ``auto`` (``compare --teacher auto``; ``./auto`` for a folder of that name)."""

    def convert(self, value, param, ctx):
        return value if value == "auto" else super().convert(value, param, ctx)


def teacher_option(what: str, auto: bool = False):
    """``--teacher MODEL_DIR`` (``baseline train``; ``compare``, which also takes ``auto``); ``what``: the end of
    its help sentence."""
    kind = _TeacherDir if auto else click.Path
    return click.option(
        "--teacher",
        type=kind(file_okay=False, exists=True, path_type=Path),
        default=None,
        metavar="MODEL_DIR|auto" if auto else "MODEL_DIR",
        help=f"Knowledge distillation: a trained {' or '.join(DISTILL_TEACHERS)} classifier folder whose {what}",
    )


augment_option = click.option(
    "--augment",
    type=click.IntRange(0, 1000),
    default=0,
    show_default=True,
    help="With --teacher: augmented copies per training text (Tang et al. 2019: masking, word swaps, n-grams).",
)


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
    type=click.Choice(POOLINGS),
    default="max",
    show_default=True,
    help="RNN pooling.",
)
@click.option(
    "--embeddings",
    type=click.Path(path_type=Path),
    help="Static vectors: GloVe text, .vec, JSON word→vector, or a model2vec folder (advisor embeddings distill).  "
    "[default: when the recipe says static, the vectors distilled from the shipped all-MiniLM-L6-v2]",
)
@click.option(
    "--freeze-embeddings/--train-embeddings",
    default=None,
    help="Keep the static vectors frozen, or train them.  [default: frozen when the recipe says static]",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, 1000),
    default=None,
    help="Maximum epochs (early stopping may stop sooner).",
)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, help="Random seed.")
@click.option(
    "--device",
    type=click.Choice(DEVICES),
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
    "--force",
    is_flag=True,
    help="Replace an existing --out folder that is not an advisor model folder (only once training succeeds).",
)
@click.option(
    "--encoder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="transformer-finetune, transformer-setfit, frozen-transformer (either head): a local Hugging Face "
    "model folder.  "
    "[default: the shipped all-MiniLM-L6-v2]",
)
@click.option(
    "--head",
    type=click.Choice(HEADS),
    default="lr",
    show_default=True,
    help="frozen-transformer: lr (logistic regression on mean-pooled sentence embeddings) or cnn (BertCNN: a "
    "TextCNN over the frozen token features).",
)
@teacher_option(f"logits the student (--arch {', '.join(DISTILL_STUDENTS)}) learns.")
@click.option(
    "--unlabeled",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="With --teacher: more texts for the teacher to score (JSONL text column, or one per line).",
)
@augment_option
@evidence_option
@click.option(
    "--require-floor",
    is_flag=True,
    help="transformer-finetune, transformer-setfit: exit 1 when the model does not beat the floor or collapses "
    "onto one class.",
)
@threads_option
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
@profile_options(omit=("task", "data_file", "embeddings_file", "text_column", "label_column"))
def train(data, json_, task, text_column, label_column, evidence, require_floor, **opts):
    """Train a baseline on DATA with the recipe `advisor recommend` gives it; report test metrics, per-length
    accuracy (table + PNG), and save the model.

    The profile is read from DATA as `advisor recommend --data DATA` reads it, with the profile options on
    top. The architecture asked (--arch) trains with the embedding input and the recipe (optimizer, learning
    rate, batch size, epochs, patience, regularization) recommend gives that profile for it: static vectors
    are the --embeddings file, frozen (when the recipe says static and no file is given, a note on stderr
    says so and the embeddings are random-init). --epochs, --freeze-embeddings/--train-embeddings override.

    \b
    Example:
        advisor baseline train train.jsonl --test test.jsonl --arch textcnn --out runs/textcnn
        advisor baseline train train.jsonl --deploy phone --embeddings glove.6B.300d.txt --arch textcnn
        advisor baseline train train.jsonl --arch transformer-finetune --evidence evidence.json
        advisor baseline train train.jsonl --arch transformer-setfit --evidence evidence.json
        advisor baseline train train.jsonl --arch textcnn --teacher runs/frozen-transformer --augment 4
    """
    own = {k: opts.pop(k) for k in TRAIN_OPTIONS}
    if require_floor and own["arch"] not in FINETUNING:
        raise BadInput(f"--require-floor applies to --arch {' or '.join(FINETUNING)} only")
    data_params = {"data_file": data, "task": task, "text_column": text_column, "label_column": label_column}
    profile, policy = build_profile({**opts, **data_params})
    api = _api()
    result = _call(
        api.train,
        data,
        profile=profile,
        policy=policy,
        evidence=evidence,
        task=task,
        text_column=text_column,
        label_column=label_column,
        test=own.pop("test_file"),
        dev=own.pop("dev_file"),
        **own,
    )
    from advisor.baselines.report import format_train

    _emit(result.document(), json_, format_train)
    if require_floor and not result.floor.passed:
        raise click.exceptions.Exit(1)


# The train command's own options (the API's keywords; --test/--dev are test/dev); the rest are the profile's.
TRAIN_OPTIONS = (
    "test_file",
    "dev_file",
    "arch",
    "head",
    "pooling",
    "embeddings",
    "freeze_embeddings",
    "epochs",
    "seed",
    "device",
    "out",
    "force",
    "teacher",
    "unlabeled",
    "augment",
    "threads",
    "encoder",
)


@baseline.command()
@click.argument("model", type=click.Path(file_okay=False, path_type=Path))
@click.argument("data", type=click.Path(dir_okay=False, path_type=Path))
@data_options
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
def evaluate(model, data, json_, **opts):
    """Evaluate a saved MODEL directory on DATA (accuracy, macro-F1, per-class, per-length; or entity F1).

    An exported MODEL folder (`baseline export`) runs with onnxruntime alone, without torch.

    \b
    Example:
        advisor baseline evaluate runs/textcnn test.jsonl
    """
    if is_export(model):
        return exported.evaluate(model, data, json_, **opts)
    from advisor.baselines.report import format_evaluate

    _emit(_call(_api().evaluate, model, data, **opts), json_, format_evaluate)


@baseline.command()
@click.argument("model", type=click.Path(file_okay=False, path_type=Path))
@click.argument("texts", nargs=-1)
@click.option("json_", "--json", is_flag=True, help="Print predictions as JSON lines.")
@click.option(
    "--stream",
    is_flag=True,
    help="Exported lstm/gru/rnn: print the running prediction after each token, as stdin words arrive.",
)
def predict(model, texts, json_, stream):
    """Predict labels (or tags) for TEXT arguments, or for lines on stdin.

    An exported MODEL folder (`baseline export`) runs with onnxruntime alone, without torch.

    \b
    Example:
        advisor baseline predict runs/textcnn "where is my parcel"
        cat texts.txt | advisor baseline predict runs/textcnn
        advisor baseline predict --stream runs/lstm-onnx < words.txt
    """
    if stream:
        return exported.stream(model, texts, json_)
    if texts:
        items = list(texts)
    else:
        raw = sys.stdin.buffer.read()
        try:
            lines = [
                line.removesuffix("\r") for line in raw.decode("utf-8").split("\n")
            ]  # lines end at \n only
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"stdin is not UTF-8 text (byte 0x{raw[exc.start]:02X} at offset {exc.start})"
            ) from None
        items = [line for line in lines if line.strip()]
    for i, text in enumerate(items, 1):
        if not text.strip():
            raise BadInput(f"TEXT {i} is empty: give each text to predict as non-empty text")
    if not items:
        raise BadInput("nothing to predict: give TEXT arguments or lines on stdin")
    if is_export(model):
        return exported.predict(model, items, json_)
    from advisor.sanitize import one_line

    for text, pred in _call(_api().predict, model, items):  # the text and the model's labels are input
        click.echo(
            json.dumps({"text": text, "prediction": pred}) if json_ else f"{one_line(pred)}\t{one_line(text)}"
        )


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
    callback=lambda ctx, param, value: _finite(param, value),
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
    "--embeddings",
    type=click.Path(path_type=Path),
    help="Static vectors for the baselines (a file or a model2vec folder).",
)
@threads_option
@click.option(
    "--device",
    type=click.Choice(DEVICES),
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
    from advisor.baselines.report import format_plateau

    _emit(_call(_api().plateau, data, out, arch=opts.pop("archs"), **opts), json_, format_plateau)


baseline.add_command(exported.export)
