"""Training: seeds, devices, padding, a plateau-stopping ``fit`` loop, and one-call trainers for classifiers and taggers.

``fit`` knows nothing about tasks. It needs ``train_batches_fn(epoch)`` to yield dicts of keyword arguments for
``model(**batch)``, which returns ``(output, loss)``. It also needs ``evaluate_fn(model)``, which returns the dev
metric (higher is better). ``train_classifier`` and ``train_tagger`` build the vocabulary, the tensors and the model
on top of it, and return a ``Bundle`` that ``advisor.baselines.io`` saves, reloads and predicts with.
"""

from __future__ import annotations

import dataclasses
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from advisor.data.text import normalize_word
from advisor.recipes import RECIPES, Recipe, recipe_for
from advisor.vocabulary import DEVICES, TORCH_OPTIMIZERS

from .models import TAGGER_ARCHS, TAGGERS, BiLSTMCRF, build_model, make_config
from .vocab import PAD_INDEX, UNK_INDEX, CharVocab, Vocab, load_embeddings

if TYPE_CHECKING:
    from advisor.data import Example, TaggedSentence
    from advisor.vocabulary import Task

PREDICT_BATCH_SIZE = 256
# TrainConfig()'s defaults: the TextCNN's row of the recipe table (the trainers' default architecture).
_DEFAULT = RECIPES["textcnn"]


class TrainingError(RuntimeError):
    """Training cannot go on (for example the loss became NaN)."""


@dataclass
class TrainConfig:
    """How ``fit`` trains. The defaults are the TextCNN's recipe (``advisor.recipes``); another
    architecture's recipe is :meth:`from_recipe` (what ``advisor baseline train`` uses)."""

    optimizer: str = _DEFAULT.optimizer  # adam | adamw | adadelta | sgd (advisor.vocabulary.TORCH_OPTIMIZERS)
    lr: float = _DEFAULT.learning_rate  # learning rate (Adadelta: 1.0)
    batch_size: int = _DEFAULT.batch_size  # examples per step
    max_epochs: int = _DEFAULT.max_epochs  # hard cap on passes over the training data
    patience: int = (
        _DEFAULT.patience
    )  # stop after this many epochs in a row that fail to beat the best dev score
    min_delta: float = 0.0  # an epoch must beat the best dev score by more than this to count as better
    grad_clip: float | None = _DEFAULT.grad_clip  # max global gradient L2 norm (None: no clipping)
    weight_decay: float = _DEFAULT.weight_decay  # L2 penalty (decoupled for adamw)
    momentum: float = 0.0  # sgd only
    seed: int = 0  # python, numpy and torch seeds; batch order is derived from it
    device: str = "auto"  # auto (cuda when available) | cpu | cuda

    def __post_init__(self) -> None:
        if self.optimizer not in TORCH_OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {', '.join(TORCH_OPTIMIZERS)}; got {self.optimizer!r}"
            )
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {self.device!r}")
        if self.patience < 2:
            raise ValueError(
                f"patience must be >= 2 (one bad epoch is noise, not a plateau), got {self.patience}"
            )
        for name in ("lr", "batch_size", "max_epochs"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"grad_clip must be > 0 or None, got {self.grad_clip}")

    @classmethod
    def from_recipe(cls, recipe: Recipe, **overrides: Any) -> TrainConfig:
        """The config a recipe row gives (optimizer, learning rate, batch size, max epochs, patience,
        clipping, weight decay), with ``overrides`` (seed, device, an --epochs cap, ...) on top.

        Raises ``ValueError`` for a row ``fit`` cannot follow: a convex head's, or one with a warmup schedule.
        """
        if recipe.learning_rate is None or recipe.batch_size is None or recipe.max_epochs is None:
            raise ValueError(
                f"the {recipe.optimizer} recipe ({recipe.source}) is not trained by gradient steps"
            )
        if recipe.warmup is not None:
            raise ValueError("fit has no warmup schedule: no trainer implements this recipe yet")
        values = {
            "optimizer": recipe.optimizer,
            "lr": recipe.learning_rate,
            "batch_size": recipe.batch_size,
            "max_epochs": recipe.max_epochs,
            "grad_clip": recipe.grad_clip,
            "weight_decay": recipe.weight_decay,
        }
        if recipe.patience is not None:
            values["patience"] = recipe.patience
        return cls(**{**values, **overrides})


