"""Stratified splits with a fixed seed (standard library only)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    indices: tuple[list[int], ...]  # one sorted index list per requested fraction, each non-empty
    stratified: bool  # True: every class spread over the splits in proportion; False: plain shuffle
    note: str  # one line saying which was used, the seed and the sizes

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _target_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Largest-remainder sizes summing to n, each at least 1."""
    raw = [n * f for f in fractions]
    sizes = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda j: (sizes[j] - raw[j], j))
    for j in order[: n - sum(sizes)]:
        sizes[j] += 1
    for j in range(len(sizes)):
        while sizes[j] < 1:
            biggest = max(range(len(sizes)), key=lambda k: (sizes[k], -k))
            sizes[biggest] -= 1
            sizes[j] += 1
    return sizes


def stratified_split(labels: Sequence[str], fractions: Sequence[float], seed: int) -> Split:
    """Split ``range(len(labels))`` into ``len(fractions)`` non-empty parts with ``random.Random(seed)``.

    Sizes are the largest-remainder rounding of ``n * fraction`` (each at least 1), so they are exact and do not
    depend on the labels. When every class has at least 2 members the split is stratified: the indices are
    grouped by class (classes in sorted order, each shuffled) and dealt out by smooth weighted round robin with
    the target sizes as weights, so every class is spread over the parts in proportion (a class of k members
    lands within about one of ``k * fraction`` in each part). Otherwise (some class has a single member) the whole
    set is shuffled and cut in order, and the note says why.
    """
    fractions = tuple(float(f) for f in fractions)
    if not fractions or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be positive and sum to 1, got {fractions}")
    n = len(labels)
    if n < len(fractions):
        raise ValueError(f"cannot split {n} examples into {len(fractions)} non-empty parts")
    sizes = _target_sizes(n, fractions)
    rng = random.Random(seed)
    counts = Counter(labels)
    singletons = sorted(label for label, c in counts.items() if c < 2)
    parts: list[list[int]] = [[] for _ in fractions]
    if singletons:
        order = list(range(n))
        rng.shuffle(order)
        pos = 0
        for j, size in enumerate(sizes):
            parts[j] = order[pos : pos + size]
            pos += size
        shown = ", ".join(repr(s) for s in singletons[:3]) + (", ..." if len(singletons) > 3 else "")
        why = f"class {shown} has" if len(singletons) == 1 else f"classes {shown} have"
        note = f"plain shuffled split, not stratified: {why} only 1 example"
    else:
        by_class: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            by_class.setdefault(label, []).append(i)
        order = []
        for label in sorted(by_class):
            members = by_class[label]
            rng.shuffle(members)
            order.extend(members)
        current = [0] * len(sizes)
        for i in order:  # smooth weighted round robin: part j is picked exactly sizes[j] times in n steps
            for j, w in enumerate(sizes):
                current[j] += w
            best = max(range(len(sizes)), key=lambda j: (current[j], -j))
            current[best] -= n
            parts[best].append(i)
        note = f"stratified by label ({len(counts)} classes)"
    note += f", seed {seed}, sizes {'/'.join(str(len(p)) for p in parts)}"
    return Split(tuple(sorted(p) for p in parts), not singletons, note)


def stratify_labels(task: str, items: Sequence) -> list[str]:
    """What a dataset's items are stratified by: the label (tagging: a sentence's first entity type, or "O")."""
    from advisor.data.formats import entity_type

    if task == "classification":
        return [x.label for x in items]
    return [next((e for e in map(entity_type, s.tags) if e is not None), "O") for s in items]


def dataset_split(dataset, fractions: Sequence[float], seed: int) -> tuple[list[list], dict]:
    """The items of ``dataset`` in parts of the given fractions (:func:`stratified_split` of
    :func:`stratify_labels`), and the split's record: seed, fractions, sizes, whether stratified, a note.

    The one split of a data file into train and dev: ``advisor baseline`` trains on it and the evidence verifier
    recomputes it (``advisor.evidence``), so both see the same dev examples.
    """
    items = list(dataset.items)
    split = stratified_split(stratify_labels(dataset.task, items), fractions, seed)
    parts = [[items[i] for i in idx] for idx in split.indices]
    info = {
        "seed": seed,
        "fractions": list(fractions),
        "sizes": [len(p) for p in parts],
        "stratified": split.stratified,
        "note": split.note,
    }
    return parts, info
