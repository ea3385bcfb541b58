"""The frozen-transformer tagger: frozen contextual token features + a linear emission layer + the project's CRF.

``advisor baseline train --arch frozen-transformer`` trains this on tagging data (on classification data it is
the sentence-feature classifier of :mod:`advisor.baselines.transformer`). The encoder (``--encoder DIR``, default
the shipped all-MiniLM-L6-v2, loaded offline as in :mod:`advisor.baselines.finetune`) runs once, frozen: each word
is cut into word pieces (:func:`advisor.baselines.finetune.word_pieces`, the alignment fine-tuning uses) and its
feature is the encoder's last hidden state at its first piece. Those features are computed once per split and
cached; only the head trains: dropout, a linear layer to tag scores and the linear-chain
:class:`~advisor.baselines.models.CRF` of the BiLSTM-CRF (:class:`~advisor.baselines.models.FeatureCRF`), with
:func:`advisor.baselines.train.fit` (early stopping on dev entity F1) and the ``frozen-transformer-tagging`` row of
:mod:`advisor.recipes` (Adam 1e-3, batch 32 sentences, up to 50 epochs, patience 5, dropout 0.2 on the features).

Words past the encoder's maximum (a sentence of more than about 250 pieces with MiniLM) get a zero feature
vector, so the CRF still tags them from its transitions; ``info.truncated_texts`` counts such sentences.

The model folder (:mod:`advisor.baselines.manifest`): ``manifest.json`` (``task`` tagging) and ``model.pt`` (the
head's state dict, loaded with ``weights_only=True``). The encoder is not copied: the manifest names the shipped
package, or the absolute path of the ``--encoder`` folder, which must still be there to predict.

``advisor baseline export`` (:mod:`advisor.baselines.export`) writes the encoder and the emission layer as one
ONNX graph (emissions per word piece) with the CRF's transitions beside it; the torch-free runtime
(:mod:`advisor.runtime`) aligns words and pieces as :meth:`FrozenTransformerTagger.features` does and gives the
words past the budget the emission row of a zero feature (the layer's bias).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .finetune import default_encoder, load_encoder, specials, word_pieces
from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .transformer import ENCODER_NAME

KIND = "frozen-transformer"
WEIGHTS = "model.pt"
LIBRARIES = ("transformers", "tokenizers", "torch", "numpy")


class FrozenTransformerTagger:
    """Frozen encoder token features + linear + CRF (see the module docstring).

    ``fit(train_tokens, train_tags, dev_tokens, dev_tags)``; ``predict(token_lists) -> tag lists``."""

    kind = KIND

    def __init__(
        self,
        encoder: str | Path | None = None,
        *,
        train_config: Any,
        dropout: float,
        encode_batch_size: int = 64,
        progress: bool = True,
    ):
        self.encoder_dir = Path(encoder).resolve() if encoder is not None else None
        self.train_config = train_config
        self.dropout = float(dropout)
        self.encode_batch_size = int(encode_batch_size)
        self.progress = progress
        self.labels: list[str] = []
        self.head: Any = None
        self.fit_result: dict[str, Any] | None = None
        self.truncated = 0
        self._encoder: Any = None

    # -- features ------------------------------------------------------------------------------------
    def _load(self) -> tuple[Any, Any, int]:
        if self._encoder is None:
            from .train import resolve_device

            folder = self.encoder_dir or default_encoder()
            tokenizer, model, max_length = load_encoder(folder, shipped=self.encoder_dir is None)
            model.eval().to(resolve_device(self.train_config.device))
            self._encoder = (tokenizer, model, max_length)
        return self._encoder

    def features(self, sentences: Sequence[Sequence[str]]) -> list[Any]:
        """Per sentence, a float tensor (words, hidden): the last hidden state at each word's first piece."""
        import torch

        tokenizer, model, max_length = self._load()
        before, after = specials(tokenizer)
        budget = max_length - len(before) - len(after)
        device = next(model.parameters()).device
        hidden_size = int(model.config.hidden_size)
        out: list[Any] = [None] * len(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))  # batches pad little
        with torch.inference_mode():
            for s in range(0, len(order), self.encode_batch_size):
                idx = order[s : s + self.encode_batch_size]
                ids, firsts = [], []
                for i in idx:
                    pieces, first, cut = word_pieces(tokenizer, list(sentences[i]), budget)
                    self.truncated += cut
                    ids.append([*before, *pieces, *after])
                    firsts.append([len(before) + f for f in first])
                batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt", return_attention_mask=True)
                hidden = model(**{k: v.to(device) for k, v in batch.items()}).last_hidden_state.float().cpu()
                for row, i in enumerate(idx):
                    feats = torch.zeros(len(sentences[i]), hidden_size)  # words past the budget: zeros
                    feats[: len(firsts[row])] = hidden[row, firsts[row]]
                    out[i] = feats
        return out

    @staticmethod
    def _batch(feats: Sequence[Any], tags: Sequence[Sequence[int]] | None = None) -> dict[str, Any]:
        import torch

        longest = max(1, max(len(f) for f in feats))
        x = torch.zeros(len(feats), longest, feats[0].shape[-1] if len(feats[0]) else 1)
        mask = torch.zeros(len(feats), longest, dtype=torch.bool)
        for row, f in enumerate(feats):
            x[row, : len(f)] = f
            mask[row, : len(f)] = True
        mask[:, 0] = True  # the CRF needs a first step; an empty sentence decodes one step, cut afterwards
        batch = {"features": x, "mask": mask}
        if tags is not None:
            t = torch.zeros(len(feats), longest, dtype=torch.long)
            for row, seq in enumerate(tags):
                t[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            batch["tags"] = t
        return batch

    def _decode(self, feats: Sequence[Any]) -> list[list[str]]:
        from .train import _to_device

        self.head.eval()
        device = next(self.head.parameters()).device
        out: list[list[str]] = []
        for s in range(0, len(feats), 256):
            chunk = feats[s : s + 256]
            batch = _to_device(self._batch(chunk), device)
            for f, ids in zip(chunk, self.head.decode(batch["features"], batch["mask"]), strict=True):
                out.append([self.labels[i] for i in ids[: len(f)]])
        return out

    # -- training ------------------------------------------------------------------------------------
    def fit(self, train_tokens, train_tags, dev_tokens, dev_tags) -> FrozenTransformerTagger:
        from .metrics import entity_f1
        from .models import FeatureCRF
        from .train import epoch_generator, fit, iter_batches, set_seed

        tc = self.train_config
        set_seed(tc.seed)
        self.labels = sorted({str(t) for tags in train_tags for t in tags})
        index = {t: i for i, t in enumerate(self.labels)}
        x_train, x_dev = self.features(train_tokens), self.features(dev_tokens)
        y_train = [[index[str(t)] for t in tags] for tags in train_tags]
        gold_dev = [[str(t) for t in tags] for tags in dev_tags]
        hidden = int(self._load()[1].config.hidden_size)
        self.head = FeatureCRF(hidden, len(self.labels), self.dropout)

        def batches(epoch: int):
            gen = epoch_generator(tc.seed, epoch)
            for idx in iter_batches(len(x_train), tc.batch_size, gen):
                yield self._batch([x_train[i] for i in idx], [y_train[i] for i in idx])

        result = fit(
            self.head, batches, lambda m: entity_f1(gold_dev, self._decode(x_dev)), tc, progress=self.progress
        )
        self.fit_result = result.to_dict()
        return self

    def predict(self, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
        if self.head is None:
            raise RuntimeError("the tagger is not fitted; call fit() or load() first")
        return self._decode(self.features([list(t) for t in token_lists]))

    # -- the model folder ----------------------------------------------------------------------------
    def manifest(self, **provenance: Any) -> Manifest:
        tokenizer, model, max_length = self._load()
        return Manifest(
            architecture=KIND,
            task="tagging",
            model={
                "encoder": ENCODER_NAME if self.encoder_dir is None else str(self.encoder_dir),
                "encoder_dir": None if self.encoder_dir is None else str(self.encoder_dir),
                "model_type": str(model.config.model_type),
                "hidden_size": int(model.config.hidden_size),
                "features": "last hidden state at each word's first word piece (frozen)",
                "head": "dropout, linear emissions, linear-chain CRF",
                "max_length": max_length,
                "dropout": self.dropout,
                "encode_batch_size": self.encode_batch_size,
            },
            train=dataclasses.asdict(self.train_config),
            labels=list(self.labels),
            vocabulary=VocabularyRef(
                file=None, size=int(len(tokenizer)), source="the encoder's tokenizer (not copied)"
            ),
            versions=versions(*LIBRARIES),
            files=[WEIGHTS],
            fit=self.fit_result,
            info={"truncated_texts": self.truncated},
            **provenance,
        )

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        import torch

        manifest = self.manifest(**provenance)
        state = {k: v.detach().cpu() for k, v in self.head.state_dict().items()}
        return write_model_folder(directory, manifest, lambda d: torch.save(state, d / WEIGHTS), extra)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> FrozenTransformerTagger:
        import torch

        from .models import FeatureCRF
        from .train import TrainConfig

        d = Path(directory)
        m = read_manifest(d, (KIND,))
        obj = cls(
            m.model["encoder_dir"],
            train_config=TrainConfig(**{**m.train, "device": device}),
            dropout=m.model["dropout"],
            encode_batch_size=m.model["encode_batch_size"],
            progress=False,
        )
        obj.labels = [str(t) for t in m.labels]
        obj.head = FeatureCRF(int(m.model["hidden_size"]), len(obj.labels), obj.dropout)
        obj.head.load_state_dict(torch.load(d / WEIGHTS, map_location="cpu", weights_only=True))
        obj.head.to(device).eval()
        obj.fit_result = m.fit
        return obj
