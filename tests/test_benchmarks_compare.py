"""benchmarks/compare.py: a cell's row (picks, best by test, regret) and the README table, from fabricated compare
results (its cells themselves are minutes to hours of CPU)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cand(arch, dev, test, seeds=2, status="measured", reason=None):
    trials = [{"seed": s, "dev": dev, "test": test, "train_seconds": 2.0} for s in range(seeds)]
    return {
        "architecture": arch,
        "status": status,
        "reason": reason,
        "trials": trials,
        "dev_mean": dev if seeds else None,
        "dev_std": 0.01 if seeds > 1 else None,
        "test_mean": test if seeds else None,
        "test_std": 0.0 if seeds > 1 else None,
        "latency_ms": 1.0 if seeds else None,
    }


def doc(cands, policy_pick, best):
    return {
        "metric": "accuracy",
        "examples": {"train": 200, "dev": 50, "test": 500},
        "seeds": [0, 1],
        "plan": {"time_budget_min": 2.0, "halvings": 1, "planned_seconds": 30.0},
        "candidates": cands,
        "best": best,
        "policy_pick": policy_pick,
    }


CELL = {"dataset": "trec", "examples": 250, "profile": "phone", "sample_seed": 0}


def test_regret_is_the_best_test_minus_the_compare_picks_test(load_benchmark):
    bench = load_benchmark("compare")
    cands = [
        cand("ngram-linear", 0.80, 0.70),
        cand("textcnn", 0.85, 0.78),
        cand("gru", 0.60, 0.55, seeds=1, status="dropped", reason="dropped by successive halving"),
        cand("frozen-transformer", 0.84, 0.81),
    ]
    walls = {"ngram-linear": 4.0, "textcnn": 20.0, "gru": 9.0, "frozen-transformer": 60.0}
    row = bench.build_row(
        CELL, doc(cands, "frozen-transformer", "textcnn"), walls, "textcnn", "lead beyond noise"
    )
    assert row["compare_pick"] == "textcnn" and row["compare_pick_test"] == 78.0
    assert row["best_by_test"] == "frozen-transformer" and row["best_test"] == 81.0
    assert row["regret"] == 3.0
    assert row["policy_pick_measured"] and row["policy_pick_test"] == 81.0
    assert row["measured_best"] == "textcnn" and row["not_measured"] == []
    by = {c["architecture"]: c for c in row["candidates"]}
    assert by["gru"]["seeds"] == 1 and by["gru"]["dev_std"] is None and by["gru"]["status"] == "dropped"
    assert by["textcnn"]["train_seconds"] == 4.0 and by["textcnn"]["wall_seconds"] == 20.0
    assert by["textcnn"]["dev_mean"] == 85.0 and by["textcnn"]["dev_std"] == 1.0


def test_an_unmeasured_pick_has_no_test_score_and_no_regret(load_benchmark):
    bench = load_benchmark("compare")
    cands = [
        cand("ngram-linear", 0.80, 0.70),
        cand("textcnn", 0.80, 0.70),
        cand("transformer-finetune", None, None, seeds=0, status="skipped", reason="skipped: no room"),
    ]
    walls = {"ngram-linear": 4.0, "textcnn": 20.0}
    row = bench.build_row(
        CELL, doc(cands, "transformer-finetune", "ngram-linear"), walls, "transformer-finetune", None
    )
    assert row["policy_pick_measured"] is False and row["policy_pick_test"] is None
    assert row["compare_pick_test"] is None and row["regret"] is None
    assert row["best_by_test"] == "ngram-linear"  # a tie goes to the first in compare's order
    assert row["not_measured"] == ["transformer-finetune"]
    assert next(c for c in row["candidates"] if c["seeds"] == 0)["wall_seconds"] is None


def test_render_lists_every_planned_cell_and_marks_the_missing_ones_not_run(load_benchmark):
    bench = load_benchmark("compare")
    row = bench.build_row(
        CELL, doc([cand("ngram-linear", 0.8, 0.7)], "ngram-static-linear", "ngram-linear"), {"ngram-linear": 3.0},
        "ngram-static-linear", None,
    )  # fmt: skip
    row["wall_seconds"] = 42.4
    lines = bench.render([row]).splitlines()
    assert len(lines) == 2 + len(bench.plan()) == 14
    assert lines[2] == (
        "| trec | 250 | phone | ngram-static-linear (not measured) | ngram-static-linear (not measured) | "
        "ngram-linear (70.0) | - | 42 |"
    )
    assert lines[3].startswith("| mr | 250 | phone | not run")
    assert len(lines) == 14  # every candidate measured: no notes under the table
    row["left_out"] = {"transformer-setfit": "left out by the benchmark: hours"}
    row["candidates"].append(bench.build_row(CELL, doc([cand("gru", 0.5, 0.4, seeds=1, status="dropped")], "gru",
                                                       "gru"), {"gru": 1.0}, "gru", None)["candidates"][0])  # fmt: skip
    notes = bench.render([row]).splitlines()[15:]
    assert notes == [
        "- trec 250 phone: transformer-setfit left out by the benchmark: hours; gru dropped (1 seed(s))"
    ]
    assert bench.plan()[:3] == [("trec", 250, "phone"), ("mr", 250, "phone"), ("sst2", 250, "phone")]
