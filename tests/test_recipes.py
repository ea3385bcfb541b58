"""The recipe table (advisor/recipes.py): how its values read as the five recipe lines."""

import dataclasses

import pytest

from advisor.recipes import RECIPES, number, recipe_for, recipe_key
from advisor.vocabulary import CANDIDATES, RECIPE_FIELDS, TASKS, TRAINABLE


@pytest.mark.parametrize(
    ("x", "text"),
    [(1e-3, "1e-3"), (2e-3, "2e-3"), (5e-5, "5e-5"), (2.5e-5, "2.5e-5"), (0.01, "0.01"), (1.0, "1")],
)
def test_step_sizes_read_as_people_write_them(x, text):
    assert number(x) == text


def test_every_candidate_and_trainable_architecture_has_a_row_for_every_task():
    for arch in {*CANDIDATES, *TRAINABLE}:
        for task in TASKS:
            lines = recipe_for(arch, task).lines(task)
            assert list(lines) == list(RECIPE_FIELDS) and all(v.strip() for v in lines.values())


def test_rows_are_shared_where_the_training_is():
    assert {recipe_key(a, "classification") for a in ("bilstm", "lstm", "gru", "rnn")} == {"rnn"}
    assert recipe_key("frozen-transformer", "tagging") == "frozen-transformer-tagging"


def test_the_lines_follow_the_values():
    row = dataclasses.replace(
        RECIPES["textcnn"], learning_rate=2e-4, batch_size=64, max_epochs=12, patience=4
    )
    lines = row.lines("classification")
    assert (lines["learning_rate"], lines["batch_size"]) == ("2e-4", "64")
    assert lines["epochs"] == "up to 12, early stopping on dev accuracy (patience 4)"
    assert row.lines("tagging")["epochs"] == "up to 12, early stopping on dev entity F1 (patience 4)"


def test_an_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be one of adam, adamw, adadelta, sgd, lbfgs"):
        dataclasses.replace(RECIPES["textcnn"], optimizer="rmsprop")
