"""What the ``advisor baseline`` commands do: load data, split, train, evaluate, save, and write evidence.

This module orchestrates; :mod:`advisor.baselines.plateau` assembles and writes the evidence file,
:mod:`advisor.baselines.report` holds the test reports and their human-readable forms, and every model folder is
described by its :mod:`advisor.baselines.manifest`. Public for the benchmarks and other callers:
:func:`train_neural` (the one place the training defaults are applied), :func:`split_data` and
:data:`SPLIT_SEED`.

Every function returns a plain dict (the ``--json`` document). Progress goes to stderr. Splits use a fixed
seed (:data:`SPLIT_SEED`) and are recorded in every artifact with the data fingerprint.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.data import (
    DataError,
    Dataset,
    check_labels_seen,
    fingerprint,
    load_dataset,
    stratified_split,
    tokenize,
)
from advisor.data.split import dataset_split, stratify_labels
from advisor.errors import AdvisorError
from advisor.evidence import plateau_verdict
from advisor.recipes import DEV_METRIC, recipe_for
from advisor.vocabulary import FINETUNING, NEURAL, READS_VECTORS, TAGGING_TRAINABLE, TRAINABLE, Task

from .manifest import TORCH_LIBRARIES, Manifest, read_manifest, versions
from .plateau import checkpoints_folder, evidence_document, save_checkpoints, write_evidence

# format_*: the commands' human-readable forms (advisor.cli.baseline imports them from .report; kept here for
# callers that reach them through this module).
from .report import (  # noqa: F401
    classification_report,
    format_evaluate,
    format_plateau,
    format_train,
    tagging_report,
)

if TYPE_CHECKING:
    from advisor.baselines.train import Bundle
    from advisor.data import Example, TaggedSentence

SPLIT_SEED = 12345
PLOT = "length_buckets.png"  # the per-length accuracy chart inside a trained model folder


class BaselineError(AdvisorError, RuntimeError):
    """Training or evaluation cannot produce a result (exit 1)."""


class OptionError(AdvisorError, ValueError):
    """An option value this machine cannot honour, e.g. --device cuda without CUDA (exit 2)."""

    exit_code = 2


class BaselineInterrupted(BaselineError):
    """Ctrl-C during training: nothing was replaced; the message says where the best-so-far went (exit 130)."""

    exit_code = 130


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_writable(out: Path, what: str = "--out") -> None:
    """``DataError`` unless a file or folder can be created where ``out`` goes (tried for real, in its nearest
    existing parent folder): checked before any training, not after the whole run."""
    import tempfile

    parent = Path(os.path.abspath(out)).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        Path(tempfile.mkdtemp(prefix=".advisor-probe-", dir=parent)).rmdir()
    except OSError as exc:
        raise DataError(f"{what} {out}: cannot write in {parent}: {exc.strerror or exc}") from None


def check_out_path(out: Path, inputs: Sequence[Path | None], what: str = "--out") -> None:
    """``DataError`` when the output ``out`` is an input, holds one, or lies inside one (the data, the test and
    dev files, the embeddings): an output never overwrites what it was made from."""
    target = Path(os.path.abspath(out)).resolve()
    for given in inputs:
        if given is None:
            continue
        source = Path(os.path.abspath(given)).resolve()
        if _inside(source, target) or _inside(target, source):
            raise DataError(f"{what} {out} would overwrite the input {given}: write the output elsewhere")


def check_checkpoints_folder(folder: Path) -> None:
    """Before training: the evidence's checkpoints folder (``<out>.d``) is replaced when the evidence is written,
    so an existing one must be what an earlier ``baseline plateau`` wrote (every entry a model folder with a
    manifest); anything else is left alone and is an error."""
    from .manifest import MANIFEST

    if not folder.exists():
        return
    if not folder.is_dir() or any(not (entry / MANIFEST).is_file() for entry in folder.iterdir()):
        raise DataError(
            f"{folder}: exists and is not an evidence checkpoints folder: nothing there is replaced; "
            "move it, or choose another --out"
        )


def check_model_out(out: Path, inputs: Sequence[Path | None], *, force: bool) -> None:
    """Before training: ``out`` may be replaced by the new model folder. It must not be or hold an input, nor
    the working folder; an existing non-empty folder must be an advisor model folder (``manifest.json``), or
    ``force`` given (then it is replaced only after training succeeds, atomically); it must be writable."""
    from .manifest import MANIFEST

    check_out_path(out, inputs)
    if _inside(Path.cwd().resolve(), Path(os.path.abspath(out)).resolve()):
        raise DataError(f"--out {out} is the working folder (or holds it): name a folder for the model")
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file() and not force:
        raise DataError(
            f"--out {out}: not an advisor model folder (no {MANIFEST}) and not empty: nothing there is replaced; "
            "choose another folder, or pass --force to replace it once training succeeds"
        )
    check_writable(out)


def _aside(out: Path) -> Path:
    """Where an interrupted run's model goes: ``<out>.interrupted`` (``-2``, ``-3``... past a foreign folder)."""
    from .manifest import MANIFEST

    n = 1
    while True:
        aside = out.with_name(f"{out.name}.interrupted" + (f"-{n}" if n > 1 else ""))
        if not aside.exists() or (aside / MANIFEST).is_file():
            return aside
        n += 1


def check_device(device: str) -> None:
    from advisor.baselines.train import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise OptionError(f"--device {device}: {exc}") from None


def set_threads(threads: int | None) -> None:
    """CPU threads for torch. Default 1: these small models train several times faster single-threaded on a
    shared 2-core machine (measured: a TextCNN conv step 17 ms with 1 thread vs 106 ms with 2 under load)."""
    import torch

    torch.set_num_threads(max(1, int(threads or 1)))


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load(path, task=None, text_column="text", label_column="label", training=True) -> Dataset:
    ds = load_dataset(path, task, text_column=text_column, label_column=label_column, training=training)
    for n in ds.notes:
        note(f"{path}: {n}")
    return ds


