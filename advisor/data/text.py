"""Tokens, the data fingerprint and the data summary (standard library only).

This is the one tokenization module: training and the torch-free runtime (:mod:`advisor.runtime`, which runs an
exported model folder) turn text into model inputs with the same functions, so an export sees exactly the
tokens its model was trained on: :func:`tokenize` (the word classifiers), :func:`normalize_word` (the tagger's
word vocabulary), :func:`word_ngrams` (``ngram-linear``'s TF-IDF terms), :func:`head_tail` (the fine-tuned
transformer's word-piece truncation) and :func:`first_pieces` (the transformer taggers' word <- piece alignment);
the word pieces themselves come from the encoder's ``tokenizer.json``.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.data.formats import Dataset, entity_type

# The tokenizer: numbers with internal separators (3.14, 1,000), then words -- runs of letters and digits that may
# hold single internal apostrophes or hyphens (don't, n't, state-of-the-art) -- then any other non-space character
# on its own (punctuation, symbols, underscore).
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['\u2019\-][^\W_]+)*|\S")


def tokenize(text: str) -> list[str]:
    """The simple word tokenizer used for statistics, OOV rates and the baselines' vocabularies.

    NFC-normalize and lowercase, then take, left to right: numbers with internal ``.``/``,`` separators as one
    token (``3.14``, ``1,000``); words, i.e. runs of letters/digits that may contain single internal apostrophes
    (``'`` or ``’``) or hyphens (``don't``, ``n't``, ``state-of-the-art``, ``covid19``); and every other non-space
    character as a token of its own (``?``, ``"``, ``'`` in ``'s``, ``_``).
    """
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text).lower())


NGRAM_TOKEN_PATTERN = r"(?u)\b\w+\b"  # keeps one-character words ("a", "i", digits), unlike sklearn's default


def word_ngrams(
    text: str,
    ngram_range: Sequence[int] = (1, 2),
    lowercase: bool = True,
    token_pattern: str = NGRAM_TOKEN_PATTERN,
) -> list[str]:
    """The word n-grams of ``text`` that ``ngram-linear`` counts: lowercase (when asked), the words that
    ``token_pattern`` finds, then every run of ``ngram_range[0]``..``ngram_range[1]`` consecutive words joined by
    one space, shortest first. The same terms scikit-learn's ``CountVectorizer(analyzer="word")`` gives with
    these settings (its default ``strip_accents=None``, no stop words); training passes this function to it
    as the analyzer."""
    if lowercase:
        text = text.lower()
    words = re.findall(token_pattern, text)
    low, high = int(ngram_range[0]), int(ngram_range[1])
    return [" ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)]


def normalize_word(token: str, preprocess: Mapping[str, Any]) -> str:
    """The word-vocabulary form of a tagger token: lowercased and digits zeroed when ``preprocess`` says so."""
    if preprocess.get("lowercase"):
        token = token.lower()
    if preprocess.get("zero_digits"):
        token = "".join("0" if ch.isdigit() else ch for ch in token)
    return token


def head_tail(ids: list[int], budget: int, head_share: float = 0.25) -> list[int]:
    """``ids`` cut to ``budget`` pieces: the first ``head_share`` of the budget and the rest from the end
    (``head_share`` 1.0: plain truncation, the head only)."""
    if len(ids) <= budget:
        return ids
    head = int(budget * head_share)
    return ids[:head] + ids[len(ids) - (budget - head) :]


def first_pieces(
    per_word: Sequence[Sequence[int]], budget: int, unk: int
) -> tuple[list[int], list[int], bool]:
    """A sentence's word pieces from each word's own pieces (``per_word``: each word tokenized alone, no special
    tokens), the position of each word's first piece among them, and whether words were cut: the words that
    fit in ``budget`` pieces are kept (head only: a tag sequence cannot skip its middle), and a word with no
    piece reads as ``unk``. The transformer taggers' one alignment: fine-tuning and the frozen tagger train
    with it (:func:`advisor.baselines.finetune.word_pieces`), the runtime runs their exports with it."""
    ids: list[int] = []
    firsts: list[int] = []
    for pieces in per_word:
        pieces = list(pieces) or [unk]
        if len(ids) + len(pieces) > budget:
            return ids, firsts, True
        firsts.append(len(ids))
        ids.extend(pieces)
    return ids, firsts, False


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split())


def fingerprint(dataset: Dataset) -> str:
    """``"sha256:<hex>"`` of the normalized examples, independent of file format, encoding and order.

    Definition (the evidence file depends on it; change it and old evidence no longer matches):

    - ``norm(s)``: Unicode NFC, then every run of whitespace (``str.split()``) replaced by one space, ends trimmed.
    - one line per example: classification ``norm(label) + "\\t" + norm(text)``; tagging the ``norm(token) + " "
      + norm(tag)`` pairs (tags after the IOB2 conversion) joined by ``"\\t"``.
    - the lines sorted by code point (duplicates kept), preceded by ``"task:" + task``, each line ending in
      ``"\\n"``, encoded as UTF-8 and hashed with SHA-256.
    """
    if dataset.task == "classification":
        lines = [f"{_norm(x.label)}\t{_norm(x.text)}" for x in dataset.items]  # type: ignore[union-attr]
    else:
        lines = [
            "\t".join(f"{_norm(tok)} {_norm(tag)}" for tok, tag in zip(s.tokens, s.tags, strict=True))  # type: ignore[union-attr]
            for s in dataset.items
        ]
    lines.sort()
    h = hashlib.sha256(f"task:{dataset.task}\n".encode())
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


def _percentile(sorted_values: Sequence[int], q: float) -> int:
    """Nearest-rank percentile of a sorted non-empty list."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def label_counts(dataset: Dataset) -> dict[str, int]:
    """Examples per label, sorted by label; tagging: entity spans per type, counted as IOB2 ``B-``/``S-`` tags
    (for bare tags such as POS, tokens per tag other than ``O``).

    The one label counter: the profile's ``label_counts`` and the plateau evidence's both come from here.
    """
    counts: Counter[str] = Counter()
    if dataset.task == "classification":
        counts.update(dataset.labels())
    else:
        for s in dataset.items:
            for tag in s.tags:  # type: ignore[union-attr]
                etype = entity_type(tag)
                if etype is not None and (tag[:2] in ("B-", "S-") or etype == tag):
                    counts[etype] += 1
    return dict(sorted(counts.items()))


def _token_lists(dataset: Dataset) -> list[list[str]]:
    """The words of each example as the profile counts them (tagging: lowercased tokens)."""
    if dataset.task == "classification":
        return [tokenize(x.text) for x in dataset.items]  # type: ignore[union-attr]
    return [[t.lower() for t in s.tokens] for s in dataset.items]  # type: ignore[union-attr]


def dataset_words(dataset: Dataset) -> set[str]:
    """Every word :func:`summarize`'s OOV rate looks up (each token and its lowercase form): what a model2vec
    folder is asked to encode (``advisor.data.embeddings.read_vectors``)."""
    return {w for toks in _token_lists(dataset) for t in toks for w in (t, t.lower())}


def summarize(dataset: Dataset, embeddings_vocab: set[str] | None = None) -> dict:
    """Statistics for the profile: counts, classes, imbalance, length percentiles, S/W ratio, OOV rate, fingerprint.

    - ``examples``: examples (tagging: sentences). ``classes``: distinct labels (tagging: entity types).
    - ``label_counts``: :func:`label_counts`.
    - ``imbalance_ratio``: largest / smallest count in ``label_counts`` (None with fewer than 2 entries).
    - ``tokens``: ``median``, ``p95`` (nearest rank) and ``max`` of words per example (``tokenize``; tagging:
      tokens per sentence). ``sw_ratio``: examples / median words per example (Google's S/W ratio).
    - ``oov_rate``: fraction of tokens (tagging: lowercased tokens) not in ``embeddings_vocab``; a token counts
      as known when it or its lowercase form is in the vocabulary. None without a vocabulary.
    """
    token_lists = _token_lists(dataset)
    counts = label_counts(dataset)
    lengths = sorted(len(t) for t in token_lists)
    median = statistics.median(lengths) if lengths else 0
    imbalance = max(counts.values()) / min(counts.values()) if len(counts) >= 2 else None
    oov = None
    if embeddings_vocab is not None:
        total = missing = 0
        for toks in token_lists:
            for t in toks:
                total += 1
                if t not in embeddings_vocab and t.lower() not in embeddings_vocab:
                    missing += 1
        oov = round(missing / total, 4) if total else None
    return {
        "task": dataset.task,
        "examples": len(dataset.items),
        "classes": len(counts),
        "label_counts": counts,
        "imbalance_ratio": round(imbalance, 4) if imbalance is not None else None,
        "tokens": {
            "median": median,
            "p95": _percentile(lengths, 0.95) if lengths else 0,
            "max": lengths[-1] if lengths else 0,
        },
        "sw_ratio": round(len(dataset.items) / median, 4) if median else None,
        "oov_rate": oov,
        "fingerprint": fingerprint(dataset),
    }
