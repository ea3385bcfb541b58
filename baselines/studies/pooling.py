"""The pooling study (the lesson's medium exercise): the LSTM classifier with max, mean and last-state pooling.

The toolkit's padding-correct ``RNNClassifier`` (``advisor.baselines.models``), one left-to-right LSTM layer
(arch ``lstm``: with one direction, "last" is the state after the final real token, the case the lesson's
hypothesis is about), trained with its recipe (Adam 1e-3, batch 32, dropout 0.5, gradient clipping 5, early
stopping on a dev split). Test accuracy and macro-F1 overall and per length bucket; the buckets are the test
set's length quartiles (words), so that each holds about a quarter of the test examples.

The hypothesis is stated from the per-length numbers (:func:`hypothesis`): last-state pooling's deficit
against the better of max and mean pooling, in the shortest and the longest bucket, paired by seed. It is
"supported" when the deficit is positive in the longest bucket, larger there than in the shortest, and the
paired t-test of (longest deficit - shortest deficit) across seeds gives p < 0.05; "not supported beyond noise"
when the direction holds without that p; "refuted" when the deficit does not grow with length.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from advisor.vocabulary import POOLINGS, Pooling

from . import stats
from .common import (
    Request,
    Strict,
    StudyResults,
    Unit,
    invented_set,
    p_is,
    pts,
    real_set,
    run_units,
    study_versions,
    table,
    train_and_predict,
)

ARCH = "lstm"


@dataclass(frozen=True)
class Settings:
    seeds: int  # seeds per pooling
    embed_dim: int  # word vector size
    hidden_size: int  # LSTM size
    max_epochs: int  # cap on the recipe's 30 (early stopping usually ends sooner)
    toy_per_class: tuple[int, int]  # invented set (used when no --data): train and test messages per class
    max_train: int | None  # cap on the training part (stratified subset); None: all


QUICK = Settings(seeds=2, embed_dim=32, hidden_size=32, max_epochs=6, toy_per_class=(60, 40), max_train=600)
FULL = Settings(
    seeds=5, embed_dim=128, hidden_size=128, max_epochs=15, toy_per_class=(300, 100), max_train=None
)
TOY_SEED = 1500


class Run(Strict):
    pooling: Pooling
    seed: int
    accuracy: float
    macro_f1: float
    buckets: list[float | None] = Field(description="test accuracy per length bucket (None: empty bucket)")
    best_epoch: int
    epochs: int
    seconds: float


class Bucket(Strict):
    name: str
    low: int
    high: int | None
    n: int


class PoolingResults(StudyResults):
    study: Literal["pooling"] = "pooling"
    buckets: list[Bucket]
    runs: list[Run]


def quartile_edges(lengths: list[int]) -> list[int]:
    """Upper edges of up to four length buckets holding about a quarter of ``lengths`` each."""
    qs = np.percentile(np.asarray(lengths), [25, 50, 75])
    edges: list[int] = []
    for q in qs:
        e = max(1, int(np.floor(q)))
        if (not edges or e > edges[-1]) and e < max(lengths):
            edges.append(e)
    return edges


def _scores(results: PoolingResults, pooling: str) -> list[Run]:
    return sorted((r for r in results.runs if r.pooling == pooling), key=lambda r: r.seed)


def _deficit(results: PoolingResults, bucket: int) -> tuple[np.ndarray, str]:
    """Per seed: the better of max/mean pooling (by mean over seeds) minus last pooling, in one bucket."""
    means = {p: np.mean([r.buckets[bucket] for r in _scores(results, p)]) for p in ("max", "mean")}
    best = max(means, key=means.get)
    return (
        np.array([r.buckets[bucket] for r in _scores(results, best)])
        - np.array([r.buckets[bucket] for r in _scores(results, "last")]),
        best,
    )


def _gap(deficit: float, other: str) -> str:
    return f"{pts(abs(deficit))} points {'behind' if deficit > 0 else 'ahead of'} {other}"


def hypothesis(results: PoolingResults) -> list[str]:
    """The lesson's hypothesis, from the per-length numbers: supported, not beyond noise, or refuted."""
    used = [i for i, b in enumerate(results.buckets) if b.n > 0]
    first, last = used[0], used[-1]
    d_short, best_short = _deficit(results, first)
    d_long, best_long = _deficit(results, last)
    bs, bl = results.buckets[first], results.buckets[last]
    t = stats.paired_t(d_long, d_short)
    facts = (
        f"last-state pooling is {_gap(d_long.mean(), best_long)} pooling on the longest inputs "
        f"({bl.name} words, n={bl.n}) and {_gap(d_short.mean(), best_short)} pooling on the "
        f"shortest ({bs.name} words, n={bs.n}); the difference of the two gaps is "
        f"{pts(d_long.mean() - d_short.mean(), True)} points (paired over {len(d_long)} seeds, t-test "
        f"{p_is(t['p'])})"
    )
    claim = (
        "Hypothesis: last-state pooling loses most on long inputs, because the end of the sequence dominates "
        "the final state and what came early has faded from it."
    )
    grows = d_long.mean() > 0 and d_long.mean() > d_short.mean()
    if grows and t["p"] < stats.ALPHA:
        verdict = f"**Supported**: {facts}."
    elif grows:
        verdict = f"**In the predicted direction, not beyond noise**: {facts}."
    else:
        verdict = (
            f"**Refuted on this data**: the gap does not grow with length: {facts}. Whatever last-state pooling "
            "loses here, it does not lose it for being long."
        )
    return [claim, verdict, length_trend(results, first, last)]


