"""The checkpoint manifest: one ``manifest.json`` describes every saved model folder, whatever the model kind.

Every kind ``advisor baseline train`` can train (``advisor.vocabulary.TRAINABLE``: the torch classifiers, the
BiLSTM-CRF tagger, ``ngram-linear``, ``frozen-transformer``) saves a folder holding ``manifest.json`` and the
kind's own files, which the manifest lists under ``files``; ``evaluate`` and ``predict`` read the manifest first
and load the kind it names. A folder is written whole or not at all (:func:`write_model_folder`).

Format 2 (``format_version``; this advisor reads format 2 only). ``manifest.json``::

    {
      "format_version": 2,
      "architecture": "textcnn" | "bilstm" | "lstm" | "gru" | "rnn" | "bilstm-crf" | "ngram-linear"
                      | "ngram-static-linear" | "frozen-transformer" | "transformer-finetune",
      "task": "classification" | "tagging",
      "model": {...},          # the model config: the torch model's config dataclass fields; the TF-IDF
                               # vectorizer's settings (ngram-linear); the encoder's (frozen-transformer)
      "train": {...},          # the train config: TrainConfig fields; the logistic-regression head's C, C grid
                               # and dev scores (the scikit-learn kinds)
      "labels": [str | int, ...],   # class names (tagger: tag names) by output index
      "vocabulary": {"file": "vocab.json" | null, "size": int | null, "source": str},
      "versions": {"advisor": str, "python": str, "platform": str, <library>: str | null, ...},
      "data_fingerprint": "sha256:<hex>" | null,   # advisor.data.fingerprint of the training data
      "files": [str, ...],     # the kind's files in this folder
      "fit": {...} | null,     # the training history (FitResult: dev curve, train loss, best epoch, ...)
      "preprocess": {...},     # how text becomes tokens (the tagger's lowercase / zero_digits / max_chars)
      "info": {...},           # extra facts, e.g. embeddings_found
      "run": {...},            # what `advisor baseline train` recorded: data path, split, seed, test metrics,
                               # the advice, and ``vectors`` (which static vectors it read, and why)
      "export": {...} | null,  # an exported folder only (advisor.baselines.export): format, graph, inputs,
                               # tokenizer, opset, quantization, versions, parity; the runtime reads it
      "created": "<ISO 8601 UTC>"
    }

The kinds' files: torch models ``model.pt`` (the state dict, loaded with ``weights_only=True``) and
``vocab.json`` (``{"words": Vocab.to_dict(), "chars": CharVocab.to_dict() | null}``); ``ngram-linear``
``vocab.json`` (the n-gram terms in feature order) and ``arrays.npz`` (idf, coef, intercept; loaded with
``allow_pickle=False``); ``ngram-static-linear`` the same plus ``words.json`` (the training words that have a
vector) and ``word_vectors`` in ``arrays.npz`` (only those words' vectors; ``model.static_vectors`` gives their
source, count, dimension and MB); ``frozen-transformer`` ``head.json`` (the head's coefficients; the encoder is the
installed package named in ``vocabulary.source``, never copied); ``transformer-finetune`` ``head.pt`` (the linear
head's state dict) and ``encoder/`` (the fine-tuned encoder and tokenizer, ``save_pretrained``, safetensors; the
manifest lists ``encoder/config.json``). No pickle anywhere.

Older folders: format 1 (no ``manifest.json``, a ``config.json`` per kind; torch models said ``"task":
"classify"``/``"tag"``) is refused with a one-line error naming its format, not mapped: retrain the model.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor import __version__
from advisor.data import DataError
from advisor.data.files import parse_limits, replace_dir_atomic
from advisor.errors import validation_line
from advisor.vocabulary import TRAINABLE, Task

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
# What a torch result depends on beside advisor and python: recorded by torch models, `advisor baseline train`
# results, plateau evidence and the dataset benchmarks (the scikit-learn kinds name their own).
TORCH_LIBRARIES = ("torch", "numpy")


def versions(*distributions: str) -> dict[str, str | None]:
    """The versions a result depends on: advisor, python and the platform, then each named distribution's
    installed version (None when it is not installed), in that order.

    The one version-info helper: model manifests, plateau evidence and the benchmarks all record this.
    """
    found: dict[str, str | None] = {
        "advisor": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for dist in distributions:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


class VocabularyRef(BaseModel):
    """Where the model's vocabulary lives: a file of the folder, or (``file`` null) the package that ships it."""

    model_config = ConfigDict(strict=True, extra="forbid")

    file: str | None = Field(
        description="file in the model folder, or null when the vocabulary ships elsewhere"
    )
    size: int | None = Field(description="entries (word ids, n-gram terms, word pieces)")
    source: str = Field(description="what it was built from, e.g. 'training data'")


