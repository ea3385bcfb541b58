"""Plateau evidence: the file that lets TEP101 allow fine-tuning under the example threshold.

``advisor baseline plateau DATA --out evidence.json`` writes it, and keeps each run's best checkpoint beside it in
``evidence.json.d/<arch>-seed<seed>/`` (a model folder of ``advisor.baselines.manifest``; the file names it by a
path relative to its own folder, with each file's sha256). The advisor verifies it itself: the user never sets a
flag that says "my baseline plateaued".

The file's shape is the strict pydantic model :class:`PlateauEvidence` (``advisor schema evidence`` prints its
JSON schema; ``advisor/schemas/evidence.json`` is the committed copy): ``schema_version`` 2, the kind, the task,
the dev metric, the data it was made on (path, fingerprint, examples, label counts, columns, split), the plateau
parameters and verdict, every run (dev curve, best epoch and score, checkpoint, device), the floor, the learning
curve (reported only), plots, versions and timings. ``baseline plateau`` validates what it writes through the
same model.

Acceptance (:func:`verify`) never raises on bad content: a file that fails a check is an answer (not accepted,
the failed check as the reason, every string from the file shown as a quoted, escaped JSON string). In order:

1. the data: evidence is never accepted for a profile not read from data (``profile.data``); the data file is
   read again and fingerprinted, and must be the profile's data and the evidence's;
2. the file: JSON matching the schema (version 1 files: "made by an older advisor"; ``true`` or ``1.0`` is no
   version, ``300.0`` no count, an unknown key or architecture is an error naming the key); the task and the
   example count match the profile;
3. the split: the file records the policy's evidence split (``evidence_split_seed``, ``evidence_dev_fraction``);
4. the plateau rule: ``patience >= policy.plateau_patience``, ``min_delta <= policy.plateau_max_min_delta``;
5. every run: of a baseline architecture of the task (:data:`advisor.vocabulary.BASELINE_ARCHS`; any other
   rejects the file), each (architecture, seed) and each checkpoint once, its curve plateaued (recomputed),
   ``best_epoch`` the curve's best epoch and ``best_dev`` the curve there, the checkpoint path relative and inside
   the evidence's folder; the recorded verdicts agree;
6. the checkpoints (policy ``evidence_check`` ``"reevaluate"``, the default): every listed file present with its
   sha256, then each checkpoint reloaded on CPU (its architecture from its own manifest, which must be the run's,
   trained on this data) and scored on the dev split recomputed from the data; it must reproduce the recorded
   best dev score within :func:`score_tolerance` (one dev example). Needs torch: without it the evidence is not
   accepted ("cannot re-evaluate: pip install ..."). ``"structural"`` skips this step (and proves nothing about
   training; TEP100 reports the override);
7. learned: a run counts only if its score beats the dev split's majority-class rate by
   ``policy.min_learned_margin`` (tagging: entity F1 >= ``policy.min_learned_entity_f1``); runs that did not are
   left out of the floor and named; if none learned the evidence is not accepted (:data:`NOT_LEARNED`);
8. ``reproduce`` (``--reproduce``, or ``evidence_check = "reproduce"``): one CPU-trained run of the floor's
   architecture is retrained on CPU with one thread from its seed and configs, and every epoch of its curve must
   match within the same tolerance (a CUDA-trained run cannot be reproduced on CPU: said so, not accepted).

The floor stated in the recommendation is the mean ± std of the best baseline architecture's learned runs (the
re-evaluated scores), never read from the file and never a mean across architectures.
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

SCHEMA_VERSION = 2
KIND = "advisor-plateau-evidence"
Metric = Literal["accuracy", "entity_f1"]
NeuralArch = Literal[NEURAL]
Fraction = Annotated[float, Field(ge=0, le=1)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
OLDER = "made by an older advisor: rerun `advisor baseline plateau`"


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
    text_column: str = Field(default="text", description="The text column read (CSV/TSV).")
    label_column: str = Field(default="label", description="The label column read (CSV/TSV).")
    split: Split = Field(
        description="How train and dev were carved from the data (the policy's evidence split)."
    )


class PlateauSettings(_Part):
    """The early-stopping rule the curves were judged by, and the verdict the writer recorded."""

    patience: int = Field(
        ge=1, description="Epochs after the best that must each fail to beat it by min_delta."
    )
    min_delta: float = Field(ge=0, description="An improvement must exceed this (metric in 0..1).")
    verdict: Literal["plateaued", "not-plateaued"] = Field(description="The writer's verdict over all runs.")
    rule: str | None = Field(default=None, description="The rule in words.")


class Checkpoint(_Part):
    """Where a run's best checkpoint lies: a model folder (``advisor.baselines.manifest``) beside the evidence."""

    path: str = Field(
        description="The folder, relative to the evidence file's folder (`evidence.json.d/textcnn-seed0`)."
    )
    files: dict[str, Sha256] = Field(description="sha256 (hex) of each file of the folder, by name.")