def split_data(
    ds: Dataset, fractions: tuple[float, ...], seed: int = SPLIT_SEED
) -> tuple[list[list], dict[str, Any]]:
    """The items of ``ds`` in parts of the given fractions, and the split's record (seed, fractions, sizes,
    whether stratified, a note): :func:`advisor.data.split.dataset_split`, with the note on stderr."""
    try:
        parts, info = dataset_split(ds, fractions, seed)
    except ValueError as exc:
        raise DataError(
            f"{ds.path}: {exc}: give at least {len(fractions) * 2} examples, or --test/--dev files"
        ) from None
    note(f"split {'/'.join(str(len(p)) for p in parts)} ({info['note']})")
    return parts, info


def default_arch(task: str) -> str:
    return "bilstm-crf" if task == "tagging" else "textcnn"


def _check_arch(arch: str, task: str) -> None:
    from advisor.baselines.models import TAGGER_ARCHS

    if task == "tagging" and arch not in TAGGING_TRAINABLE:
        *most, last = TAGGING_TRAINABLE
        raise DataError(
            f"--arch {arch} classifies texts; for tagging data use --arch {', '.join(most)} or {last}"
        )
    if task == "classification" and arch in TAGGER_ARCHS:
        *most, last = (a for a in TRAINABLE if a not in TAGGER_ARCHS)
        raise DataError(f"--arch {arch} tags tokens; for classification data use {', '.join(most)} or {last}")


def train_neural(
    arch: str,
    train_items: Sequence[Example] | Sequence[TaggedSentence],
    dev_items: Sequence[Example] | Sequence[TaggedSentence],
    task: Task,
    *,
    seed: int,
    device: str,
    epochs: int | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    pooling: str = "max",
    embeddings: str | Path | None = None,
    freeze_embeddings: bool = False,
    progress: bool = True,
    model_config: Mapping[str, Any] | None = None,
    trainer_options: Mapping[str, Any] | None = None,
) -> Bundle:
    """Train one neural baseline (``advisor.vocabulary.NEURAL``) with its recipe, as ``advisor baseline train`` does.

    The recipe row of ``arch`` (``advisor.recipes.recipe_for``: what ``advisor recommend`` prints) gives the
    optimizer, learning rate, batch size, max epochs, patience, gradient clipping, dropout, the TextCNN's
    max-norm and the tagger's ``<unk>`` replacement. ``epochs`` caps the epochs and ``patience`` replaces the
    recipe's (None: the recipe's); early stopping on ``dev_items`` with ``min_delta``. ``pooling`` applies to
    the recurrent classifiers; ``freeze_embeddings`` needs ``embeddings``. ``model_config`` sets model config
    fields on top of the recipe's (the studies vary the TextCNN's filter widths and counts).
    ``trainer_options``: further keywords of the trainer (:func:`advisor.baselines.train.train_classifier`'s
    distillation hooks). Raises ``DataError`` for an
    impossible option and ``BaselineError`` when training fails. The benchmarks call this, so that "the
    defaults" means one thing.
    """
    from advisor.baselines.models import RNN_CLASSIFIERS
    from advisor.baselines.train import TrainConfig, TrainingError, train_classifier, train_tagger

    recipe = recipe_for(arch, task)
    fields: dict[str, Any] = {}
    if recipe.dropout is not None:
        fields["dropout"] = recipe.dropout
    if recipe.max_norm is not None:
        fields["max_norm"] = recipe.max_norm
    if arch in RNN_CLASSIFIERS and task == "classification":
        fields["pooling"] = pooling
    if freeze_embeddings:
        if embeddings is None:
            raise DataError("--freeze-embeddings needs --embeddings FILE (random-init embeddings must train)")
        fields["freeze_embeddings"] = True
    overrides: dict[str, Any] = {"seed": seed, "device": device, "min_delta": min_delta}
    if patience is not None:
        overrides["patience"] = patience
    if epochs is not None:
        overrides["max_epochs"] = epochs
    trainer = train_tagger if task == "tagging" else train_classifier
    try:
        return trainer(
            train_items,
            dev_items,
            arch,
            model_config={**fields, **(model_config or {})},
            train_config=TrainConfig.from_recipe(recipe, **overrides),
            embeddings=embeddings,
            unk_replace=recipe.unk_replace or 0.0,
            metric=DEV_METRIC[task],
            progress=progress,
            **(trainer_options or {}),
        )
    except DataError:
        raise  # a bad input file (e.g. the embeddings): exit 2, as everywhere
    except (TrainingError, ValueError) as exc:
        raise BaselineError(str(exc)) from None


def _oov(train_items, others: dict[str, list], task: str, embeddings=None) -> dict:
    def toks(items):
        if task == "tagging":
            return [t.lower() for s in items for t in s.tokens]
        return [t for x in items for t in tokenize(x.text)]

    vocab = set(toks(train_items))
    out: dict[str, Any] = {}
    emb_vocab = None
    if embeddings is not None:
        from advisor.data import embeddings_vocab

        words = {w for items in (train_items, *others.values()) for w in toks(items)}
        emb_vocab = embeddings_vocab(embeddings, words)
    for name, items in others.items():
        t = toks(items)
        if not t:
            continue
        out[f"{name}_vs_train_vocab"] = round(sum(w not in vocab for w in t) / len(t), 4)
        if emb_vocab is not None:
            out[f"{name}_vs_embeddings"] = round(sum(w not in emb_vocab for w in t) / len(t), 4)
    return out


