"""Save and reload trained torch bundles as a model folder, and predict with them.

The folder holds ``manifest.json`` (:mod:`advisor.baselines.manifest`, the one format of every model kind),
``model.pt`` (the state dict) and ``vocab.json`` (word and character vocabularies). It is written whole or not
at all: everything goes into a temporary folder beside ``out_dir``, which then takes ``out_dir``'s place.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from advisor.data import DataError
from advisor.vocabulary import NEURAL

from .manifest import (
    MANIFEST,
    TORCH_LIBRARIES,
    Manifest,
    VocabularyRef,
    read_manifest,
    versions,
    write_model_folder,
)
from .models import build_model, make_config
from .train import Bundle, FitResult, TrainConfig, predict_class_ids, predict_tag_ids
from .vocab import CharVocab, Vocab

if TYPE_CHECKING:
    from advisor.data import Example, TaggedSentence

WEIGHTS = "model.pt"
VOCAB = "vocab.json"


def _fsync_write(path: Path, write: Any) -> None:
    with path.open("wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def bundle_manifest(
    bundle: Bundle, *, data_fingerprint: str | None = None, run: Mapping[str, Any] | None = None
) -> Manifest:
    """The manifest of ``bundle``: architecture, task, model and train configs, labels, vocabulary, fit history,
    versions; ``data_fingerprint`` and ``run`` (what the runner records: data path, split, seed, test metrics)."""
    return Manifest(
        architecture=bundle.arch,
        task=bundle.task,
        model=json.loads(json.dumps(dataclasses.asdict(bundle.model.config))),
        train=dataclasses.asdict(bundle.train_config),
        labels=list(bundle.labels),
        vocabulary=VocabularyRef(file=VOCAB, size=len(bundle.vocab), source="training data"),
        versions=versions(*TORCH_LIBRARIES),
        data_fingerprint=data_fingerprint,
        files=[WEIGHTS, VOCAB],
        fit=bundle.fit.to_dict() if bundle.fit is not None else None,
        preprocess=dict(bundle.preprocess),
        info=dict(bundle.info),
        run=dict(run or {}),
    )


def save_model(
    bundle: Bundle,
    out_dir: str | Path,
    *,
    data_fingerprint: str | None = None,
    run: Mapping[str, Any] | None = None,
    extra: Any = None,
) -> Path:
    """Write ``bundle`` to ``out_dir`` atomically (manifest, weights, vocabularies, and what ``extra(folder)``
    adds), replacing any model folder already there. Returns ``out_dir``."""
    manifest = bundle_manifest(bundle, data_fingerprint=data_fingerprint, run=run)
    vocab = {
        "words": bundle.vocab.to_dict(),
        "chars": bundle.char_vocab.to_dict() if bundle.char_vocab is not None else None,
    }
    text = json.dumps(vocab, ensure_ascii=False) + "\n"
    state = {k: v.detach().cpu() for k, v in bundle.model.state_dict().items()}

    def fill(folder: Path) -> None:
        _fsync_write(folder / WEIGHTS, lambda fh: torch.save(state, fh))
        _fsync_write(folder / VOCAB, lambda fh: fh.write(text.encode("utf-8")))

    return write_model_folder(out_dir, manifest, fill, extra)


@contextmanager
def _part(model_dir: Path, name: str) -> Iterator[None]:
    """A ``DataError`` naming the folder and its file ``name`` for whatever reading that part raises (missing,
    truncated, of another shape than the manifest says)."""
    try:
        yield
    except Exception as exc:
        from advisor.errors import message_line

        why = (
            "missing"
            if isinstance(exc, FileNotFoundError)
            else f"{type(exc).__name__}: {message_line(str(exc), 200)}"
        )
        raise DataError(
            f"{model_dir}: broken model folder: {name}: {why}; retrain it with `advisor baseline train`"
        ) from None


def load_model(model_dir: str | Path, device: str = "cpu") -> Bundle:
    """Rebuild a ``Bundle`` from a folder written by ``save_model`` (the model is left in eval mode).

    ``DataError`` (a ``ValueError``, one line) when the folder holds no torch model of this format.
    """
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir, NEURAL)
    arch = manifest.architecture
    with _part(model_dir, f"{MANIFEST} (its model config)"):
        model = build_model(arch, make_config(arch, manifest.task, **manifest.model), task=manifest.task)
    with _part(model_dir, WEIGHTS):
        state = torch.load(model_dir / WEIGHTS, map_location=device, weights_only=True)
        model.load_state_dict(state)
    model.to(device).eval()
    with _part(model_dir, VOCAB):
        vocab = json.loads((model_dir / VOCAB).read_text(encoding="utf-8"))
        words = Vocab.from_dict(vocab["words"])
        chars = CharVocab.from_dict(vocab["chars"]) if vocab["chars"] is not None else None
    return Bundle(
        arch=arch,
        model=model,
        vocab=words,
        labels=[str(label) for label in manifest.labels],
        train_config=TrainConfig(**manifest.train),
        fit=FitResult(**manifest.fit) if manifest.fit is not None else None,
        char_vocab=chars,
        preprocess=dict(manifest.preprocess),
        info=dict(manifest.info),
    )


def predict_items(bundle: Bundle, items: Sequence[Example] | Sequence[TaggedSentence]) -> list:
    """Predictions for dataset items: a label per ``Example`` (classifier) or a tag list per ``TaggedSentence``."""
    if bundle.task == "tagging":
        return predict_tags(bundle, [s.tokens for s in items])
    return predict_texts(bundle, [x.text for x in items])


def predict_texts(bundle: Bundle, texts: Iterable[str]) -> list[str]:
    """Predicted label of each text, with a classifier bundle."""
    if bundle.task != "classification":
        raise ValueError(f"predict_texts needs a classifier; {bundle.arch!r} is a tagger (use predict_tags)")
    ids = predict_class_ids(bundle.model, bundle.encode_texts(texts))
    return [bundle.labels[i] for i in ids]


def predict_tags(bundle: Bundle, token_lists: Iterable[Sequence[str]]) -> list[list[str]]:
    """Predicted tags of each token list, with a tagger bundle."""
    if bundle.task != "tagging":
        raise ValueError(f"predict_tags needs a tagger; {bundle.arch!r} is a classifier (use predict_texts)")
    token_lists = [list(t) for t in token_lists]
    pred = predict_tag_ids(bundle.model, bundle.encode_words(token_lists), bundle.encode_chars(token_lists))
    return [[bundle.labels[i] for i in p] for p in pred]
