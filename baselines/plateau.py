"""The plateau evidence writer: turns the runs of ``advisor baseline plateau`` into the evidence file.

:mod:`advisor.baselines.runner` trains the runs and the learning curve; :func:`evidence_document` assembles the
document TEP101 verifies (its schema is documented in :mod:`advisor.evidence`), and :func:`write_evidence` writes
it atomically next to its two plots and returns the command's summary.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor.data import Dataset, fingerprint
from advisor.data.files import write_json_atomic
from advisor.data.text import label_counts
from advisor.evidence import KIND, SCHEMA_VERSION, PlateauEvidence

RULE = (
    "after the best epoch, at least `patience` further epochs each fail to beat it by more than `min_delta`"
)


def learning_curve_note(points: list[dict], metric: str) -> str:
    """One sentence on the last step of the learning curve (reported only; empty with fewer than 2 points)."""
    if len(points) < 2:
        return ""
    gain = points[-1]["dev"] - points[-2]["dev"]
    return (
        f"from {points[-2]['examples']} to {points[-1]['examples']} examples dev {metric} moved {gain:+.3f}: "
        + ("more data is still helping" if gain > 0.01 else "more data is helping little")
        + " (reported only; the verdict comes from the epoch curves)"
    )


def evidence_document(
    out: str | Path,
    *,
    data: str | Path,
    ds: Dataset,
    split: dict,
    metric: str,
    patience: int,
    min_delta: float,
    archs: list[str],
    runs: list[dict],
    learning_curve: list[dict],
    versions: dict[str, Any],
    started: float,
) -> dict:
    """The evidence document for ``runs`` (each with ``best_dev`` and ``plateaued``) trained on ``ds``.

    The verdict is "plateaued" when every run plateaued; the floor is the mean and spread of the runs' best dev
    scores. ``started`` is the ``time.perf_counter()`` reading when the command began.
    """
    out = Path(out)
    bests = [r["best_dev"] for r in runs]
    verdict = "plateaued" if all(r["plateaued"] for r in runs) else "not-plateaued"
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "task": ds.task,
        "metric": metric,
        "data": {
            "path": str(data),
            "fingerprint": fingerprint(ds),
            "examples": len(ds),
            "label_counts": label_counts(ds),
            "split": split,
        },
        "plateau": {"patience": patience, "min_delta": min_delta, "verdict": verdict, "rule": RULE},
        "architectures": archs,
        "runs": runs,
        "floor": {
            "metric": metric,
            "mean": round(statistics.fmean(bests), 4),
            "std": round(statistics.stdev(bests), 4) if len(bests) > 1 else 0.0,
            "runs": len(runs),
        },
        "learning_curve": learning_curve,
        "learning_curve_note": learning_curve_note(learning_curve, metric),
        "plots": {
            "curves": out.with_suffix(".curves.png").name,
            "learning_curve": out.with_suffix(".learning.png").name,
        },
        "versions": versions,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }


def write_evidence(out: str | Path, doc: dict) -> dict:
    """Validate ``doc`` against ``advisor.evidence.PlateauEvidence``, write the plots named in ``doc["plots"]``
    beside ``out``, then ``doc`` to ``out`` (atomically).

    Returns the command's summary: the evidence path, verdict, floor, learning curve and plot paths.
    """
    from advisor.baselines.plots import plot_curves, plot_learning_curve

    # the writer holds itself to the schema the verifier reads (as JSON: what the file will hold)
    PlateauEvidence.model_validate(json.loads(json.dumps(doc)))
    out = Path(out)
    plots = doc["plots"]
    verdict = doc["plateau"]["verdict"]
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_curves(doc["runs"], out.parent / plots["curves"], f"dev {doc['metric']} per epoch ({verdict})")
    plot_learning_curve(doc["learning_curve"], out.parent / plots["learning_curve"])
    write_json_atomic(out, doc)
    return {
        "evidence": str(out),
        "verdict": verdict,
        "floor": doc["floor"],
        "runs": len(doc["runs"]),
        "examples": doc["data"]["examples"],
        "fingerprint": doc["data"]["fingerprint"],
        "learning_curve": doc["learning_curve"],
        "learning_curve_note": doc["learning_curve_note"],
        "plots": {k: str(out.parent / v) for k, v in plots.items()},
        "seconds": doc["seconds"],
    }