class Manifest(BaseModel):
    """``manifest.json`` of a saved model folder (see the module docstring for the format)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    format_version: Literal[2] = FORMAT_VERSION
    architecture: Literal[TRAINABLE]  # type: ignore[valid-type]
    task: Task
    model: dict[str, Any] = Field(description="the model config")
    train: dict[str, Any] = Field(description="the train config")
    labels: list[str | int] = Field(description="class or tag names by output index")
    vocabulary: VocabularyRef
    versions: dict[str, str | None]
    data_fingerprint: str | None = None
    files: list[str] = Field(default_factory=list, description="the kind's own files in the folder")
    fit: dict[str, Any] | None = None
    preprocess: dict[str, Any] = Field(default_factory=dict)
    info: dict[str, Any] = Field(default_factory=dict)
    run: dict[str, Any] = Field(default_factory=dict)
    export: dict[str, Any] | None = Field(
        default=None, description="set in an exported folder (advisor.baselines.export): how to run its graph"
    )
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def write_model_folder(
    out_dir: str | Path,
    manifest: Manifest,
    fill: Callable[[Path], None],
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write a model folder atomically: ``fill(folder)`` writes the kind's files, ``extra(folder)`` what the
    caller adds (``advisor baseline train``: the length-bucket PNG), then ``manifest.json``; the folder then
    replaces ``out_dir`` (see ``advisor.data.files.replace_dir_atomic``), so everything of a model folder is
    inside the one swap. Returns ``out_dir``."""

    def write(folder: Path) -> None:
        fill(folder)
        if extra is not None:
            extra(folder)
        missing = [f for f in manifest.files if not (folder / f).is_file()]
        if missing:
            raise RuntimeError(f"the manifest lists {', '.join(missing)}, which the save did not write")
        (folder / MANIFEST).write_text(manifest.model_dump_json(indent=1) + "\n", encoding="utf-8")

    return replace_dir_atomic(out_dir, write)


def read_manifest(model_dir: str | Path, architectures: tuple[str, ...] = TRAINABLE) -> Manifest:
    """The manifest of a saved model folder; ``DataError`` (one line) for anything else, for a folder in
    another format, or for a model whose architecture is not in ``architectures``."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST
    if not path.is_file():
        old = model_dir / "config.json"
        if old.is_file():
            try:
                version = json.loads(old.read_text(encoding="utf-8")).get("format_version", 1)
            except (ValueError, AttributeError):
                version = "unknown"
            raise DataError(_format_message(model_dir, version))
        raise DataError(f"{model_dir}: not a saved model folder (no {MANIFEST})")
    try:
        with parse_limits(path, DataError):
            raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a JSON manifest ({exc})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path}: not a JSON manifest (expected an object)")
    if raw.get("format_version") != FORMAT_VERSION:
        raise DataError(_format_message(model_dir, raw.get("format_version")))
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise DataError(validation_line(exc, str(path), whole="manifest")) from None
    if manifest.architecture not in architectures:
        raise DataError(
            f"{model_dir} holds a {manifest.architecture!r} model, not {' or '.join(map(repr, architectures))}"
        )
    return manifest


def _format_message(model_dir: Path, version: object) -> str:
    return (
        f"{model_dir}: saved in checkpoint format {version!r}; this advisor reads format {FORMAT_VERSION} only: "
        "retrain the model with `advisor baseline train`"
    )
