"""Knowledge distillation (advisor.baselines.distill): a TextCNN student learns a tiny frozen-transformer
teacher's logits on the bundled toy data; the augmentation; the teachers refused; the student reloads."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from advisor.data.toy import write_toy_dataset

    folder = tmp_path_factory.mktemp("toy")
    write_toy_dataset(folder)
    return folder / "train.jsonl", folder / "test.jsonl"


@pytest.fixture(scope="module")
def teacher(toy, tiny_encoder, tmp_path_factory):
    from advisor.baselines import train

    out = tmp_path_factory.mktemp("teacher") / "model"
    train(toy[0], arch="frozen-transformer", test=toy[1], encoder=tiny_encoder, out=out)
    return out


@pytest.fixture(scope="module")
def student(toy, teacher, tmp_path_factory):
    from advisor.baselines import train

    folder = tmp_path_factory.mktemp("student")
    unlabeled = folder / "more.jsonl"
    texts = [json.loads(line)["text"] for line in toy[1].read_text(encoding="utf-8").splitlines()[:5]]
    unlabeled.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    result = train(toy[0], arch="textcnn", test=toy[1], out=folder / "model", epochs=2, teacher=teacher,
                   unlabeled=unlabeled, augment=2)  # fmt: skip
    return result


def test_augmentation_is_seeded_and_does_the_documented_operations():
    from advisor.baselines.distill import Augmentation, augment

    texts = [f"word{i} " * 3 + "the parcel never arrived at my door" for i in range(40)]
    tokens = [t.split() for t in texts]
    vocab = sorted({w for t in tokens for w in t})
    first, ops = augment(tokens, Augmentation(3, seed=1), vocab)
    again, _ = augment(tokens, Augmentation(3, seed=1), vocab)
    other, _ = augment(tokens, Augmentation(3, seed=2), vocab)
    assert first == again and first != other
    assert all(ops[k] > 0 for k in ("masked", "swapped", "ngram")), ops
    assert len(first) <= 3 * len(texts)
    for i, copy in first:
        assert copy != tokens[i] and all(w is None or w in vocab for w in copy)
        assert len(copy) == len(tokens[i]) or 1 <= len(copy) <= 5  # whole, or an n-gram of 1..5 words
    assert any(None in c for _, c in first)  # a masked word: the teacher reads [MASK], the student <unk>
    assert augment(tokens, Augmentation(0), vocab) == ([], {"masked": 0, "swapped": 0, "ngram": 0})


def test_a_textcnn_student_learns_the_teachers_logits(student, teacher, toy):
    d = student.distillation
    assert d["teacher"]["architecture"] == "frozen-transformer" and d["teacher"]["path"] == str(
        teacher.resolve()
    )
    assert d["teacher"]["data_fingerprint"].startswith("sha256:")
    assert set(d["teacher"]["dev"]) == set(d["teacher"]["test"]) == {"accuracy", "macro_f1"}
    rows = d["rows"]
    assert rows["train"] == student.examples["train"] and rows["unlabeled"] == 5
    assert 0 < rows["augmented"] <= 2 * rows["train"]
    assert rows["total"] == rows["train"] + rows["unlabeled"] + rows["augmented"] and rows["cap"] == 100_000
    assert d["augmentation"]["copies"] == 2 and d["augmentation"]["mask_p"] == 0.1
    assert d["augmentation"]["ngram_p"] == 0.25 and d["loss"]["hard_weight"] == 0.0
    assert len(student.dev["curve"]) <= 2
    assert student.manifest.run["distillation"] == d
    assert student.document()["distillation"] == d


@pytest.mark.parametrize("rule", ["held-out-agreement", "held-out-mse"])
def test_a_held_out_rule_picks_the_epoch_by_the_teacher_on_held_out_texts(toy, teacher, tmp_path, rule):
    """The held-out rules score the student against the teacher on the dev texts and their augmented copies:
    held-out-agreement the most teacher classes (ties: the lower MSE), held-out-mse the lowest MSE to the
    teacher's logits; patience counted on it; recorded in run.distillation.selection and printed."""
    from advisor.baselines import train
    from advisor.baselines.distill import HELD_OUT_COPIES
    from advisor.baselines.report import format_train

    result = train(toy[0], arch="textcnn", test=toy[1], out=tmp_path / "s", epochs=4, teacher=teacher,
                   selection=rule)  # fmt: skip
    sel = result.distillation["selection"]
    assert sel["rule"] == rule and sel["patience"] == 3
    held = sel["held_out"]
    assert held["dev_texts"] == result.examples["dev"] and held["copies_per_text"] == HELD_OUT_COPIES
    assert 0 < held["augmented"] <= HELD_OUT_COPIES * held["dev_texts"]
    agree, mse = sel["held_out_agreement_curve"], sel["held_out_mse_curve"]
    assert (
        len(agree) == len(mse) == len(result.dev["curve"]) and sel["best_epoch"] == result.dev["best_epoch"]
    )
    scores = (
        [(a, -m) for a, m in zip(agree, mse, strict=True)]
        if rule == "held-out-agreement"
        else [-m for m in mse]
    )
    assert scores.index(max(scores)) == sel["best_epoch"] - 1
    assert result.dev["best"] == result.dev["curve"][sel["best_epoch"] - 1]  # the dev accuracy there
    assert result.manifest.run["distillation"]["selection"] == sel
    assert "epoch picked by the held-out " in format_train(result.document())