def tagger_train_config(**overrides: Any) -> TrainConfig:
    """The BiLSTM-CRF's recipe (``advisor.recipes``): Adam 2e-3, batch 32, gradient clipping at 5, with
    ``overrides``. Adam with batches rather than Lample et al.'s SGD with batch 1: on a 2-core CPU an epoch of
    CoNLL-2003 takes about 50 s, and this setting reached 85.61 entity F1 there."""
    return TrainConfig.from_recipe(recipe_for("bilstm-crf", "tagging"), **overrides)


@dataclass
class FitResult:
    dev_curve: list[float] = field(default_factory=list)  # dev metric after each epoch
    train_loss: list[float] = field(default_factory=list)  # mean training loss of each epoch
    best_epoch: int = 0  # 1-based; 0 when no epoch finished
    best_score: float | None = None  # dev metric at best_epoch
    stopped_reason: str = "max_epochs"  # plateau | max_epochs | interrupted
    seconds: float = 0.0  # wall-clock time of fit
    # with ``fit(..., select_fn=)``: its score after each epoch, which picked best_epoch (None: the dev metric did)
    selection_curve: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if out["selection_curve"] is None:
            del out["selection_curve"]
        return out


def set_seed(seed: int) -> None:
    """Seed python, numpy and torch (all devices) and make cuDNN deterministic."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def resolve_device(device: str = "auto") -> torch.device:
    """``auto``: cuda when available, else cpu. Asking for cuda without one raises ``ValueError``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} requested but torch sees no CUDA device (torch {torch.__version__})"
        )
    return torch.device(device)


# ----------------------------------------------------------------------------------------------------------------
# batching


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator seeded from (seed, epoch): the same run shuffles the same way, each epoch differently."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def iter_batches(n: int, batch_size: int, generator: torch.Generator | None = None) -> Iterator[list[int]]:
    """Index lists of ``batch_size`` (the last one may be smaller); shuffled when a generator is given."""
    order = torch.randperm(n, generator=generator).tolist() if generator is not None else list(range(n))
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def pad_ids(
    seqs: Sequence[Sequence[int]], pad_index: int = PAD_INDEX, min_len: int = 1
) -> tuple[Tensor, Tensor]:
    """Right-pad id lists. Returns ids (batch_size, seq_len) long and mask (batch_size, seq_len) bool."""
    seq_len = max([min_len, *map(len, seqs)])
    ids = torch.full((len(seqs), seq_len), pad_index, dtype=torch.long)
    for i, seq in enumerate(seqs):
        ids[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return ids, _lengths_mask([len(s) for s in seqs], seq_len)


def _lengths_mask(lengths: Sequence[int], seq_len: int) -> Tensor:
    return torch.arange(seq_len).unsqueeze(0) < torch.as_tensor(lengths).unsqueeze(1)


def pad_chars(words: Sequence[Sequence[Sequence[int]]], seq_len: int, pad_index: int = PAD_INDEX) -> Tensor:
    """Right-pad character ids to (batch_size, seq_len, max_chars) long."""
    max_chars = max([1, *(len(w) for sent in words for w in sent)])
    out = torch.full((len(words), seq_len, max_chars), pad_index, dtype=torch.long)
    for i, sent in enumerate(words):
        for j, w in enumerate(sent):
            out[i, j, : len(w)] = torch.as_tensor(w, dtype=torch.long)
    return out


# ----------------------------------------------------------------------------------------------------------------
# the loop


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The configured optimizer over trainable parameters, in its fused / multi-tensor form where torch has one.

    Fused Adam matters on CPU: it updates a 300-d embedding table about 10x faster than the per-tensor loop.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    wd = config.weight_decay
    if config.optimizer in ("adam", "adamw"):
        cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
        try:
            return cls(params, lr=config.lr, weight_decay=wd, fused=True)
        # torch < 2.4 on CPU, or a device without a fused kernel
        except (RuntimeError, ValueError, TypeError):
            return cls(params, lr=config.lr, weight_decay=wd)
    if config.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=config.lr, weight_decay=wd, foreach=True)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=wd, foreach=True)


