"""The statistics the studies report: mean ± std over seeds, paired tests across seeds, a paired bootstrap over
test examples, and the one rule that says "beyond noise".

Every function takes plain lists or numpy arrays and returns plain floats and dicts (what ``results.json``
stores). Scores are fractions in 0..1; the reports print points (x100).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# "Beyond noise" means both: the paired t-test across seeds gives p < ALPHA, and the 95% paired-bootstrap
# interval of the difference over test examples excludes zero.
ALPHA = 0.05
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; 0.0 for a single value)."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        raise ValueError("mean of no values")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def sign_test(a: Sequence[float], b: Sequence[float]) -> dict[str, float | int]:
    """Two-sided exact sign test of paired scores: ``wins`` (a > b), ``losses``, ``ties`` (dropped), ``p``.

    With n untied pairs the smallest possible p is 2 / 2**n: five seeds can never reach p < 0.05 (0.0625).
    """
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    n = wins + losses
    k = min(wins, losses)
    p = 1.0 if n == 0 else min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)
    return {"wins": wins, "losses": losses, "ties": int(diff.size - n), "p": p}


def paired_t(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Paired t-test of ``a - b`` across seeds: mean difference, its standard error, t and the two-sided p.

    All-equal differences give p 1.0 when they are zero and 0.0 otherwise (no spread, a certain sign); a
    single pair gives se 0, t 0 and p 1.0 (nothing to test; no NaN, which JSON cannot hold).
    """
    from scipy import stats

    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(diff.mean())
    if diff.size < 2:
        return {"mean_diff": mean, "se": 0.0, "t": 0.0, "p": 1.0}
    se = float(diff.std(ddof=1) / math.sqrt(diff.size))
    if se == 0.0:
        return {"mean_diff": mean, "se": 0.0, "t": 0.0, "p": 1.0 if mean == 0.0 else 0.0}
    t = mean / se
    return {"mean_diff": mean, "se": se, "t": float(t), "p": float(2 * stats.t.sf(abs(t), diff.size - 1))}


def macro_f1_rows(gold: np.ndarray, predicted: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro-F1 of each row. ``gold``, ``predicted``: int arrays (rows, n) of label ids -> (rows,).

    The labels averaged over are those in the row's gold or predictions (as ``metrics.macro_f1`` does).
    """
    gold = np.atleast_2d(gold)
    predicted = np.atleast_2d(predicted)
    rows = gold.shape[0]
    size = rows * n_labels
    keyed_gold = gold + (np.arange(rows) * n_labels)[:, None]  # label id made unique per row
    keyed_pred = predicted + (np.arange(rows) * n_labels)[:, None]
    tp = np.bincount(keyed_gold[gold == predicted], minlength=size).reshape(rows, n_labels).astype(float)
    n_gold = np.bincount(keyed_gold.ravel(), minlength=size).reshape(rows, n_labels)
    n_pred = np.bincount(keyed_pred.ravel(), minlength=size).reshape(rows, n_labels)
    denom = n_gold + n_pred
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = denom > 0
    return f1.sum(1) / np.maximum(present.sum(1), 1)


def paired_bootstrap(
    gold: Sequence[int],
    pred_a: Sequence[Sequence[int]],
    pred_b: Sequence[Sequence[int]],
    n_labels: int,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, float | int]:
    """Paired bootstrap over test examples of the seed-averaged macro-F1 difference a - b.

    ``pred_a``, ``pred_b``: each seed's predicted label ids on the same test examples (seeds paired by index).
    Each resample draws the test examples with replacement and scores every seed of both models on it, so the
    interval holds the test-set noise with the seed noise averaged out. Returns the observed difference, the
    2.5/97.5 percentiles, and ``p``: twice the share of resamples on the far side of zero (two-sided, at most 1).
    """
    gold_arr = np.asarray(gold, dtype=np.int64)
    a = np.asarray(pred_a, dtype=np.int64)
    b = np.asarray(pred_b, dtype=np.int64)
    if a.shape != b.shape or a.shape[1] != gold_arr.size:
        raise ValueError(f"predictions {a.shape} and {b.shape} do not pair with {gold_arr.size} gold labels")
    seeds = a.shape[0]
    observed = float(
        macro_f1_rows(np.tile(gold_arr, (seeds, 1)), a, n_labels).mean()
        - macro_f1_rows(np.tile(gold_arr, (seeds, 1)), b, n_labels).mean()
    )
    rng = np.random.default_rng(seed)
    deltas = np.empty(samples)
    for i in range(samples):
        idx = rng.integers(0, gold_arr.size, gold_arr.size)
        g = np.tile(gold_arr[idx], (seeds, 1))
        deltas[i] = (
            macro_f1_rows(g, a[:, idx], n_labels).mean() - macro_f1_rows(g, b[:, idx], n_labels).mean()
        )
    low, high = np.percentile(deltas, [2.5, 97.5])
    far = (deltas <= 0).mean() if observed > 0 else (deltas >= 0).mean()
    return {
        "diff": observed,
        "low": float(low),
        "high": float(high),
        "p": float(min(1.0, 2 * far)),
        "samples": samples,
    }


def beyond_noise(t_p: float, low: float, high: float) -> bool:
    """The studies' one rule: paired t-test p < ALPHA and a bootstrap interval that excludes zero."""
    return t_p < ALPHA and (low > 0 or high < 0)
