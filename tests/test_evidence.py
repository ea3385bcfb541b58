"""Plateau verdicts and evidence verification (light: no torch; the files are checked structurally, policy
``evidence_check = "structural"``). Re-evaluation of real checkpoints and the hostile cases are in
tests/adversarial/; the round trip with real training is in tests/test_baseline_cli.py."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from advisor.api import recommend
from advisor.cli import cli
from advisor.data import fingerprint, load_dataset
from advisor.data.from_file import profile_values_from_data
from advisor.evidence import SCHEMA_VERSION, plateau_verdict, verify
from advisor.policy import Policy
from advisor.profile import ConstraintProfile

STRUCTURAL = Policy(evidence_check="structural")


@pytest.mark.parametrize(
    ("curve", "patience", "min_delta", "expected"),
    [
        ([0.5, 0.6, 0.7, 0.7, 0.7, 0.7], 3, 0.0, (True, 3)),
        ([0.5, 0.6, 0.7, 0.7, 0.7], 3, 0.0, (False, 3)),  # only two epochs after the best
        ([0.5, 0.6, 0.7, 0.71, 0.72, 0.73], 3, 0.0, (False, 6)),  # still rising
        ([0.5, 0.6, 0.7, 0.7005, 0.701, 0.7008], 3, 0.001, (True, 3)),  # gains within min_delta are flat
        ([0.8, 0.7, 0.6, 0.5], 3, 0.0, (True, 1)),
        ([0.8], 2, 0.0, (False, 1)),
        ([], 2, 0.0, (False, 0)),
    ],
)
def test_plateau_verdict(curve, patience, min_delta, expected):
    assert plateau_verdict(curve, patience, min_delta) == expected


DATA = (
    "\n".join(
        json.dumps({"text": f"message number {i} about {lab}", "label": lab})
        for i, lab in enumerate(["a", "b", "c"] * 10)
    )
    + "\n"
)


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(DATA, encoding="utf-8")
    return path


def make_evidence(path, data_file, **changes):
    ds = load_dataset(data_file)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": "advisor-plateau-evidence",
        "task": "classification",
        "metric": "accuracy",
        "data": {
            "path": str(data_file),
            "fingerprint": fingerprint(ds),
            "examples": len(ds),
            "label_counts": {"a": 10, "b": 10, "c": 10},
            "split": {
                "seed": 12345,
                "fractions": [0.8, 0.2],
                "sizes": [24, 6],
                "stratified": True,
                "note": "",
            },
        },
        "plateau": {"patience": 3, "min_delta": 0.001, "verdict": "plateaued"},
        "architectures": ["textcnn"],
        "runs": [
            {
                "arch": "textcnn",
                "seed": s,
                "config": {},
                "dev_curve": [0.5, 0.7, 0.8, 0.8, 0.79, 0.8],
                "best_epoch": 3,
                "best_dev": 0.8,
                "plateaued": True,
                "checkpoint": {
                    "path": f"evidence.json.d/textcnn-seed{s}",
                    "files": {"model.pt": f"{s:064x}"},
                },
                "device": "cpu",
            }
            for s in range(2)
        ],
        "floor": {"metric": "accuracy", "mean": 0.8, "std": 0.0, "runs": 2},
        "versions": {},
    }
    for key, value in changes.items():
        target = doc
        *parents, last = key.split(".")
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        target[last] = value
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def check(path, data_file, policy=STRUCTURAL, **profile):
    """verify() for a profile read from ``data_file`` (fields in ``profile`` replaced)."""
    values = {**profile_values_from_data(data_file), **profile}
    return verify(path, ConstraintProfile.model_validate(values), policy)


def test_valid_evidence_is_accepted_with_recomputed_floor(tmp_path, data_file):
    status = check(make_evidence(tmp_path / "e.json", data_file, **{"floor.mean": 0.99}), data_file)
    assert status.accepted, status.reason
    assert status.floor_mean == 0.8  # recomputed from the curves, not read from the file


SCHEMA = "not plateau evidence (advisor schema evidence)"
# fmt: off
STRICT = [
    # (id, changes, the reason: one line naming the key and what is accepted)
    ("version-true", {"schema_version": True}, "schema_version: Input should be 2 (got True)"),
    ("version-float", {"schema_version": 1.0}, "schema_version: Input should be 2 (got 1.0)"),
    ("version-string", {"schema_version": "1"}, "schema_version: Input should be 2 (got '1')"),
    ("task-unknown", {"task": "ner"}, "task: Input should be 'classification' or 'tagging' (got 'ner')"),
    ("examples-string", {"data.examples": "30"}, "data.examples: Input should be a valid integer (got '30')"),
    ("examples-bool", {"data.examples": True}, "data.examples: Input should be a valid integer (got True)"),
    ("examples-float", {"data.examples": 30.0}, "data.examples: Input should be a valid integer (got 30.0)"),
    ("patience-string", {"plateau.patience": "3"}, "plateau.patience: Input should be a valid integer (got '3')"),
    ("min-delta-string", {"plateau.min_delta": "0.001"},
     "plateau.min_delta: Input should be a valid number (got '0.001')"),
    ("plateaued-yes", {"runs.0.plateaued": "yes"}, "runs.0.plateaued: Input should be a valid boolean (got 'yes')"),
    ("curve-out-of-range", {"runs.1.dev_curve": [0.5, 80.0]},
     "runs.1.dev_curve.1: Input should be less than or equal to 1 (got 80.0)"),
    ("curve-string", {"runs.0.dev_curve": ["0.5"]}, "runs.0.dev_curve.0: Input should be a valid number (got '0.5')"),
    ("unknown-key", {"verdict": "plateaued"}, "verdict: unknown key"),
    ("unknown-nested-key", {"data.rows": 30}, "data.rows: unknown key"),
    ("null-section", {"floor": None}, "floor: Input should be a valid dictionary or instance of Floor (got None)"),
    ("unknown-arch", {"runs.0.arch": "bert"},
     "runs.0.arch: Input should be 'textcnn', 'bilstm', 'lstm', 'gru', 'rnn' or 'bilstm-crf' (got 'bert')"),
]
# fmt: on


@pytest.mark.parametrize(("changes", "reason"), [c[1:] for c in STRICT], ids=[c[0] for c in STRICT])
def test_evidence_failing_the_schema_is_refused_with_one_line_naming_the_key(
    tmp_path, data_file, changes, reason
):
    status = check(make_evidence(tmp_path / "e.json", data_file, **changes), data_file)
    assert (status.provided, status.accepted) == (True, False)
    assert status.reason == f"{SCHEMA}: {reason}"


def test_schema_errors_reach_the_cli_as_an_answer(tmp_path, data_file):
    bad = make_evidence(tmp_path / "e.json", data_file, schema_version=True)
    res = CliRunner().invoke(cli, ["recommend", "--data", str(data_file), "--evidence", str(bad), "--json"])
    assert res.exit_code == 0, res.output  # a refused evidence file is an answer, not a crash
    doc = json.loads(res.output)
    assert doc["evidence"]["reason"] == f"{SCHEMA}: schema_version: Input should be 2 (got True)"
    assert doc["refusals"][0]["architecture"] == "transformer-finetune"


@pytest.mark.parametrize(
    ("changes", "kw", "reason"),
    [
        ({"schema_version": 7}, {}, f"{SCHEMA}: schema_version: Input should be 2 (got 7)"),
        (
            {"kind": "something"},
            {},
            f"{SCHEMA}: kind: Input should be 'advisor-plateau-evidence' (got 'something')",
        ),
        ({"task": "tagging"}, {}, "task mismatch"),
        ({}, {"examples": 31}, "example count mismatch"),
        ({"data.fingerprint": "sha256:" + "0" * 64}, {}, "data fingerprint mismatch"),
        ({"plateau.patience": 2}, {}, "plateau patience 2 is not admissible"),
        ({"plateau.min_delta": 0.5}, {}, "plateau min_delta 0.5 is not admissible"),
        ({"plateau.verdict": "not-plateaued"}, {}, "disagrees with the curves"),
        (
            {"runs": []},
            {},
            f"{SCHEMA}: runs: List should have at least 1 item after validation, not 0 (got [])",
        ),
        (
            {
                "architectures": ["bilstm-crf"],
                "runs": [
                    {
                        "arch": "bilstm-crf",  # a tagger: no baseline for classification
                        "seed": 0,
                        "config": {},
                        "dev_curve": [0.5, 0.5, 0.5, 0.5],
                        "best_epoch": 1,
                        "best_dev": 0.5,
                        "plateaued": True,
                        "checkpoint": {"path": "evidence.json.d/x", "files": {}},
                        "device": "cpu",
                    }
                ],
            },
            {},
            "'bilstm-crf' is not a baseline architecture for classification",
        ),
    ],
)
def test_bad_evidence_is_refused_with_the_failed_check(tmp_path, data_file, changes, kw, reason):
    status = check(make_evidence(tmp_path / "e.json", data_file, **changes), data_file, **kw)
    assert not status.accepted
    assert reason in status.reason


def test_hand_edited_verdict_on_rising_curves_is_refused(tmp_path, data_file):
    path = make_evidence(tmp_path / "e.json", data_file)
    doc = json.loads(path.read_text())
    tampered = copy.deepcopy(doc)
    tampered["runs"][1]["dev_curve"] = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85]
    tampered["runs"][1]["plateaued"] = True  # the lie the verifier must not believe
    path.write_text(json.dumps(tampered))
    status = check(path, data_file)
    assert not status.accepted
    assert "run 2 (textcnn, seed 1): the recorded dev curve has not plateaued" in status.reason


def test_unreadable_evidence_is_an_answer_not_a_crash(tmp_path, data_file):
    bad = tmp_path / "e.json"
    bad.write_text("{not json")
    assert "not readable JSON" in check(bad, data_file).reason


def test_recommend_unlocks_finetuning_only_with_accepted_evidence(tmp_path, data_file):
    profile = ConstraintProfile(**profile_values_from_data(data_file))
    refused = recommend(profile)
    assert [r.architecture for r in refused.refusals] == ["transformer-finetune", "transformer-setfit"]
    good = make_evidence(tmp_path / "e.json", data_file)
    allowed = recommend(profile, evidence=good, policy=STRUCTURAL)
    assert allowed.architecture == "transformer-setfit"  # 30 examples < policy setfit_below
    assert allowed.refusals == []
    assert "0.800" in allowed.monitoring  # the floor a fine-tuned model must beat
    assert any(f.rule == "TEP102" for f in allowed.flags)  # 30 examples < 250


def test_cli_evidence_round_trip_and_tampering(tmp_path, data_file):
    runner = CliRunner()
    good = make_evidence(tmp_path / "good.json", data_file)
    policy = tmp_path / "policy.toml"
    policy.write_text('evidence_check = "structural"\n', encoding="utf-8")
    res = runner.invoke(
        cli,
        ["recommend", "--data", str(data_file), "--evidence", str(good), "--policy", str(policy), "--json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["architecture"] == "transformer-setfit" and doc["evidence"]["accepted"]

    other = tmp_path / "other.jsonl"
    other.write_text(DATA.replace("message", "note"), encoding="utf-8")
    res = runner.invoke(
        cli, ["recommend", "--data", str(other), "--evidence", str(good), "--policy", str(policy), "--json"]
    )
    assert res.exit_code == 0, res.output  # a refusal is an answer
    doc = json.loads(res.output)
    assert doc["architecture"] != "transformer-finetune"
    assert "data fingerprint mismatch" in doc["refusals"][0]["message"]
    assert doc["refusals"][0]["unlock"].startswith("advisor baseline plateau ")


def test_cli_evidence_needs_data(tmp_path, data_file):
    good = make_evidence(tmp_path / "good.json", data_file)
    res = CliRunner().invoke(cli, ["recommend", "--examples", "30", "--evidence", str(good)])
    assert res.exit_code == 2
    assert "--evidence needs --data" in res.output


def test_cli_examples_conflicting_with_data_is_a_usage_error(data_file):
    res = CliRunner().invoke(cli, ["recommend", "--data", str(data_file), "--examples", "300"])
    assert res.exit_code == 2
    assert "--examples 300 contradicts --data" in res.output
