"""The policy's thresholds as one settings object.

Every number the picker policy uses lives here, with its default and where it comes from. A user can
override values from a ``[tool.advisor]`` table in their ``pyproject.toml`` (found in the working
directory or its parents) or from ``--policy FILE`` (TOML or JSON; keys at top level or under
``[tool.advisor]``). Any value that differs from the shipped default is reported in every
recommendation as a TEP100 policy-override flag, so a loosened threshold is never silent.
"""

from __future__ import annotations

import math
import operator
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


class PolicyError(ValueError):
    """A policy file or table that cannot be used (the message is one line)."""


def _setting(default: int | float, description: str, **bounds: int | float):
    """A policy field: its default, its description and its bounds (``ge``, ``gt``, ``le``) in the metadata."""
    return field(default=default, metadata={"description": description, **bounds})


# Messages in pydantic's wording, so that errors read the same as the profile's.
_BOUNDS = {
    "ge": (operator.ge, "greater than or equal to"),
    "gt": (operator.gt, "greater than"),
    "le": (operator.le, "less than or equal to"),
}


@dataclass(frozen=True)
class Policy:
    """Thresholds of the built-in picker policy. Sources: ../shared/research/crossover.md unless noted.

    A frozen dataclass (no pydantic: the CLI's JSON path never builds a pydantic model). Each field's
    description and bounds live in its ``metadata``; ``__post_init__`` checks types and bounds and raises
    :class:`PolicyError` with a one-line ``key: problem`` message. Integers given for float fields become
    floats, and integral floats for int fields become ints (as pydantic's lax mode did); booleans, strings
    and non-finite numbers are rejected.
    """

    finetune_min_examples: int = _setting(
        500,
        "TEP101: below this many labeled examples (tagging: sentences) transformer fine-tuning is "
        "refused unless plateau evidence for the data is attached.",
        ge=1,
    )
    finetune_variance_below: int = _setting(
        250,
        "TEP102: below this many examples fine-tuning varies by several points between seeds "
        "(measured std up to 8 at <= 100 examples).",
        ge=1,
    )
    static_embeddings_below: int = _setting(
        10_000,
        "Non-transformer models take frozen static vectors below this many examples, random init above.",
        ge=1,
    )
    ngram_first_max_examples: int = _setting(
        2_500,
        "TEP401: up to this many examples ngram-linear ranks above TextCNN (first where transformers are "
        "excluded): TF-IDF n-grams beat TextCNN, random-init or on the GloVe subset, at every size measured "
        "from 250 to 2,500 (shared/research/crossover.md, edge.md); 0 = TextCNN first at every size.",
        ge=0,
    )
    tagging_bilstm_crf_min: int = _setting(
        1_000,
        "Tagging: from this many sentences BiLSTM-CRF is the default (below: frozen transformer + CRF).",
        ge=1,
    )
    tagging_finetune_above: int = _setting(
        10_000,
        "Tagging: above this many sentences, with GPU compute and a transformer allowed, fine-tune.",
        ge=1,
    )
    cpu_finetune_max_examples: int = _setting(
        50_000, "TEP403: with CPU-only training and more examples than this, prefer frozen features.", ge=1
    )
    max_transformer_tokens: int = _setting(
        512, "TEP501: texts longer than this (p95, words) need truncation for transformers.", ge=1
    )
    imbalance_flag_ratio: float = _setting(
        10.0, "TEP503: class imbalance above this ratio changes the monitoring signal.", gt=1
    )
    tight_budget_fraction: float = _setting(
        0.5,
        "TEP301: a budget is tight when the LSTM's estimate uses more than this share of it (then GRU).",
        gt=0,
        le=1,
    )
    plateau_patience: int = _setting(
        3, "Plateau: epochs after the best that must each fail to beat it by min_delta.", ge=2
    )
    plateau_min_delta: float = _setting(
        0.001, "Plateau: an improvement must exceed this (metric in 0..1).", ge=0, le=0.05
    )
    plateau_max_min_delta: float = _setting(
        0.01,
        "Evidence with a larger min_delta than this is not accepted (it would call a rising curve flat).",
        ge=0,
        le=0.1,
    )

    def __post_init__(self) -> None:
        for name, kind, bounds in _SPECS:
            value = getattr(self, name)
            if (
                type(value) is not kind
                or (kind is float and not math.isfinite(value))
                or not all(test(value, limit) for test, limit, _ in bounds)
            ):
                object.__setattr__(self, name, _check(name, kind, value, bounds))

    def as_dict(self) -> dict[str, int | float]:
        """Field → value in force, in field order (what ``model_dump()`` gave)."""
        return {name: getattr(self, name) for name in FIELDS}

    def overrides(self) -> dict[str, tuple[object, object]]:
        """Field → (shipped default, value in force) for every value that differs from the default."""
        # the field defaults are the shipped values (no Policy() built per call: TEP100 asks on every recommend)
        return {
            name: (default, value)
            for name, default in DEFAULTS.items()
            if (value := getattr(self, name)) != default
        }

    @classmethod
    def describe(cls) -> dict[str, dict[str, object]]:
        """Field → {default, description, bounds}: the documentation of every threshold."""
        return {f.name: {"default": f.default, **f.metadata} for f in fields(cls)}


def _check(name: str, kind: type, value: object, bounds) -> int | float:
    """The value as the field's type (``int`` or ``float``), or PolicyError naming the key and the problem."""
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, float) and math.isfinite(value):
            raise PolicyError(f"{name}: Input should be a valid integer, got a number with a fractional part")
        if not isinstance(value, int) or isinstance(value, bool):
            raise PolicyError(f"{name}: Input should be a valid integer")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"{name}: Input should be a valid number")
        value = float(value)
        if not math.isfinite(value):
            raise PolicyError(f"{name}: Input should be a finite number")
    for test, limit, words in bounds:
        if not test(value, limit):
            raise PolicyError(f"{name}: Input should be {words} {limit}")
    return value


# (name, type, ((test, limit, words), ...)) per field: what __post_init__ checks
_SPECS: tuple[tuple[str, type, tuple], ...] = tuple(
    (
        f.name,
        {"int": int, "float": float}[f.type],
        tuple((test, f.metadata[key], words) for key, (test, words) in _BOUNDS.items() if key in f.metadata),
    )
    for f in fields(Policy)
)
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Policy))
DEFAULTS: dict[str, int | float] = {f.name: f.default for f in fields(Policy)}
DEFAULT_POLICY = Policy()  # the shipped thresholds (frozen: one shared instance)


def _closest(key: str) -> str:
    import difflib

    match = difflib.get_close_matches(key, FIELDS, n=1)
    return f" (did you mean {match[0]}?)" if match else ""


def policy_from_mapping(values: dict, source: str) -> Policy:
    """Build a Policy from a mapping, with one-line errors naming the source and key."""
    if not isinstance(values, dict):
        raise PolicyError(f"{source}: expected a table of policy values, got {type(values).__name__}")
    for key in values:
        if key not in DEFAULTS:
            raise PolicyError(f"{source}: unknown policy key {key!r}{_closest(str(key))}")
    try:
        return Policy(**values)
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None


def load_policy_file(path: str | Path) -> Policy:
    """Read a policy file: TOML (keys at top level or under [tool.advisor]) or JSON."""
    from advisor.data.files import parse_json_or_toml, read_text_file

    path = Path(path)
    data = parse_json_or_toml(read_text_file(path, "policy", PolicyError), path, PolicyError, default="toml")
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
