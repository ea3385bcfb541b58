"""The Recommendation: the JSON contract that tools, tests and agents depend on (``schema_version`` 1).

Field names here are fixed; fields may be added, never renamed. ``advisor schema recommendation`` prints
the JSON schema, and ``advisor/schemas/recommendation.json`` is its committed copy (a test keeps it fresh).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.profile import ConstraintProfile
from advisor.vocabulary import AlternativeStatus, EffectKind, Embedding, Severity

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recipe(_Model):
    """Five lines: how to train the winner."""

    optimizer: str = Field(description="Optimizer (and its variant).")
    learning_rate: str = Field(description="Learning rate or its schedule.")
    batch_size: str = Field(description="Mini-batch size.")
    epochs: str = Field(description="Epochs and the stopping rule.")
    regularization: str = Field(description="Dropout, weight decay, clipping, norms.")


class Flag(_Model):
    rule: str = Field(description="Rule id, TEP + 3 digits.")
    name: str = Field(description="The rule's slug name.")
    severity: Severity = Field(description="The rule's severity.")
    message: str = Field(description="One line: what to know.")


class Refusal(_Model):
    rule: str = Field(description="Rule id of the refusal.")
    architecture: str = Field(description="The candidate refused.")
    message: str = Field(description="Why, with the numbers.")
    unlock: str | None = Field(default=None, description="The exact command that would lift the refusal.")


class Estimate(_Model):
    size_mb: float = Field(description="Estimated model size, MB at fp32.")
    latency_ms: float = Field(description="Estimated p95 per-example latency on the deploy target, ms.")
    source: str = Field(description="Where the figures come from (measured or extrapolated).")


class Alternative(_Model):
    architecture: str = Field(description="A candidate that did not win.")
    status: AlternativeStatus = Field(description="Why it is not the answer.")
    why_not: str = Field(description="The rule id(s) and reason(s) it lost, was refused or was excluded.")
    points: float = Field(default=0.0, description="Preference points it had (ranked candidates).")
    estimate: Estimate = Field(description="Its size and latency estimate.")


class TraceEntry(_Model):
    rule: str = Field(description="Rule id.")
    plugin: str = Field(description="The plugin that applied it.")
    effect: str = Field(
        description="What it did (exclude X, refuse X, prefer X +N, flag, recipe field, ...)."
    )
    reason: str = Field(description="One line: why.")
    kind: EffectKind = Field(
        description="The kind of effect: the Context method that made it (exclude, refuse, prefer, flag, info, "
        "embedding, recipe, monitoring). `effect` says it in words, including where a call changed nothing."
    )
    architecture: str | None = Field(
        default=None, description="The candidate an exclude, refuse or prefer effect is about; else null."
    )


class EvidenceReport(_Model):
    provided: bool = Field(description="Whether an evidence file was attached.")
    accepted: bool = Field(description="Whether it passed every check.")
    reason: str = Field(description="Why it was (not) accepted: the failed check, if any.")
    path: str | None = Field(default=None, description="The evidence file.")
    metric: str | None = Field(default=None, description="The baseline's dev metric.")
    floor_mean: float | None = Field(default=None, description="Mean best dev score of the runs (the floor).")
    floor_std: float | None = Field(
        default=None, description="Standard deviation of the runs' best dev scores."
    )
    runs: int = Field(default=0, description="Baseline runs recorded.")
    architectures: list[str] = Field(default_factory=list, description="Baseline architectures recorded.")


class Recommendation(_Model):
    """What to build, why, and what was ruled out."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, description="Version of this JSON contract.")
    profile: ConstraintProfile = Field(description="The constraint profile the answer is for.")
    architecture: str = Field(description="The candidate id to build.")
    description: str = Field(description="The architecture in words.")
    embedding: Embedding = Field(description="The embedding input.")
    recipe: Recipe = Field(description="Five-line training recipe.")
    monitoring: str = Field(description="The one monitoring signal.")
    estimate: Estimate = Field(description="Size and latency estimate of the winner.")
    flags: list[Flag] = Field(default_factory=list, description="Things to know, each with its rule.")
    refusals: list[Refusal] = Field(
        default_factory=list, description="Refusals that removed a candidate the exclusions had left in."
    )
    alternatives: list[Alternative] = Field(
        default_factory=list, description="Every other candidate, ranked, with why it lost."
    )
    evidence: EvidenceReport | None = Field(
        default=None, description="Plateau evidence verification, when attached."
    )
    policy: dict[str, float | int | str] = Field(
        default_factory=dict, description="The policy values in force."
    )
    trace: list[TraceEntry] = Field(default_factory=list, description="Every effect of every rule, in order.")
    plugins: list[str] = Field(default_factory=list, description="Plugins that were loaded, in call order.")
    advisor_version: str = Field(description="Version of the advisor that made this answer.")
