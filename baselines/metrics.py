"""Evaluation metrics in pure Python: accuracy, macro-F1, per-class and per-length reports, entity-level F1.

Every metric takes ``(gold, predicted)`` first, as ``advisor.baselines.train`` expects (it looks metrics up by
name: ``accuracy``, ``macro_f1`` for label lists; ``entity_f1`` for lists of tag lists). Scores are fractions
in 0..1. A ratio with a zero denominator is 0 (as in conlleval and scikit-learn's ``zero_division=0``).

Entity spans follow conlleval (the CoNLL-2000/2003 evaluation script): a chunk is an exact (type, start, end)
match, and chunk starts and ends are read from the tags the way conlleval reads them, so IOB2, IOB1 (``I-X``
after ``O`` or after another type starts a chunk), and IOBES (``S-``, ``E-``) all work without conversion. A tag
without a prefix (``PER``) is read as ``I-PER`` (the IO scheme).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

__all__ = [
    "DEFAULT_LENGTH_EDGES",
    "accuracy",
    "entity_f1",
    "entity_prf",
    "entity_report",
    "entity_spans",
    "length_bucket_accuracy",
    "length_bucket_entity_f1",
    "macro_f1",
    "per_class_report",
]

# Upper edges of the length buckets: 1-10, 11-20, 21-40, 41-80, 81+ words.
DEFAULT_LENGTH_EDGES: tuple[int, ...] = (10, 20, 40, 80)


def _check_pair(gold: Sequence, predicted: Sequence) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold and predicted differ in length: {len(gold)} vs {len(predicted)}")


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def accuracy(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Fraction of positions where ``predicted`` equals ``gold``."""
    _check_pair(gold, predicted)
    if not gold:
        raise ValueError("accuracy of no examples")
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def per_class_report(
    gold: Sequence[str], predicted: Sequence[str], labels: Iterable[str] | None = None
) -> dict[str, dict[str, float | int]]:
    """``{label: {"precision", "recall", "f1", "support"}}`` sorted by label; support is the gold count.

    ``labels`` defaults to every label seen in ``gold`` or ``predicted``.
    """
    _check_pair(gold, predicted)
    tp: Counter[str] = Counter()
    n_gold = Counter(gold)
    n_pred = Counter(predicted)
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            tp[g] += 1
    names = sorted(set(labels) if labels is not None else set(n_gold) | set(n_pred))
    report: dict[str, dict[str, float | int]] = {}
    for label in names:
        p = _ratio(tp[label], n_pred[label])
        r = _ratio(tp[label], n_gold[label])
        report[label] = {"precision": p, "recall": r, "f1": _f1(p, r), "support": n_gold[label]}
    return report


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Iterable[str] | None = None) -> float:
    """Unweighted mean of the per-class F1 over ``labels`` (default: every label in gold or predicted)."""
    report = per_class_report(gold, predicted, labels)
    if not report:
        raise ValueError("macro-F1 of no labels")
    return sum(row["f1"] for row in report.values()) / len(report)


def _bucket_names(edges: Sequence[int]) -> list[tuple[str, int, int | None]]:
    if any(e < 1 for e in edges) or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError(f"length edges must be increasing positive integers, got {tuple(edges)}")
    out: list[tuple[str, int, int | None]] = []
    low = 1
    for high in edges:
        out.append((f"{low}-{high}", low, high))
        low = high + 1
    out.append((f"{low}+", low, None))
    return out


def _bucket_index(buckets: Sequence[tuple[str, int, int | None]], n: int) -> int:
    return next((i for i, (_, _, high) in enumerate(buckets) if high is None or n <= high), len(buckets) - 1)


def length_bucket_accuracy(
    gold: Sequence[Hashable],
    predicted: Sequence[Hashable],
    lengths: Sequence[int],
    edges: Sequence[int] = DEFAULT_LENGTH_EDGES,
) -> list[dict[str, object]]:
    """Accuracy per length bucket: ``[{"bucket": "1-10", "low": 1, "high": 10, "n": 3, "accuracy": 0.67}, ...]``.

    ``edges`` are the buckets' upper ends (default 10, 20, 40, 80: buckets 1-10, 11-20, 21-40, 41-80, 81+); the
    last bucket has ``high`` None. A length of 0 counts in the first bucket. Every bucket is listed, in order;
    an empty one has ``n`` 0 and ``accuracy`` None.
    """
    _check_pair(gold, predicted)
    if len(lengths) != len(gold):
        raise ValueError(f"lengths and gold differ in length: {len(lengths)} vs {len(gold)}")
    buckets = _bucket_names(edges)
    right = [0] * len(buckets)
    total = [0] * len(buckets)
    for g, p, n in zip(gold, predicted, lengths, strict=True):
        k = _bucket_index(buckets, n)
        total[k] += 1
        right[k] += g == p
    return [
        {"bucket": name, "low": low, "high": high, "n": t, "accuracy": r / t if t else None}
        for (name, low, high), r, t in zip(buckets, right, total, strict=True)
    ]


