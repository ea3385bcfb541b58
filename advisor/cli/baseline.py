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

from advisor.cli import export as exported
from advisor.cli.options import (
    BadInput,
    Interrupted,
    NoAnswer,
    evidence_option,
    profile_options,
    threads_option,
)
from advisor.runtime import is_export
from advisor.vocabulary import DEVICES, POOLINGS, TASKS
from advisor.vocabulary import TRAINABLE as ARCHS


def _runner():
    try:
        import numpy  # noqa: F401  (the extra, checked before any work)
        import torch  # noqa: F401

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
    except ImportError as exc:  # an extra a model kind needs (frozen-transformer: the transformer extra)
        raise NoAnswer(str(exc)) from None
    except runner.BaselineInterrupted as exc:
        raise Interrupted(str(exc)) from None
    except runner.BaselineError as exc:
        raise NoAnswer(str(exc)) from None


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
    type=click.Path(dir_okay=False, path_type=Path),
    help="Static vectors: GloVe text, .vec, or JSON word→vector.",
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
    help="transformer-finetune: a local Hugging Face model folder.  [default: the shipped all-MiniLM-L6-v2]",
)
@evidence_option
@click.option(
    "--require-floor",
    is_flag=True,
    help="transformer-finetune: exit 1 when the model does not beat the floor or collapses onto one class.",
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
    """
    own = {k: opts.pop(k) for k in TRAIN_OPTIONS}
    data_params = {"data_file": data, "task": task, "text_column": text_column, "label_column": label_column}
    finetune = own["arch"] == "transformer-finetune"
    if not finetune:
        for name, value in (
            ("--encoder", own["encoder"]),
            ("--evidence", evidence),
            ("--require-floor", require_floor),
        ):
            if value:
                raise BadInput(f"{name} applies to --arch transformer-finetune only")
    answer = None  # (profile, policy, recommendation): asked once, the evidence verified once
    if finetune:
        answer = ask_engine({**opts, **data_params}, evidence)
        own["floor"] = finetune_gate(answer, evidence, data)
    result = _call(
        lambda r: r.train,
        data,
        task=task,
        text_column=text_column,
        label_column=label_column,
        advise=lambda arch, task: advice(
            arch, {**opts, **data_params, "task": task}, evidence, answer=answer
        ),
        **own,
    )
    _emit(result, json_, lambda r: _runner().format_train(r))
    if require_floor and not result["floor"]["passed"]:
        raise click.exceptions.Exit(1)


def ask_engine(params: dict, evidence: Path | None = None) -> tuple:
    """(profile, policy, recommendation) for the profile options ``params``, asked as ``advisor recommend
    --data DATA [--evidence FILE]`` asks (the evidence verified, checkpoints re-evaluated, once)."""
    from advisor.cli.options import build_profile, run_recommend

    profile, policy = build_profile(params)
    return profile, policy, run_recommend(profile, policy, evidence)


def finetune_gate(answer: tuple, evidence: Path | None, data: Path) -> dict:
    """TEP101's gate on training ``transformer-finetune``, and the floor the trained model is checked against.

    The engine is asked exactly as ``advisor recommend --data DATA [--evidence FILE]`` asks it (the evidence
    verified by :func:`advisor.evidence.verify`). When TEP101 refuses fine-tuning (under policy
    ``finetune_min_examples`` without evidence it accepts), this refuses before any training: ``NoAnswer`` (exit
    1) with TEP101's reason and its unlock command. Otherwise it returns the ``floor`` argument of
    ``advisor.baselines.runner.train``: accepted evidence's floor (mean ± std) and split, else the dev
    majority-class rate; with ``policy.collapse_margin``.
    """
    profile, policy, rec = answer
    if profile.task != "classification":
        raise BadInput(
            "--arch transformer-finetune trains text classifiers; token classification (tagging) is not "
            "implemented yet: use --arch bilstm-crf"
        )
    refusal = next(
        (r for r in rec.refusals if r.architecture == "transformer-finetune" and r.rule == "TEP101"), None
    )
    if refusal is not None:
        import shlex

        raise NoAnswer(
            f"TEP101 refuses training transformer-finetune: {refusal.message}. Unlock: {refusal.unlock}; then "
            f"advisor baseline train {shlex.quote(str(data))} --arch transformer-finetune "
            "--evidence evidence.json"
        )
    ev = rec.evidence
    if ev is not None and ev.accepted:
        return {
            "source": "evidence",
            "evidence": str(evidence),
            "mean": ev.floor_mean,
            "std": ev.floor_std,
            "split_seed": policy.evidence_split_seed,
            "dev_fraction": policy.evidence_dev_fraction,
            "collapse_margin": policy.collapse_margin,
        }
    if ev is not None:
        _note(f"note: evidence not accepted ({ev.reason}): the floor check uses the majority-class rate")
    return {"source": "majority", "collapse_margin": policy.collapse_margin}


# The train command's own options; the rest are the profile's (profile_options).
TRAIN_OPTIONS = (
    "test_file",
    "dev_file",
    "arch",
    "pooling",
    "embeddings",
    "freeze_embeddings",
    "epochs",
    "seed",
    "device",
    "out",
    "force",
    "threads",
    "encoder",
)


def advice(arch: str, params: dict, evidence: Path | None = None, *, answer: tuple | None = None) -> dict:
    """What ``advisor recommend`` gives the profile of ``params`` (the profile options) for ``arch``.

    ``{"architecture", "recommended", "embedding", "why", "recipe"}``: the embedding input, the reason
    its rule gives, and the five recipe lines, as recommend prints them when ``arch`` wins (otherwise the
    engine is asked with ``force_winner``, as ``advisor check`` asks it). The plain RNN baseline is no
    candidate: it reads the LSTM's advice (the same recipe row). An architecture the profile excludes or
    refuses gets ``embedding`` None and a note naming the rule; it still trains, as asked. Training always
    follows the recipe table: a line a plugin's rule printed instead is named in a note. ``answer``: what
    :func:`ask_engine` already gave for these options (used when its task is the one asked).
    """
    from advisor.api import recommend
    from advisor.candidates import MULTILINGUAL, TRANSFORMERS
    from advisor.recipes import recipe_for

    if answer is None or (params.get("task") is not None and answer[0].task != params["task"]):
        answer = ask_engine(params, evidence)
    profile, policy, rec = answer
    asked = "lstm" if arch == "rnn" else arch
    out = {"architecture": arch, "recommended": rec.architecture}
    if rec.architecture != asked:
        _note(f"note: recommend picks {rec.architecture} for this profile; this trains {arch}")
        blocked = next(
            (a for a in rec.alternatives if a.architecture == asked and a.status != "ranked"), None
        )
        if blocked is not None:
            _note(
                f"note: recommend {blocked.status} {arch} for this profile ({blocked.why_not}); training it anyway"
            )
            return {**out, "embedding": None, "why": blocked.why_not, "recipe": None}
        rec = recommend(profile, policy=policy, evidence=evidence, force_winner=asked)
    why = next(t.reason for t in reversed(rec.trace) if t.kind == "embedding")  # the last one set it
    if arch in TRANSFORMERS and not profile.english:
        _note(
            f"note: the recipe names {MULTILINGUAL} for language {profile.language}; "
            "this baseline encodes with the bundled English all-MiniLM-L6-v2"
        )
    printed = rec.recipe.model_dump()
    table = recipe_for(asked, profile.task).lines(profile.task)
    for name, line in printed.items():  # a plugin's rule may print another line than the table's
        if line != table[name] and not line.startswith(f"{table[name]}; encoder: "):
            _note(f"note: recommend prints {name} {line!r} (a plugin's rule); this trains {table[name]!r}")
    return {**out, "embedding": rec.embedding, "why": why, "recipe": printed}


def _note(msg: str) -> None:
    click.echo(msg, err=True)


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
    result = _call(lambda r: r.evaluate, model, data, **opts)
    _emit(result, json_, lambda r: _runner().format_evaluate(r))


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

    for text, pred in _call(lambda r: r.predict, model, items):  # the text and the model's labels are input
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
    "--embeddings", type=click.Path(dir_okay=False, path_type=Path), help="Static vectors for the baselines."
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
    result = _call(lambda r: r.plateau, data, out, **opts)
    _emit(result, json_, lambda r: _runner().format_plateau(r))


baseline.add_command(exported.export)