def _to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, Tensor) else v for k, v in batch.items()}


def fit(
    model: nn.Module,
    train_batches_fn: Callable[[int], Iterable[Mapping[str, Any]]],
    evaluate_fn: Callable[[nn.Module], float],
    config: TrainConfig,
    progress: bool = True,
    select_fn: Callable[[nn.Module], float] | None = None,
) -> FitResult:
    """Train until the dev metric plateaus; leave the best epoch's weights in ``model``.

    ``train_batches_fn(epoch)`` (epoch is 1-based) yields keyword-argument dicts for ``model(**batch)``, which must
    return ``(output, loss)``. ``evaluate_fn(model)`` returns the dev metric, higher is better; it runs under
    ``torch.no_grad()`` with the model in eval mode. Training stops once ``config.patience`` epochs after the best
    each fail to beat it by more than ``config.min_delta`` ("plateau"), at ``config.max_epochs`` ("max_epochs"), or
    on Ctrl-C ("interrupted"). A model with ``apply_max_norm()`` has it called after every optimizer step.
    A NaN or infinite loss raises ``TrainingError`` (after restoring the best weights so far).
    ``select_fn(model)`` (higher is better; knowledge distillation's held-out objective) replaces the dev metric
    as what picks the best epoch and counts patience; the dev metric is still measured each epoch
    (``dev_curve``, and ``best_score`` is its value at the epoch ``select_fn`` picked), and ``select_fn``'s
    scores are ``selection_curve``.
    """
    from tqdm import tqdm

    started = time.monotonic()
    device = resolve_device(config.device)
    set_seed(config.seed)
    model.to(device)
    optimizer = make_optimizer(model, config)
    after_step = getattr(model, "apply_max_norm", None)
    result = FitResult()
    best_state: dict[str, Tensor] | None = None
    best_chosen: float | None = None  # the best epoch's score: the dev metric's, or select_fn's
    bad_epochs = 0
    bar = tqdm(total=config.max_epochs, unit="epoch", desc="train", file=sys.stderr, disable=not progress)
    try:
        for epoch in range(1, config.max_epochs + 1):
            model.train()
            total, steps, last_shown = 0.0, 0, time.monotonic()
            for step, batch in enumerate(train_batches_fn(epoch), 1):
                optimizer.zero_grad(set_to_none=True)
                _, loss = model(**_to_device(batch, device))
                if not torch.isfinite(loss):
                    raise TrainingError(
                        f"non-finite loss at epoch {epoch} step {step}: "
                        "lower the learning rate or enable gradient clipping"
                    )
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                if after_step is not None:
                    after_step()
                total += loss.item()
                steps = step
                if progress and time.monotonic() - last_shown > 0.5:
                    bar.set_postfix_str(f"epoch {epoch} step {step} loss {total / step:.4f}")
                    last_shown = time.monotonic()
            model.eval()
            with torch.no_grad():
                score = float(evaluate_fn(model))
                chosen = score if select_fn is None else float(select_fn(model))
            result.train_loss.append(total / max(steps, 1))
            result.dev_curve.append(score)
            if select_fn is not None:
                result.selection_curve = [*(result.selection_curve or []), chosen]
            if not math.isnan(chosen) and (best_chosen is None or chosen > best_chosen + config.min_delta):
                best_chosen, result.best_score, result.best_epoch, bad_epochs = chosen, score, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad_epochs += 1
            best = "none" if result.best_score is None else f"{result.best_score:.4f}"
            bar.set_postfix_str(
                f"loss {result.train_loss[-1]:.4f} dev {score:.4f} best {best}@{result.best_epoch}"
                f" wait {bad_epochs}/{config.patience}"
            )
            bar.update(1)
            if bad_epochs >= config.patience:
                result.stopped_reason = "plateau"
                if progress:
                    bar.write(
                        f"{bad_epochs} epochs without improvement: stopping; best dev {best}"
                        f" at epoch {result.best_epoch}",
                        file=sys.stderr,
                    )
                break
    except KeyboardInterrupt:
        result.stopped_reason = "interrupted"
    finally:
        bar.close()
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        result.seconds = time.monotonic() - started
    return result