# --------------------------------------------------------------------------- entities (conlleval)


def _split_tag(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    return "I", tag


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (
        prev_tag in ("E", "S")
        or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (prev_tag != "O" and prev_type != type_)
    )


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (
        tag in ("B", "S")
        or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
        or (tag != "O" and prev_type != type_)
    )


def entity_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity chunks of one sentence as ``(type, start, end)``, ``end`` exclusive, read as conlleval reads them."""
    spans: list[tuple[str, int, int]] = []
    prev_tag, prev_type = "O", ""
    start: int | None = None
    for i, raw in enumerate(tags):
        tag, type_ = _split_tag(raw)
        if start is not None and _end_of_chunk(prev_tag, tag, prev_type, type_):
            spans.append((prev_type, start, i))
            start = None
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            start = i
        prev_tag, prev_type = tag, type_
    if start is not None:
        spans.append((prev_type, start, len(tags)))
    return spans


def entity_report(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, object]:
    """Entity-level micro precision/recall/F1 over sentences (conlleval), plus per type and token accuracy.

    Returns ``{"precision", "recall", "f1", "correct", "gold_entities", "predicted_entities",
    "token_accuracy", "per_type": {type: {"precision", "recall", "f1", "support", "predicted"}}}``
    with ``support`` the number of gold entities of that type.
    """
    _check_pair(gold, predicted)
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_correct: Counter[str] = Counter()
    tokens = right = 0
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: gold has {len(g)} tags, predicted {len(p)}")
        tokens += len(g)
        right += sum(a == b for a, b in zip(g, p, strict=True))
        gs, ps = entity_spans(g), entity_spans(p)
        n_gold.update(s[0] for s in gs)
        n_pred.update(s[0] for s in ps)
        n_correct.update(s[0] for s in set(gs) & set(ps))
    correct, total_gold, total_pred = sum(n_correct.values()), sum(n_gold.values()), sum(n_pred.values())
    precision, recall = _ratio(correct, total_pred), _ratio(correct, total_gold)
    per_type: dict[str, dict[str, float | int]] = {}
    for t in sorted(set(n_gold) | set(n_pred)):
        p, r = _ratio(n_correct[t], n_pred[t]), _ratio(n_correct[t], n_gold[t])
        per_type[t] = {
            "precision": p,
            "recall": r,
            "f1": _f1(p, r),
            "support": n_gold[t],
            "predicted": n_pred[t],
        }
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "correct": correct,
        "gold_entities": total_gold,
        "predicted_entities": total_pred,
        "token_accuracy": _ratio(right, tokens),
        "per_type": per_type,
    }


def entity_prf(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> tuple[float, float, float]:
    """Entity-level micro ``(precision, recall, f1)`` (conlleval)."""
    r = entity_report(gold, predicted)
    return float(r["precision"]), float(r["recall"]), float(r["f1"])  # type: ignore[arg-type]


def entity_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """Entity-level micro F1 (conlleval): exact type and boundary matches over all sentences."""
    return entity_prf(gold, predicted)[2]


def length_bucket_entity_f1(
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    lengths: Sequence[int] | None = None,
    edges: Sequence[int] = DEFAULT_LENGTH_EDGES,
) -> list[dict[str, object]]:
    """Entity F1 per sentence-length bucket: ``[{"bucket", "low", "high", "n", "f1"}, ...]``, ``n`` in sentences.

    ``lengths`` defaults to the tokens per sentence; buckets as in ``length_bucket_accuracy``. An empty bucket
    has ``f1`` None; a bucket whose sentences hold no gold or predicted entity has ``f1`` 0.
    """
    _check_pair(gold, predicted)
    lengths = [len(g) for g in gold] if lengths is None else lengths
    if len(lengths) != len(gold):
        raise ValueError(f"lengths and gold differ in length: {len(lengths)} vs {len(gold)}")
    buckets = _bucket_names(edges)
    members: list[list[int]] = [[] for _ in buckets]
    for i, n in enumerate(lengths):
        members[_bucket_index(buckets, n)].append(i)
    return [
        {
            "bucket": name,
            "low": low,
            "high": high,
            "n": len(idx),
            "f1": entity_f1([gold[i] for i in idx], [predicted[i] for i in idx]) if idx else None,
        }
        for (name, low, high), idx in zip(buckets, members, strict=True)
    ]
