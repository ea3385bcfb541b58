"""The policy's thresholds as one settings object.

Every number the picker policy uses lives here, with its default and where it comes from. A user can
override values from a ``[tool.advisor]`` table in their ``pyproject.toml`` (found in the working
directory or its parents) or from ``--policy FILE`` (TOML or JSON; keys at top level or under
``[tool.advisor]``). Any value that differs from the shipped default is reported in every
recommendation as a TEP100 policy-override flag, so a loosened threshold is never silent.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class PolicyError(ValueError):
    """A policy file or table that cannot be used (the message is one line)."""


class Policy(BaseModel):
    """Thresholds of the built-in picker policy. Sources: ../shared/research/crossover.md unless noted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    finetune_min_examples: int = Field(
        default=500,
        ge=1,
        description="TEP101: below this many labeled examples (tagging: sentences) transformer fine-tuning is "
        "refused unless plateau evidence for the data is attached.",
    )
    finetune_variance_below: int = Field(
        default=250,
        ge=1,
        description="TEP102: below this many examples fine-tuning varies by several points between seeds "
        "(measured std up to 8 at <= 100 examples).",
    )
    static_embeddings_below: int = Field(
        default=10_000,
        ge=1,
        description="Non-transformer models take frozen static vectors below this many examples, random init above.",
    )
    tagging_bilstm_crf_min: int = Field(
        default=1_000,
        ge=1,
        description="Tagging: from this many sentences BiLSTM-CRF is the default (below: frozen transformer + CRF).",
    )
    tagging_finetune_above: int = Field(
        default=10_000,
        ge=1,
        description="Tagging: above this many sentences, with GPU compute and a transformer allowed, fine-tune.",
    )
    cpu_finetune_max_examples: int = Field(
        default=50_000,
        ge=1,
        description="TEP403: with CPU-only training and more examples than this, prefer frozen features.",
    )
    max_transformer_tokens: int = Field(
        default=512, ge=1, description="TEP501: texts longer than this (p95, words) need truncation for transformers."
    )
    imbalance_flag_ratio: float = Field(
        default=10.0, gt=1, description="TEP503: class imbalance above this ratio changes the monitoring signal."
    )
    tight_budget_fraction: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="TEP301: a budget is tight when the LSTM's estimate uses more than this share of it (then GRU).",
    )
    plateau_patience: int = Field(
        default=3, ge=2, description="Plateau: epochs after the best that must each fail to beat it by min_delta."
    )
    plateau_min_delta: float = Field(
        default=0.001, ge=0, le=0.05, description="Plateau: an improvement must exceed this (metric in 0..1)."
    )
    plateau_max_min_delta: float = Field(
        default=0.01,
        ge=0,
        le=0.1,
        description="Evidence with a larger min_delta than this is not accepted (it would call a rising curve flat).",
    )

    def overrides(self) -> dict[str, tuple[object, object]]:
        """Field → (shipped default, value in force) for every value that differs from the default."""
        # the field defaults are the shipped values (no Policy() built per call: TEP100 asks on every recommend)
        fields = type(self).model_fields
        return {
            name: (f.default, getattr(self, name)) for name, f in fields.items() if getattr(self, name) != f.default
        }


def _closest(key: str) -> str:
    import difflib

    match = difflib.get_close_matches(key, list(Policy.model_fields), n=1)
    return f" (did you mean {match[0]}?)" if match else ""


def policy_from_mapping(values: dict, source: str) -> Policy:
    """Build a Policy from a mapping, with one-line errors naming the source and key."""
    if not isinstance(values, dict):
        raise PolicyError(f"{source}: expected a table of policy values, got {type(values).__name__}")
    for key in values:
        if key not in Policy.model_fields:
            raise PolicyError(f"{source}: unknown policy key {key!r}{_closest(str(key))}")
    try:
        return Policy(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise PolicyError(f"{source}: {loc}: {err['msg']}") from None


def load_policy_file(path: str | Path) -> Policy:
    """Read a policy file: TOML (keys at top level or under [tool.advisor]) or JSON."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path}: invalid TOML: {exc}") from None
    if isinstance(data, dict) and "tool" in data:
        data = data.get("tool", {}).get("advisor", {})
    return policy_from_mapping(data, str(path))


def find_project_policy(start: str | Path | None = None) -> Policy:
    """The policy in force for a working directory: the nearest pyproject.toml's [tool.advisor], or defaults."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise PolicyError(f"{candidate}: cannot read [tool.advisor]: {exc}") from None
            table = data.get("tool", {}).get("advisor")
            return Policy() if table is None else policy_from_mapping(table, f"{candidate} [tool.advisor]")
    return Policy()