# ----------------------------------------------------------------------------------------------------------------
# bundles and one-call trainers


@dataclass
class Bundle:
    """A trained model and everything needed to reuse it (see ``advisor.baselines.io``)."""

    arch: str  # key of models.ARCHS
    model: nn.Module  # has .config, the model config dataclass
    vocab: Vocab  # word ids
    labels: list[str]  # class or tag names, by output index
    train_config: TrainConfig
    fit: FitResult | None = None  # None for a bundle reloaded without its training history
    char_vocab: CharVocab | None = None  # taggers with a character CNN
    preprocess: dict[str, Any] = field(default_factory=dict)  # how text becomes tokens (saved and reapplied)
    info: dict[str, Any] = field(default_factory=dict)  # extra facts, e.g. embeddings found

    @property
    def task(self) -> Task:
        """``"tagging"`` for a tagger, else ``"classification"`` (the names of ``advisor.vocabulary.TASKS``).

        Model folders of checkpoint format 1 said ``"tag"``/``"classify"``; they are refused, not mapped
        (``advisor.baselines.manifest``).
        """
        return "tagging" if isinstance(self.model, BiLSTMCRF) else "classification"

    def encode_texts(self, texts: Iterable[str]) -> list[list[int]]:
        from advisor.data import tokenize

        return [self.vocab.encode(tokenize(t)) for t in texts]

    def encode_words(self, token_lists: Iterable[Sequence[str]]) -> list[list[int]]:
        return [self.vocab.encode(normalize_word(t, self.preprocess) for t in toks) for toks in token_lists]

    def encode_chars(self, token_lists: Iterable[Sequence[str]]) -> list[list[list[int]]] | None:
        if self.char_vocab is None:
            return None
        max_chars = self.preprocess.get("max_chars")
        return [self.char_vocab.encode_words(toks, max_chars) for toks in token_lists]


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _by_length(seqs: Sequence[Sequence[Any]], batch_size: int) -> Iterator[list[int]]:
    """Index batches of similar lengths (longest first) so that prediction pads little; callers restore order."""
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


@torch.no_grad()
def predict_logits(
    model: nn.Module, id_lists: Sequence[Sequence[int]], batch_size: int = PREDICT_BATCH_SIZE
) -> Tensor:
    """A classifier's logits for encoded texts: float ``(len(id_lists), classes)`` on the CPU, in input order
    (None for no texts); the model is left in eval mode."""
    model.eval()
    device = _model_device(model)
    out = None
    for idx in _by_length(id_lists, batch_size):
        ids, mask = pad_ids([id_lists[i] for i in idx])
        logits, _ = model(ids.to(device), mask.to(device))
        if out is None:
            out = torch.empty(len(id_lists), logits.shape[1])
        out[idx] = logits.float().cpu()
    return out


def predict_class_ids(
    model: nn.Module, id_lists: Sequence[Sequence[int]], batch_size: int = PREDICT_BATCH_SIZE
) -> list[int]:
    """Argmax class ids for encoded texts, in input order; the model is left in eval mode."""
    logits = predict_logits(model, id_lists, batch_size)
    return [] if logits is None else logits.argmax(1).tolist()


