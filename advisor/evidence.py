"""Plateau evidence: the file that lets TEP101 allow fine-tuning under the example threshold.

``advisor baseline plateau DATA --out evidence.json`` writes it; the advisor verifies it itself. The
user never sets a flag that says "my baseline plateaued": the verdict is recomputed here from the
recorded dev curves, and the file is bound to the data by fingerprint.

The file's shape is the strict pydantic model :class:`PlateauEvidence` (``advisor schema evidence`` prints its
JSON schema; ``advisor/schemas/evidence.json`` is the committed copy): ``schema_version`` 1, the kind, the task,
the dev metric, the data it was made on (path, fingerprint, examples, label counts, split), the plateau
parameters and verdict, every run's recorded dev curve, the floor, the learning curve (reported only), plots,
versions and timings. ``baseline plateau`` validates what it writes through the same model.

Acceptance (:func:`verify`) reads the file and validates it against the model first: a file that is not JSON
or does not match the schema (an unknown version, a wrong kind, ``"300"`` for a count, a curve value outside
0..1, an unknown key) is an answer, not a crash: not accepted, the reason one line naming the key. Then it
checks what a schema cannot say, in order, each failure naming itself: the task and the example count match
the profile; when the data file is given, its fingerprint matches; the plateau parameters are admissible
(``patience >= 2``, ``min_delta <= policy.plateau_max_min_delta``); the verdict recomputed from every recorded
curve is "plateaued" for every run; at least one run is of a baseline architecture
(:data:`advisor.vocabulary.BASELINE_ARCHS`: TextCNN or an RNN for classification, BiLSTM-CRF or an RNN for
tagging); and the recorded verdict agrees. The floor stated in the recommendation is recomputed from the
curves too (mean of each run's best dev score), never read from the file.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from advisor.contracts import StrictModel, exact_literal
from advisor.errors import validation_line
from advisor.sanitize import quote
from advisor.vocabulary import BASELINE_ARCHS, NEURAL, Task

SCHEMA_VERSION = 1
KIND = "advisor-plateau-evidence"
Metric = Literal["accuracy", "entity_f1"]
NeuralArch = Literal[NEURAL]
Fraction = Annotated[float, Field(ge=0, le=1)]


class _Part(StrictModel):
    # built on first validation (evidence given or written), not when the engine imports this module
    model_config = ConfigDict(defer_build=True, allow_inf_nan=False)


class Split(_Part):
    """The stratified train/dev split of the data."""

    seed: int = Field(description="Seed of the split.")
    fractions: list[Fraction] = Field(description="Train and dev shares.")
    sizes: list[int] = Field(description="Examples in train and dev.")
    stratified: bool = Field(description="Whether every class was split in proportion.")
    note: str = Field(description="How the split was made, in words.")


class EvidenceData(_Part):
    """The data the baselines were trained on: evidence is bound to it by fingerprint and example count."""

    path: str | None = Field(default=None, description="The data file, as given to `baseline plateau`.")
    fingerprint: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$", description="sha256 over the normalized examples."
    )
    examples: int = Field(ge=1, description="Examples (tagging: sentences) in the data file.")
    label_counts: dict[str, int] = Field(description="Examples per class (tagging: entities per type).")
    split: Split | None = Field(default=None, description="How train and dev were carved from the data.")


class PlateauSettings(_Part):
    """The early-stopping rule the curves were judged by, and the verdict the writer recorded."""

    patience: int = Field(
        ge=1, description="Epochs after the best that must each fail to beat it by min_delta."
    )
    min_delta: float = Field(ge=0, description="An improvement must exceed this (metric in 0..1).")
    verdict: Literal["plateaued", "not-plateaued"] = Field(description="The writer's verdict over all runs.")
    rule: str | None = Field(default=None, description="The rule in words.")


class Run(_Part):
    """One baseline training run (architecture, seed) with its recorded dev curve."""

    arch: NeuralArch = Field(description="The baseline architecture trained.")
    seed: int = Field(description="Its seed.")
    config: dict[str, Any] = Field(description="Model and training configuration.")
    dev_curve: list[Fraction] = Field(min_length=1, description="Dev metric after each epoch, in 0..1.")
    train_loss: list[float] | None = Field(default=None, description="Training loss per epoch.")
    best_epoch: int = Field(ge=1, description="Epoch of the best dev score (1-based).")
    best_dev: Fraction = Field(description="The best dev score.")
    plateaued: bool = Field(description="The writer's verdict for this run.")
    stopped: str | None = Field(default=None, description="Why training stopped.")
    seconds: float | None = Field(default=None, ge=0, description="Training time.")


class Floor(_Part):
    """The score a fine-tuned model must beat, as the writer computed it (the verifier recomputes it)."""

    metric: Metric = Field(description="The dev metric.")
    mean: Fraction = Field(description="Mean of the runs' best dev scores.")
    std: float = Field(ge=0, description="Their standard deviation.")
    runs: int = Field(ge=1, description="Runs counted.")


class LearningCurvePoint(_Part):
    """Dev score of the first architecture trained on a share of the training data (reported only)."""

    fraction: float = Field(gt=0, le=1, description="Share of the training data.")
    examples: int = Field(ge=1, description="Training examples at that share.")
    arch: NeuralArch = Field(description="The architecture trained.")
    dev: Fraction = Field(description="Its best dev score.")


class Plots(_Part):
    """File names of the plots written beside the evidence."""

    curves: str = Field(description="Dev metric per epoch of every run.")
    learning_curve: str = Field(description="Dev metric against training examples.")


class PlateauEvidence(_Part):
    """Plateau evidence: written by `advisor baseline plateau`; verified by TEP101 (see advisor.evidence)."""

    schema_version: exact_literal(SCHEMA_VERSION) = Field(description="Version of this file format.")
    kind: Literal[KIND] = Field(description="What this file is.")
    task: Task = Field(description="The task of the data.")
    metric: Metric = Field(description="The dev metric, a fraction in 0..1.")
    data: EvidenceData = Field(description="The data the evidence was made on.")
    plateau: PlateauSettings = Field(description="The plateau rule and the recorded verdict.")
    architectures: list[NeuralArch] = Field(description="Architectures trained.")
    runs: list[Run] = Field(min_length=1, description="Every run, with its dev curve.")
    floor: Floor = Field(description="The floor as recorded (recomputed by the verifier).")
    learning_curve: list[LearningCurvePoint] = Field(
        default_factory=list, description="Dev score against training examples (reported only)."
    )
    learning_curve_note: str | None = Field(default=None, description="The learning curve in words.")
    plots: Plots | None = Field(default=None, description="Plot files beside the evidence.")
    versions: dict[str, str] = Field(default_factory=dict, description="Versions of the software used.")
    created: str | None = Field(default=None, description="When the file was written (ISO 8601, UTC).")
    seconds: float | None = Field(default=None, ge=0, description="Wall time of the whole run.")


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


def read_evidence(path: str | Path) -> PlateauEvidence:
    """The evidence file as a validated :class:`PlateauEvidence`.

    :raises ValueError: one line: the file is missing or unreadable, not JSON, or fails the schema (naming the key).
    """
    p = str(path)
    try:
        from advisor.data.files import read_capped

        with Path(path).open("rb") as fh:  # capped: evidence is kilobytes, /dev/zero is endless
            doc = json.loads(read_capped(fh, p, "evidence", ValueError).decode("utf-8"))
    except FileNotFoundError:
        raise ValueError(f"evidence file {quote(p)} not found") from None
    except (
        OSError,
        RecursionError,
        ValueError,
    ) as exc:  # ValueError: bad UTF-8, bad JSON, a 5,000-digit number
        from advisor.errors import message_line

        raise ValueError(f"evidence file {quote(p)} is not readable JSON: {message_line(str(exc))}") from None
    if not isinstance(doc, dict):
        raise ValueError("evidence is not a JSON object")
    try:
        return PlateauEvidence.model_validate(doc)
    except ValidationError as exc:
        raise ValueError(validation_line(exc, "not plateau evidence (advisor schema evidence)")) from None


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
        ev = read_evidence(path)
    except ValueError as exc:
        return _reject(p, str(exc))
    if ev.task != task:
        return _reject(p, f"task mismatch: evidence is for {ev.task!r}, the profile is {task!r}")
    if ev.data.examples != examples:
        return _reject(
            p,
            f"example count mismatch: evidence was made on {ev.data.examples!r} examples, the profile has {examples}",
        )
    if fingerprint is not None and ev.data.fingerprint != fingerprint:
        return _reject(p, "data fingerprint mismatch: the evidence was made on other data than --data")
    patience, min_delta = ev.plateau.patience, ev.plateau.min_delta
    if patience < min_patience:
        return _reject(
            p, f"plateau patience {patience!r} is not admissible (need an integer >= {min_patience})"
        )
    if min_delta > max_min_delta:
        return _reject(
            p, f"plateau min_delta {min_delta!r} is not admissible (need 0 <= min_delta <= {max_min_delta})"
        )
    bests: list[float] = []
    archs: list[str] = []
    for i, run in enumerate(ev.runs, 1):
        curve = run.dev_curve
        ok, best_epoch = plateau_verdict(curve, patience, min_delta)
        if not ok:
            return _reject(
                p,
                f"run {i} ({run.arch}, seed {run.seed}): the recorded dev curve has not plateaued "
                f"(best at epoch {best_epoch} of {len(curve)}, need {patience} more epochs without a gain > {min_delta})",
            )
        bests.append(max(curve))
        archs.append(run.arch)
    baseline = BASELINE_ARCHS.get(task, ())
    if not set(baseline).intersection(archs):
        return _reject(
            p,
            f"no run of a baseline architecture ({', '.join(sorted(baseline))}); runs are {sorted(set(archs))}",
        )
    if ev.plateau.verdict != "plateaued":
        # The recorded verdict disagrees with the curves: do not trust a file that contradicts itself.
        return _reject(
            p, f"recorded verdict {ev.plateau.verdict!r} disagrees with the curves (which plateaued)"
        )
    mean = statistics.fmean(bests)
    std = statistics.stdev(bests) if len(bests) > 1 else 0.0
    return EvidenceStatus(
        provided=True,
        accepted=True,
        reason=f"{len(ev.runs)} baseline run(s) plateaued (recomputed from the recorded curves)",
        path=p,
        metric=ev.metric,
        floor_mean=round(mean, 4),
        floor_std=round(std, 4),
        runs=len(ev.runs),
        architectures=tuple(sorted(set(archs))),
    )
