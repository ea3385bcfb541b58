"""``measurements.json``: what ``advisor compare`` measured on the user's data, and what the rules see of it.

``advisor compare DATA`` (:mod:`advisor.baselines.compare`) trains the admissible candidates on one split of
the data, several seeds each, and writes a :class:`Measurements` document (``advisor schema measurements``),
bound to the data's fingerprint. ``advisor recommend --data DATA --measurements FILE`` reads it back
(:func:`read_measurements`, :func:`measured_status`): a file made on other data is refused
(:class:`MeasurementsError`, exit 2) and the rules get a frozen :class:`MeasuredStatus` as ``ctx.measurements``,
the way plateau evidence reaches them as ``ctx.evidence``.

Measurements are not verified like evidence (no checkpoint is re-evaluated), so the rules let them only take
away: TEP204 may exclude a candidate whose measured size or latency breaks a budget the estimates admitted,
TEP404 may reorder the admissible candidates by their measured dev score; neither admits a candidate the
estimates excluded or lifts a refusal.

Distilled students (``advisor compare --teacher MODEL_DIR``): a candidate that is a distillation student
(``advisor.vocabulary.DISTILL_STUDENTS``) gets a second row, the same architecture trained on the teacher's
logits, its ``distillation`` field recording the teacher (:class:`Distillation`; ``None`` on every plain row, so
a file written before the field existed still reads). Its :attr:`CandidateResult.name` is ``"<arch> (distilled)"``,
the name the table, ``best`` and ``plan.order`` use; the rules see it in :attr:`MeasuredStatus.distilled`, keyed
by the student's architecture (there is no new candidate id), never in ``candidates``.

Timings (``run``, each trial's ``train_seconds``, each candidate's ``latency_ms``) vary from run to run and
between executors; :meth:`Measurements.without_timings` is the rest, which is the same for the same data,
candidates, seeds and versions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import Field, ValidationError

from advisor.contracts import StrictModel, exact_literal
from advisor.errors import AdvisorError, validation_line
from advisor.vocabulary import Executor, Task

SCHEMA_VERSION = 1
KIND = "advisor-measurements"
# The dev metric compare measures with, by name in the test reports (advisor.baselines.report): accuracy,
# macro-F1 (TEP503's monitoring signal, for imbalanced classes), entity F1 (tagging).
Metric = Literal["accuracy", "macro_f1", "f1"]
METRIC_LABELS: dict[str, str] = {"accuracy": "accuracy", "macro_f1": "macro-F1", "f1": "entity F1"}
CandidateStatus = Literal["measured", "dropped", "skipped", "failed"]
TIMINGS = ("train_seconds", "latency_ms", "run")


class MeasurementsError(AdvisorError):
    """A measurements file that cannot be used: unreadable, not the schema, or made on other data (exit 2)."""

    exit_code = 2


class Trial(StrictModel):
    """One (candidate, seed) training run."""

    seed: int
    dev: float = Field(description="dev score of the kept model, in the document's metric")
    test: float | None = Field(description="test score (with --test; reported, never used to pick)")
    best_epoch: int | None = Field(description="the epoch kept (None: no epochs, e.g. a logistic regression)")
    epochs: int | None = Field(description="epochs trained")
    train_seconds: float = Field(description="training time (a timing)")
    model: str = Field(description="the model folder, relative to the measurements file")


DISTILLED = " (distilled)"  # a distilled row's name: its architecture and this


class TeacherRecord(StrictModel):
    """The teacher, as :mod:`advisor.baselines.distill` records it in a student's ``run.distillation``."""

    path: str = Field(description="the teacher's model folder (absolute)")
    architecture: str = Field(description="frozen-transformer or transformer-finetune")
    head: str | None = Field(description="frozen-transformer's head (lr or cnn); None for a fine-tuned one")
    encoder: str | None = Field(description="the encoder its manifest names")
    data_fingerprint: str = Field(description="fingerprint of the data the teacher was trained on")
    dev: dict[str, float] | None = Field(
        default=None, description="the teacher's dev scores on compare's dev split (accuracy, macro_f1)"
    )
    test: dict[str, float] | None = Field(
        default=None, description="the teacher's --test scores (with --test; reported, never used to pick)"
    )


class Distillation(StrictModel):
    """How a distilled row was trained: ``advisor baseline train --arch ARCH --teacher PATH --augment N``."""

    teacher: TeacherRecord | None = Field(
        description="the teacher; None only for --teacher auto when no teacher-capable candidate was measured"
    )
    auto: bool = Field(
        default=False,
        description="--teacher auto: the teacher is compare's best measured teacher-capable candidate's seed-0 "
        "model (models/<arch>-seed0), and the distilled rows trained in a last round",
    )
    augment: int = Field(description="augmented copies per training text (--augment)")
    loss: dict[str, Any] | None = Field(default=None, description="the distillation loss (run.distillation)")
    rows: dict[str, int] | None = Field(
        default=None, description="the seed-0 trial's transfer set: train, unlabeled, augmented, total rows"
    )