def train(
    data,
    *,
    task=None,
    text_column="text",
    label_column="label",
    test_file=None,
    dev_file=None,
    arch=None,
    pooling="max",
    embeddings=None,
    freeze_embeddings=None,
    epochs=None,
    seed=0,
    device="auto",
    out=None,
    threads=1,
    advise=None,
    force=False,
    encoder=None,
    floor=None,
    head="lr",
    distill=None,
) -> dict:
    """Train ``arch`` (default: :func:`default_arch`) on ``data`` with its recipe and save it under ``out``.

    ``advise(arch, task)`` returns what ``advisor recommend`` gives the profile for ``arch``
    (``advisor.baselines.api.advice`` asks the engine): ``{"embedding": "static" | "random" | "contextual" |
    None, "why": ..., "recipe": {five lines}, ...}``, saved in the model's manifest (``run.advice``). Its
    embedding input decides: ``static`` trains with the ``embeddings`` vectors frozen (when no file was
    given, a one-line note says so and the embeddings are random-init and trained); ``random`` trains
    random-init embeddings (a file given anyway initialises them, with a note). ``freeze_embeddings``
    (None: frozen exactly when the advice says static) overrides. Without ``advise`` (the Python API)
    ``embeddings`` are used as given and trained.

    Before any training ``out`` is checked (:func:`check_model_out`; ``force`` lets a foreign folder be
    replaced). The model folder, its length-bucket PNG included, is written in one atomic swap. Ctrl-C during
    the epochs never replaces ``out``: the best model so far is saved to ``<out>.interrupted`` and
    :class:`BaselineInterrupted` names it.

    ``transformer-finetune`` (:mod:`advisor.baselines.finetune`) and ``transformer-setfit``
    (:mod:`advisor.baselines.setfit_train`; ``advisor.vocabulary.FINETUNING``) fine-tune ``encoder`` (a local
    Hugging Face folder; None: the shipped MiniLM). ``floor`` asks for the floor check (:func:`floor_check`):
    ``{"source": "evidence", "mean", "std", "split_seed", "dev_fraction", "collapse_margin"}`` (accepted plateau
    evidence: without a --dev file the model trains and early-stops on the evidence's own train/dev split, its
    test set the --test file or carved from the train part, and is checked on that dev split) or ``{"source":
    "majority", "collapse_margin"}`` (checked against the dev split's majority-class rate). The API applies
    TEP101's gate before calling this (:func:`advisor.baselines.api.finetune_gate`).

    ``distill``: ``{"teacher": MODEL_DIR, "unlabeled": FILE | None, "augment": N, "selection": RULE | None}``
    trains the student ``arch``
    on the teacher's logits (:mod:`advisor.baselines.distill`; the teacher is checked before any work); the
    result and the manifest's ``run`` get its ``distillation`` record.
    """
    t0 = time.perf_counter()
    set_threads(threads)
    check_device(device)
    ds = _load(data, task, text_column, label_column)
    arch = arch or default_arch(ds.task)
    _check_arch(arch, ds.task)
    if ds.task == "tagging" and head != "lr":
        raise DataError(
            f"--head {head} is a text classifier's head; on tagging data frozen-transformer is a CRF tagger on "
            "the frozen token features: leave --head out"
        )
    teacher = None
    if distill is not None:
        from advisor.baselines import distill as kd

        teacher = kd.load_teacher(distill["teacher"], [x.label for x in ds.items], ds.task)
        kd.check_student(arch)
    out = Path(out) if out else Path("runs") / f"{arch}-seed{seed}"
    inputs = [Path(data), test_file, dev_file, embeddings]
    if distill is not None:
        inputs += [Path(distill["teacher"]), distill.get("unlabeled")]
    check_model_out(out, inputs, force=force)
    if arch in ("frozen-transformer", *FINETUNING) and encoder is None:
        from advisor.baselines.transformer import require_extra

        require_extra()
    if arch == "transformer-setfit":
        from advisor.baselines.setfit_train import require_setfit

        require_setfit()
    advice = advise(arch, ds.task) if advise is not None else None
    embeddings, vectors = _static_vectors(arch, advice, embeddings)
    freeze_embeddings = _embedding_input(arch, advice, embeddings, freeze_embeddings)
    test_ds = _load(test_file, ds.task, text_column, label_column, training=False) if test_file else None
    dev_ds = _load(dev_file, ds.task, text_column, label_column, training=False) if dev_file else None
    for other in (test_ds, dev_ds):
        if other is not None:
            check_labels_seen(ds, other)
    on_evidence = floor is not None and floor["source"] == "evidence" and dev_ds is None
    if test_ds is not None and dev_ds is not None:
        train_items, dev_items, test_items = list(ds.items), list(dev_ds.items), list(test_ds.items)
        split = {"train": str(data), "dev": str(dev_file), "test": str(test_file)}
    elif on_evidence:
        (train_items, dev_items), split = split_data(
            ds, (1 - floor["dev_fraction"], floor["dev_fraction"]), floor["split_seed"]
        )
        if test_ds is not None:
            test_items = list(test_ds.items)
            split["test"] = str(test_file)
            split["note"] += "; the evidence's split"
        else:
            carve = stratified_split(stratify_labels(ds.task, train_items), (0.9, 0.1), SPLIT_SEED)
            train_items, test_items = ([train_items[i] for i in part] for part in carve.indices)
            split["note"] += "; the evidence's split, test carved from its train part (0.9/0.1)"
    elif test_ds is not None:
        (train_items, dev_items), split = split_data(ds, (0.9, 0.1))
        test_items = list(test_ds.items)
        split["test"] = str(test_file)
    elif dev_ds is not None:
        (train_items, test_items), split = split_data(ds, (0.9, 0.1))
        dev_items = list(dev_ds.items)
        split["dev"] = str(dev_file)
    else:
        (train_items, dev_items, test_items), split = split_data(ds, (0.8, 0.1, 0.1))
    note(f"training {arch} on {len(train_items)} examples (dev {len(dev_items)}, test {len(test_items)})")
    t_train = time.perf_counter()
    options = {"device": device, "epochs": epochs, "pooling": pooling, "embeddings": embeddings,
               "freeze_embeddings": freeze_embeddings}  # fmt: skip
    if teacher is not None:
        student = None if arch in NEURAL else _sklearn_model(arch, ds.task, encoder, vectors=embeddings)
        bundle, distilled = kd.train_student(
            arch, teacher, train_items, dev_items, test_items, unlabeled=distill.get("unlabeled"),
            augment_copies=distill.get("augment") or 0, selection=distill.get("selection"),
            text_column=text_column, seed=seed, note=note,
            linear=None if student is None else student.model, **options,
        )  # fmt: skip
    if arch in NEURAL:
        if teacher is None:
            bundle = train_neural(arch, train_items, dev_items, ds.task, seed=seed, **options)
        fit = bundle.fit.to_dict() if bundle.fit else {}
        model = _NeuralModel(bundle)
        interrupted = fit.get("stopped_reason") == "interrupted"
    elif teacher is not None:  # a linear student (ngram-static-linear), fitted by train_student
        model, fit, interrupted = student, {}, False
    else:
        if arch in FINETUNING:
            model = _finetune_model(arch, ds.task, encoder, seed=seed, device=device, epochs=epochs)
        elif ds.task == "tagging":  # frozen-transformer: a linear + CRF head on frozen token features
            model = _frozen_tagger(encoder, seed=seed, device=device, epochs=epochs)
        elif arch == "frozen-transformer" and head == "cnn":
            model = _bertcnn_model(ds.task, encoder, seed=seed, device=device, epochs=epochs)
        else:
            model = _sklearn_model(arch, ds.task, encoder, vectors=embeddings)
        model.fit(*_inputs(train_items), *_inputs(dev_items))
        fit = getattr(model.model, "fit_result", None) or {}  # the fine-tuned transformers' training history
        interrupted = fit.get("stopped_reason") == "interrupted"
    train_seconds = time.perf_counter() - t_train
    t_pred = time.perf_counter()
    report = _report(model, test_items, ds.task)
    pred_seconds = time.perf_counter() - t_pred
    result = {
        "arch": arch,
        "task": ds.task,
        "model": str(out),
        "test": {k: v for k, v in report.items() if k != "length_buckets" and k != "per_class"},
        "per_class": report.get("per_class"),
        "length_buckets": report["length_buckets"],
        "dev": {
            "curve": fit.get("dev_curve"),
            "best_epoch": fit.get("best_epoch"),
            "best": fit.get("best_score"),
            "stopped": fit.get("stopped_reason"),
        },
        "examples": {"train": len(train_items), "dev": len(dev_items), "test": len(test_items)},
        "split": split,
        "oov": _oov(train_items, {"dev": dev_items, "test": test_items}, ds.task, embeddings),
        "data_fingerprint": fingerprint(ds),
        "seconds": {
            "train": round(train_seconds, 2),
            "predict": round(pred_seconds, 3),
            "per_example_ms": round(1000 * pred_seconds / max(1, len(test_items)), 3),
            "total": round(time.perf_counter() - t0, 2),
        },
        "seed": seed,
        "versions": versions(*TORCH_LIBRARIES),
        "vectors": {**vectors, **_kept_vectors(model)},
    }
    run_extra = {}
    if teacher is not None:
        result["distillation"] = run_extra["distillation"] = distilled
    if floor is not None:
        check_items = dev_items
        if floor["source"] == "evidence" and dev_ds is not None:
            (_, check_items), _ = split_data(
                ds, (1 - floor["dev_fraction"], floor["dev_fraction"]), floor["split_seed"]
            )
            seen = {_key(x) for x in train_items}
            overlap = sum(_key(x) in seen for x in check_items)
            if overlap:
                note(
                    f"note: {overlap} of the evidence's {len(check_items)} dev examples were trained on "
                    "(--dev/--test given): the floor check flatters this model; drop --dev/--test to train on "
                    "the evidence's split"
                )
        result["floor"] = floor_check(model.predict(check_items), _inputs(check_items)[1], floor, ds.task)
    from advisor.baselines import plots

    target = _aside(out) if interrupted else out
    model.save(
        target,
        data_fingerprint=result["data_fingerprint"],
        run={
            "data": str(data),
            "split": split,
            "seed": seed,
            "test": result["test"],
            "advice": advice,
            "vectors": result["vectors"],
            **run_extra,
        },
        extra=lambda folder: plots.plot_length_buckets(result["length_buckets"], folder / PLOT),
    )
    if interrupted:
        raise BaselineInterrupted(
            f"interrupted at epoch {len(fit.get('dev_curve') or [])}: {out} is left as it was; the best model "
            f"so far (dev {fit.get('best_score') or 0:.4f}, epoch {fit.get('best_epoch')}) is in {target}"
        )
    result["plot"] = str(out / PLOT)
    return result


