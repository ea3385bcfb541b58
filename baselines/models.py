"""Small, explicit from-scratch baselines: TextCNN, RNN classifiers and a BiLSTM-CRF tagger.

Conventions (nanoGPT / pytorch-crf):
- every model has a ``@dataclass`` config with a comment per field, and ``forward`` returns ``(output, loss)``,
  ``loss`` being ``None`` when no targets are given;
- tensors are batch first, with ``# shape:`` comments;
- ``mask`` is a bool tensor, True on real tokens, and padding sits on the right (a prefix mask). When a model is
  given no mask it derives one from ``tokens != pad_index``. Padded positions never win a max-pool, never enter a
  mean and never feed a "last" state: a sequence gives the same output alone or padded next to a longer one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from advisor.vocabulary import POOLINGS

Pretrained = Tensor | np.ndarray | None


def _embedding(
    vocab_size: int, dim: int, pad_index: int, pretrained: Pretrained, freeze: bool, init_range: float | None
) -> nn.Embedding:
    if vocab_size < 2:
        raise ValueError(f"vocab_size must be >= 2 (pad and unk), got {vocab_size}")
    emb = nn.Embedding(vocab_size, dim, padding_idx=pad_index)
    if pretrained is None and init_range is not None:
        with torch.no_grad():
            emb.weight.uniform_(-init_range, init_range)
            emb.weight[pad_index].zero_()
    if pretrained is not None:
        weight = torch.as_tensor(pretrained, dtype=torch.float32)
        if weight.shape != (vocab_size, dim):
            raise ValueError(
                f"pretrained embeddings have shape {tuple(weight.shape)}, expected ({vocab_size}, {dim})"
            )
        with torch.no_grad():
            emb.weight.copy_(weight)
            emb.weight[pad_index].zero_()
    emb.weight.requires_grad_(not freeze)
    return emb


def _prefix_mask(lengths: Tensor, max_len: int) -> Tensor:
    # shape: (batch_size, max_len)
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _classification_loss(logits: Tensor, targets: Tensor | None) -> Tensor | None:
    return None if targets is None else F.cross_entropy(logits, targets)


# ----------------------------------------------------------------------------------------------------------------
# TextCNN (Kim 2014)


@dataclass
class TextCNNConfig:
    vocab_size: int = 2  # rows of the embedding table, <pad>=0 and <unk>=1 included
    num_classes: int = 2  # output labels
    embed_dim: int = 300  # word vector size (Kim 2014; 300 also matches word2vec/GloVe-300d)
    embed_init: float | None = 0.25  # random word vectors ~ U(-r, r) as in Kim 2014; None: N(0, 1)
    filter_widths: tuple[int, ...] = (3, 4, 5)  # n-gram widths of the convolutions
    num_filters: int = 100  # feature maps per width
    dropout: float = 0.5  # on the pooled features, before the output layer
    max_norm: float | None = 3.0  # L2 cap on each output-layer weight row after every step (None: off)
    freeze_embeddings: bool = False  # keep (pretrained) embeddings fixed
    pad_index: int = 0  # id of <pad>

    def __post_init__(self) -> None:
        self.filter_widths = tuple(int(w) for w in self.filter_widths)  # JSON gives a list back
        if not self.filter_widths or min(self.filter_widths) < 1:
            raise ValueError(f"filter_widths must be positive widths, got {self.filter_widths}")


class TextCNN(nn.Module):
    def __init__(self, config: TextCNNConfig, pretrained: Pretrained = None):
        super().__init__()
        self.config = config
        self.embedding = _embedding(
            config.vocab_size,
            config.embed_dim,
            config.pad_index,
            pretrained,
            config.freeze_embeddings,
            config.embed_init,
        )
        self.convs = ngram_convs(config.embed_dim, config.filter_widths, config.num_filters)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.num_filters * len(config.filter_widths), config.num_classes)

    def features(self, tokens: Tensor, mask: Tensor | None = None) -> Tensor:
        """Pooled n-gram features. ``tokens``, ``mask``: (batch_size, seq_len) -> (batch_size, n_widths * n_filters)."""
        if mask is None:
            mask = tokens != self.config.pad_index
        # zero the padded positions explicitly, whatever the embedding row holds
        x = self.embedding(tokens) * mask.unsqueeze(2)  # shape: (batch_size, seq_len, embed_dim)
        return conv_max_pool(x, mask, self.convs, self.config.filter_widths)

    def forward(
        self, tokens: Tensor, mask: Tensor | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        # tokens, mask: (batch_size, seq_len); targets: (batch_size,) -> logits (batch_size, num_classes)
        logits = self.out(self.dropout(self.features(tokens, mask)))
        return logits, _classification_loss(logits, targets)

    @torch.no_grad()
    def apply_max_norm(self) -> None:
        """Rescale output-layer weight rows whose L2 norm exceeds ``config.max_norm`` (Kim 2014); call after a step."""
        renorm_rows(self.out, self.config.max_norm)


def ngram_convs(in_dim: int, widths: tuple[int, ...], num_filters: int) -> nn.ModuleList:
    """One ``Conv1d(in_dim, num_filters, width)`` per n-gram width: TextCNN's filters, over any vectors."""
    return nn.ModuleList(nn.Conv1d(in_dim, num_filters, w) for w in widths)