@torch.no_grad()
def predict_tag_ids(
    model: nn.Module,
    word_lists: Sequence[Sequence[int]],
    char_lists: Sequence[Sequence[Sequence[int]]] | None,
    batch_size: int = PREDICT_BATCH_SIZE,
) -> list[list[int]]:
    """Viterbi tag ids for encoded sentences, in input order; an empty sentence gives ``[]``."""
    model.eval()
    device = _model_device(model)
    out: list[list[int]] = [[] for _ in word_lists]
    for idx in _by_length(word_lists, batch_size):
        batch = _tagger_batch(word_lists, char_lists, idx)
        for i, tags in zip(idx, model.decode(**_to_device(batch, device)), strict=True):
            out[i] = tags[: len(word_lists[i])]
    return out


def _tagger_batch(word_lists, char_lists, idx: Sequence[int], tag_lists=None) -> dict[str, Any]:
    words, mask = pad_ids([word_lists[i] for i in idx])
    mask[:, 0] = True  # the CRF needs a first step; an empty sentence decodes one pad token, cut afterwards
    batch = {
        "words": words,
        "chars": None if char_lists is None else pad_chars([char_lists[i] for i in idx], words.shape[1]),
        "mask": mask,
    }
    if tag_lists is not None:
        batch["tags"] = pad_ids([tag_lists[i] for i in idx])[0]
    return batch


class UnkReplacer:
    """Replace words seen once in training by ``<unk>`` with probability ``p`` (Lample et al. 2016).

    Without it ``<unk>`` never occurs in training (``min_freq=1``), so every unseen word at test time reads an
    untrained vector; with it the model learns what an unknown word in context means.
    """

    def __init__(self, encoded: Iterable[Sequence[int]], vocab_size: int, p: float):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"unk_replace must be in [0, 1), got {p}")
        self.p = p
        counts = Counter(i for seq in encoded for i in seq)
        self.singleton = torch.zeros(vocab_size, dtype=torch.bool)
        self.singleton[[i for i, c in counts.items() if c == 1 and i > UNK_INDEX]] = True

    def __call__(self, ids: Tensor, generator: torch.Generator) -> Tensor:
        # ids: (batch_size, seq_len) -> same shape
        if self.p == 0.0:
            return ids
        drop = self.singleton[ids] & (torch.rand(ids.shape, generator=generator) < self.p)
        return ids.masked_fill(drop, UNK_INDEX)


def _metric(name: str) -> Callable[[Sequence[Any], Sequence[Any]], float]:
    from . import metrics

    if not hasattr(metrics, name):
        raise ValueError(f"unknown metric {name!r} (advisor.baselines.metrics has no such function)")
    return getattr(metrics, name)


def _label_index(train_labels: Iterable[str], dev_labels: Iterable[str]) -> list[str]:
    labels = sorted(set(train_labels))
    unseen = sorted(set(dev_labels) - set(labels))
    if unseen:
        raise ValueError(
            f"dev labels never seen in training: {', '.join(map(repr, unseen))} (a class with very few examples "
            "can land in the dev part of the split: add examples of it, drop it, or pass --dev FILE and --test FILE)"
        )
    return labels


def _pretrained(embeddings: str | Path | None, vocab: Vocab, dim: int | None, seed: int, info: dict) -> Any:
    if embeddings is None:
        return None
    matrix, found = load_embeddings(embeddings, vocab, dim=dim, seed=seed)
    info.update(
        embeddings=str(embeddings),
        embeddings_found=found,
        embeddings_dim=int(matrix.shape[1]),
        embeddings_words=int(matrix.shape[0]),  # the model keeps its vocabulary's vectors only
        embeddings_mb=round(matrix.nbytes / 1e6, 3),
    )
    return matrix


