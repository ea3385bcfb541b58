"""Contrastive few-shot fine-tuning (SetFit, Tunstall et al. 2022) for classification, through the ``setfit`` package.

``advisor baseline train --arch transformer-setfit`` trains this: the sentence encoder (any local Hugging Face or
sentence-transformers folder, ``--encoder DIR``; the default is the shipped all-MiniLM-L6-v2 of the ``transformer``
extra) is fine-tuned on positive and negative pairs of the labeled training examples with the cosine-similarity
loss, then a logistic-regression head is fitted on its embeddings. Classification only: SetFit labels whole texts.
Offline: ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set and every load is ``local_files_only``, so a missing
file is an error, never a download. A folder without sentence-transformers configs (a bare ``BertModel``) gets
mean pooling, as sentence-transformers gives it, and ``max_seq_length`` capped at its position embeddings.

The settings are the ``transformer-setfit`` row of :mod:`advisor.recipes` (what ``advisor recommend`` prints): the
setfit package's standard recipe as ``shared/research/setfit.md`` measured it, i.e. ``num_iterations`` 20 (20
positive and 20 negative pairs per example), batch 16 pairs, one epoch, body learning rate 2e-5 with 10% linear
warmup then linear decay, weight decay 0.01, and scikit-learn's ``LogisticRegression`` (C 1, max_iter 100, lbfgs).
There is no early stopping (one epoch); the dev split is scored once after training (``fit.dev_curve`` has one
point) and is what the floor check reads. Seeds: ``seed`` seeds setfit's pair sampling and the trainer
(``transformers.set_seed``). Texts longer than ``max_seq_length`` word pieces are cut at the end (sentence-
transformers' truncation; ``transformer-finetune`` cuts head + tail).

setfit and its stack warn about things that do not concern this use (``pin_memory`` on a CPU-only machine, the
head file a bare encoder lacks) and log at INFO level: :func:`_quiet` silences exactly those, locally, so a caller
that turns warnings into errors (the test configuration) is unaffected. A head that stops at ``max_iter`` before
converging is recorded (``info.head_converged``), not raised.

The model folder (:mod:`advisor.baselines.manifest`): ``manifest.json``, ``head.json`` (the logistic-regression
coefficients, as ``frozen-transformer`` stores them) and ``encoder/`` (the fine-tuned sentence-transformers
encoder, safetensors, with its tokenizer and pooling config). setfit's own ``model_head.pkl`` is a pickle and is
never written or read. Ctrl-C during training leaves ``--out`` as it was (one epoch: there is no best-so-far).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from advisor.recipes import RECIPES, Recipe

from .finetune import ENCODER_ERRORS, encoder_error
from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .ngram import LinearHead, check_xy
from .transformer import ENCODER_NAME, INSTALL_HINT, TransformerExtraMissing, _import_stack, _set_offline
from .transformer import LIBRARIES as TRANSFORMER_LIBRARIES

KIND = "transformer-setfit"
HEAD = "head.json"
ENCODER = "encoder"
ENCODE_BATCH = 64  # texts per forward pass when encoding for the head and for predictions
LIBRARIES = ("setfit", *TRANSFORMER_LIBRARIES)  # what a result depends on (manifest.versions)
_RECIPE = RECIPES[KIND]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """setfit's and its stack's warnings and INFO logs that do not concern this use, silenced here only."""
    import logging

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pin_memory.*", category=UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.filterwarnings("ignore", category=ConvergenceWarning)  # recorded by fit() instead
        loggers = [logging.getLogger(name) for name in ("setfit", "sentence_transformers", "datasets")]
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _stack() -> tuple[Any, Any]:
    """(setfit, sentence_transformers), imported offline (``ImportError`` naming the extra when absent)."""
    _set_offline()
    try:
        with _quiet():
            import datasets
            import sentence_transformers
            import setfit
            import transformers
    except ImportError as exc:
        raise TransformerExtraMissing(
            f"--arch {KIND} needs setfit and its stack, which cannot be imported ({exc}). "
            f"Install the extra with: {INSTALL_HINT}"
        ) from None
    setfit.logging.set_verbosity_error()  # setfit.trainer sets INFO when imported
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    return setfit, sentence_transformers


def require_setfit() -> None:
    """:class:`~advisor.baselines.transformer.TransformerExtraMissing` now, before any work, when setfit cannot be
    imported."""
    _stack()


def _own_progress(st_trainer: Any, progress: bool) -> None:
    """Replace the transformers Trainer's log printers (they print to stdout, which ``--json`` keeps for the JSON
    document) by a progress bar on stderr over the contrastive steps (none when ``progress`` is False)."""
    import sys

    from transformers import PrinterCallback, ProgressCallback, TrainerCallback

    for callback in (PrinterCallback, ProgressCallback):
        st_trainer.remove_callback(callback)
    if not progress:
        return

    class Bar(TrainerCallback):
        bar: Any = None

        def on_train_begin(self, args, state, control, **kwargs):
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=state.max_steps, desc="setfit pairs", unit="step", file=sys.stderr, leave=False
            )

        def on_step_end(self, args, state, control, **kwargs):
            self.bar.update(1)

        def on_train_end(self, args, state, control, **kwargs):
            self.bar.close()

    st_trainer.add_callback(Bar())


def default_encoder() -> Path:
    """The shipped all-MiniLM-L6-v2 folder (``ImportError`` naming the extra when it is not installed)."""
    return _import_stack()[3]


def _cap_length(body: Any) -> int:
    """``max_seq_length`` of a loaded body, capped at its position embeddings (a bare encoder folder)."""
    config = body[0].auto_model.config
    limit = int(getattr(config, "max_position_embeddings", 512) or 512)
    current = body.max_seq_length or limit
    body.max_seq_length = min(int(current), limit)
    return int(body.max_seq_length)


class SetFitClassifier:
    """SetFit: a contrastively fine-tuned sentence encoder + a logistic-regression head (see the module docstring)."""

    kind = KIND

    def __init__(
        self,
        encoder: str | Path | None = None,
        *,
        recipe: Recipe = _RECIPE,
        epochs: int | None = None,
        seed: int = 0,
        device: str = "cpu",
        progress: bool = True,
    ):
        """``recipe``: the ``transformer-setfit`` row (its ``pair_iterations``, ``learning_rate``, ``warmup``,
        ``batch_size``, ``max_epochs``, ``weight_decay``, ``head_c``, ``max_iter``); ``epochs`` caps
        ``max_epochs`` (``--epochs``)."""
        self.encoder_dir = Path(encoder) if encoder is not None else None
        self.recipe = recipe
        self.epochs = int(epochs or recipe.max_epochs)
        self.seed = int(seed)
        self.device = device
        self.progress = progress
        self.body: Any = None
        self.head: LinearHead | None = None
        self.max_length = 0
        self.fit_result: dict[str, Any] | None = None
        self.info: dict[str, Any] = {}

    def _load_body(self, folder: Path) -> Any:
        _setfit, st = _stack()
        try:
            with _quiet():
                body = st.SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        except ENCODER_ERRORS as exc:
            raise encoder_error(folder, exc) from None
        self.max_length = _cap_length(body)
        return body

    def _features(self, texts: Sequence[str]) -> Any:
        import numpy as np

        with _quiet():
            out = self.body.encode(
                [str(t) for t in texts],
                batch_size=ENCODE_BATCH,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return np.asarray(out, dtype=np.float64)

    def fit(self, train_texts, train_labels, dev_texts, dev_labels) -> SetFitClassifier:
        check_xy(train_texts, train_labels, "train")
        setfit, _st = _stack()
        from datasets import Dataset
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        labels = sorted({str(y) for y in train_labels})
        if len(labels) < 2:
            raise ValueError("training labels must contain at least two classes")
        body = self._load_body(self.encoder_dir or default_encoder())
        r = self.recipe
        head = LogisticRegression(C=r.head_c, max_iter=r.max_iter, random_state=self.seed)
        model = setfit.SetFitModel(model_body=body, model_head=head)
        train = Dataset.from_dict(
            {"text": [str(t) for t in train_texts], "label": [str(y) for y in train_labels]}
        )
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="advisor-setfit-") as scratch, _quiet():
            args = setfit.TrainingArguments(
                output_dir=scratch,
                batch_size=r.batch_size,
                num_epochs=self.epochs,
                num_iterations=r.pair_iterations,
                body_learning_rate=r.learning_rate,
                warmup_proportion=r.warmup,
                l2_weight=r.weight_decay,
                seed=self.seed,
                report_to="none",
                save_strategy="no",
                logging_strategy="no",
                show_progress_bar=self.progress,
            )
            trainer = setfit.Trainer(model=model, args=args, train_dataset=train)
            _own_progress(trainer.st_trainer, self.progress)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                trainer.train()
            converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
            for w in caught:  # anything else is the caller's business, as it would have been
                if not issubclass(w.category, ConvergenceWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.body = model.model_body
        self.head = LinearHead.from_sklearn(model.model_head)
        seconds = round(time.perf_counter() - t0, 2)
        pairs = 2 * r.pair_iterations * len(train_texts)
        history = getattr(getattr(trainer.st_trainer, "state", None), "log_history", None) or []
        loss = next((h["train_loss"] for h in reversed(history) if "train_loss" in h), None)
        score = None
        if len(dev_texts):
            pred = self.predict(dev_texts)
            score = sum(p == str(t) for p, t in zip(pred, dev_labels, strict=True)) / len(dev_labels)
        self.fit_result = {
            "dev_curve": None if score is None else [round(score, 6)],
            "train_loss": None if loss is None else [round(float(loss), 6)],
            "best_epoch": self.epochs,
            "best_score": None if score is None else round(score, 6),
            "stopped_reason": "max_epochs",
            "seconds": seconds,
        }
        self.info = {"pairs": pairs, "head_converged": converged}
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        if self.body is None or self.head is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string")
        if not len(texts):
            return []
        return [str(y) for y in self.head.predict(self._features(texts))]

    # -- the model folder --------------------------------------------------------------------------
    def manifest(self, **provenance: Any) -> Manifest:
        head, r = self.head, self.recipe
        config = self.body[0].auto_model.config
        return Manifest(
            architecture=KIND,
            task="classification",
            model={
                "encoder": str(self.encoder_dir) if self.encoder_dir else ENCODER_NAME,
                "model_type": str(config.model_type),
                "hidden_size": int(config.hidden_size),
                "modules": [type(m).__name__ for m in self.body],
                "max_length": self.max_length,
                "truncation": "end (sentence-transformers)",
                "dim": head.n_features,
            },
            train={
                "method": "setfit",
                "loss": "CosineSimilarityLoss",
                "num_iterations": r.pair_iterations,
                "optimizer": r.optimizer,
                "learning_rate": r.learning_rate,
                "batch_size": r.batch_size,
                "epochs": self.epochs,
                "warmup": r.warmup,
                "weight_decay": r.weight_decay,
                "schedule": "linear warmup, linear decay",
                "head": "LogisticRegression(lbfgs)",
                "head_c": r.head_c,
                "max_iter": r.max_iter,
                "seed": self.seed,
            },
            labels=list(head.classes),
            vocabulary=VocabularyRef(
                file=None,
                size=int(len(self.body.tokenizer)),
                source=f"the encoder's tokenizer ({ENCODER}/)",
            ),
            versions=versions(*LIBRARIES),
            files=[HEAD, f"{ENCODER}/config.json"],
            fit=self.fit_result,
            info=dict(self.info),
            **provenance,
        )

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        if self.head is None:
            raise RuntimeError("the classifier is not fitted; call fit() first")
        manifest = self.manifest(**provenance)

        def fill(d: Path) -> None:
            with _quiet():
                self.body.save(str(d / ENCODER), safe_serialization=True)
            (d / HEAD).write_text(json.dumps(self.head.to_json()) + "\n", encoding="utf-8")

        return write_model_folder(directory, manifest, fill, extra)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> SetFitClassifier:
        d = Path(directory)
        m = read_manifest(d, (KIND,))
        t = m.train
        recipe = dataclasses.replace(
            _RECIPE,
            pair_iterations=t["num_iterations"],
            learning_rate=t["learning_rate"],
            batch_size=t["batch_size"],
            warmup=t["warmup"],
            weight_decay=t["weight_decay"],
            head_c=t["head_c"],
            max_iter=t["max_iter"],
        )
        obj = cls(
            d / ENCODER, recipe=recipe, epochs=t["epochs"], seed=t["seed"], device=device, progress=False
        )
        obj.head = LinearHead.from_json(json.loads((d / HEAD).read_text(encoding="utf-8")))
        obj.body = obj._load_body(d / ENCODER)
        obj.max_length = int(m.model["max_length"])
        obj.body.max_seq_length = obj.max_length
        obj.fit_result = m.fit
        obj.info = dict(m.info)
        return obj