def conv_max_pool(x: Tensor, mask: Tensor, convs: nn.ModuleList, widths: tuple[int, ...]) -> Tensor:
    """ReLU n-gram convolutions over ``x``, max-pooled over time on real positions: TextCNN's features.

    ``x``: (batch_size, seq_len, dim), zero at padded positions; ``mask``: (batch_size, seq_len) prefix mask ->
    (batch_size, len(widths) * num_filters). Shared by :class:`TextCNN` (over word vectors) and
    :class:`FeatureCNN` (over a frozen encoder's token features).
    """
    widest = max(widths)
    if x.shape[1] < widest:  # too short for the widest filter: pad to its width
        x = F.pad(x, (0, 0, 0, widest - x.shape[1]))
        mask = F.pad(mask, (0, widest - mask.shape[1]), value=False)
    lengths = mask.sum(1)  # shape: (batch_size,)
    x = x.transpose(1, 2)  # shape: (batch_size, dim, seq_len)
    pooled = []
    for width, conv in zip(widths, convs, strict=True):
        h = F.relu(conv(x))  # shape: (batch_size, num_filters, seq_len - width + 1)
        # window t covers tokens t..t+width-1: it counts when it lies inside the sequence; a sequence shorter
        # than the filter keeps its first window (padded with zero vectors, as if it were batched alone)
        n_windows = (lengths - width + 1).clamp(min=1)  # shape: (batch_size,)
        valid = _prefix_mask(n_windows, h.shape[2]).unsqueeze(1)  # shape: (batch_size, 1, n_positions)
        h = h.masked_fill(~valid, torch.finfo(h.dtype).min)
        pooled.append(h.max(dim=2).values)  # shape: (batch_size, num_filters)
    return torch.cat(pooled, dim=1)


@torch.no_grad()
def renorm_rows(layer: nn.Linear, max_norm: float | None) -> None:
    """Rescale ``layer``'s weight rows whose L2 norm exceeds ``max_norm`` (Kim 2014's max-norm; None: off)."""
    if max_norm is not None:
        w = layer.weight  # shape: (num_classes, in_features)
        w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=max_norm))


# ----------------------------------------------------------------------------------------------------------------
# FeatureCNN: the lesson's BertCNN head (a TextCNN over frozen transformer token features)


