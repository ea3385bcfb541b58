"""advisor.data.toy: deterministic, balanced, disjoint, learnable but not trivial; the toy CoNLL reads back."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import pytest

from advisor.data import fingerprint, load_dataset, summarize, tokenize
from advisor.data.toy import LABELS, main, toy_tagging_sentences, write_toy_conll, write_toy_dataset

# Changing the generator changes this on purpose: demo evidence files are bound to the toy data's fingerprint.
TOY_TRAIN_FINGERPRINT = "sha256:2a67fcf21ffaf1de40914aabb238ac84408dfe1c0c9b666954fe4287bfb35a50"


def test_import_stays_light():
    code = "import sys, advisor.data.toy; bad = {'numpy', 'torch'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    train_path, test_path = write_toy_dataset(tmp_path_factory.mktemp("toy"))
    return load_dataset(train_path), load_dataset(test_path)


def test_toy_dataset_shape(toy):
    train, test = toy
    assert (len(train), len(test)) == (300, 90)
    assert (train.format, train.encoding, train.notes) == ("jsonl", "utf-8", [])
    for ds, per_class in ((train, 100), (test, 30)):
        counts = Counter(ds.labels())
        assert set(counts) == set(LABELS)
        assert all(abs(n - per_class) <= 0.1 * per_class for n in counts.values()), counts
    assert not {x.text for x in train.items} & {x.text for x in test.items}
    assert len({x.text for x in train.items}) == 300
    tokens = summarize(train)["tokens"]
    assert 8 <= tokens["median"] <= 30 and tokens["max"] < 60


def test_toy_dataset_is_deterministic(tmp_path, toy):
    a = write_toy_dataset(tmp_path / "a")
    b = write_toy_dataset(tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert fingerprint(toy[0]) == TOY_TRAIN_FINGERPRINT


def _naive_bayes_accuracy(train, test) -> float:
    """Multinomial naive Bayes over tokenize() words with add-one smoothing."""
    words = {label: Counter() for label in LABELS}
    priors = Counter(train.labels())
    for x in train.items:
        words[x.label].update(tokenize(x.text))
    vocab = set().union(*words.values())
    totals = {label: sum(c.values()) for label, c in words.items()}

    def score(label: str, toks: list[str]) -> float:
        s = math.log(priors[label])
        return s + sum(
            math.log((words[label][t] + 1) / (totals[label] + len(vocab))) for t in toks if t in vocab
        )

    right = sum(max(LABELS, key=lambda lab: score(lab, tokenize(x.text))) == x.label for x in test.items)
    return right / len(test)


def test_toy_dataset_is_learnable_but_not_trivial(toy):
    acc = _naive_bayes_accuracy(*toy)
    assert 0.75 <= acc < 1.0, acc


def test_main_writes_the_files(tmp_path, capsys):
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.jsonl", "train.jsonl"]
    assert "300 examples" in capsys.readouterr().out
    assert main([]) == 2


def test_toy_conll_round_trip(tmp_path):
    iob2 = load_dataset(write_toy_conll(tmp_path / "toy.iob2.conll"))
    iob1 = load_dataset(write_toy_conll(tmp_path / "toy.iob1.txt", scheme="iob1"))
    assert len(iob2) == 200 and iob2.task == "tagging"
    assert iob1.items == iob2.items == toy_tagging_sentences()
    assert iob1.notes and not iob2.notes
    assert set(summarize(iob2)["label_counts"]) == {"LOC", "PER"}
    with pytest.raises(ValueError, match="scheme must be"):
        toy_tagging_sentences(scheme="bioes")


@pytest.mark.slow
@pytest.mark.baselines
def test_textcnn_plateaus_on_the_toy_data(toy):
    pytest.importorskip("torch")
    from advisor.baselines.train import TrainConfig, train_classifier
    from advisor.data import stratified_split

    train, _ = toy
    split = stratified_split(train.labels(), (0.8, 0.2), seed=0)
    fit_items, dev_items = ([train.items[i] for i in part] for part in split)
    bundle = train_classifier(
        fit_items, dev_items, "textcnn", train_config=TrainConfig(seed=0, max_epochs=30), progress=False
    )
    curve = bundle.fit.dev_curve
    assert bundle.fit.stopped_reason == "plateau", curve
    assert 3 <= bundle.fit.best_epoch <= 20, curve
    assert 0.7 <= max(curve) <= 1.0 and curve[0] < max(curve), curve