def test_the_selection_rule_is_checked(toy, teacher, tmp_path):
    from advisor.baselines import train
    from advisor.baselines.api import BaselineInputError

    with pytest.raises(
        BaselineInputError,
        match="selection 'held-out' is not one of held-out-mse, held-out-agreement, dev-accuracy",
    ):
        train(toy[0], arch="textcnn", teacher=teacher, selection="held-out", out=tmp_path / "s")
    with pytest.raises(BaselineInputError, match="selection applies with a teacher only"):
        train(toy[0], arch="textcnn", selection="held-out-mse", out=tmp_path / "s")


def test_the_student_reloads_for_evaluate_and_predict(student, toy):
    from advisor.baselines import evaluate, predict

    ev = evaluate(student.model, toy[1])
    assert ev["arch"] == "textcnn" and ev["test"]["accuracy"] == student.test["accuracy"]
    ((text, label),) = predict(student.model, ["my card was charged twice"])
    assert label in {"billing", "technical", "shipping"}


def test_an_ngram_static_linear_student_regresses_the_teachers_logits(toy, teacher, tiny_static, tmp_path):
    """The linear student: its features on the training texts, a ridge head on the teacher's centred logits
    over the transfer set (augmented copies included), C on the real dev labels; it reloads and exports."""
    import numpy as np

    from advisor.baselines import evaluate, export, train
    from advisor.baselines.distill import load_teacher
    from advisor.baselines.ngram import NgramStaticLinearClassifier

    out = tmp_path / "linear"
    result = train(toy[0], arch="ngram-static-linear", test=toy[1], out=out, teacher=teacher,
                   embeddings=tiny_static, augment=2)  # fmt: skip
    d = result.distillation
    assert d["loss"] == {"kind": "mse on centred logits (ridge regression, C on dev)", "hard_weight": 0.0}
    assert 0 < d["rows"]["augmented"] and d["rows"]["total"] == d["rows"]["train"] + d["rows"]["augmented"]
    assert result.manifest.train["head"] == "Ridge on the teacher's centred logits"
    assert result.manifest.run["distillation"] == d
    # the head fits the teacher: its logits on the training texts track the teacher's (centred) logits
    model = NgramStaticLinearClassifier.load(out)
    texts = [json.loads(line)["text"] for line in toy[0].read_text(encoding="utf-8").splitlines()]
    t = load_teacher(teacher, ["billing", "shipping", "technical"], "classification")
    want = t.logits(texts)[:, [t.labels.index(c) for c in model.classes]]
    got = model.head.decision(model._transform(texts))
    assert np.corrcoef(want.ravel(), got.ravel())[0, 1] > 0.8
    assert evaluate(out, toy[1])["test"]["accuracy"] == result.test["accuracy"]
    exported = export(out, out=tmp_path / "linear-onnx", data=toy[1])
    assert exported["export"]["check"]["fp32"]["passed"]


def test_the_cli_prints_student_against_teacher(toy, teacher, tmp_path):
    res = run("baseline", "train", toy[0], "--test", toy[1], "--arch", "textcnn", "--teacher", teacher,
              "--epochs", "1", "--out", tmp_path / "s")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"distilled from frozen-transformer {teacher.resolve()}: 270 training + 0 unlabeled" in res.stdout
    assert "student  teacher" in res.stdout


def _edited(teacher, tmp_path, **fields):
    copy = tmp_path / "edited"
    shutil.copytree(teacher, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest.update(fields)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"labels": ["a", "b", "c"]},
            "its labels (a, b, c) differ from the data's (billing, shipping, technical)",
        ),
        ({"task": "tagging"}, "a frozen-transformer tagger; the teacher must be a"),
        (
            {"architecture": "ngram-linear"},
            "a ngram-linear model; the teacher must be a trained frozen-transformer",
        ),
    ],
)
def test_bad_teachers_are_refused_in_one_line(toy, teacher, tmp_path, fields, message):
    res = run(
        "baseline",
        "train",
        toy[0],
        "--teacher",
        _edited(teacher, tmp_path, **fields),
        "--out",
        tmp_path / "s",
    )
    assert res.exit_code == 2 and message in res.output and res.output.count("\n") == 1, res.output
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--arch", "ngram-linear"],
            "--teacher trains a student: --arch textcnn, bilstm, lstm, gru, rnn, ngram-static-linear, not "
            "ngram-linear",
        ),
        (["--teacher", None, "--arch", "textcnn"], "not a saved model folder (no manifest.json)"),
    ],
)
def test_bad_students_and_folders_are_refused(toy, teacher, tmp_path, args, message):
    args = [tmp_path if a is None else a for a in args]
    if "--teacher" not in args:
        args = ["--teacher", teacher, *args]
    res = run("baseline", "train", toy[0], *args, "--out", tmp_path / "s")
    assert res.exit_code == 2 and message in res.output and res.output.count("\n") == 1, res.output


def test_unlabeled_and_augment_need_a_teacher(toy):
    res = run("baseline", "train", toy[0], "--augment", "2")
    assert (
        res.exit_code == 2 and "--unlabeled and --augment apply with --teacher MODEL_DIR only" in res.output
    )
