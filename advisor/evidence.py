"""Plateau evidence: the file that lets TEP101 allow fine-tuning under the example threshold.

``advisor baseline plateau DATA --out evidence.json`` writes it; the advisor verifies it itself. The
user never sets a flag that says "my baseline plateaued": the verdict is recomputed here from the
recorded dev curves, and the file is bound to the data by fingerprint.

Schema (version 1; all fields required unless noted)::

    {
      "schema_version": 1,
      "kind": "advisor-plateau-evidence",
      "task": "classification" | "tagging",
      "metric": "accuracy" | "entity_f1",            # the dev metric, a fraction in 0..1
      "data": {"path": str, "fingerprint": "sha256:<hex>", "examples": int,
               "label_counts": {label: int}, "split": {...}},
      "plateau": {"patience": int >= 2, "min_delta": float, "verdict": "plateaued" | "not-plateaued"},
      "architectures": [str, ...],
      "runs": [{"arch": str, "seed": int, "config": {...}, "dev_curve": [float, ...],
                "best_epoch": int (1-based), "best_dev": float, "plateaued": bool, "seconds": float}, ...],
      "floor": {"metric": str, "mean": float, "std": float, "runs": int},
      "learning_curve": [{"fraction": float, "examples": int, "arch": str, "dev": float}, ...],   # reported only
      "learning_curve_note": str,                     # optional
      "plots": {"curves": str, "learning_curve": str},  # optional file names
      "versions": {...}, "created": str, "seconds": float
    }

Acceptance (``verify``) checks, in order, each failure naming itself: the file reads as JSON; the schema
version is known; the kind is right; the task matches the profile; the example count matches the profile;
when the data file is given, its fingerprint matches; the plateau parameters are admissible
(``patience >= 2``, ``min_delta <= policy.plateau_max_min_delta``); every run's curve is a list of numbers
in 0..1; at least one run of a baseline architecture (TextCNN or an RNN for classification, BiLSTM-CRF or
an RNN for tagging); and the verdict recomputed from every recorded curve is "plateaued" for every run.
The floor stated in the recommendation is recomputed from the curves too (mean of each run's best dev
score), never read from the file.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
KNOWN_SCHEMA_VERSIONS = (1,)
KIND = "advisor-plateau-evidence"
BASELINE_ARCHS = {
    "classification": {"textcnn", "bilstm", "lstm", "gru", "rnn"},
    "tagging": {"bilstm-crf", "bilstm", "lstm", "gru", "rnn"},
}


def plateau_verdict(curve: list[float], patience: int, min_delta: float) -> tuple[bool, int]:
    """(plateaued, best_epoch) for a dev-metric curve, higher is better; best_epoch is 1-based.

    Plateaued means: after the best epoch there are at least ``patience`` further epochs, and each fails
    to beat the best by more than ``min_delta``. The best epoch is the first epoch whose score is not beaten
    by more than ``min_delta`` later (so a flat tail of tiny gains counts as flat, as early stopping sees it).
    """
    if patience < 1:
        raise ValueError(f"patience must be >= 1, got {patience}")
    best_i, best = -1, -math.inf
    for i, score in enumerate(curve):
        if score > best + min_delta:
            best_i, best = i, score
    if best_i < 0:
        return False, 0
    return (len(curve) - 1 - best_i) >= patience, best_i + 1


@dataclass(frozen=True)
class EvidenceStatus:
    """What TEP101 sees: was evidence given, was it accepted, and why (not)."""

    provided: bool
    accepted: bool
    reason: str
    path: str | None = None
    metric: str | None = None
    floor_mean: float | None = None
    floor_std: float | None = None
    runs: int = 0
    architectures: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "provided": self.provided,
            "accepted": self.accepted,
            "reason": self.reason,
            "path": self.path,
            "metric": self.metric,
            "floor_mean": self.floor_mean,
            "floor_std": self.floor_std,
            "runs": self.runs,
            "architectures": list(self.architectures),
        }


NO_EVIDENCE = EvidenceStatus(provided=False, accepted=False, reason="no evidence attached")


def _reject(path: str, reason: str) -> EvidenceStatus:
    return EvidenceStatus(provided=True, accepted=False, reason=reason, path=path)


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def verify(
    path: str | Path,
    *,
    task: str,
    examples: int,
    fingerprint: str | None,
    max_min_delta: float,
    min_patience: int = 2,
) -> EvidenceStatus:
    """Check an evidence file against the profile (and the data's fingerprint). Never raises on bad content:
    a file that fails a check is an answer (not accepted, with the failed check as the reason)."""
    p = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _reject(p, f"evidence file {p} not found")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _reject(p, f"evidence file {p} is not readable JSON: {exc}")
    if not isinstance(doc, dict):
        return _reject(p, "evidence is not a JSON object")
    version = doc.get("schema_version")
    if version not in KNOWN_SCHEMA_VERSIONS:
        return _reject(
            p, f"unknown evidence schema_version {version!r} (known: {list(KNOWN_SCHEMA_VERSIONS)})"
        )
    if doc.get("kind") != KIND:
        return _reject(p, f"not a plateau evidence file (kind {doc.get('kind')!r}, expected {KIND!r})")
    if doc.get("task") != task:
        return _reject(p, f"task mismatch: evidence is for {doc.get('task')!r}, the profile is {task!r}")
    data = doc.get("data")
    if not isinstance(data, dict):
        return _reject(p, "evidence has no data section")
    if data.get("examples") != examples:
        return _reject(
            p,
            f"example count mismatch: evidence was made on {data.get('examples')!r} examples, the profile has {examples}",
        )
    if fingerprint is not None and data.get("fingerprint") != fingerprint:
        return _reject(p, "data fingerprint mismatch: the evidence was made on other data than --data")
    plateau = doc.get("plateau")
    if not isinstance(plateau, dict):
        return _reject(p, "evidence has no plateau section")
    patience, min_delta = plateau.get("patience"), plateau.get("min_delta")
    if not isinstance(patience, int) or isinstance(patience, bool) or patience < min_patience:
        return _reject(
            p, f"plateau patience {patience!r} is not admissible (need an integer >= {min_patience})"
        )
    if not _is_number(min_delta) or not 0 <= min_delta <= max_min_delta:
        return _reject(
            p, f"plateau min_delta {min_delta!r} is not admissible (need 0 <= min_delta <= {max_min_delta})"
        )
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        return _reject(p, "evidence records no runs")
    bests: list[float] = []
    archs: list[str] = []
    for i, run in enumerate(runs, 1):
        if not isinstance(run, dict):
            return _reject(p, f"run {i} is not an object")
        curve = run.get("dev_curve")
        if not isinstance(curve, list) or not curve or not all(_is_number(x) and 0 <= x <= 1 for x in curve):
            return _reject(p, f"run {i}: dev_curve must be a non-empty list of numbers in 0..1")
        ok, best_epoch = plateau_verdict(curve, patience, min_delta)
        if not ok:
            return _reject(
                p,
                f"run {i} ({run.get('arch')}, seed {run.get('seed')}): the recorded dev curve has not plateaued "
                f"(best at epoch {best_epoch} of {len(curve)}, need {patience} more epochs without a gain > {min_delta})",
            )
        bests.append(max(curve))
        archs.append(str(run.get("arch")))
    baseline = BASELINE_ARCHS.get(task, set())
    if not baseline.intersection(archs):
        return _reject(
            p,
            f"no run of a baseline architecture ({', '.join(sorted(baseline))}); runs are {sorted(set(archs))}",
        )
    if plateau.get("verdict") != "plateaued":
        # The recorded verdict disagrees with the curves: do not trust a file that contradicts itself.
        return _reject(
            p, f"recorded verdict {plateau.get('verdict')!r} disagrees with the curves (which plateaued)"
        )
    metric = str(doc.get("metric", "accuracy"))
    mean = statistics.fmean(bests)
    std = statistics.stdev(bests) if len(bests) > 1 else 0.0
    return EvidenceStatus(
        provided=True,
        accepted=True,
        reason=f"{len(runs)} baseline run(s) plateaued (recomputed from the recorded curves)",
        path=p,
        metric=metric,
        floor_mean=round(mean, 4),
        floor_std=round(std, 4),
        runs=len(runs),
        architectures=tuple(sorted(set(archs))),
    )
