"""``advisor baseline train --arch transformer-setfit``: SetFit through the setfit package, behind TEP101's gate.

The tiny randomly initialised BERT of tests/test_finetune.py (2 layers, hidden 32, a bare ``BertModel`` folder without
sentence-transformers configs: setfit takes it, with mean pooling) is passed with ``--encoder``; the shipped
all-MiniLM-L6-v2 trains in ``benchmarks/setfit.py`` only. Evidence is checked structurally where the test is about
training, and re-evaluated for real in the journey (the README's).
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("setfit")

from advisor.recipes import recipe_for  # noqa: E402
from tests.test_evidence import make_evidence  # noqa: E402
from tests.test_finetune import assert_reloads, data, encoder, policy_file, run  # noqa: E402, F401  (fixtures)

ARCH = "transformer-setfit"


def test_refused_without_evidence_under_the_threshold(data, encoder, tmp_path):  # noqa: F811
    out = tmp_path / "sf"
    res = run("baseline", "train", data, "--arch", ARCH, "--encoder", encoder, "--out", out)
    assert res.exit_code == 1, res.output
    (line,) = res.output.splitlines()
    assert line.startswith(f"Error: TEP101 refuses training {ARCH}: 30 labeled examples < 500")
    assert "evidence would unlock transformer-setfit at this size (30 < 1000, policy setfit_below)" in line
    assert f"advisor baseline plateau {data} --out evidence.json" in line
    assert f"--arch {ARCH} --evidence evidence.json" in line
    assert not out.exists()  # refused before any work


def test_evidence_unlocks_training_with_the_recipe_and_the_floor_check(data, encoder, tmp_path):  # noqa: F811
    evidence = make_evidence(tmp_path / "evidence.json", data)
    policy = policy_file(tmp_path, evidence_check="structural")
    out = tmp_path / "sf"
    args = ["baseline", "train", data, "--arch", ARCH, "--encoder", encoder, "--evidence", evidence,
            "--policy", policy, "--out", out]  # fmt: skip
    res = run(*args, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # stdout holds the JSON document only (setfit's log printers are replaced)
    floor = doc["floor"]
    assert floor["source"] == "evidence" and (floor["floor_mean"], floor["floor_std"]) == (0.8, 0.0)
    assert floor["dev_examples"] == 6 and "collapsed" in floor and "beats_floor" in floor
    assert doc["dev"]["curve"] is not None and len(doc["dev"]["curve"]) == 1  # one epoch, scored once
    assert doc["arch"] == ARCH and doc["examples"]["dev"] == 6
    # the recipe row is what trained, and what recommend printed for it
    manifest = json.loads((out / "manifest.json").read_text())
    recipe = recipe_for(ARCH, "classification")
    train = manifest["train"]
    assert manifest["architecture"] == ARCH and manifest["task"] == "classification"
    assert (train["num_iterations"], train["learning_rate"], train["batch_size"], train["epochs"]) == (
        recipe.pair_iterations, recipe.learning_rate, recipe.batch_size, recipe.max_epochs,
    )  # fmt: skip
    assert (train["warmup"], train["weight_decay"], train["head_c"], train["max_iter"]) == (
        recipe.warmup, recipe.weight_decay, recipe.head_c, recipe.max_iter,
    )  # fmt: skip
    assert manifest["run"]["advice"]["recipe"] == recipe.lines("classification")
    assert manifest["info"]["pairs"] == 2 * 20 * doc["examples"]["train"]
    assert not (out / "encoder" / "model_head.pkl").exists()  # no pickle: the head is head.json
    assert (out / "head.json").is_file() and (out / "encoder" / "model.safetensors").is_file()
    assert_reloads(out, data)  # the folder alone
    # --require-floor fails when the floor is not beaten (a random tiny encoder cannot reach 0.8)
    res = run(*args, "--require-floor")
    assert res.exit_code == (0 if floor["passed"] else 1), res.output
    assert "collapse check:" in res.output


def test_the_seed_makes_training_repeatable(data, encoder, tmp_path):  # noqa: F811
    policy = policy_file(tmp_path, finetune_min_examples=10)
    heads = []
    for name in ("a", "b"):
        res = run("baseline", "train", data, "--arch", ARCH, "--encoder", encoder, "--seed", "3",
                  "--policy", policy, "--out", tmp_path / name)  # fmt: skip
        assert res.exit_code == 0, res.output
        heads.append((tmp_path / name / "head.json").read_text())
    assert heads[0] == heads[1]


def test_tagging_is_refused_in_one_line(encoder, tmp_path):  # noqa: F811
    conll = tmp_path / "t.conll"
    conll.write_text("John B-PER\nruns O\n\nMary B-PER\nwalks O\n\nBob B-PER\nsits O\n", encoding="utf-8")
    res = run("baseline", "train", conll, "--arch", ARCH, "--encoder", encoder, "--out", tmp_path / "m")
    assert res.exit_code == 2, res.output
    (line,) = res.output.splitlines()
    assert line == (
        f"Error: --arch {ARCH} classifies whole texts (SetFit has no per-token output): for tagging data use "
        "--arch transformer-finetune or bilstm-crf"
    )


def test_journey_refused_plateau_recommend_with_evidence_then_train(data, encoder, tmp_path):  # noqa: F811
    """The README's journey: recommend (refused) -> plateau -> recommend with evidence names transformer-setfit ->
    baseline train --arch transformer-setfit --evidence with the floor check (the evidence re-evaluated for real)."""
    before = json.loads(run("recommend", "--data", data, "--json").stdout)
    assert before["architecture"] == "frozen-transformer"
    assert [r["architecture"] for r in before["refusals"]] == ["transformer-finetune", ARCH]
    evidence = tmp_path / "evidence.json"
    res = run("baseline", "plateau", data, "--out", evidence, "--arch", "textcnn", "--seeds", "2",
              "--max-epochs", "8")  # fmt: skip
    assert res.exit_code == 0, res.output
    after = json.loads(run("recommend", "--data", data, "--evidence", evidence, "--json").stdout)
    assert after["evidence"]["accepted"], after["evidence"]
    assert after["architecture"] == ARCH and after["refusals"] == []
    assert [f["rule"] for f in after["flags"]] == [
        "TEP102"
    ]  # 30 < 250: SetFit's measured spread, a second seed
    res = run("baseline", "train", data, "--arch", ARCH, "--encoder", encoder, "--evidence", evidence,
              "--out", tmp_path / "sf", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    floor = json.loads(res.stdout)["floor"]
    assert floor["source"] == "evidence" and floor["evidence"] == str(evidence)
    assert floor["threshold"] == round(floor["floor_mean"] + floor["floor_std"], 4)
