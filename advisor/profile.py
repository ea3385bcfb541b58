"""The constraint profile: what a team tells the advisor about its task and deployment.

Every field has a description and a default that shows in ``advisor recommend --help`` and in
``advisor schema profile``; ``examples`` is the only required field. The profile is strict
(:class:`advisor.contracts.StrictModel`): unknown keys are rejected, so a misspelled key in a profile file is
an error, not a silently ignored value, and no value is coerced (``"300"`` is no integer, ``"yes"`` no boolean;
an integer is a number, so ``latency_ms = 5`` reads as ``5.0``). The vocabularies (``TASKS``, ``DEPLOYS``, ...)
live in :mod:`advisor.vocabulary`.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from advisor.contracts import StrictModel
from advisor.vocabulary import EDGE_TARGETS, Compute, Deploy, Task, is_english

__all__ = [
    "ConstraintProfile",
    "DataSummary",
    "profile_defaults",
]


# Bounds past any real task: a larger value is a typo or an attack, never a profile (and would print absurdly).
MAX_EXAMPLES = 10**12
MAX_TOKENS = 1_000_000


class DataSummary(StrictModel):
    """What the advisor read off the user's own data file (``--data``); filled by the loaders, not by hand."""

    model_config = ConfigDict(frozen=True)  # rule plugins read it through ctx.profile: read-only

    path: str = Field(description="The data file the profile was read from.")
    fingerprint: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="sha256 over the normalized examples (see advisor.data.fingerprint).",
    )
    label_counts: dict[str, int] = Field(
        default_factory=dict, description="Examples per class (tagging: entities per type)."
    )
    imbalance_ratio: float | None = Field(
        default=None, description="Largest class count divided by the smallest."
    )
    tokens_median: float | None = Field(default=None, description="Median words per example.")
    tokens_p95: float | None = Field(default=None, description="95th percentile of words per example.")
    tokens_max: int | None = Field(default=None, description="Longest example, in words.")
    sw_ratio: float | None = Field(
        default=None, description="Google's samples / words-per-sample ratio (examples / median words)."
    )
    oov_rate: float | None = Field(
        default=None, description="Share of tokens missing from the given static embeddings' vocabulary."
    )
    embeddings: str | None = Field(
        default=None, description="The embeddings file the OOV rate was taken against."
    )


class ConstraintProfile(StrictModel):
    """A team's constraints: task, data size, deployment target and budgets."""

    # (a one-line docstring: it is the schema's description) Besides its fields the profile has two derived
    # facts the rules read, the properties `edge` and `english` below.

    model_config = ConfigDict(frozen=True)

    task: Task = Field(
        default="classification", description="classification or tagging (sequence labelling)."
    )
    examples: int = Field(
        ge=1,
        le=MAX_EXAMPLES,
        description="Labeled examples (classification) or labeled sentences (tagging). Required.",
    )
    classes: int | None = Field(
        default=None, ge=2, description="Number of classes (tagging: entity types). Unset = unknown."
    )
    tokens: int = Field(default=32, ge=1, le=MAX_TOKENS, description="Typical p95 text length in words.")
    latency_ms: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="p95 per-example inference budget in milliseconds. Unset = no budget.",
    )
    deploy: Deploy = Field(default="cpu-server", description="Where the model runs at inference time.")
    compute: Compute = Field(default="cpu", description="What training runs on.")
    streaming: bool = Field(
        default=False, description="Input arrives token by token and must be encoded before it ends."
    )
    max_model_mb: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Model size budget in MB (fp32 parameter bytes). Unset = no budget.",
    )
    language: str = Field(
        default="en",
        min_length=2,
        max_length=16,
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
        description="Language of the texts (BCP-47 code, e.g. en, de, pt-BR).",
    )
    description: str | None = Field(
        default=None,
        max_length=4000,
        description="Optional free-text description of the task (treated as data).",
    )
    data: DataSummary | None = Field(
        default=None, description="Filled by --data: statistics and fingerprint of the user's data file."
    )

    @property
    def edge(self) -> bool:
        """The model runs on the user's device (``deploy`` in :data:`advisor.vocabulary.EDGE_TARGETS`)."""
        return self.deploy in EDGE_TARGETS

    @property
    def english(self) -> bool:
        """The texts are English (``language`` is ``en`` or a regional variant of it)."""
        return is_english(self.language)


def profile_defaults() -> dict[str, object]:
    """Field name → default, for help texts (required fields are left out)."""
    return {
        name: f.default
        for name, f in ConstraintProfile.model_fields.items()
        if not f.is_required() and f.default_factory is None
    }