class CandidateResult(StrictModel):
    """One candidate (or a candidate's distilled student): its trials, their mean ± std, the kept model's size
    and measured latency."""

    architecture: str
    status: CandidateStatus = Field(
        description="measured: every planned seed ran; dropped: successive halving stopped it after fewer "
        "seeds; skipped: not run (the time budget); failed: training raised"
    )
    reason: str | None = Field(description="why dropped, skipped or failed")
    config: dict[str, Any] = Field(
        description="what it trained with: embedding input and recipe lines, and the static vectors it read "
        "(vectors: the model manifest's run.vectors; absent for a model that reads none)"
    )
    planned_seconds: float = Field(description="the plan's estimate for one seed (advisor.baselines.compare)")
    trials: list[Trial]
    dev_mean: float | None
    dev_std: float | None = Field(description="sample standard deviation over the seeds (None under 2)")
    test_mean: float | None
    test_std: float | None
    model_mb: float | None = Field(description="size of the seed-0 model folder on disk, MB")
    latency_ms: float | None = Field(
        description="p95 single-example latency at the data's p95 length, one thread, measured serially on "
        "the machine that ran compare (a timing)"
    )
    distillation: Distillation | None = Field(
        default=None,
        description="a distilled student's row (compare --teacher): the teacher and the augmentation; None for "
        "a plain candidate",
    )

    @property
    def name(self) -> str:
        """The row's name: the architecture, ``"<arch> (distilled)"`` for a distilled student."""
        return self.architecture + (DISTILLED if self.distillation is not None else "")


class Plan(StrictModel):
    """The trials planned up front from the estimates (never from measured time)."""

    time_budget_min: float | None
    halvings: int = Field(description="successive-halving rounds planned after the first seed")
    planned_seconds: float = Field(description="the plan's estimate of the whole run")
    order: list[str] = Field(
        description="candidates (and distilled students, by row name), cheapest first (the estimates table)"
    )


class RunInfo(StrictModel):
    """How this run went (timings: differ between runs and executors)."""

    executor: Executor
    seconds: float
    latency_runs: int = Field(description="single-example predictions timed per candidate")


class Measurements(StrictModel):
    """``measurements.json`` (``advisor schema measurements``)."""

    version: exact_literal(SCHEMA_VERSION)
    kind: exact_literal(KIND)
    data: str = Field(description="the data file as given")
    data_fingerprint: str = Field(description="advisor.data.fingerprint of the data (the binding)")
    task: Task
    examples: dict[str, int] = Field(description="train, dev (and test) examples")
    split: dict[str, Any] = Field(description="how train and dev were made (advisor.data.dataset_split)")
    metric: Metric
    metric_reason: str
    tokens: int = Field(description="the p95 length (words) latency is measured at")
    deploy: str
    policy_pick: str = Field(description="what the policy picks without measurements")
    best: str | None = Field(
        description="the measured row with the best dev mean, by name (a distilled student: '<arch> (distilled)')"
    )
    seeds: list[int]
    plan: Plan
    candidates: list[CandidateResult]
    versions: dict[str, str | None]
    run: RunInfo

    def candidate(self, name: str) -> CandidateResult | None:
        """The row named ``name``: an architecture (its plain row) or ``"<arch> (distilled)"``."""
        return next((c for c in self.candidates if c.name == name), None)

    def without_timings(self) -> dict[str, Any]:
        """The document less every timing (``run``, ``train_seconds``, ``latency_ms``): the same between runs
        and executors."""
        doc = self.model_dump(mode="json", exclude={"run"})
        for c in doc["candidates"]:
            c.pop("latency_ms")
            for t in c["trials"]:
                t.pop("train_seconds")
        return doc


def read_measurements(path: str | Path) -> Measurements:
    """The file as a validated :class:`Measurements`; :class:`MeasurementsError` (one line) otherwise."""
    from advisor.data.files import read_capped
    from advisor.evidence import shown

    p = str(path)
    try:
        with Path(path).open("rb") as fh:
            doc = json.loads(read_capped(fh, p, "measurements", ValueError).decode("utf-8"))
    except FileNotFoundError:
        raise MeasurementsError(f"measurements file {shown(p)} not found") from None
    except (OSError, RecursionError, ValueError) as exc:
        from advisor.errors import message_line

        raise MeasurementsError(
            f"measurements file {shown(p)} is not readable JSON: {shown(message_line(str(exc)), 300)}"
        ) from None
    try:
        return Measurements.model_validate(doc)
    except ValidationError as exc:
        raise MeasurementsError(
            validation_line(exc, f"{p}: not measurements (advisor schema measurements)")
        ) from None


@dataclass(frozen=True)
class MeasuredCandidate:
    """What a rule sees of one measured candidate."""

    architecture: str
    status: str
    seeds: int
    dev_mean: float | None
    dev_std: float | None
    model_mb: float | None
    latency_ms: float | None
    distilled: bool = False  # a distilled student's row (compare --teacher)
    teacher: str | None = None  # its teacher's folder
    teacher_architecture: str | None = None
    augment: int = 0

    @property
    def measured(self) -> bool:
        """Whether it counts for TEP404: a dev mean over 2+ seeds."""
        return (
            self.dev_mean is not None and self.seeds >= 2 and (self.teacher is not None or not self.distilled)
        )

    @property
    def name(self) -> str:
        return self.architecture + (DISTILLED if self.distilled else "")


