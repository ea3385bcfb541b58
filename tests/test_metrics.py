"""advisor.baselines.metrics (hand-computed cases, conlleval chunking, IOB1 == IOB2) and advisor.baselines.plots."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.baselines.metrics import (
    DEFAULT_LENGTH_EDGES,
    accuracy,
    entity_f1,
    entity_prf,
    entity_report,
    entity_spans,
    length_bucket_accuracy,
    length_bucket_entity_f1,
    macro_f1,
    per_class_report,
)
from advisor.data import to_iob2

GOLD = ["a", "a", "b", "b", "c"]
PRED = ["a", "b", "b", "b", "a"]


def test_accuracy():
    assert accuracy(GOLD, PRED) == 3 / 5
    with pytest.raises(ValueError, match="gold and predicted differ in length: 5 vs 4"):
        accuracy(GOLD, PRED[:4])
    with pytest.raises(ValueError, match="accuracy of no examples"):
        accuracy([], [])


def test_per_class_report_and_macro_f1_by_hand():
    # a: tp 1, predicted 2, gold 2; b: tp 2, predicted 3, gold 2; c: tp 0, predicted 0, gold 1
    assert per_class_report(GOLD, PRED) == {
        "a": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        "b": {"precision": 2 / 3, "recall": 1.0, "f1": pytest.approx(0.8), "support": 2},
        "c": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
    }
    assert macro_f1(GOLD, PRED) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert macro_f1(GOLD, PRED, labels=["a", "b"]) == pytest.approx(0.65)
    assert macro_f1(["x"], ["x"]) == 1.0


def test_macro_f1_matches_scikit_learn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(0)
    for _ in range(20):
        gold = [rng.choice("abcd") for _ in range(40)]
        pred = [rng.choice("abce") for _ in range(40)]
        expected = sklearn_metrics.f1_score(gold, pred, average="macro", zero_division=0)
        assert macro_f1(gold, pred) == pytest.approx(expected)


def test_length_bucket_accuracy():
    gold = ["a"] * 6
    pred = ["a", "b", "a", "a", "b", "a"]
    lengths = [3, 10, 11, 45, 200, 0]
    assert DEFAULT_LENGTH_EDGES == (10, 20, 40, 80)
    assert length_bucket_accuracy(gold, pred, lengths) == [
        {"bucket": "1-10", "low": 1, "high": 10, "n": 3, "accuracy": 2 / 3},
        {"bucket": "11-20", "low": 11, "high": 20, "n": 1, "accuracy": 1.0},
        {"bucket": "21-40", "low": 21, "high": 40, "n": 0, "accuracy": None},
        {"bucket": "41-80", "low": 41, "high": 80, "n": 1, "accuracy": 1.0},
        {"bucket": "81+", "low": 81, "high": None, "n": 1, "accuracy": 0.0},
    ]
    assert [b["bucket"] for b in length_bucket_accuracy(gold, pred, lengths, edges=(5,))] == ["1-5", "6+"]
    with pytest.raises(ValueError, match="length edges must be increasing positive integers"):
        length_bucket_accuracy(gold, pred, lengths, edges=(10, 10))
    with pytest.raises(ValueError, match="lengths and gold differ in length: 2 vs 6"):
        length_bucket_accuracy(gold, pred, [1, 2])


def test_length_bucket_entity_f1():
    gold = [["B-PER", "O"], ["O"] * 12, ["B-LOC"] + ["O"] * 11]
    pred = [["B-PER", "O"], ["O"] * 12, ["O"] * 12]
    assert length_bucket_entity_f1(gold, pred, edges=(10,)) == [
        {"bucket": "1-10", "low": 1, "high": 10, "n": 1, "f1": 1.0},
        {"bucket": "11+", "low": 11, "high": None, "n": 2, "f1": 0.0},
    ]
    assert [b["n"] for b in length_bucket_entity_f1(gold, pred, [50, 50, 50])] == [0, 0, 0, 3, 0]


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        ("B-PER I-PER O B-LOC", [("PER", 0, 2), ("LOC", 3, 4)]),
        ("I-PER I-PER O I-LOC", [("PER", 0, 2), ("LOC", 3, 4)]),  # IOB1
        ("I-PER B-PER I-PER", [("PER", 0, 1), ("PER", 1, 3)]),  # IOB1: B- after the same type
        ("B-PER I-LOC I-LOC", [("PER", 0, 1), ("LOC", 1, 3)]),  # type change starts a chunk (conlleval)
        ("O I-ORG", [("ORG", 1, 2)]),
        ("B-PER B-PER", [("PER", 0, 1), ("PER", 1, 2)]),
        ("S-PER B-LOC E-LOC S-LOC", [("PER", 0, 1), ("LOC", 1, 3), ("LOC", 3, 4)]),  # IOBES
        ("PER PER O LOC", [("PER", 0, 2), ("LOC", 3, 4)]),  # bare tags: IO scheme
        ("O O", []),
        ("", []),
    ],
)
def test_entity_spans(tags, spans):
    assert entity_spans(tags.split()) == spans


def test_entity_report_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "I-ORG"]]
    # gold: PER(0,2) LOC(3,4) ORG(0,1); predicted: PER(0,2) ORG(3,4) ORG(0,2); only PER matches exactly
    report = entity_report(gold, pred)
    assert report == {
        "precision": 1 / 3,
        "recall": 1 / 3,
        "f1": pytest.approx(1 / 3),
        "correct": 1,
        "gold_entities": 3,
        "predicted_entities": 3,
        "token_accuracy": 4 / 6,
        "per_type": {
            "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0},
            "ORG": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 2},
            "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1, "predicted": 1},
        },
    }
    assert entity_f1(gold, pred) == pytest.approx(1 / 3)
    assert entity_prf(gold, pred) == (1 / 3, 1 / 3, pytest.approx(1 / 3))
    assert entity_f1([["O"]], [["O"]]) == 0.0  # no entities at all: 0, as conlleval prints
    with pytest.raises(ValueError, match="sentence 1: gold has 2 tags, predicted 1"):
        entity_report(gold, [pred[0], ["O"]])


def test_entity_report_iob1_gold_against_iob2_predictions():
    gold_iob1 = [["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]]
    pred_iob2 = [["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]]
    assert entity_report(gold_iob1, pred_iob2)["f1"] == 1.0


TAGS = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"])


def _reference_iob2_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """Brute reference for valid IOB2: an entity is a B-X followed by the longest run of I-X."""
    spans = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            j = i + 1
            while j < len(tags) and tags[j] == "I-" + tag[2:]:
                j += 1
            spans.append((tag[2:], i, j))
    return spans


@settings(max_examples=200, deadline=None)
@given(st.lists(TAGS, max_size=12))
def test_iob1_reads_like_its_iob2_conversion(tags):
    iob2 = to_iob2(tags)
    assert entity_spans(tags) == entity_spans(iob2) == _reference_iob2_spans(iob2)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TAGS, TAGS), min_size=1, max_size=10))
def test_entity_f1_is_symmetric_and_bounded(pairs):
    gold, pred = [[g for g, _ in pairs]], [[p for _, p in pairs]]
    f1 = entity_f1(gold, pred)
    assert 0.0 <= f1 <= 1.0 and math.isclose(f1, entity_f1(pred, gold))
    if gold == pred and entity_spans(gold[0]):
        assert f1 == 1.0


# --------------------------------------------------------------------------- cross-check with seqeval

# (gold, predicted), one string per sentence. seqeval's default mode reads chunks as conlleval does.
SEQEVAL_CASES = {
    "IOB2 by hand": (
        ["B-PER I-PER O B-LOC", "B-ORG O B-MISC I-MISC"],
        ["B-PER I-PER O B-ORG", "B-ORG I-ORG B-MISC I-MISC"],
    ),
    "IOB1 converted to IOB2": (
        [" ".join(to_iob2("I-PER I-PER O I-LOC B-LOC".split())), " ".join(to_iob2("O I-ORG I-ORG".split()))],
        ["B-PER I-PER O B-LOC B-LOC", "O B-ORG O"],
    ),
    "mixed types in a chunk": (
        ["B-PER I-LOC I-LOC O", "I-ORG B-ORG"],
        ["B-PER I-PER I-LOC O", "B-ORG B-ORG"],
    ),
    "empty predictions": (["B-PER I-PER O B-LOC", "O O"], ["O O O O", "O O"]),
    "no entities predicted or gold": (["O O", "O"], ["O O", "O"]),
    "IOBES": (["S-PER B-LOC E-LOC O", "S-ORG"], ["S-PER B-LOC I-LOC O", "S-ORG"]),
}


def _seqeval(gold, pred):
    metrics = pytest.importorskip("seqeval.metrics")
    kw = {"zero_division": 0}
    return (
        metrics.precision_score(gold, pred, **kw),
        metrics.recall_score(gold, pred, **kw),
        metrics.f1_score(gold, pred, **kw),
    )


@pytest.mark.parametrize("case", list(SEQEVAL_CASES))
def test_entity_f1_equals_seqeval(case):
    gold, pred = ([s.split() for s in side] for side in SEQEVAL_CASES[case])
    assert entity_prf(gold, pred) == pytest.approx(_seqeval(gold, pred), abs=1e-12)


def test_entity_per_type_equals_seqeval():
    metrics = pytest.importorskip("seqeval.metrics")
    gold, pred = ([s.split() for s in side] for side in SEQEVAL_CASES["IOB2 by hand"])
    theirs = metrics.classification_report(gold, pred, output_dict=True, zero_division=0)
    ours = entity_report(gold, pred)["per_type"]
    assert set(ours) == set(theirs) - {"micro avg", "macro avg", "weighted avg"}
    for etype, row in ours.items():
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (
                theirs[etype]["precision"],
                theirs[etype]["recall"],
                theirs[etype]["f1-score"],
                theirs[etype]["support"],
            )
        )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(TAGS, TAGS), min_size=1, max_size=10), min_size=1, max_size=4))
def test_entity_f1_equals_seqeval_on_random_tags(sentences):
    """Random IOB1/IOB2 mixtures, ill-formed ones included (I- after O, type changes inside a chunk)."""
    gold = [[g for g, _ in s] for s in sentences]
    pred = [[p for _, p in s] for s in sentences]
    assert entity_prf(gold, pred) == pytest.approx(_seqeval(gold, pred), abs=1e-12)


# --------------------------------------------------------------------------- plots


@pytest.mark.baselines
def test_plots_write_pngs_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    from advisor.baselines.plots import plot_curves, plot_learning_curve, plot_length_buckets

    buckets = length_bucket_accuracy(["a"] * 4, ["a", "b", "a", "a"], [3, 15, 30, 100])
    out = tmp_path / "plots"
    paths = [
        plot_length_buckets(buckets, out / "length.png"),
        plot_curves(
            {"textcnn seed 0": [0.5, 0.7, 0.72], "bilstm seed 0": [0.4, 0.6]}, out / "curves.png", "dev"
        ),
        plot_learning_curve([(30, 0.5), (100, 0.62), (300, 0.7)], out / "lc.png"),
        plot_learning_curve(
            [{"fraction": 0.1, "examples": 30, "dev": 0.5, "arch": "textcnn"}], out / "lc2.png"
        ),
        plot_curves(
            [{"arch": "textcnn", "seed": 0, "dev_curve": [0.5, 0.7, 0.6], "best_epoch": 2}],
            out / "runs.png",
            "t",
        ),
        plot_length_buckets(
            length_bucket_entity_f1([["B-PER"], ["O"] * 30], [["B-PER"], ["O"] * 30]), out / "ner.png"
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == [
        "curves.png",
        "lc.png",
        "lc2.png",
        "length.png",
        "ner.png",
        "runs.png",
    ]


@pytest.mark.baselines
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_keep_the_users_umask(tmp_path, umask):
    """mkstemp makes 0600 files and mkdtemp 0700 folders; the atomic writers give what open()/mkdir would."""
    import os
    import stat

    pytest.importorskip("matplotlib")
    from advisor.baselines.plots import plot_learning_curve
    from advisor.data.files import replace_dir_atomic, write_json_atomic, write_text_atomic

    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
        write_json_atomic(tmp_path / "b.json", {})
        plot_learning_curve([(30, 0.5), (100, 0.62)], tmp_path / "c.png")
        replace_dir_atomic(tmp_path / "d", lambda d: (d / "f").write_text("x"))
        (tmp_path / "plain.txt").write_text("x")
        (tmp_path / "plain").mkdir()
    finally:
        os.umask(old)

    def mode(name):
        return stat.S_IMODE((tmp_path / name).stat().st_mode)

    assert mode("plain.txt") == 0o666 & ~umask and mode("plain") == 0o777 & ~umask
    assert [mode(n) for n in ("a.txt", "b.json", "c.png")] == [mode("plain.txt")] * 3
    assert mode("d") == mode("plain")
