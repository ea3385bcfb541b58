"""Save and reload trained bundles as a directory (``model.pt`` + ``config.json``), and predict with them.

A model directory is written whole or not at all: everything goes into a temporary directory beside ``out_dir``,
which then takes ``out_dir``'s place by rename.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from advisor.data.files import replace_dir_atomic

from .models import build_model, make_config
from .train import Bundle, FitResult, TrainConfig, predict_class_ids, predict_tag_ids
from .vocab import CharVocab, Vocab

# 2: Bundle.task names the vocabulary's tasks ("classification", "tagging"). Format 1 said "classify"/"tag";
# a format-1 folder is refused with a one-line error naming its format (retrain it), not mapped.
if TYPE_CHECKING:
    from advisor.data import Example, TaggedSentence

FORMAT_VERSION = 2
WEIGHTS = "model.pt"
CONFIG = "config.json"


def _advisor_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("text-encoder-advisor")
    except PackageNotFoundError:
        return "unknown"


def _fsync_write(path: Path, write: Any) -> None:
    with path.open("wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def save_model(bundle: Bundle, out_dir: str | Path, extra_meta: Mapping[str, Any] | None = None) -> Path:
    """Write ``bundle`` to ``out_dir`` atomically, replacing any model directory already there.

    ``config.json`` holds the arch, model and train configs, vocabularies, labels, preprocessing, the fit history,
    python/torch/advisor versions, the creation time and ``extra_meta`` (pass the data fingerprint there, e.g.
    ``{"data_fingerprint": ...}``) under ``"meta"``. Returns ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "format_version": FORMAT_VERSION,
        "arch": bundle.arch,
        "task": bundle.task,
        "model_config": dataclasses.asdict(bundle.model.config),
        "train_config": dataclasses.asdict(bundle.train_config),
        "labels": list(bundle.labels),
        "vocab": bundle.vocab.to_dict(),
        "char_vocab": bundle.char_vocab.to_dict() if bundle.char_vocab is not None else None,
        "preprocess": dict(bundle.preprocess),
        "info": dict(bundle.info),
        "fit": bundle.fit.to_dict() if bundle.fit is not None else None,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "advisor": _advisor_version(),
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "meta": dict(extra_meta or {}),
    }
    text = json.dumps(config, indent=1, ensure_ascii=False) + "\n"
    state = {k: v.detach().cpu() for k, v in bundle.model.state_dict().items()}

    def fill(folder: Path) -> None:
        _fsync_write(folder / WEIGHTS, lambda fh: torch.save(state, fh))
        _fsync_write(folder / CONFIG, lambda fh: fh.write(text.encode("utf-8")))

    replace_dir_atomic(out_dir, fill)
    return out_dir


def load_model(model_dir: str | Path, device: str = "cpu") -> Bundle:
    """Rebuild a ``Bundle`` from a directory written by ``save_model`` (the model is left in eval mode)."""
    model_dir = Path(model_dir)
    try:
        config = json.loads((model_dir / CONFIG).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{model_dir} is not a saved model directory: no {CONFIG}") from None
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{model_dir}: saved in checkpoint format {config.get('format_version')!r}; this advisor reads "
            f"format {FORMAT_VERSION} only: retrain the model with `advisor baseline train`"
        )
    arch = config["arch"]
    model = build_model(arch, make_config(arch, **config["model_config"]))
    state = torch.load(model_dir / WEIGHTS, map_location=device, weights_only=True)
    model.load_state_dict(state)
    model.to(device).eval()
    char_vocab = config.get("char_vocab")
    fit = config.get("fit")
    return Bundle(
        arch=arch,
        model=model,
        vocab=Vocab.from_dict(config["vocab"]),
        labels=list(config["labels"]),
        train_config=TrainConfig(**config["train_config"]),
        fit=FitResult(**fit) if fit is not None else None,
        char_vocab=CharVocab.from_dict(char_vocab) if char_vocab is not None else None,
        preprocess=dict(config.get("preprocess") or {}),
        info=dict(config.get("info") or {}),
    )


def read_meta(model_dir: str | Path) -> dict[str, Any]:
    """The whole ``config.json`` of a saved model, without loading weights."""
    return json.loads((Path(model_dir) / CONFIG).read_text(encoding="utf-8"))


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