@dataclass
class FeatureCNNConfig:
    feature_dim: int = 384  # size of each token feature (the frozen encoder's hidden size; MiniLM: 384)
    num_classes: int = 2  # output labels
    filter_widths: tuple[int, ...] = (2, 3, 4)  # n-gram widths (the lesson's BertCNN)
    num_filters: int = 64  # feature maps per width (the lesson's BertCNN)
    dropout: float = 0.5  # on the pooled features, before the output layer
    max_norm: float | None = 3.0  # L2 cap on each output-layer weight row after every step (None: off)

    def __post_init__(self) -> None:
        self.filter_widths = tuple(int(w) for w in self.filter_widths)  # JSON gives a list back
        if not self.filter_widths or min(self.filter_widths) < 1:
            raise ValueError(f"filter_widths must be positive widths, got {self.filter_widths}")


class FeatureCNN(nn.Module):
    """TextCNN's convolutions and max-over-time pooling over precomputed token features (no embedding table)."""

    def __init__(self, config: FeatureCNNConfig):
        super().__init__()
        self.config = config
        self.convs = ngram_convs(config.feature_dim, config.filter_widths, config.num_filters)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.num_filters * len(config.filter_widths), config.num_classes)

    def forward(
        self, features: Tensor, mask: Tensor, targets: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        # features: (batch_size, seq_len, feature_dim); mask: (batch_size, seq_len) -> logits (batch_size, num_classes)
        x = features * mask.unsqueeze(2).to(features.dtype)
        logits = self.out(self.dropout(conv_max_pool(x, mask, self.convs, self.config.filter_widths)))
        return logits, _classification_loss(logits, targets)

    @torch.no_grad()
    def apply_max_norm(self) -> None:
        renorm_rows(self.out, self.config.max_norm)


# ----------------------------------------------------------------------------------------------------------------
# RNN classifiers

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class RNNClassifierConfig:
    vocab_size: int = 2  # rows of the embedding table, <pad>=0 and <unk>=1 included
    num_classes: int = 2  # output labels
    embed_dim: int = 128  # word vector size
    embed_init: float | None = 0.25  # random word vectors ~ U(-r, r); None: N(0, 1)
    hidden_size: int = 128  # per direction
    num_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # rnn | lstm | gru
    bidirectional: bool = True  # add a right-to-left pass
    pooling: str = "max"  # max | mean over real tokens, or last: the final state of each direction
    dropout: float = 0.5  # on embeddings, between layers, and on the pooled vector
    freeze_embeddings: bool = False  # keep (pretrained) embeddings fixed
    pad_index: int = 0  # id of <pad>

    def __post_init__(self) -> None:
        _check_choice("cell", self.cell, tuple(CELLS))
        _check_choice("pooling", self.pooling, POOLINGS)


class RNNClassifier(nn.Module):
    def __init__(self, config: RNNClassifierConfig, pretrained: Pretrained = None):
        super().__init__()
        self.config = config
        self.embedding = _embedding(
            config.vocab_size,
            config.embed_dim,
            config.pad_index,
            pretrained,
            config.freeze_embeddings,
            config.embed_init,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.rnn = CELLS[config.cell](
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        directions = 2 if config.bidirectional else 1
        self.out = nn.Linear(directions * config.hidden_size, config.num_classes)

    def features(self, tokens: Tensor, mask: Tensor | None = None) -> Tensor:
        """Pooled states. ``tokens``, ``mask``: (batch_size, seq_len) -> (batch_size, directions * hidden_size)."""
        if mask is None:
            mask = tokens != self.config.pad_index
        seq_len = tokens.shape[1]
        lengths = mask.sum(1).clamp(min=1)  # shape: (batch_size,); an empty sequence reads one zero vector
        mask = _prefix_mask(lengths, seq_len)
        # shape: (batch_size, seq_len, embed_dim)
        x = self.dropout(self.embedding(tokens) * mask.unsqueeze(2))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        if self.config.pooling == "last":
            if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
                h_n = h_n[0]
            # h_n: (num_layers * directions, batch_size, hidden_size), already in input order. The forward
            # direction's final state is at each sequence's true last token; the backward one's at its first.
            directions = 2 if self.config.bidirectional else 1
            return torch.cat(list(h_n[-directions:]), dim=1)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=seq_len)
        # out: (batch_size, seq_len, directions * hidden_size), zeros at padded positions
        if self.config.pooling == "mean":
            return out.sum(1) / lengths.unsqueeze(1).to(out.dtype)
        return out.masked_fill(~mask.unsqueeze(2), torch.finfo(out.dtype).min).max(dim=1).values

    def forward(
        self, tokens: Tensor, mask: Tensor | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        # tokens, mask: (batch_size, seq_len); targets: (batch_size,) -> logits (batch_size, num_classes)
        logits = self.out(self.dropout(self.features(tokens, mask)))
        return logits, _classification_loss(logits, targets)


# ----------------------------------------------------------------------------------------------------------------
# CRF


class CRF(nn.Module):
    """Linear-chain CRF over batch-first emissions.

    ``transitions[i, j]`` scores tag ``i`` followed by tag ``j``; ``start_transitions`` / ``end_transitions`` score the
    first and last tag. Masks must be prefix masks with the first step on for every sequence.
    """

    def __init__(self, num_tags: int):
        super().__init__()
        if num_tags < 1:
            raise ValueError(f"num_tags must be >= 1, got {num_tags}")
        self.num_tags = num_tags
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))

    def _validate(self, emissions: Tensor, mask: Tensor | None, tags: Tensor | None = None) -> Tensor:
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ValueError(
                f"emissions must have shape (batch_size, seq_len, {self.num_tags}), got {tuple(emissions.shape)}"
            )
        if mask is None:
            mask = emissions.new_ones(emissions.shape[:2], dtype=torch.bool)
        mask = mask.bool()
        if mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask has shape {tuple(mask.shape)}, emissions {tuple(emissions.shape[:2])}")
        if tags is not None and tags.shape != emissions.shape[:2]:
            raise ValueError(f"tags have shape {tuple(tags.shape)}, emissions {tuple(emissions.shape[:2])}")
        if emissions.shape[1] == 0 or not mask[:, 0].all():
            raise ValueError("the first timestep of the mask must be on for every sequence")
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("mask must be a prefix mask: padding only at the end of each sequence")
        return mask

    def log_partition(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """log Z by the forward algorithm. emissions: (batch_size, seq_len, num_tags) -> (batch_size,)."""
        mask = self._validate(emissions, mask)
        alpha = self.start_transitions + emissions[:, 0]  # shape: (batch_size, num_tags)
        for t in range(1, emissions.shape[1]):
            # shape: (batch_size, num_tags_from, num_tags_to)
            scores = alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1)
            alpha = torch.where(mask[:, t].unsqueeze(1), torch.logsumexp(scores, dim=1), alpha)
        return torch.logsumexp(alpha + self.end_transitions, dim=1)

    def score(self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """Unnormalised score of the gold path. tags: (batch_size, seq_len) -> (batch_size,)."""
        mask = self._validate(emissions, mask, tags)
        tags = tags.long()
        # shape: (batch_size, seq_len)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]  # shape: (batch_size, seq_len - 1)
        step = mask.to(emissions.dtype)
        total = self.start_transitions[tags[:, 0]] + (emit * step).sum(1) + (trans * step[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)  # shape: (batch_size,)
        return total + self.end_transitions[last]

    def log_likelihood(self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """log p(tags | emissions) per sequence, shape (batch_size,)."""
        return self.score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def neg_log_likelihood(
        self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None, reduction: str = "mean"
    ) -> Tensor:
        """Negative log-likelihood; ``reduction``: mean | sum over the batch, or none."""
        _check_choice("reduction", reduction, ("mean", "sum", "none"))
        nll = -self.log_likelihood(emissions, tags, mask)
        return nll if reduction == "none" else getattr(nll, reduction)()

    forward = neg_log_likelihood

    @torch.no_grad()
    def decode(self, emissions: Tensor, mask: Tensor | None = None) -> list[list[int]]:
        """Viterbi: the best tag sequence of each sequence, cut to its length."""
        mask = self._validate(emissions, mask)
        batch_size, seq_len, num_tags = emissions.shape
        score = self.start_transitions + emissions[:, 0]  # shape: (batch_size, num_tags)
        keep = torch.arange(num_tags, device=emissions.device).expand(batch_size, num_tags)
        history = []  # each: (batch_size, num_tags), best previous tag for each current tag
        for t in range(1, seq_len):
            scores = score.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1)
            best, prev = scores.max(dim=1)
            on = mask[:, t].unsqueeze(1)
            score = torch.where(on, best, score)
            history.append(torch.where(on, prev, keep))  # padded steps pass the tag through unchanged
        tag = (score + self.end_transitions).argmax(dim=1)  # shape: (batch_size,)
        path = [tag]
        for prev in reversed(history):
            tag = prev.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        paths = torch.stack(path[::-1], dim=1).tolist()  # shape: (batch_size, seq_len)
        return [p[:n] for p, n in zip(paths, mask.sum(1).tolist(), strict=True)]


class FeatureCRF(nn.Module):
    """A CRF tagger over given token features: dropout, a linear emission layer and the :class:`CRF`
    (the frozen-transformer tagger's head, ``advisor.baselines.frozen_tagger``)."""

    def __init__(self, in_dim: int, num_tags: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.emit = nn.Linear(in_dim, num_tags)
        self.crf = CRF(num_tags)

    def forward(
        self, features: Tensor, mask: Tensor, tags: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """Emissions (batch_size, seq_len, num_tags) from features (batch_size, seq_len, in_dim), and the mean
        CRF negative log-likelihood when ``tags`` are given."""
        mask = mask.bool()
        emissions = self.emit(self.dropout(features))
        loss = None if tags is None else self.crf.neg_log_likelihood(emissions, tags, mask)
        return emissions, loss

    @torch.no_grad()
    def decode(self, features: Tensor, mask: Tensor) -> list[list[int]]:
        mask = mask.bool()
        return self.crf.decode(self.emit(features), mask)


# ----------------------------------------------------------------------------------------------------------------
# BiLSTM-CRF tagger (Lample et al. 2016; char CNN as in Ma & Hovy 2016), and the recurrent softmax taggers
# (bilstm, lstm, gru, rnn on tagging data: the same network with another cell or direction and no CRF)


@dataclass
class BiLSTMCRFConfig:
    vocab_size: int = 2  # word embedding rows, <pad>=0 and <unk>=1 included
    num_tags: int = 2  # output tags
    char_vocab_size: int = 0  # character embedding rows; 0 turns the character CNN off
    word_dim: int = 100  # word vector size
    embed_init: float | None = 0.17  # random word vectors ~ U(-r, r), r = sqrt(3 / word_dim); None: N(0, 1)
    char_dim: int = 30  # character vector size
    char_filters: int = 50  # character CNN feature maps
    char_width: int = 3  # character CNN window (zero-padded "same" convolution)
    hidden_size: int = 200  # LSTM size per direction
    num_layers: int = 1  # stacked BiLSTM layers
    dropout: float = 0.5  # on the word+char input and on the LSTM output
    freeze_embeddings: bool = False  # keep (pretrained) word embeddings fixed
    pad_index: int = 0  # id of <pad>, for words and characters
    cell: str = "lstm"  # lstm | gru | rnn (the tagger archs fix it)
    bidirectional: bool = True
    crf: bool = True  # False: a softmax per token (cross-entropy), argmax decoding

    def __post_init__(self) -> None:
        if self.char_width < 1 or self.char_width % 2 == 0:
            raise ValueError(f"char_width must be a positive odd number, got {self.char_width}")
        _check_choice("cell", self.cell, tuple(CELLS))


class CharCNN(nn.Module):
    """Word vectors from characters: embed, convolve, max-pool over the characters of each word."""

    def __init__(self, vocab_size: int, dim: int, filters: int, width: int, pad_index: int = 0):
        super().__init__()
        self.pad_index = pad_index
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=pad_index)
        self.conv = nn.Conv1d(dim, filters, width, padding=width // 2)

    def forward(self, chars: Tensor) -> Tensor:
        # chars: (batch_size, seq_len, max_chars) -> (batch_size, seq_len, filters)
        batch_size, seq_len, max_chars = chars.shape
        flat = chars.reshape(batch_size * seq_len, max_chars)
        real = (flat != self.pad_index).any(1)  # shape: (batch_size * seq_len,); padding words have no chars
        words = flat[real]  # shape: (words, max_chars): only real words go through the CNN
        mask = words != self.pad_index  # shape: (words, word_len)
        x = (self.embedding(words) * mask.unsqueeze(2)).transpose(1, 2)  # shape: (words, dim, word_len)
        # shape: (words, filters, word_len)
        h = self.conv(x).masked_fill(~mask.unsqueeze(1), torch.finfo(x.dtype).min)
        out = x.new_zeros(batch_size * seq_len, self.conv.out_channels)  # padding words: zeros
        out[real] = h.max(dim=2).values
        return out.reshape(batch_size, seq_len, -1)


class BiLSTMCRF(nn.Module):
    def __init__(self, config: BiLSTMCRFConfig, pretrained: Pretrained = None):
        super().__init__()
        self.config = config
        self.embedding = _embedding(
            config.vocab_size,
            config.word_dim,
            config.pad_index,
            pretrained,
            config.freeze_embeddings,
            config.embed_init,
        )
        self.chars = (
            CharCNN(
                config.char_vocab_size,
                config.char_dim,
                config.char_filters,
                config.char_width,
                config.pad_index,
            )
            if config.char_vocab_size
            else None
        )
        in_dim = config.word_dim + (config.char_filters if self.chars is not None else 0)
        self.dropout = nn.Dropout(config.dropout)
        self.lstm = CELLS[config.cell](
            in_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.emit = nn.Linear((2 if config.bidirectional else 1) * config.hidden_size, config.num_tags)
        self.crf = CRF(config.num_tags) if config.crf else None

    def emissions(self, words: Tensor, chars: Tensor | None, mask: Tensor) -> Tensor:
        # words, mask: (batch_size, seq_len); chars: (batch_size, seq_len, max_chars) -> (batch_size, seq_len, num_tags)
        seq_len = words.shape[1]
        x = self.embedding(words)
        if self.chars is not None:
            if chars is None:
                raise ValueError("this tagger has a character CNN: pass chars")
            x = torch.cat([x, self.chars(chars)], dim=2)
        x = self.dropout(x * mask.unsqueeze(2))  # shape: (batch_size, seq_len, in_dim)
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=seq_len)
        return self.emit(self.dropout(out))

    def forward(
        self, words: Tensor, chars: Tensor | None, mask: Tensor, tags: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """Emissions (batch_size, seq_len, num_tags) and, when ``tags`` are given, the mean CRF negative
        log-likelihood (without a CRF: the mean cross-entropy over the real tokens)."""
        mask = mask.bool()
        emissions = self.emissions(words, chars, mask)
        if tags is None:
            return emissions, None
        if self.crf is None:
            return emissions, nn.functional.cross_entropy(emissions[mask], tags[mask].long())
        return emissions, self.crf.neg_log_likelihood(emissions, tags, mask)

    @torch.no_grad()
    def decode(self, words: Tensor, chars: Tensor | None, mask: Tensor) -> list[list[int]]:
        """Viterbi tag ids for each sentence (without a CRF: each token's argmax), cut to its length."""
        mask = mask.bool()
        emissions = self.emissions(words, chars, mask)
        if self.crf is None:
            best = emissions.argmax(-1).tolist()
            return [b[:n] for b, n in zip(best, mask.sum(1).tolist(), strict=True)]
        return self.crf.decode(emissions, mask)


# ----------------------------------------------------------------------------------------------------------------
# Registry

Config = TextCNNConfig | RNNClassifierConfig | BiLSTMCRFConfig

# arch id -> (config class, model class, config fields the arch fixes)
ARCHS: dict[str, tuple[type, type[nn.Module], dict[str, Any]]] = {
    "textcnn": (TextCNNConfig, TextCNN, {}),
    "bilstm": (RNNClassifierConfig, RNNClassifier, {"cell": "lstm", "bidirectional": True}),
    "lstm": (RNNClassifierConfig, RNNClassifier, {"cell": "lstm", "bidirectional": False}),
    "gru": (RNNClassifierConfig, RNNClassifier, {"cell": "gru", "bidirectional": False}),
    "rnn": (RNNClassifierConfig, RNNClassifier, {"cell": "rnn", "bidirectional": False}),
    "bilstm-crf": (BiLSTMCRFConfig, BiLSTMCRF, {}),
}
# Taggers (one tag per token) and the recurrent classifiers (they take a ``pooling``), among ``ARCHS``.
TAGGER_ARCHS: tuple[str, ...] = tuple(a for a, (cls, _, _) in ARCHS.items() if cls is BiLSTMCRFConfig)
RNN_CLASSIFIERS: tuple[str, ...] = tuple(a for a, (cls, _, _) in ARCHS.items() if cls is RNNClassifierConfig)
# The torch taggers by arch id (task "tagging"): the BiLSTM-CRF, and the recurrent classifiers' ids as softmax
# taggers (the same network, their cell and direction, no CRF).
_SOFTMAX = {"crf": False}
TAGGERS: dict[str, tuple[type, type[nn.Module], dict[str, Any]]] = {
    "bilstm-crf": ARCHS["bilstm-crf"],
    "bilstm": (BiLSTMCRFConfig, BiLSTMCRF, {"cell": "lstm", "bidirectional": True, **_SOFTMAX}),
    "lstm": (BiLSTMCRFConfig, BiLSTMCRF, {"cell": "lstm", "bidirectional": False, **_SOFTMAX}),
    "gru": (BiLSTMCRFConfig, BiLSTMCRF, {"cell": "gru", "bidirectional": False, **_SOFTMAX}),
    "rnn": (BiLSTMCRFConfig, BiLSTMCRF, {"cell": "rnn", "bidirectional": False, **_SOFTMAX}),
}


def _arch(arch: str, task: str = "classification") -> tuple[type, type[nn.Module], dict[str, Any]]:
    table = TAGGERS if task == "tagging" else ARCHS
    if arch not in table:
        raise ValueError(f"unknown arch {arch!r}; choose one of {', '.join(table)}")
    return table[arch]


def make_config(arch: str, task: str = "classification", **fields: Any) -> Config:
    """The config for ``arch`` (on ``task``: tagging reads :data:`TAGGERS`) with ``fields`` set and the arch's
    own fields (cell, direction, CRF) filled in."""
    config_cls, _, fixed = _arch(arch, task)
    known = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"{config_cls.__name__} has no field(s) {', '.join(unknown)}")
    for name, value in fixed.items():
        if name in fields and fields[name] != value:
            raise ValueError(f"arch {arch!r} fixes {name}={value!r}, got {fields[name]!r}")
    return config_cls(**{**fields, **fixed})


def build_model(
    arch: str, config: Config | Mapping[str, Any], pretrained: Pretrained = None, task: str = "classification"
) -> nn.Module:
    """Instantiate ``arch`` (on ``task``) from a config dataclass (or a mapping of its fields)."""
    config_cls, model_cls, fixed = _arch(arch, task)
    if isinstance(config, Mapping):
        config = make_config(arch, task, **config)
    if not isinstance(config, config_cls):
        raise ValueError(f"arch {arch!r} needs a {config_cls.__name__}, got {type(config).__name__}")
    wrong = {k: getattr(config, k) for k, v in fixed.items() if getattr(config, k) != v}
    if wrong:
        raise ValueError(f"arch {arch!r} fixes {fixed}, but the config has {wrong}")
    return model_cls(config, pretrained)
