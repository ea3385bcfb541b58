"""The lesson's BertCNN: ``advisor baseline train --arch frozen-transformer --head cnn``.

Frozen token features of a tiny randomly initialised BERT (conftest's ``tiny_encoder``, passed with ``--encoder``)
and the TextCNN head (widths 2, 3, 4 x 64 filters) trained with the TextCNN recipe row.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.test_evidence import DATA  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(DATA, encoding="utf-8")
    return path


def test_bertcnn_trains_saves_and_reloads(data, tiny_encoder, tmp_path):
    out = tmp_path / "bertcnn"
    res = run("baseline", "train", data, "--arch", "frozen-transformer", "--head", "cnn", "--encoder",
              tiny_encoder, "--epochs", "3", "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["arch"] == "frozen-transformer" and len(doc["dev"]["curve"]) <= 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["head"] == "cnn"
    cnn = manifest["model"]["cnn"]
    assert (cnn["filter_widths"], cnn["num_filters"], cnn["feature_dim"]) == ([2, 3, 4], 64, 32)
    # the TextCNN recipe row (advisor.recipes): Adam 1e-3, batch 50, dropout 0.5, max-norm 3
    train = manifest["train"]
    assert (train["optimizer"], train["lr"], train["batch_size"], train["max_epochs"]) == (
        "adam",
        1e-3,
        50,
        3,
    )
    assert (cnn["dropout"], cnn["max_norm"]) == (0.5, 3.0)
    assert (out / "encoder" / "config.json").is_file()  # a user's encoder travels with the model
    res = run("baseline", "evaluate", out, data, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["examples"] == 30
    res = run("baseline", "predict", out, "message number 3 about b")
    assert res.exit_code == 0 and res.output.split("\t")[0] in {"a", "b", "c"}


def test_the_frozen_features_are_computed_once_per_run(data, tiny_encoder, tmp_path, monkeypatch):
    from advisor.baselines import bertcnn

    calls = []
    real = bertcnn.token_embeddings

    def counting(texts, *args, **kwargs):
        calls.append(len(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(bertcnn, "token_embeddings", counting)
    res = run("baseline", "train", data, "--arch", "frozen-transformer", "--head", "cnn", "--encoder",
              tiny_encoder, "--epochs", "4", "--out", tmp_path / "m", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    split = json.loads(res.stdout)["examples"]
    assert calls == [split["train"], split["dev"], split["test"]]  # not once per epoch


def test_head_and_encoder_options_need_their_arch(data, tiny_encoder, tmp_path):
    res = run("baseline", "train", data, "--arch", "textcnn", "--head", "cnn", "--out", tmp_path / "m")
    assert res.exit_code == 2 and "--head cnn applies to --arch frozen-transformer only" in res.output
    res = run(
        "baseline", "train", data, "--arch", "textcnn", "--encoder", tiny_encoder, "--out", tmp_path / "m"
    )
    assert res.exit_code == 2
    assert (
        "--encoder applies to --arch frozen-transformer, transformer-finetune and transformer-setfit only"
        in res.output
    )
    conll = tmp_path / "t.conll"
    conll.write_text("John B-PER\nruns O\n\nMary B-PER\nwalks O\n\nBob B-PER\nsits O\n", encoding="utf-8")
    res = run("baseline", "train", conll, "--arch", "frozen-transformer", "--head", "cnn", "--encoder",
              tiny_encoder, "--out", tmp_path / "m")  # fmt: skip
    assert res.exit_code == 2 and "--head cnn is a text classifier's head" in res.output


def test_feature_cnn_ignores_padding():
    from advisor.baselines.models import FeatureCNN, FeatureCNNConfig

    torch.manual_seed(0)
    net = FeatureCNN(FeatureCNNConfig(feature_dim=8, num_classes=3)).eval()
    short = torch.randn(1, 3, 8)  # shorter than the widest filter (4)
    alone, _ = net(short, torch.ones(1, 3, dtype=torch.bool))
    padded = torch.cat([short, torch.randn(1, 5, 8)], dim=1)  # garbage at the padded positions
    mask = torch.tensor([[True] * 3 + [False] * 5])
    batched, _ = net(padded, mask)
    assert torch.allclose(alone, batched, atol=1e-6)