def length_trend(results: PoolingResults, first: int, last: int) -> str:
    """How each pooling's accuracy moves from the shortest bucket to the longest."""
    moves = {}
    for p in POOLINGS:
        rs = _scores(results, p)
        moves[p] = (np.mean([r.buckets[first] for r in rs]), np.mean([r.buckets[last] for r in rs]))
    parts = [f"{p} {pts(a)} → {pts(b)}" for p, (a, b) in moves.items()]
    down = [p for p, (a, b) in moves.items() if b < a]
    if len(down) == len(POOLINGS):
        lead = "Every pooling is less accurate on the longest inputs than on the shortest"
    elif not down:
        lead = "No pooling is less accurate on the longest inputs than on the shortest"
    else:
        lead = f"Only {', '.join(down)} pooling {'is' if len(down) == 1 else 'are'} less accurate on the longest inputs"
    return f"{lead} ({', '.join(parts)} points, shortest → longest bucket)."


def overall(results: PoolingResults) -> str:
    rank = sorted(POOLINGS, key=lambda p: -np.mean([r.accuracy for r in _scores(results, p)]))
    parts = []
    for p in rank:
        m, s = stats.mean_std([r.accuracy for r in _scores(results, p)])
        parts.append(f"{p} {pts(m)} ± {pts(s)}")
    best, worst = rank[0], rank[-1]
    t = stats.paired_t(
        [r.accuracy for r in _scores(results, best)], [r.accuracy for r in _scores(results, worst)]
    )
    return (
        f"Overall test accuracy: {', '.join(parts)} (mean ± std over {len(results.seeds)} seeds); {best} against "
        f"{worst}: {pts(t['mean_diff'], True)} points, paired t-test {p_is(t['p'])}."
    )


def report(results: PoolingResults) -> str:
    s = results.config["settings"]
    d = results.data[0]
    header = ["pooling", "accuracy", "macro-F1"] + [f"{b.name} words (n={b.n})" for b in results.buckets]
    rows = []
    for p in POOLINGS:
        rs = _scores(results, p)
        row = [p]
        for key in ("accuracy", "macro_f1"):
            m, sd = stats.mean_std([getattr(r, key) for r in rs])
            row.append(f"{pts(m)} ± {pts(sd)}")
        for i, b in enumerate(results.buckets):
            vals = [r.buckets[i] for r in rs]
            if b.n == 0 or any(v is None for v in vals):
                row.append("-")
            else:
                m, sd = stats.mean_std(vals)
                row.append(f"{pts(m)} ± {pts(sd)}")
        rows.append(row)
    return "\n".join(
        [
            f"# Study: LSTM pooling (max, mean, last state) on {d.name}",
            "",
            *[line + "\n" for line in hypothesis(results)],
            overall(results),
            "",
            "## Test accuracy overall and per length bucket (mean ± std over seeds, points)",
            "",
            table(header, rows),
            "",
            "## How it was run",
            "",
            f"- {d.name} ({d.role}): train {d.examples['train']}, dev {d.examples['dev']}, test "
            f"{d.examples['test']} examples; {d.train}" + (f", test {d.test}" if d.test else ""),
            f"- One left-to-right LSTM layer (arch `{ARCH}`), embedding {s['embed_dim']}, hidden {s['hidden_size']}, "
            f"the recipe's Adam 1e-3, batch 32, dropout 0.5, clipping 5, early stopping on dev (patience 3), at "
            f"most {s['max_epochs']} epochs; seeds {results.seeds}. Padded positions never win the max, enter "
            "the mean or feed the last state.",
            "- Length buckets: the test set's length quartiles, in words (advisor.data.tokenize).",
            f"- {'Quick settings (CI-sized; not a result).' if results.quick else 'Full settings.'} "
            f"Took {results.seconds:.0f} s.",
            f"- Reproduce: `{results.command}`",
            "",
            "![accuracy per length bucket](pooling.png)",
            "",
        ]
    )


