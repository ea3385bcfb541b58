"""The policy settings object: a frozen, strict pydantic model with one-line errors."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from advisor.policy import DEFAULTS, FIELDS, Policy, PolicyError, load_policy_file, policy_from_mapping


def test_defaults_fields_and_documentation():
    policy = Policy()
    assert policy.as_dict() == DEFAULTS and tuple(policy.as_dict()) == FIELDS
    assert policy.overrides() == {}
    described = Policy.describe()
    assert tuple(described) == FIELDS
    for name, info in described.items():
        assert info["default"] == DEFAULTS[name] and info["description"], name
        if isinstance(info["default"], str):  # a choice: its values are documented
            assert info["default"] in info["choices"], name
        else:
            assert {"ge", "gt"} & set(info), f"{name} has no lower bound"


def test_frozen_and_hashable():
    policy = Policy(finetune_min_examples=100)
    with pytest.raises(ValidationError, match="Instance is frozen"):
        policy.finetune_min_examples = 3
    assert policy == Policy(finetune_min_examples=100) and hash(policy) == hash(
        Policy(finetune_min_examples=100)
    )


def test_an_integer_is_a_number_but_a_number_is_no_integer():
    policy = Policy(imbalance_flag_ratio=12, finetune_min_examples=200)
    assert policy.imbalance_flag_ratio == 12.0 and type(policy.imbalance_flag_ratio) is float
    assert policy.finetune_min_examples == 200 and type(policy.finetune_min_examples) is int
    assert policy.overrides() == {"imbalance_flag_ratio": (10.0, 12.0), "finetune_min_examples": (500, 200)}
    with pytest.raises(
        PolicyError, match=r"^finetune_min_examples: Input should be a valid integer \(got 200.0\)$"
    ):
        Policy(finetune_min_examples=200.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"finetune_min_examples": 0}, "finetune_min_examples: Input should be greater than or equal to 1 (got 0)"),
        ({"plateau_patience": 1}, "plateau_patience: Input should be greater than or equal to 2 (got 1)"),
        ({"imbalance_flag_ratio": 1}, "imbalance_flag_ratio: Input should be greater than 1 (got 1)"),
        ({"tight_budget_fraction": 0}, "tight_budget_fraction: Input should be greater than 0 (got 0)"),
        ({"tight_budget_fraction": 1.5}, "tight_budget_fraction: Input should be less than or equal to 1 (got 1.5)"),
        ({"plateau_min_delta": 0.06}, "plateau_min_delta: Input should be less than or equal to 0.05 (got 0.06)"),
        ({"finetune_min_examples": 2.5}, "finetune_min_examples: Input should be a valid integer (got 2.5)"),
        ({"finetune_min_examples": 500.0}, "finetune_min_examples: Input should be a valid integer (got 500.0)"),
        ({"finetune_min_examples": "500"}, "finetune_min_examples: Input should be a valid integer (got '500')"),
        ({"finetune_min_examples": True}, "finetune_min_examples: Input should be a valid integer (got True)"),
        ({"finetune_min_examples": None}, "finetune_min_examples: Input should be a valid integer (got None)"),
        ({"imbalance_flag_ratio": "ten"}, "imbalance_flag_ratio: Input should be a valid number (got 'ten')"),
        ({"imbalance_flag_ratio": True}, "imbalance_flag_ratio: Input should be a valid number (got True)"),
        ({"imbalance_flag_ratio": float("inf")}, "imbalance_flag_ratio: Input should be a finite number (got inf)"),
        ({"imbalance_flag_ratio": float("nan")}, "imbalance_flag_ratio: Input should be a finite number (got nan)"),
        ({"plateau_patience": 1, "finetune_min_examples": "x"},
         "finetune_min_examples: Input should be a valid integer (got 'x'); plateau_patience: Input should be "
         "greater than or equal to 2 (got 1)"),
    ],
)  # fmt: skip
def test_bad_values_are_one_line_errors(values, message):
    with pytest.raises(PolicyError) as exc:
        Policy(**values)
    assert str(exc.value) == message
    with pytest.raises(PolicyError) as exc:
        policy_from_mapping(values, "pol.toml")
    assert str(exc.value) == f"pol.toml: {message}"


def test_unknown_keys_and_non_tables():
    with pytest.raises(
        PolicyError,
        match=r"^src: unknown policy key 'static_embedding_below' \(did you mean 'static_embeddings_below'\?\)$",
    ):
        policy_from_mapping({"static_embedding_below": 3}, "src")
    with pytest.raises(PolicyError, match=r"^src: expected a table of policy values, got list$"):
        policy_from_mapping([1], "src")


def test_policy_files(tmp_path):
    (tmp_path / "p.toml").write_text(
        "[tool.advisor]\nfinetune_min_examples = 200\ntight_budget_fraction = 1\n"
    )
    policy = load_policy_file(tmp_path / "p.toml")
    assert policy.overrides() == {"finetune_min_examples": (500, 200), "tight_budget_fraction": (0.5, 1.0)}
    (tmp_path / "p.json").write_text(json.dumps({"plateau_patience": 5}))
    assert load_policy_file(tmp_path / "p.json").plateau_patience == 5
