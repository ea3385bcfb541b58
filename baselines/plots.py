"""PNG plots for baseline reports: accuracy per length bucket, dev curves, learning curve.

matplotlib is imported inside the functions, and only its object API is used (``matplotlib.figure.Figure``
rendered by the Agg canvas), so no pyplot state or GUI backend is involved. Every file is written atomically
(``advisor.data.files.write_atomic``: a temporary file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor.data.files import write_atomic

__all__ = [
    "figure",
    "plot_curves",
    "plot_learning_curve",
    "plot_length_buckets",
    "plot_measurements",
    "save_figure",
]


def figure(width: float = 6.0, height: float = 4.0) -> Any:
    """A matplotlib ``Figure`` on the Agg canvas (no pyplot state), ``width`` x ``height`` inches at 100 dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (no timestamp metadata: the same figure, the same bytes)."""
    return write_atomic(path, lambda f: fig.savefig(f, format="png", metadata={"Software": None}))


def plot_length_buckets(
    buckets: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], title: str | None = None
) -> Path:
    """Bar chart of ``length_bucket_accuracy`` (or ``length_bucket_entity_f1``) output, each bar labelled ``n=``.

    The score is the bucket's ``accuracy`` key, else its ``f1`` key; an empty bucket (score None) has no bar.
    """
    key = "accuracy" if any("accuracy" in b for b in buckets) else "f1"
    fig = figure()
    ax = fig.add_subplot()
    names = [str(b["bucket"]) for b in buckets]
    scores = [b.get(key) for b in buckets]
    bars = ax.bar(names, [0.0 if v is None else v for v in scores], color="#4c72b0")
    for bar, b in zip(bars, buckets, strict=True):
        ax.annotate(
            f"n={b.get('n', 0)}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("words per example" if key == "accuracy" else "tokens per sentence")
    ax.set_ylabel("accuracy" if key == "accuracy" else "entity F1")
    ax.set_title(title or ("Accuracy by length" if key == "accuracy" else "Entity F1 by length"))
    fig.tight_layout()
    return save_figure(fig, path)


def plot_curves(
    runs: Mapping[str, Sequence[float]] | Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str],
    title: str,
    ylabel: str = "dev metric",
) -> Path:
    """Dev metric per epoch (1-based), one line per run.

    ``runs`` is ``{"textcnn seed 0": [0.61, 0.74, ...], ...}``, or run dicts as in the evidence file's ``runs``
    (``dev_curve``, named by ``arch`` and ``seed``; a ``best_epoch`` is marked).
    """
    if isinstance(runs, Mapping):
        lines = [(str(name), list(curve), None) for name, curve in runs.items()]
    else:
        lines = [
            (f"{r.get('arch', 'run')} seed {r.get('seed', i)}", list(r["dev_curve"]), r.get("best_epoch"))
            for i, r in enumerate(runs)
        ]
    fig = figure()
    ax = fig.add_subplot()
    for name, curve, best in lines:
        (line,) = ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label=name)
        if best and 1 <= best <= len(curve):
            ax.plot([best], [curve[best - 1]], marker="*", markersize=10, color=line.get_color())
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_learning_curve(
    points: Sequence[tuple[float, float]] | Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str],
    title: str = "Learning curve",
    ylabel: str = "dev metric",
) -> Path:
    """Dev metric against training examples.

    ``points`` are ``(examples, score)`` pairs, or dicts with ``examples`` and ``dev`` (and optionally ``arch``,
    one line per arch) as in the evidence file's ``learning_curve``.
    """
    from matplotlib.ticker import NullLocator

    series: dict[str, list[tuple[float, float]]] = {}
    for pt in points:
        if isinstance(pt, Mapping):
            series.setdefault(str(pt.get("arch", "")), []).append((float(pt["examples"]), float(pt["dev"])))
        else:
            x, y = pt
            series.setdefault("", []).append((float(x), float(y)))
    fig = figure()
    ax = fig.add_subplot()
    for name, pts in series.items():
        pts.sort()
        ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=name or None)
    ax.set_xscale("log")
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.set_xlabel("training examples")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if any(series):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_measurements(doc: Any, profile: Any, path: str | os.PathLike[str]) -> Path:
    """``advisor compare``'s chart: dev score (mean, error bar ± std) against measured p95 latency, one point per
    candidate, the profile's latency budget as a line (and its size budget in the legend: points over it are
    drawn hollow), the Pareto front (no other point both faster and better) joined and marked."""
    from advisor.measurements import METRIC_LABELS

    label = METRIC_LABELS[doc.metric]
    points = [c for c in doc.candidates if c.dev_mean is not None and c.latency_ms is not None]
    fig = figure(7.0, 4.5)
    ax = fig.add_subplot()
    front = [
        c
        for c in points
        if not any(
            o is not c
            and o.latency_ms <= c.latency_ms
            and o.dev_mean >= c.dev_mean
            and (o.latency_ms < c.latency_ms or o.dev_mean > c.dev_mean)
            for o in points
        )
    ]
    front.sort(key=lambda c: c.latency_ms)
    size_budget = getattr(profile, "max_model_mb", None)
    for c in points:
        over = size_budget is not None and c.model_mb is not None and c.model_mb > size_budget
        ax.errorbar(
            [c.latency_ms],
            [c.dev_mean],
            yerr=[[c.dev_std or 0.0], [c.dev_std or 0.0]],
            fmt="o",
            capsize=4,
            mfc="none" if over else None,
            label=f"{c.name} ({len(c.trials)} seeds)",
        )
        ax.annotate(c.name, (c.latency_ms, c.dev_mean), xytext=(5, 4), textcoords="offset points", fontsize=8)
    if len(front) > 1:
        ax.plot(
            [c.latency_ms for c in front],
            [c.dev_mean for c in front],
            "--",
            color="grey",
            label="Pareto front",
        )
    for c in front:
        ax.plot([c.latency_ms], [c.dev_mean], marker="*", markersize=12, color="gold", zorder=0)
    if getattr(profile, "latency_ms", None) is not None:
        ax.axvline(
            profile.latency_ms, color="red", linestyle=":", label=f"latency budget {profile.latency_ms:g} ms"
        )
    if size_budget is not None:
        ax.plot([], [], " ", label=f"size budget {size_budget:g} MB (hollow: over it)")
    ax.set_xscale("log")
    ax.set_xlabel("measured p95 latency, one example, one thread (ms)")
    ax.set_ylabel(f"dev {label} (mean ± std)")
    ax.set_title(f"{Path(doc.data).name}: dev {label} vs latency")
    ax.grid(alpha=0.3)
    if points:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)
