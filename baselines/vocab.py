"""Token and character vocabularies, and pretrained-embedding loading.

Index 0 is always padding and index 1 always the unknown token, so a zero in an id tensor means "no token" everywhere
in the baselines. Ordering is deterministic: frequency descending, then the token itself, so the same data always
gives the same ids (and the same saved model).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from advisor.data.embeddings import read_vectors

PAD = "<pad>"
UNK = "<unk>"
PAD_INDEX = 0
UNK_INDEX = 1


class Vocab:
    """A token <-> id map with ``<pad>`` at 0 and ``<unk>`` at 1."""

    kind = "word"

    def __init__(self, itos: Sequence[str]):
        if len(itos) < 2 or itos[PAD_INDEX] != PAD or itos[UNK_INDEX] != UNK:
            raise ValueError(f"a vocabulary must start with {PAD!r}, {UNK!r}; got {list(itos[:2])!r}")
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a token")

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None
    ) -> Vocab:
        """Count ``token_lists``; keep tokens seen at least ``min_freq`` times.

        ``max_size`` caps the whole vocabulary, ``<pad>`` and ``<unk>`` included (so at least 2).
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < 2:
            raise ValueError(f"max_size must be >= 2 (pad and unk), got {max_size}")
        counts = Counter(tok for tokens in token_lists for tok in cls._units(tokens))
        counts.pop(PAD, None)
        counts.pop(UNK, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - 2]
        return cls([PAD, UNK, *kept])

    @staticmethod
    def _units(tokens: Sequence[str]) -> Iterable[str]:
        return tokens

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.itos == self.itos

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={len(self)})"

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, UNK_INDEX)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids for ``tokens``; unknown tokens map to 1."""
        get = self.stoi.get
        return [get(t, UNK_INDEX) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "itos": list(self.itos)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        kind = data.get("kind", cls.kind)
        if kind != cls.kind:
            raise ValueError(f"expected a {cls.kind!r} vocabulary, got kind {kind!r}")
        return cls(data["itos"])


class CharVocab(Vocab):
    """Characters of tokens (case kept: capitalisation is a strong NER feature)."""

    kind = "char"

    @staticmethod
    def _units(tokens: Sequence[str]) -> Iterable[str]:
        return (ch for tok in tokens for ch in tok)

    def encode_words(self, tokens: Iterable[str], max_chars: int | None = None) -> list[list[int]]:
        """One id list per token (truncated to ``max_chars``); an empty token gives ``[1]`` so it still counts."""
        get = self.stoi.get
        return [[get(ch, UNK_INDEX) for ch in tok[:max_chars]] or [UNK_INDEX] for tok in tokens]


def vocab_from_dict(data: dict[str, Any]) -> Vocab:
    """Rebuild a ``Vocab`` or ``CharVocab`` from ``to_dict()`` output."""
    return (CharVocab if data.get("kind") == CharVocab.kind else Vocab).from_dict(data)


def load_embeddings(
    path: str | Path, vocab: Vocab, dim: int | None = None, seed: int = 0
) -> tuple[np.ndarray, int]:
    """Embedding matrix for ``vocab`` from a GloVe text, word2vec/fastText ``.vec`` or JSON ``{word: [floats]}`` file,
    or a model2vec folder (``advisor embeddings distill``: each vocabulary word encoded, so every word is found).

    The file is read by ``advisor.data.embeddings.read_vectors``, the reader the profile's OOV rate uses too.
    Returns ``(matrix, n_found)``: ``matrix`` is float32 of shape ``(len(vocab), dim)``. A vocabulary word is
    looked up as is, then lowercased. Rows not found get seeded random values with the standard deviation of
    the found vectors; the pad row is zero. ``dim`` defaults to the file's; a vector of another length or one
    that is not numbers raises ``ValueError``; a malformed file ``DataError`` (a ``ValueError`` too).
    """
    path = Path(path)
    by_lower: dict[str, list[int]] = {}
    for idx, tok in enumerate(vocab.itos):
        if idx > UNK_INDEX:
            by_lower.setdefault(tok.lower(), []).append(idx)
    exact: dict[int, np.ndarray] = {}
    lowered: dict[int, np.ndarray] = {}
    # a model2vec folder encodes the vocabulary's words (files ignore ``words``): every word gets a vector
    for word, values in read_vectors(path, words=[*vocab.itos[UNK_INDEX + 1 :], *by_lower]):
        if dim is None:
            dim = len(values)  # the file's, even when no word of the vocabulary is in it
        idx = vocab.stoi.get(word)
        targets = by_lower.get(word, ())
        if (idx is None or idx <= UNK_INDEX or idx in exact) and not targets:
            continue
        try:
            vec = np.asarray(values, dtype=np.float32)
        except ValueError:
            raise ValueError(f"{path}: the vector for {word!r} is not numbers") from None
        if vec.shape != (dim,):
            raise ValueError(f"{path}: vector for {word!r} has {vec.shape[0]} values, expected dim={dim}")
        if idx is not None and idx > UNK_INDEX:
            exact.setdefault(idx, vec)
        for t in targets:
            lowered.setdefault(t, vec)  # first lowercase form wins: files list frequent words first
    found = {**lowered, **exact}
    rng = np.random.default_rng(seed)
    scale = float(np.std(np.stack(list(found.values())))) if found else 0.1
    matrix = rng.normal(0.0, scale, size=(len(vocab), dim)).astype(np.float32)
    for idx, vec in found.items():
        matrix[idx] = vec
    matrix[PAD_INDEX] = 0.0
    return matrix, len(found)