class Run(_Part):
    """One baseline training run (architecture, seed) with its recorded dev curve and best checkpoint."""

    arch: NeuralArch = Field(description="The baseline architecture trained.")
    seed: int = Field(description="Its seed.")
    config: dict[str, Any] = Field(description="Model and training configuration.")
    dev_curve: list[Fraction] = Field(min_length=1, description="Dev metric after each epoch, in 0..1.")
    train_loss: list[float] | None = Field(default=None, description="Training loss per epoch.")
    best_epoch: int = Field(
        ge=1, description="Epoch of the best dev score (1-based): the checkpoint's epoch."
    )
    best_dev: Fraction = Field(description="The dev score at best_epoch: what the checkpoint scores on dev.")
    checkpoint: Checkpoint = Field(description="The best epoch's weights, re-evaluated by the verifier.")
    device: Literal["cpu", "cuda"] = Field(description="What the run trained on.")
    threads: int | None = Field(default=None, ge=1, description="CPU threads torch trained with.")
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


def shown(value: object, limit: int = 80) -> str:
    """A string from the file as quoted, escaped data (:func:`advisor.sanitize.quote`: no line break or control
    character survives), shortened inside its quotes past ``limit`` characters."""
    text = quote(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "..." + text[-1]


RERUN = "rerun `advisor baseline plateau`"
NOT_LEARNED = "the baseline did not beat the majority class: its floor would say nothing"
TRY = (
    "try more epochs (`advisor baseline plateau --max-epochs`), the frozen-transformer baseline "
    "(`advisor baseline train --arch frozen-transformer`), or more data"
)
INSTALL = "cannot re-evaluate: pip install 'text-encoder-advisor[baselines]' (torch)"


def score_tolerance(dev_size: int) -> float:
    """How far a re-evaluated or retrained dev score may lie from the recorded one: one dev example's share
    (``1 / dev_size``; tagging: one sentence's), at least 0.001. CPU and CUDA kernels, or two CPUs, can flip a
    prediction that sits on a tie; anything larger is another model."""
    return max(0.001, 1.0 / max(1, dev_size))


def read_evidence(path: str | Path) -> PlateauEvidence:
    """The evidence file as a validated :class:`PlateauEvidence`.

    :raises ValueError: one line: the file is missing or unreadable, not JSON, made by an older advisor
        (schema version 1), or fails the schema (naming the key).
    """
    p = str(path)
    try:
        from advisor.data.files import read_capped

        with Path(path).open("rb") as fh:  # capped: evidence is kilobytes, /dev/zero is endless
            doc = json.loads(read_capped(fh, p, "evidence", ValueError).decode("utf-8"))
    except FileNotFoundError:
        raise ValueError(f"evidence file {shown(p)} not found") from None
    except (
        OSError,
        RecursionError,
        ValueError,
    ) as exc:  # ValueError: bad UTF-8, bad JSON, a 5,000-digit number
        from advisor.errors import message_line

        raise ValueError(
            f"evidence file {shown(p)} is not readable JSON: {shown(message_line(str(exc)), 300)}"
        ) from None
    if not isinstance(doc, dict):
        raise ValueError("evidence is not a JSON object")
    version = doc.get("schema_version")
    if type(version) is int and version < SCHEMA_VERSION:
        raise ValueError(f"evidence schema version {version}: {OLDER}")
    try:
        return PlateauEvidence.model_validate(doc)
    except ValidationError as exc:
        raise ValueError(validation_line(exc, "not plateau evidence (advisor schema evidence)")) from None


def checkpoint_folder(evidence_path: Path, checkpoint: Checkpoint) -> Path:
    """The checkpoint's folder; ``ValueError`` unless its path is relative and stays inside the evidence file's
    folder (no absolute path, no ``..``, no backslash)."""
    raw = checkpoint.path
    parts = raw.split("/")
    if not raw or raw.startswith("/") or "\\" in raw or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"checkpoint path {shown(raw)} is not a relative path inside the evidence folder")
    return evidence_path.parent.joinpath(*parts)


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_files(folder: Path, checkpoint: Checkpoint) -> None:
    """``ValueError`` unless ``folder`` holds every listed file with its sha256 (and a manifest and weights)."""
    if not folder.is_dir():
        raise ValueError(f"checkpoint {shown(checkpoint.path)} not found")
    for needed in ("manifest.json", "model.pt"):
        if needed not in checkpoint.files:
            raise ValueError(f"checkpoint {shown(checkpoint.path)} lists no {needed}")
    for name, digest in checkpoint.files.items():
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ValueError(f"checkpoint file name {shown(name)} is not a file of the folder")
        path = folder / name
        if not path.is_file():
            raise ValueError(f"checkpoint file {shown(checkpoint.path + '/' + name)} not found")
        if _sha256(path) != digest:
            raise ValueError(f"checkpoint file {shown(checkpoint.path + '/' + name)}: sha256 mismatch")


