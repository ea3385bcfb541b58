"""The lesson's BertCNN: frozen transformer token features + a TextCNN head (``--arch frozen-transformer --head cnn``).

The encoder (the shipped all-MiniLM-L6-v2 of :mod:`advisor.baselines.transformer`, or any local Hugging Face
folder with ``encoder``) stays frozen: each text's last hidden states (its word pieces, [CLS] and [SEP] included,
truncated at the encoder's maximum) are computed once per run, for the training and dev texts before the first
epoch, and kept in memory; the head trains on those cached features, padded per batch. The head is
:class:`advisor.baselines.models.FeatureCNN`: TextCNN's convolutions and max-over-time pooling
(``conv_max_pool``, the same code as TextCNN's), widths 2, 3, 4 x 64 filters, dropout and max-norm before the
output layer. It trains with the TextCNN recipe row (``advisor.recipes``: Adam 1e-3, batch 50, up to 30 epochs,
early stopping on dev accuracy with patience 3, dropout 0.5, max-norm 3) through the toolkit's one loop
(:func:`advisor.baselines.train.fit`).

The model folder (:mod:`advisor.baselines.manifest`, architecture ``frozen-transformer``, ``model.head`` ``"cnn"``):
``manifest.json`` and ``head.pt`` (the head's state dict, loaded with ``weights_only=True``); the shipped encoder is
named, never copied (as the logistic-regression head does); a user's ``encoder`` folder is saved inside it
(``encoder/``, ``save_pretrained``), so the folder reloads alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .transformer import ENCODER_NAME, ENCODER_PACKAGE, LIBRARIES, MiniLM, load_minilm, token_embeddings

KIND = "frozen-transformer"
HEAD = "head.pt"
ENCODER = "encoder"
FILTER_WIDTHS = (2, 3, 4)  # the lesson's BertCNN
NUM_FILTERS = 64


class BertCNNClassifier:
    """Frozen token features + :class:`~advisor.baselines.models.FeatureCNN` (see the module docstring)."""

    kind = KIND

    def __init__(
        self,
        encoder: str | Path | None = None,
        *,
        train_config: Any = None,
        dropout: float = 0.5,
        max_norm: float | None = 3.0,
        encode_batch_size: int = 64,
        device: str = "cpu",
        progress: bool = True,
    ):
        self.encoder_dir = Path(encoder) if encoder is not None else None
        self.train_config = train_config  # advisor.baselines.train.TrainConfig (the TextCNN recipe row)
        self.dropout = float(dropout)
        self.max_norm = max_norm
        self.encode_batch_size = int(encode_batch_size)
        self.device = device
        self.progress = progress
        self.encoder: MiniLM | None = None
        self.net: Any = None
        self.labels: list[str] = []
        self.fit_result: dict[str, Any] | None = None

    # -- features ------------------------------------------------------------------------------------------------
    def _encoder(self) -> MiniLM:
        if self.encoder is None:
            self.encoder = load_minilm(self.device, self.encoder_dir)
        return self.encoder

    def features(self, texts: Sequence[str]) -> list[Any]:
        """Each text's frozen last-layer token features: a float32 tensor (n_pieces, hidden) per text."""
        import torch

        pairs = token_embeddings([str(t) for t in texts], self.encode_batch_size, self._encoder())
        return [torch.from_numpy(vectors) for _, vectors in pairs]

    @staticmethod
    def _pad(feats: Sequence[Any]) -> dict[str, Any]:
        import torch
        from torch.nn.utils.rnn import pad_sequence

        lengths = torch.tensor([len(f) for f in feats])
        padded = pad_sequence(list(feats), batch_first=True)  # shape: (batch_size, max_len, hidden)
        mask = torch.arange(padded.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
        return {"features": padded, "mask": mask}

    def _predict_ids(self, feats: Sequence[Any]) -> list[int]:
        import torch

        from .train import PREDICT_BATCH_SIZE, resolve_device

        device = resolve_device(self.train_config.device if self.train_config else self.device)
        self.net.to(device).eval()
        out: list[int] = []
        with torch.no_grad():
            for s in range(0, len(feats), PREDICT_BATCH_SIZE):
                batch = {k: v.to(device) for k, v in self._pad(feats[s : s + PREDICT_BATCH_SIZE]).items()}
                out.extend(self.net(**batch)[0].argmax(-1).tolist())
        return out

    # -- training ------------------------------------------------------------------------------------------------
    def fit(self, train_texts, train_labels, dev_texts, dev_labels) -> BertCNNClassifier:
        import torch

        from .models import FeatureCNN, FeatureCNNConfig
        from .train import epoch_generator, fit, iter_batches, set_seed

        config = self.train_config
        self.labels = sorted({str(y) for y in train_labels})
        index = {y: i for i, y in enumerate(self.labels)}
        train_feats, dev_feats = self.features(train_texts), self.features(dev_texts)  # cached once
        y = torch.tensor([index[str(v)] for v in train_labels])
        set_seed(config.seed)
        self.net = FeatureCNN(
            FeatureCNNConfig(
                feature_dim=self._encoder().dim,
                num_classes=len(self.labels),
                filter_widths=FILTER_WIDTHS,
                num_filters=NUM_FILTERS,
                dropout=self.dropout,
                max_norm=self.max_norm,
            )
        )

        def batches(epoch: int):
            for idx in iter_batches(len(train_feats), config.batch_size, epoch_generator(config.seed, epoch)):
                yield {**self._pad([train_feats[i] for i in idx]), "targets": y[idx]}

        gold = [str(v) for v in dev_labels]

        def dev_accuracy(_model) -> float:
            pred = [self.labels[i] for i in self._predict_ids(dev_feats)]
            return sum(p == g for p, g in zip(pred, gold, strict=True)) / max(1, len(gold))

        self.fit_result = fit(self.net, batches, dev_accuracy, config, progress=self.progress).to_dict()
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        if self.net is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        return [self.labels[i] for i in self._predict_ids(self.features(texts))]

    # -- the model folder ----------------------------------------------------------------------------------------
    def manifest(self, **provenance: Any) -> Manifest:
        enc = self._encoder()
        return Manifest(
            architecture=KIND,
            task="classification",
            model={
                "head": "cnn",
                "encoder": str(self.encoder_dir) if self.encoder_dir else ENCODER_NAME,
                "features": "last hidden state of every word piece ([CLS]/[SEP] included), frozen, padded",
                "max_seq_length": enc.max_seq_length,
                "encode_batch_size": self.encode_batch_size,
                "cnn": dataclasses.asdict(self.net.config),
            },
            train=dataclasses.asdict(self.train_config),
            labels=list(self.labels),
            vocabulary=VocabularyRef(
                file=None,
                size=int(len(enc.tokenizer)),
                source=f"the encoder's tokenizer ({ENCODER}/)" if self.encoder_dir else ENCODER_PACKAGE,
            ),
            versions=versions(*LIBRARIES),
            files=[HEAD, *([f"{ENCODER}/config.json"] if self.encoder_dir else [])],
            fit=self.fit_result,
            **provenance,
        )

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        import torch

        manifest = self.manifest(**provenance)

        def fill(d: Path) -> None:
            if self.encoder_dir is not None:
                self.encoder.model.save_pretrained(str(d / ENCODER), safe_serialization=True)
                self.encoder.tokenizer.save_pretrained(str(d / ENCODER))
            torch.save({k: v.detach().cpu() for k, v in self.net.state_dict().items()}, d / HEAD)

        return write_model_folder(directory, manifest, fill, extra)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> BertCNNClassifier:
        import torch

        from .models import FeatureCNN, FeatureCNNConfig
        from .train import TrainConfig

        d = Path(directory)
        m = read_manifest(d, (KIND,))
        own = (d / ENCODER).is_dir() and f"{ENCODER}/config.json" in m.files
        cnn = FeatureCNNConfig(**m.model["cnn"])
        obj = cls(
            d / ENCODER if own else None,
            train_config=TrainConfig(**{**m.train, "device": device}),
            dropout=cnn.dropout,
            max_norm=cnn.max_norm,
            encode_batch_size=m.model["encode_batch_size"],
            device=device,
            progress=False,
        )
        obj.labels = [str(label) for label in m.labels]
        obj.net = FeatureCNN(cnn)
        obj.net.load_state_dict(torch.load(d / HEAD, map_location="cpu", weights_only=True))
        obj.net.to(device).eval()
        obj.fit_result = m.fit
        return obj


def is_bertcnn(manifest: Manifest) -> bool:
    """Whether a frozen-transformer model folder holds the CNN head (else the logistic-regression head)."""
    return manifest.architecture == KIND and manifest.model.get("head") == "cnn"
