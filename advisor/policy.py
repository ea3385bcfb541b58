"""The policy's thresholds as one settings object.

Every number the picker policy uses lives here, with its default and where it comes from. A user can
override values from a ``[tool.advisor]`` table in their ``pyproject.toml`` (found in the working
directory or its parents) or from ``--policy FILE`` (TOML or JSON; keys at top level or under
``[tool.advisor]``). Any value that differs from the shipped default is reported in every
recommendation as a TEP100 policy-override flag, so a loosened threshold is never silent.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field, ValidationError

from advisor.contracts import StrictModel
from advisor.errors import did_you_mean, validation_line


class PolicyError(ValueError):
    """A policy file or table that cannot be used (the message is one line)."""


def _setting(default: int | float | str, description: str, **bounds: int | float) -> Any:
    """A policy field: its default, its description and its bounds (``ge``, ``gt``, ``le``)."""
    return Field(default, description=description, **bounds)


class Policy(StrictModel):
    """Thresholds of the built-in picker policy. Sources: ../shared/research/crossover.md unless noted.

    A frozen, strict pydantic model (:class:`advisor.contracts.StrictModel`): each field's description and
    bounds are its ``Field``; an integer is accepted for a float field (``10`` reads as ``10.0``), but nothing
    else is coerced (``"500"``, ``true`` and ``500.0`` are no integer; infinities and NaN are rejected).
    Invalid values raise :class:`PolicyError` with a one-line ``key: problem (got value)`` message.
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

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
    setfit_below: int = _setting(
        1000,
        "TEP401: where fine-tuning is allowed (accepted plateau evidence, or at and above finetune_min_examples), "
        "below this many examples the picker chooses transformer-setfit (contrastive few-shot fine-tuning), at and "
        "above it transformer-finetune. Measured on this CPU (benchmarks/results/setfit.jsonl, seed 0, seeds 0-1 at TREC and SST-2 500; the README's "
        "SetFit table) against crossover.md's fine-tuned MiniLM, SetFit's mean lead over TREC, MR and SST-2 was 6.1 "
        "points at 50, 8.6 at 100, 3.2 at 250 and 1.2 at 500 (TREC 93.2, MR 76.5, SST-2 82.4 vs 93.5, 73.0, 81.9: "
        "ahead on MR and SST-2, 0.3 behind on TREC within fine-tuning's std of 1.2). shared/research/setfit.md "
        "agrees at 100 and 250. SetFit had not stopped leading at 500, so the switch point is the next size "
        "crossover.md measured, 1,000, where plain fine-tuning is stable (std at most 2.6); the lead shrank about 2 "
        "points per doubling, which puts the crossing near 800. SetFit at 1,000 is not measured (40,000 pairs, "
        "about twice its 500 runs' 919-1,721 CPU s a run here): a row there may move this value up.",
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
    static_linear_first_max_examples: int = _setting(
        1_000,
        "TEP401: up to this many examples ngram-static-linear (TF-IDF n-grams + the mean model2vec vector) ranks "
        "first where transformers are excluded, TextCNN (over the distilled vectors) second and ngram-linear "
        "third: the order measured at 250 and 1,000 examples, the largest size measured "
        "(shared/research/edge.md); above it the n-gram order of ngram_first_max_examples holds; 0 = never first.",
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

    evidence_split_seed: int = _setting(
        12345,
        "TEP101: plateau evidence is judged on the dev split this seed makes of the data (stratified); "
        "`baseline plateau` trains on it and a file recording another split is not accepted.",
        ge=0,
    )
    evidence_dev_fraction: float = _setting(
        0.2, "TEP101: the share of the data in that dev split (the rest trains).", gt=0, lt=1
    )
    min_learned_margin: float = _setting(
        0.05,
        "TEP101: a classification baseline counts only if its best dev accuracy beats the dev split's "
        "majority-class rate by at least this. Measured (benchmarks/results/learned_margin.md: TextCNN, TREC, "
        "MR, SST-2 at 250 and 500 examples, 3 seeds): 5 of 18 honest runs fall below 0.05 (SST-2 +0.02, "
        "MR +0.02) and are left out of the floor; no (dataset, size) had no run above it; 0.10 would refuse "
        "SST-2 at 500 outright.",
        ge=0,
        le=1,
    )
    min_learned_entity_f1: float = _setting(
        0.1,
        "TEP101: a tagging baseline counts only if its best dev entity F1 reaches this. Measured "
        "(benchmarks/results/learned_margin.md, BiLSTM-CRF on CoNLL-2003, 2 seeds): at 250 sentences every "
        "seed stayed at 0.000 from epoch 1 (refused: learned nothing), at 500 they reached 0.59-0.60; any "
        "value from 0.05 to 0.2 draws the same line.",
        ge=0,
        le=1,
    )
    collapse_margin: float = _setting(
        0.2,
        "Floor check of `baseline train --arch transformer-finetune|transformer-setfit`: the model collapsed when the share of its "
        "most-predicted class on dev exceeds that class's true share by more than this. A model stuck on one "
        "class exceeds it by 1 - that class's share: 0.5 on balanced binary data, 0.67 on 3 balanced classes, "
        "0.33 on 2:1 binary; 0.2 catches all of these while leaving a dev set of 100 room for an honest model's "
        "skew. Collapse onto a class of more than 0.8 is left to the floor itself (it then cannot beat the "
        "majority rate). Measured (benchmarks/results/finetune.jsonl: MiniLM fine-tuned on 500 examples of "
        "TREC, MR and SST-2, dev sets of 100): healthy models exceeded their top class's share by 0.01 to 0.14 "
        "(MR, seed 1), so 0.2 keeps 0.06 of headroom above the largest honest skew seen. Tagging counts "
        "tokens, and a tagger also collapsed when it tags fewer tokens as entities (not O) than (1 - this) "
        "times their true share: stuck on O (about 83% of CoNLL-2003's tokens) it exceeds O's share by less "
        "than 0.2.",
        gt=0,
        le=1,
    )
    evidence_check: Literal["reevaluate", "reproduce", "structural"] = _setting(
        "reevaluate",
        "TEP101: how evidence is checked: reevaluate (reload every checkpoint and score it on the dev "
        "split, needs torch), reproduce (also retrain one run on CPU and compare its curve), structural "
        "(the file alone: no proof that a baseline was trained; reported by TEP100).",
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise PolicyError(validation_line(exc)) from None

    def as_dict(self) -> dict[str, int | float | str]:
        """Field → value in force, in field order."""
        return {name: getattr(self, name) for name in FIELDS}

    def overrides(self) -> dict[str, tuple[object, object]]:
        """Field → (shipped default, value in force) for every value that differs from the default."""
        return {
            name: (default, value)
            for name, default in DEFAULTS.items()
            if (value := getattr(self, name)) != default
        }

    @classmethod
    def describe(cls) -> dict[str, dict[str, object]]:
        """Field → {default, description, bounds (or the choices of a choice)}: the documentation of every
        threshold."""
        out: dict[str, dict[str, object]] = {}
        for name, f in cls.model_fields.items():
            bounds = {
                key: getattr(m, key)
                for m in f.metadata
                for key in ("ge", "gt", "le", "lt")
                if hasattr(m, key)
            }
            if isinstance(f.default, str):
                bounds["choices"] = list(get_args(f.annotation))
            out[name] = {"default": f.default, "description": f.description, **bounds}
        return out


FIELDS: tuple[str, ...] = tuple(Policy.model_fields)
DEFAULTS: dict[str, int | float | str] = {name: f.default for name, f in Policy.model_fields.items()}
DEFAULT_POLICY = Policy()  # the shipped thresholds (frozen: one shared instance)


def policy_from_mapping(values: dict, source: str) -> Policy:
    """Build a Policy from a mapping, with one-line errors naming the source and key."""
    if not isinstance(values, dict):
        raise PolicyError(f"{source}: expected a table of policy values, got {type(values).__name__}")
    for key in values:
        if key not in DEFAULTS:
            raise PolicyError(f"{source}: unknown policy key {key!r}{did_you_mean(str(key), FIELDS)}")
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
        data = _advisor_table(data, path)
    return policy_from_mapping({} if data is None else data, str(path))


def _advisor_table(data: dict, source: str | Path) -> object:
    """``data["tool"]["advisor"]`` (None when absent); ``PolicyError`` when ``tool`` is no table."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise PolicyError(f"{source}: 'tool' must be a table ([tool.advisor]), got {type(tool).__name__}")
    return tool.get("advisor")


def find_project_policy(start: str | Path | None = None) -> Policy:
    """The policy in force for a working directory: the nearest pyproject.toml's [tool.advisor], or defaults."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            from advisor.data.files import parse_limits, read_text_file

            text = read_text_file(candidate, "pyproject", PolicyError)
            try:
                with parse_limits(candidate, PolicyError, "TOML"):
                    data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise PolicyError(f"{candidate}: cannot read [tool.advisor]: {exc}") from None
            table = _advisor_table(data, candidate)
            return (
                DEFAULT_POLICY if table is None else policy_from_mapping(table, f"{candidate} [tool.advisor]")
            )
    return DEFAULT_POLICY