def majority_rate(task: str, dev_items: list) -> float:
    """The dev split's majority-class rate (classification): the accuracy of always answering the commonest label."""
    from collections import Counter

    if task != "classification" or not dev_items:
        return 0.0
    return max(Counter(x.label for x in dev_items).values()) / len(dev_items)


def verify(
    path: str | Path,
    profile: Any,
    policy: Any,
    *,
    reproduce: bool = False,
) -> EvidenceStatus:
    """Check an evidence file against the profile, its data and the policy. Never raises on bad content: a file
    that fails a check is an answer (not accepted, the failed check as the reason, strings from the file quoted).

    ``profile`` is the :class:`advisor.profile.ConstraintProfile` (evidence needs ``profile.data``: the data file
    is reloaded and fingerprinted again here), ``policy`` the :class:`advisor.policy.Policy` in force (plateau
    parameters, the evidence split, the learned margin, ``evidence_check``). ``reproduce`` (or policy
    ``evidence_check = "reproduce"``) also retrains one run on CPU. See the module docstring for the order.
    """
    p = str(path)
    task = profile.task
    if profile.data is None:
        return _reject(
            p,
            "evidence needs the data: pass the data file it was made on (`--data`; Python: a profile read "
            "from data, advisor.data.from_file.profile_values_from_data)",
        )
    try:
        ev = read_evidence(path)
    except ValueError as exc:
        return _reject(p, str(exc))
    if ev.task != task:
        return _reject(p, f"task mismatch: evidence is for {ev.task!r}, the profile is {task!r}")
    if ev.data.examples != profile.examples:
        return _reject(
            p,
            f"example count mismatch: evidence was made on {ev.data.examples} examples, the profile has {profile.examples}",
        )
    from advisor.data import DataError, dataset_split, fingerprint, load_dataset

    try:
        ds = load_dataset(
            profile.data.path, task, text_column=ev.data.text_column, label_column=ev.data.label_column
        )
    except DataError as exc:
        return _reject(p, f"cannot read the data {shown(profile.data.path)} again: {shown(exc, 300)}")
    actual = fingerprint(ds)
    if actual != profile.data.fingerprint:
        return _reject(
            p,
            f"data fingerprint mismatch: {shown(profile.data.path)} is not the data the profile was read from",
        )
    if ev.data.fingerprint != actual:
        return _reject(p, "data fingerprint mismatch: the evidence was made on other data than --data")
    fractions = [round(1 - policy.evidence_dev_fraction, 10), policy.evidence_dev_fraction]
    split = ev.data.split
    if split.seed != policy.evidence_split_seed or [round(f, 10) for f in split.fractions] != fractions:
        return _reject(
            p,
            f"the file records split seed {split.seed}, fractions {split.fractions}; the policy's evidence split "
            f"is seed {policy.evidence_split_seed}, fractions {fractions} (evidence_split_seed, "
            f"evidence_dev_fraction): {RERUN}",
        )
    patience, min_delta = ev.plateau.patience, ev.plateau.min_delta
    if patience < policy.plateau_patience:
        return _reject(
            p,
            f"plateau patience {patience} is not admissible (policy plateau_patience: at least {policy.plateau_patience})",
        )
    if min_delta > policy.plateau_max_min_delta:
        return _reject(
            p,
            f"plateau min_delta {min_delta} is not admissible (need 0 <= min_delta <= {policy.plateau_max_min_delta})",
        )
    baseline = BASELINE_ARCHS[task]
    seen: set[tuple[str, int]] = set()
    folders: set[str] = set()
    for i, run in enumerate(ev.runs, 1):
        name = f"run {i} ({run.arch}, seed {run.seed})"
        if run.arch not in baseline:
            return _reject(
                p, f"{name}: {run.arch!r} is not a baseline architecture for {task} ({', '.join(baseline)})"
            )
        if (run.arch, run.seed) in seen:
            return _reject(p, f"duplicate run ({run.arch}, seed {run.seed}): each (architecture, seed) once")
        seen.add((run.arch, run.seed))
        weights = run.checkpoint.files.get("model.pt")
        if run.checkpoint.path in folders or (weights is not None and weights in folders):
            return _reject(
                p,
                f"{name}: checkpoint {shown(run.checkpoint.path)} is another run's (same folder or weights)",
            )
        folders.update({run.checkpoint.path} | ({weights} if weights is not None else set()))
        curve = run.dev_curve
        ok, best_epoch = plateau_verdict(curve, patience, min_delta)
        if not ok:
            return _reject(
                p,
                f"{name}: the recorded dev curve has not plateaued "
                f"(best at epoch {best_epoch} of {len(curve)}, need {patience} more epochs without a gain > {min_delta})",
            )
        if run.best_epoch != best_epoch:
            return _reject(
                p, f"{name}: best_epoch {run.best_epoch} is not the curve's best epoch ({best_epoch})"
            )
        if abs(run.best_dev - curve[best_epoch - 1]) > 1e-9:
            return _reject(
                p,
                f"{name}: best_dev {run.best_dev} is not the curve at epoch {best_epoch} ({curve[best_epoch - 1]})",
            )
        if not run.plateaued:
            return _reject(p, f"{name}: recorded as not plateaued, but its curve plateaued")
        try:
            checkpoint_folder(Path(path), run.checkpoint)
        except ValueError as exc:
            return _reject(p, f"{name}: {exc}")
    if set(ev.architectures) != {run.arch for run in ev.runs}:
        return _reject(p, f"architectures {ev.architectures} are not the runs' architectures")
    if ev.plateau.verdict != "plateaued":
        # The recorded verdict disagrees with the curves: do not trust a file that contradicts itself.
        return _reject(
            p, f"recorded verdict {ev.plateau.verdict!r} disagrees with the curves (which plateaued)"
        )
    (train_items, dev_items), _ = dataset_split(
        ds, (1 - policy.evidence_dev_fraction, policy.evidence_dev_fraction), policy.evidence_split_seed
    )
    mode = "reproduce" if reproduce else policy.evidence_check
    scores = [run.best_dev for run in ev.runs]
    how = 'structural check only (policy evidence_check = "structural"): no checkpoint was re-evaluated'
    tol = score_tolerance(len(dev_items))
    if mode != "structural":
        try:
            import torch  # noqa: F401  (only accepted evidence needs it: re-evaluation)

            from advisor.baselines.plateau import reevaluate
        except ImportError:
            return _reject(p, f'{INSTALL}, or set policy evidence_check = "structural"')
        for i, run in enumerate(ev.runs, 1):
            name = f"run {i} ({run.arch}, seed {run.seed})"
            folder = checkpoint_folder(Path(path), run.checkpoint)
            try:
                check_files(folder, run.checkpoint)
                scores[i - 1] = reevaluate(folder, run, dev_items, task, actual)
            except ValueError as exc:
                return _reject(p, f"{name}: {exc}")
            if abs(scores[i - 1] - run.best_dev) > tol:
                return _reject(
                    p,
                    f"{name}: its checkpoint re-evaluated on the dev split scores {ev.metric} {scores[i - 1]:.4f}, "
                    f"the file records {run.best_dev:.4f} (tolerance {tol:.4f}: one dev example)",
                )
        how = f"every checkpoint re-evaluated on the dev split (within {tol:.4f})"
    # A baseline must have learned: beat the majority class (tagging: reach an entity F1).
    if task == "classification":
        majority = majority_rate(task, dev_items)
        need, bar = (
            majority + policy.min_learned_margin,
            (f"the dev majority-class rate {majority:.4f} + min_learned_margin {policy.min_learned_margin}"),
        )
    else:
        need, bar = policy.min_learned_entity_f1, f"min_learned_entity_f1 {policy.min_learned_entity_f1}"
    learned = [i for i, score in enumerate(scores) if score >= need - 1e-9]
    left_out = [
        f"run {i + 1} ({ev.runs[i].arch}, seed {ev.runs[i].seed}) {scores[i]:.4f}"
        for i in range(len(scores))
        if i not in learned
    ]
    if not learned:
        return _reject(p, f"{NOT_LEARNED} (best {ev.metric} {max(scores):.4f} < {bar}); {TRY}")
    # The floor: the best baseline architecture's runs (not a mean across architectures).
    by_arch: dict[str, list[float]] = {}
    for i in learned:
        by_arch.setdefault(ev.runs[i].arch, []).append(scores[i])
    best_arch = max(by_arch, key=lambda a: (statistics.fmean(by_arch[a]), a))
    floor = by_arch[best_arch]
    mean = statistics.fmean(floor)
    std = statistics.stdev(floor) if len(floor) > 1 else 0.0
    notes = [
        f"{len(ev.runs)} baseline run(s) plateaued",
        how,
        f"floor from {best_arch} ({len(floor)} run(s))",
    ]
    if left_out:
        notes.append(f"left out, did not learn (below {bar}): {', '.join(left_out)}")
    if mode == "reproduce":
        from advisor.baselines.plateau import reproduce_run

        # one CPU-trained run, of the floor's architecture when it has one
        cpu = sorted(
            (i for i in learned if ev.runs[i].device == "cpu"), key=lambda i: ev.runs[i].arch != best_arch
        )
        if not cpu:
            i = learned[0]
            return _reject(
                p,
                f"run {i + 1} ({ev.runs[i].arch}, seed {ev.runs[i].seed}) was trained on CUDA: it cannot be "
                "reproduced on CPU (a CUDA curve differs from a CPU one); without --reproduce its checkpoint "
                "is re-evaluated",
            )
        i = cpu[0]
        run = ev.runs[i]
        name = f"run {i + 1} ({run.arch}, seed {run.seed})"
        try:
            reproduce_run(
                checkpoint_folder(Path(path), run.checkpoint),
                run,
                ev.plateau,
                train_items,
                dev_items,
                task,
                tol,
            )
        except ValueError as exc:
            return _reject(p, f"{name} does not reproduce: {exc}")
        notes.append(f"{name} reproduced on CPU (every epoch within {tol:.4f})")
    return EvidenceStatus(
        provided=True,
        accepted=True,
        reason="; ".join(notes),
        path=p,
        metric=ev.metric,
        floor_mean=round(mean, 4),
        floor_std=round(std, 4),
        runs=len(floor),
        architectures=(best_arch,),
    )