class _NeuralModel:
    """A torch bundle behind the interface every kind shares here: ``predict(items)``, ``save(out, ...)``."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle

    def predict(self, items) -> list:
        from advisor.baselines.io import predict_items

        return predict_items(self.bundle, items)

    def save(self, out, **provenance) -> None:
        from advisor.baselines.io import save_model

        save_model(self.bundle, out, **provenance)


def _inputs(items) -> tuple[list, list]:
    """What the non-torch kinds fit and predict on: (texts, labels), or for tagging (token lists, tag lists)."""
    if items and hasattr(items[0], "tokens"):
        return [list(s.tokens) for s in items], [list(s.tags) for s in items]
    return [x.text for x in items], [x.label for x in items]


def _key(item) -> tuple:
    return (item.tokens, item.tags) if hasattr(item, "tokens") else (item.text, item.label)


class _SklearnModel:
    """An ngram-linear, frozen-transformer or fine-tuned transformer model behind the same interface."""

    def __init__(self, model):
        self.model = model

    def fit(self, *args) -> None:
        self.model.fit(*args)

    def predict(self, items) -> list:
        return list(self.model.predict(_inputs(items)[0]))

    def save(self, out, **provenance) -> None:
        self.model.save(out, **provenance)


def _finetune_model(arch: str, task: Task, encoder, *, seed: int, device: str, epochs: int | None):
    """A fine-tuning model with ``arch``'s recipe row: :class:`~advisor.baselines.setfit_train.SetFitClassifier`
    (``transformer-setfit``), or :class:`~advisor.baselines.finetune.FineTuneClassifier` (tagging:
    ``FineTuneTagger``) for ``transformer-finetune``."""
    from advisor.baselines.train import resolve_device

    recipe = recipe_for(arch, task)
    if arch == "transformer-setfit":
        from advisor.baselines.setfit_train import SetFitClassifier

        return _SklearnModel(
            SetFitClassifier(
                encoder, recipe=recipe, epochs=epochs, seed=seed, device=str(resolve_device(device))
            )
        )
    from advisor.baselines.finetune import FineTuneClassifier, FineTuneTagger

    kind = FineTuneTagger if task == "tagging" else FineTuneClassifier
    return _SklearnModel(
        kind(
            encoder,
            learning_rate=recipe.learning_rate,
            batch_size=recipe.batch_size,
            max_epochs=epochs or recipe.max_epochs,
            patience=recipe.patience,
            warmup=recipe.warmup,
            weight_decay=recipe.weight_decay,
            dropout=recipe.dropout,
            grad_clip=recipe.grad_clip,
            seed=seed,
            device=str(resolve_device(device)),
        )
    )


def _frozen_tagger(encoder, *, seed: int, device: str, epochs: int | None):
    """A :class:`~advisor.baselines.frozen_tagger.FrozenTransformerTagger` with the ``frozen-transformer``
    tagging recipe row."""
    from advisor.baselines.frozen_tagger import FrozenTransformerTagger
    from advisor.baselines.train import TrainConfig

    overrides: dict[str, Any] = {"seed": seed, "device": device}
    if epochs is not None:
        overrides["max_epochs"] = epochs
    recipe = recipe_for("frozen-transformer", "tagging")
    return _SklearnModel(
        FrozenTransformerTagger(
            encoder,
            train_config=TrainConfig.from_recipe(recipe, **overrides),
            dropout=recipe.dropout,
            encode_batch_size=recipe_for("frozen-transformer", "classification").encode_batch_size,
        )
    )


def _bertcnn_model(task: Task, encoder, *, seed: int, device: str, epochs: int | None):
    """The lesson's BertCNN (:class:`~advisor.baselines.bertcnn.BertCNNClassifier`): its head trains with the
    TextCNN recipe row (the encoder's batch size is the frozen-transformer row's)."""
    from advisor.baselines.bertcnn import BertCNNClassifier
    from advisor.baselines.train import TrainConfig, resolve_device

    recipe = recipe_for("textcnn", task)
    lines = recipe.lines(task)
    note(
        f"note: --head cnn trains its TextCNN head with the TextCNN recipe row ({lines['optimizer']} "
        f"{lines['learning_rate']}, batch {lines['batch_size']}, {lines['epochs']}), not the logistic-regression "
        "lines recommend prints for frozen-transformer"
    )
    overrides: dict[str, Any] = {"seed": seed, "device": str(resolve_device(device))}
    if epochs is not None:
        overrides["max_epochs"] = epochs
    return _SklearnModel(
        BertCNNClassifier(
            encoder,
            train_config=TrainConfig.from_recipe(recipe, **overrides),
            dropout=recipe.dropout,
            max_norm=recipe.max_norm,
            encode_batch_size=recipe_for("frozen-transformer", task).encode_batch_size,
            device=str(resolve_device(device)),
        )
    )


def floor_check(
    predicted: Sequence, gold: Sequence, floor: Mapping[str, Any], task: Task = "classification"
) -> dict:
    """The fine-tuned model's two verdicts on a dev split (TEP701's monitoring signal for fine-tuning).

    ``beats_floor``: the dev score (accuracy; tagging: entity F1) > floor mean + floor std (``floor["source"]``
    ``"evidence"``: the accepted plateau evidence's floor, of the same metric; ``"majority"``: the dev split's
    majority-class rate, std 0; for tagging the majority answer, all ``O``, scores entity F1 0). ``collapsed``:
    the share of the most-predicted class exceeds that class's true share by more than
    ``floor["collapse_margin"]`` (``policy.collapse_margin``). Tagging counts tokens (tags) for that rule, and a
    tagger also collapsed when it tags fewer tokens as entities (not ``O``) than ``1 - collapse_margin`` times
    the true share: its commonest tag is ``O`` (about 83% of CoNLL-2003's tokens), so a tagger stuck on ``O``
    exceeds O's true share by less than the margin and only this second rule sees it. ``passed``: it beats the
    floor and did not collapse.
    """
    from collections import Counter

    from advisor.evidence import majority_rate

    margin = float(floor["collapse_margin"])
    examples = len(gold)
    entity = None
    if task == "tagging":
        from advisor.baselines.metrics import entity_f1

        gold_lists = [[str(t) for t in g] for g in gold]
        score = entity_f1(gold_lists, [[str(t) for t in p] for p in predicted])
        gold = [t for g in gold_lists for t in g]
        predicted = [str(t) for p in predicted for t in p]
        n = max(1, len(gold))
        entity = {
            "predicted_share": round(sum(t != "O" for t in predicted) / n, 4),
            "true_share": round(sum(t != "O" for t in gold) / n, 4),
        }
    else:
        n = max(1, len(gold))
        gold = [str(g) for g in gold]
        predicted = [str(p) for p in predicted]
        score = sum(p == g for p, g in zip(predicted, gold, strict=True)) / n
    if floor["source"] == "evidence":
        mean, std = float(floor["mean"]), float(floor["std"])
    else:
        from advisor.data import Example

        mean, std = (0.0 if task == "tagging" else majority_rate(task, [Example("", g) for g in gold])), 0.0
    top, count = Counter(predicted).most_common(1)[0] if predicted else ("", 0)
    predicted_share, true_share = count / n, gold.count(top) / n
    beats = score > mean + std
    collapsed = predicted_share - true_share > margin
    if entity is not None:
        collapsed = collapsed or entity["predicted_share"] < (1 - margin) * entity["true_share"]
    return {
        "source": floor["source"],
        "evidence": floor.get("evidence"),
        "metric": DEV_METRIC[task],
        "dev_examples": examples,
        "score": round(score, 4),
        "floor_mean": round(mean, 4),
        "floor_std": round(std, 4),
        "threshold": round(mean + std, 4),
        "beats_floor": beats,
        "top_class": top,
        "predicted_share": round(predicted_share, 4),
        "true_share": round(true_share, 4),
        "collapse_margin": margin,
        "collapsed": collapsed,
        "entity_tokens": entity,
        "passed": beats and not collapsed,
    }


def _sklearn_class(arch: str, task: str = "classification"):
    if arch == "frozen-transformer" and task == "tagging":
        from advisor.baselines.frozen_tagger import FrozenTransformerTagger

        return FrozenTransformerTagger
    if arch == "ngram-linear":
        from advisor.baselines.ngram import NgramLinearClassifier

        return NgramLinearClassifier
    if arch == "ngram-static-linear":
        from advisor.baselines.ngram import NgramStaticLinearClassifier

        return NgramStaticLinearClassifier
    if arch == "transformer-finetune":
        from advisor.baselines.finetune import FineTuneClassifier

        return FineTuneClassifier
    if arch == "transformer-setfit":
        from advisor.baselines.setfit_train import SetFitClassifier

        return SetFitClassifier
    from advisor.baselines.transformer import FrozenTransformerClassifier

    return FrozenTransformerClassifier


def _sklearn_model(arch: str, task: Task, encoder=None, vectors=None):
    """The convex head of ``arch`` with its recipe's C grid and iterations (and the frozen encoder's batch and
    folder, ``encoder``: None for the shipped MiniLM; ``ngram-static-linear``'s static ``vectors``).

    Deterministic by construction (convex fits, fixed C grid): the seed is recorded, not needed.
    """
    recipe = recipe_for(arch, task)
    settings = {"c_grid": recipe.c_grid, "max_iter": recipe.max_iter}
    if recipe.encode_batch_size is not None:
        settings["batch_size"] = recipe.encode_batch_size
        settings["encoder"] = encoder
    if arch == "ngram-static-linear":
        if vectors is None:
            raise BaselineError(
                "ngram-static-linear needs static vectors: --embeddings FILE|FOLDER (the Python API has no default)"
            )
        settings["vectors"] = vectors
    return _SklearnModel(_sklearn_class(arch)(**settings))


def _static_vectors(arch: str, advice, embeddings) -> tuple[Any, dict]:
    """The vectors ``arch`` reads, and what to record about them (``run.vectors`` in the manifest).

    ``--embeddings`` when given. Otherwise, where the advice says ``static`` for a model that reads word vectors
    (:data:`advisor.vocabulary.READS_VECTORS`): the vectors distilled from the shipped all-MiniLM-L6-v2
    (:func:`advisor.baselines.static.default_vectors`, distilled into the cache on first use), said so in a
    note. Without the transformer extra the word models train random-init embeddings (a note with the pip
    command) and ``ngram-static-linear``, which has no random-init form, is ``ImportError`` (exit 1)."""
    if embeddings is not None:
        return embeddings, {"source": "given", "path": str(embeddings)}
    if advice is None or advice.get("embedding") != "static" or arch not in READS_VECTORS:
        return None, {"source": "none"}
    from advisor.baselines import static

    try:
        found = static.default_vectors()
    except ImportError as exc:
        if arch == "ngram-static-linear":
            raise ImportError(
                f"ngram-static-linear needs static vectors: --embeddings FILE|FOLDER, or the distilled ones ({exc})"
            ) from None
        note(
            f"note: no static vectors: training random-init embeddings, though the recipe says static vectors "
            f"({advice['why']}); the distilled ones need the transformer extra: {static.INSTALL_HINT}"
        )
        return None, {
            "source": "random-init",
            "reason": f"the transformer extra is missing: {static.INSTALL_HINT}",
        }
    how = "from the cache" if found["cached"] else f"distilled in {found['distill_seconds']:g} s"
    note(
        f"static vectors: the ones distilled from the shipped {static.SHIPPED_NAME} ({found['tokens']:,} tokens x "
        f"{found['dim']}, {how}: {found['folder']}), because the recipe says static ({advice['why']}); "
        "--embeddings overrides"
    )
    return Path(found["folder"]), {
        "source": "distilled",
        "path": found["folder"],
        "from": found["source"],
        "source_fingerprint": found["source_fingerprint"],
        "dim": found["dim"],
        "tokens": found["tokens"],
        "cached": found["cached"],
    }


def _kept_vectors(model) -> dict:
    """How many word vectors the saved model keeps (its vocabulary's only) and their size, MB (fp32)."""
    inner = getattr(model, "model", None)
    if getattr(inner, "word_vectors", None) is not None:
        return {"kept_words": len(inner.words), "kept_mb": inner.vectors_mb}
    info = getattr(getattr(model, "bundle", None), "info", None) or {}
    if info.get("embeddings"):
        return {"kept_words": info["embeddings_words"], "kept_mb": info["embeddings_mb"]}
    return {}


def _embedding_input(arch: str, advice, embeddings, freeze: bool | None) -> bool:
    """Whether to freeze the word vectors, from the advice's embedding input; notes what differs from it."""
    given = advice["embedding"] if advice else None
    if given == "static" and arch in READS_VECTORS:
        if embeddings is None:  # _static_vectors said why
            return bool(freeze)
        return True if freeze is None else freeze
    if embeddings is not None and given is not None:
        if given == "random" and arch in NEURAL:
            note(
                f"note: the recipe says random-init embeddings ({advice['why']}); {embeddings} initialises them"
            )
        else:
            note(
                f"note: {arch} reads no word vectors ({advice['why']}): --embeddings only measures the OOV rate"
            )
    return bool(freeze)


def _report(model, items, task) -> dict:
    pred = model.predict(items)
    if task == "tagging":
        return tagging_report([list(s.tags) for s in items], pred)
    return classification_report([x.label for x in items], pred, [x.text for x in items])


class _ExportedModel:
    """An exported folder (:mod:`advisor.runtime`, onnxruntime, no torch) behind the same ``predict(items)``."""

    def __init__(self, model_dir):
        from advisor import runtime

        self.runtime = runtime.load(model_dir)

    def predict(self, items) -> list:
        if self.runtime.task == "tagging":
            return self.runtime.predict_items([list(s.tokens) for s in items])
        return self.runtime.predict_items([x.text for x in items])


def load_any(model_dir) -> tuple[Manifest, _NeuralModel | _SklearnModel | _ExportedModel]:
    """A saved model folder of any kind, or an exported one: its manifest, and the model wrapped with
    ``predict(items)``. Loading an export imports no torch (:mod:`advisor.runtime`)."""
    manifest = read_manifest(model_dir)
    if manifest.export:
        return manifest, _ExportedModel(model_dir)
    try:
        if manifest.architecture in NEURAL:
            from advisor.baselines.io import load_model

            return manifest, _NeuralModel(load_model(model_dir))
        from advisor.baselines.bertcnn import BertCNNClassifier, is_bertcnn

        if is_bertcnn(manifest):
            return manifest, _SklearnModel(BertCNNClassifier.load(model_dir))
        return manifest, _SklearnModel(_sklearn_class(manifest.architecture, manifest.task).load(model_dir))
    except (DataError, ImportError):
        raise
    except Exception as exc:  # a file of the folder is missing, truncated or does not fit the manifest
        from advisor.errors import message_line

        what = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
        raise DataError(
            f"{model_dir}: a broken {manifest.architecture} model folder ({what}{type(exc).__name__}: "
            f"{message_line(str(exc), 300)}): retrain it with `advisor baseline train`"
        ) from None


def evaluate(model, data, *, task=None, text_column="text", label_column="label") -> dict:
    manifest, m = load_any(model)
    arch = manifest.architecture
    ds = _load(data, manifest.task, text_column, label_column, training=False)
    if ds.task == "classification":
        unseen = sorted({x.label for x in ds.items} - {str(label) for label in manifest.labels})
        if unseen:
            shown = ", ".join(map(repr, unseen[:10])) + (
                f" and {len(unseen) - 10} more" if len(unseen) > 10 else ""
            )
            note(
                f"note: {data}: labels the model never saw in training ({shown}): each such example counts as an error"
            )
    t0 = time.perf_counter()
    report = _report(m, list(ds.items), ds.task)
    seconds = time.perf_counter() - t0
    return {
        "arch": arch,
        "task": ds.task,
        "model": str(model),
        "data": str(data),
        **({"runtime": f"onnxruntime ({manifest.export['quantize'] or 'fp32'})"} if manifest.export else {}),
        "test": {k: v for k, v in report.items() if k not in ("length_buckets", "per_class")},
        "per_class": report.get("per_class"),
        "length_buckets": report["length_buckets"],
        "examples": len(ds),
        "data_fingerprint": fingerprint(ds),
        "seconds": {
            "predict": round(seconds, 3),
            "per_example_ms": round(1000 * seconds / max(1, len(ds)), 3),
        },
    }


def predict(model, texts: list[str]) -> list[tuple[str, object]]:
    manifest, m = load_any(model)
    if manifest.task == "tagging":
        from advisor.data import TaggedSentence

        items = [TaggedSentence(tuple(t.split()), tuple("O" for _ in t.split())) for t in texts]
        return [(t, " ".join(p)) for t, p in zip(texts, m.predict(items), strict=True)]
    from advisor.data import Example

    items = [Example(t, "") for t in texts]
    return list(zip(texts, m.predict(items), strict=True))


# -- plateau evidence ------------------------------------------------------------------------------
def _learning_curve(
    ds,
    train_items,
    dev_items,
    arch,
    fractions,
    *,
    seed,
    device,
    patience,
    min_delta,
    max_epochs,
    embeddings,
    full_score,
) -> list[dict]:
    points = []
    labels = stratify_labels(ds.task, train_items)
    for frac in sorted(set(fractions)):
        if frac >= 1.0:
            points.append({"fraction": 1.0, "examples": len(train_items), "arch": arch, "dev": full_score})
            continue
        split = stratified_split(labels, (frac, 1 - frac), SPLIT_SEED + 1)
        sub = [train_items[i] for i in split.indices[0]]
        if len({*stratify_labels(ds.task, sub)}) < 2:
            continue
        note(f"learning curve: {arch} on {len(sub)} examples ({frac:.0%})")
        b = train_neural(
            arch,
            sub,
            dev_items,
            ds.task,
            seed=seed,
            device=device,
            epochs=max_epochs,
            patience=patience,
            min_delta=min_delta,
            embeddings=embeddings,
            progress=False,
        )
        points.append(
            {"fraction": frac, "examples": len(sub), "arch": arch, "dev": round(b.fit.best_score, 4)}
        )
    return points


def plateau(
    data,
    out,
    *,
    task=None,
    text_column="text",
    label_column="label",
    archs=None,
    seeds=3,
    patience=3,
    min_delta=0.001,
    max_epochs=60,
    fractions="0.25,0.5,1.0",
    embeddings=None,
    device="auto",
    threads=1,
    policy=None,
) -> dict:
    """Train ``archs`` with ``seeds`` seeds each on the policy's evidence split of ``data`` (``policy``: the
    :class:`advisor.policy.Policy` in force, default the nearest pyproject's) until they plateau, keep each run's
    best checkpoint beside ``out`` and write the evidence file (:mod:`advisor.baselines.plateau`)."""
    from advisor.policy import find_project_policy

    t0 = time.perf_counter()
    check_out_path(Path(out), [Path(data), embeddings])
    check_out_path(checkpoints_folder(out), [Path(data), embeddings], what="the checkpoints folder")
    check_checkpoints_folder(checkpoints_folder(out))
    check_writable(Path(out))
    set_threads(threads)
    check_device(device)
    ds = _load(data, task, text_column, label_column)
    arch_list = [
        a.strip()
        for a in (archs or ("bilstm-crf" if ds.task == "tagging" else "textcnn,bilstm")).split(",")
        if a.strip()
    ]
    for a in arch_list:
        if a not in NEURAL:
            raise DataError(f"--arch {a}: plateau evidence comes from neural baselines ({', '.join(NEURAL)})")
        _check_arch(a, ds.task)
    try:
        fracs = [float(f) for f in str(fractions).split(",") if f.strip()]
    except ValueError:
        raise DataError(f"--fractions {fractions!r}: expected comma-separated numbers in (0, 1]") from None
    if not fracs or any(not 0 < f <= 1 for f in fracs):
        raise DataError(f"--fractions {fractions!r}: expected comma-separated numbers in (0, 1]")
    policy = policy or find_project_policy()
    if patience < policy.plateau_patience or min_delta > policy.plateau_max_min_delta:
        note(
            f"note: patience {patience} / min_delta {min_delta} are outside the policy (plateau_patience >= "
            f"{policy.plateau_patience}, plateau_max_min_delta <= {policy.plateau_max_min_delta}): TEP101 will not "
            "accept this evidence"
        )
    dev_share = policy.evidence_dev_fraction
    (train_items, dev_items), split = split_data(ds, (1 - dev_share, dev_share), policy.evidence_split_seed)
    metric = DEV_METRIC[ds.task]
    from advisor.baselines.train import resolve_device

    trained_on = resolve_device(device).type
    runs, bundles = [], {}
    for arch in arch_list:
        for seed in range(seeds):
            note(f"plateau: {arch} seed {seed} ({len(runs) + 1}/{len(arch_list) * seeds})")
            b = train_neural(
                arch,
                train_items,
                dev_items,
                ds.task,
                seed=seed,
                device=device,
                epochs=max_epochs,
                patience=patience,
                min_delta=min_delta,
                embeddings=embeddings,
            )
            if b.fit.stopped_reason == "interrupted":
                raise BaselineInterrupted(
                    "interrupted: no evidence written (a partial run cannot show a plateau)"
                )
            curve = [round(float(x), 6) for x in b.fit.dev_curve]
            ok, best_epoch = plateau_verdict(curve, patience, min_delta)
            import dataclasses

            runs.append(
                {
                    "arch": arch,
                    "seed": seed,
                    "config": {
                        "model": dataclasses.asdict(b.model.config),
                        "train": dataclasses.asdict(b.train_config),
                    },
                    "dev_curve": curve,
                    "train_loss": [round(float(x), 6) for x in b.fit.train_loss],
                    "best_epoch": best_epoch,
                    "best_dev": curve[best_epoch - 1] if curve else 0.0,
                    "plateaued": ok,
                    "stopped": b.fit.stopped_reason,
                    "seconds": round(b.fit.seconds, 2),
                    "device": trained_on,
                    "threads": max(1, int(threads or 1)),
                }
            )
            bundles[f"{arch}-seed{seed}"] = b
    checkpoints = save_checkpoints(
        out, bundles, data_fingerprint=fingerprint(ds), run={"data": str(data), "split": split}
    )
    for run, name in zip(runs, bundles, strict=True):
        run["checkpoint"] = checkpoints[name]
    lc = _learning_curve(
        ds,
        train_items,
        dev_items,
        arch_list[0],
        fracs,
        seed=0,
        device=device,
        patience=patience,
        min_delta=min_delta,
        max_epochs=max_epochs,
        embeddings=embeddings,
        full_score=runs[0]["best_dev"],
    )
    doc = evidence_document(
        out,
        data=data,
        ds=ds,
        split=split,
        metric=metric,
        patience=patience,
        min_delta=min_delta,
        archs=arch_list,
        runs=runs,
        learning_curve=lc,
        versions=versions(*TORCH_LIBRARIES),
        started=t0,
        text_column=text_column,
        label_column=label_column,
    )
    return write_evidence(out, doc)