@dataclass(frozen=True)
class MeasuredStatus:
    """``ctx.measurements``: the attached measurements (frozen; ``candidates`` a read-only mapping)."""

    provided: bool
    path: str | None = None
    metric: str | None = None
    deploy: str | None = None
    tokens: int | None = None
    dev_examples: int = 0
    candidates: Mapping[str, MeasuredCandidate] = field(default_factory=lambda: MappingProxyType({}))
    # the distilled students (compare --teacher), by the student's architecture
    distilled: Mapping[str, MeasuredCandidate] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS.get(self.metric or "", self.metric or "")

    def noise(self, a: MeasuredCandidate, b: MeasuredCandidate) -> tuple[float, str]:
        """:func:`dev_noise` of two measured rows on this file's dev set."""
        return dev_noise(a.dev_mean, a.dev_std, b.dev_mean, b.dev_std, self.dev_examples)

    def row(self, arch: str) -> MeasuredCandidate | None:
        """The measured row that stands for ``arch`` (TEP404, ``rules/pickers.py`` BEST_DOCS): its distilled
        student when that leads the plain row beyond the noise or the plain row has under 2 seeds, else the
        plain row (a tie goes to the plain one: the cheaper recipe); None when neither has 2+ seeds."""
        plain, distilled = self.candidates.get(arch), self.distilled.get(arch)
        plain = plain if plain is not None and plain.measured else None
        if distilled is None or not distilled.measured:
            return plain
        if plain is None:
            return distilled
        noise, _ = self.noise(distilled, plain)
        return distilled if distilled.dev_mean - plain.dev_mean > noise else plain


NO_MEASUREMENTS = MeasuredStatus(provided=False)


def dev_noise(
    mean_a: float, std_a: float | None, mean_b: float, std_b: float | None, dev_examples: int
) -> tuple[float, str]:
    """``(noise, what it is)``: the lead two measured candidates need (TEP404, ``rules/pickers.py`` BEST_DOCS;
    here, not in the rule, so that TEP602 reads the same rows as TEP404): the largest of the sum of
    their seed stds, the binomial standard error of the difference of two dev scores on ``dev_examples``
    examples, and one example's share. Scores are fractions (0-1)."""
    n = max(1, dev_examples)
    stds = (std_a or 0.0) + (std_b or 0.0)
    p, q = (min(1.0, max(0.0, x)) for x in (mean_a, mean_b))
    sampling = math.sqrt(p * (1 - p) / n + q * (1 - q) / n)
    one = 1.0 / n
    noise = max(stds, sampling, one)
    if noise == stds and stds > sampling:
        return noise, "the sum of both stds"
    if noise == sampling and sampling > one:
        return noise, f"the sampling error of the difference on {n} dev examples"
    return noise, f"one dev example of {n}"


def measured_status(path: str | Path, profile: Any) -> MeasuredStatus:
    """The measurements in ``path`` for ``profile`` (read from data: ``profile.data``), as the rules see them.

    :raises MeasurementsError: the file is unreadable or not the schema, the profile was not read from data,
        or the fingerprint (or task) differs from the data's: measurements of other data say nothing here.
    """
    m = read_measurements(path)
    if profile.data is None:
        raise MeasurementsError(
            "--measurements needs --data: measurements are matched to the data by fingerprint"
        )
    if m.data_fingerprint != profile.data.fingerprint:
        raise MeasurementsError(
            f"{path}: measured on other data (fingerprint {m.data_fingerprint[:12]}... of {m.data!r}; "
            f"--data {profile.data.path!r} has {profile.data.fingerprint[:12]}...): rerun `advisor compare` "
            "on this data"
        )
    if m.task != profile.task:
        raise MeasurementsError(f"{path}: measured for task {m.task!r}, the profile is {profile.task!r}")
    rows = {
        c.name: MeasuredCandidate(
            architecture=c.architecture,
            status=c.status,
            seeds=len(c.trials),
            dev_mean=c.dev_mean,
            dev_std=c.dev_std,
            model_mb=c.model_mb,
            latency_ms=c.latency_ms,
            distilled=c.distillation is not None,
            teacher=c.distillation.teacher.path if c.distillation and c.distillation.teacher else None,
            teacher_architecture=(
                c.distillation.teacher.architecture if c.distillation and c.distillation.teacher else None
            ),
            augment=c.distillation.augment if c.distillation else 0,
        )
        for c in m.candidates
    }
    cands = {r.architecture: r for r in rows.values() if not r.distilled}
    distilled = {r.architecture: r for r in rows.values() if r.distilled}
    return MeasuredStatus(
        provided=True,
        path=str(path),
        metric=m.metric,
        deploy=m.deploy,
        tokens=m.tokens,
        dev_examples=m.examples.get("dev", 0),
        candidates=MappingProxyType(cands),
        distilled=MappingProxyType(distilled),
    )