def train_classifier(
    train_items: Sequence[Example],
    dev_items: Sequence[Example],
    arch: str = "textcnn",
    *,
    model_config: Mapping[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    embeddings: str | Path | None = None,
    min_freq: int = 1,
    max_vocab: int | None = None,
    unk_replace: float = 0.0,
    metric: str = "accuracy",
    progress: bool = True,
    vocab: Vocab | None = None,
    row_tensors: Mapping[str, Tensor] | None = None,
    objective: Callable[[nn.Module], nn.Module] | None = None,
    select: Callable[[nn.Module], float] | None = None,
) -> Bundle:
    """Train a text classifier (``textcnn``, ``bilstm``, ``lstm``, ``gru``, ``rnn``) and return its ``Bundle``.

    Items have ``.text`` and ``.label``. The vocabulary comes from the training texts (``advisor.data.tokenize``);
    ``embeddings`` is an optional GloVe/word2vec/JSON file; ``unk_replace`` is the chance that a word seen once
    in training reads as ``<unk>`` in a batch (see ``UnkReplacer``); ``metric`` names a function of
    ``advisor.baselines.metrics`` taking ``(gold, predicted)`` label lists, used on the dev set for early stopping.

    The hooks knowledge distillation (:mod:`advisor.baselines.distill`) trains through: ``vocab``, the word ids
    to use instead of a vocabulary built from the training texts; ``row_tensors``, tensors with one row per
    training item, each batch getting its rows under the same keyword; ``objective(model)``, the module ``fit``
    steps instead of ``model`` (its ``forward`` takes the batch and returns ``(logits, loss)``; the bundle keeps
    ``model``); ``select(module)``, ``fit``'s ``select_fn``: the score (higher is better) that picks the epoch and
    counts patience instead of the dev metric, which is still measured each epoch.
    """
    from advisor.data import tokenize

    if arch in TAGGER_ARCHS:
        raise ValueError(f"{arch!r} is a tagger: use train_tagger")
    if not train_items or not dev_items:
        raise ValueError("train_classifier needs non-empty train and dev sets (dev drives early stopping)")
    tc = train_config or TrainConfig.from_recipe(recipe_for(arch, "classification"))
    score_fn = _metric(metric)
    set_seed(tc.seed)
    train_tokens = [tokenize(x.text) for x in train_items]
    if vocab is None:
        vocab = Vocab.build(train_tokens, min_freq=min_freq, max_size=max_vocab)
    labels = _label_index((x.label for x in train_items), (x.label for x in dev_items))
    label_id = {lab: i for i, lab in enumerate(labels)}
    overrides = dict(model_config or {})
    info: dict[str, Any] = {}
    pretrained = _pretrained(embeddings, vocab, overrides.get("embed_dim"), tc.seed, info)
    if pretrained is not None:
        overrides["embed_dim"] = pretrained.shape[1]
    config = make_config(arch, vocab_size=len(vocab), num_classes=len(labels), **overrides)
    model = build_model(arch, config, pretrained)

    x_train = [vocab.encode(toks) for toks in train_tokens]
    replace_unk = UnkReplacer(x_train, len(vocab), unk_replace)
    y_train = torch.tensor([label_id[x.label] for x in train_items])
    x_dev = [vocab.encode(tokenize(x.text)) for x in dev_items]
    y_dev = [x.label for x in dev_items]

    def batches(epoch: int) -> Iterator[dict[str, Tensor]]:
        gen = epoch_generator(tc.seed, epoch)
        for idx in iter_batches(len(x_train), tc.batch_size, gen):
            tokens, mask = pad_ids([x_train[i] for i in idx])
            rows = {k: v[idx] for k, v in (row_tensors or {}).items()}
            yield {"tokens": replace_unk(tokens, gen), "mask": mask, "targets": y_train[idx], **rows}

    def evaluate(m: nn.Module) -> float:
        return float(score_fn(y_dev, [labels[i] for i in predict_class_ids(m, x_dev)]))

    module = model if objective is None else objective(model)
    result = fit(module, batches, evaluate, tc, progress=progress, select_fn=select)
    info.update(metric=metric, unk_replace=unk_replace)
    return Bundle(arch, model, vocab, labels, tc, result, info=info)


def train_tagger(
    train_sents: Sequence[TaggedSentence],
    dev_sents: Sequence[TaggedSentence],
    arch: str = "bilstm-crf",
    *,
    model_config: Mapping[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    embeddings: str | Path | None = None,
    char_features: bool = True,
    lowercase: bool = True,
    zero_digits: bool = True,
    max_chars: int = 30,
    min_freq: int = 1,
    max_vocab: int | None = None,
    unk_replace: float = 0.5,
    metric: str = "entity_f1",
    progress: bool = True,
) -> Bundle:
    """Train a BiLSTM-CRF tagger on sentences with ``.tokens`` and ``.tags``; return its ``Bundle``.

    Word ids come from normalised tokens (``lowercase``, ``zero_digits``), character ids from the raw tokens (case
    kept, at most ``max_chars`` per word). During training each word seen once is replaced by ``<unk>`` with
    probability ``unk_replace`` (Lample et al. 2016), so ``<unk>`` gets trained. ``metric`` names a function of
    ``advisor.baselines.metrics`` taking ``(gold, predicted)`` lists of tag lists, used on the dev set.
    """
    if arch not in TAGGERS:
        raise ValueError(f"{arch!r} is not a tagger; choose one of {', '.join(TAGGERS)}")
    train_sents = [s for s in train_sents if len(s.tokens)]
    if not train_sents or not dev_sents:
        raise ValueError("train_tagger needs non-empty train and dev sets (dev drives early stopping)")
    tc = train_config or tagger_train_config()
    score_fn = _metric(metric)
    set_seed(tc.seed)
    preprocess = {"lowercase": lowercase, "zero_digits": zero_digits, "max_chars": max_chars}
    words = [[normalize_word(t, preprocess) for t in s.tokens] for s in train_sents]
    vocab = Vocab.build(words, min_freq=min_freq, max_size=max_vocab)
    char_vocab = CharVocab.build(s.tokens for s in train_sents) if char_features else None
    labels = _label_index((t for s in train_sents for t in s.tags), (t for s in dev_sents for t in s.tags))
    tag_id = {lab: i for i, lab in enumerate(labels)}
    overrides = dict(model_config or {})
    info: dict[str, Any] = {}
    pretrained = _pretrained(embeddings, vocab, overrides.get("word_dim"), tc.seed, info)
    if pretrained is not None:
        overrides["word_dim"] = pretrained.shape[1]
    config = make_config(
        arch,
        "tagging",
        vocab_size=len(vocab),
        num_tags=len(labels),
        char_vocab_size=len(char_vocab) if char_vocab is not None else 0,
        **overrides,
    )
    model = build_model(arch, config, pretrained, "tagging")
    bundle = Bundle(arch, model, vocab, labels, tc, None, char_vocab, preprocess, info)

    w_train = bundle.encode_words(s.tokens for s in train_sents)
    c_train = bundle.encode_chars(s.tokens for s in train_sents)
    t_train = [[tag_id[t] for t in s.tags] for s in train_sents]
    w_dev = bundle.encode_words(s.tokens for s in dev_sents)
    c_dev = bundle.encode_chars(s.tokens for s in dev_sents)
    gold_dev = [list(s.tags) for s in dev_sents]
    replace_unk = UnkReplacer(w_train, len(vocab), unk_replace)

    def batches(epoch: int) -> Iterator[dict[str, Any]]:
        gen = epoch_generator(tc.seed, epoch)
        for idx in iter_batches(len(w_train), tc.batch_size, gen):
            batch = _tagger_batch(w_train, c_train, idx, t_train)
            batch["words"] = replace_unk(batch["words"], gen)
            yield batch

    def evaluate(m: nn.Module) -> float:
        pred = predict_tag_ids(m, w_dev, c_dev)
        return float(score_fn(gold_dev, [[labels[i] for i in p] for p in pred]))

    bundle.fit = fit(model, batches, evaluate, tc, progress=progress)
    info.update(metric=metric, unk_replace=unk_replace)
    return bundle