def plot(results: PoolingResults, path: Path) -> None:
    from ..plots import figure, save_figure

    fig = figure(7, 4.2)
    ax = fig.add_subplot()
    names = [f"{b.name}\n(n={b.n})" for b in results.buckets]
    width = 0.27
    for k, p in enumerate(POOLINGS):
        rs = _scores(results, p)
        means, stds = [], []
        for i in range(len(results.buckets)):
            vals = [100 * r.buckets[i] for r in rs if r.buckets[i] is not None]
            m, sd = stats.mean_std(vals) if vals else (0.0, 0.0)
            means.append(m)
            stds.append(sd)
        ax.bar(
            np.arange(len(names)) + (k - 1) * width, means, width, yerr=stds, capsize=3, label=f"{p} pooling"
        )
    ax.set_xticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("test example length (words)")
    ax.set_ylabel("test accuracy (points)")
    ax.set_ylim(0, 105)
    ax.set_title(
        f"LSTM pooling on {results.data[0].name}: test accuracy by length\n"
        f"(mean ± std over {len(results.seeds)} seeds)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_figure(fig, path)


def train_one(spec: dict[str, Any]) -> dict[str, Any]:
    """One unit: train the LSTM with ``spec["pooling"]`` and ``spec["seed"]``; score it overall and per bucket."""
    from ..metrics import accuracy, length_bucket_accuracy, macro_f1

    gold = [x.label for x in spec["test"]]
    config = {"embed_dim": spec["embed_dim"], "hidden_size": spec["hidden_size"]}
    b, pred = train_and_predict(ARCH, spec, config, pooling=spec["pooling"])
    per = length_bucket_accuracy(gold, pred, spec["lengths"], spec["edges"])
    return {
        "accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(gold, pred),
        "buckets": [row["accuracy"] for row in per],
        "best_epoch": b.fit.best_epoch,
        "epochs": len(b.fit.dev_curve),
        "seconds": round(b.fit.seconds, 2),
    }


def run(req: Request) -> tuple[PoolingResults, str, dict[str, Callable[[Path], object]]]:
    """Train every (pooling, seed) (a unit each, :func:`train_one`) on one dataset (``data``, else the invented
    set); analyse; report."""
    from advisor.data import tokenize

    from ..metrics import length_bucket_accuracy

    t0 = time.perf_counter()
    s, seed_list = req.pick(QUICK, FULL)
    n_seeds = len(seed_list)
    if req.data is not None:
        ref, tr, dev, te = real_set(req.data, req.test, s.max_train)
    else:
        ref, tr, dev, te = invented_set(s.toy_per_class, TOY_SEED)
    lengths = [len(tokenize(x.text)) for x in te]
    edges = quartile_edges(lengths)
    gold = [x.label for x in te]
    units = []
    for pooling in POOLINGS:
        for seed in seed_list:
            settings = {
                "study": "pooling",
                "data": ref.fingerprint,
                "test": ref.test_fingerprint,
                "split": ref.split,
                "pooling": pooling,
                "embed_dim": s.embed_dim,
                "hidden_size": s.hidden_size,
                "max_epochs": s.max_epochs,
                "seed": seed,
            }
            spec = {"train": tr, "dev": dev, "test": te, "lengths": lengths, "edges": edges, "pooling": pooling,
                    "seed": seed, "embed_dim": s.embed_dim, "hidden_size": s.hidden_size, "max_epochs": s.max_epochs}  # fmt: skip
            units.append(Unit(settings, spec, f"{pooling} pooling, seed {seed}"))
    done, hosts = run_units(req, train_one, units)
    runs = [
        Run(pooling=u.spec["pooling"], seed=u.spec["seed"], **result)
        for u, result in zip(units, done, strict=True)
    ]
    per = length_bucket_accuracy(gold, gold, lengths, edges)
    results = PoolingResults(
        quick=req.quick,
        executor=req.executor,
        hosts=hosts,
        command=req.command,
        versions=study_versions(),
        seeds=seed_list,
        data=[ref],
        config={"settings": asdict(s) | {"seeds": n_seeds}, "arch": ARCH, "length_edges": edges},
        seconds=round(time.perf_counter() - t0, 1),
        buckets=[Bucket(name=str(b["bucket"]), low=b["low"], high=b["high"], n=b["n"]) for b in per],
        runs=runs,
    )
    return results, report(results), plots(results)


def plots(results: PoolingResults) -> dict[str, Callable[[Path], object]]:
    return {"pooling.png": lambda p: plot(results, p)}


RESULTS = PoolingResults
