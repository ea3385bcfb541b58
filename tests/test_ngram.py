"""Word 1-2 gram TF-IDF + logistic regression."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.baselines

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from advisor.baselines.ngram import (  # noqa: E402
    NGRAM_C_GRID,
    LinearHead,
    NgramLinearClassifier,
    default_min_df,
    select_logreg,
)

TRAIN = [
    ("refund my order please", "billing"),
    ("I was charged twice for my order", "billing"),
    ("the invoice amount is wrong", "billing"),
    ("please refund the charge on my card", "billing"),
    ("my card was charged but no invoice", "billing"),
    ("the app crashes when I log in", "bug"),
    ("login button does nothing, app crashes", "bug"),
    ("error message after the update", "bug"),
    ("the page shows an error and crashes", "bug"),
    ("app freezes after update, error on screen", "bug"),
    ("how do I change my delivery address", "shipping"),
    ("where is my package, delivery is late", "shipping"),
    ("the parcel never arrived", "shipping"),
    ("can I track my delivery", "shipping"),
    ("package delivery to the wrong address", "shipping"),
]
DEV = [
    ("charged twice, need a refund", "billing"),
    ("the app crashes again", "bug"),
    ("my parcel delivery is late", "shipping"),
    ("wrong invoice charge", "billing"),
    ("error when I log in", "bug"),
    ("track the package", "shipping"),
]
TEST = [
    ("please refund me, I was charged", "billing"),
    ("crashes with an error", "bug"),
    ("the delivery address for my parcel", "shipping"),
]


def _xy(pairs):
    return [t for t, _ in pairs], [y for _, y in pairs]


@pytest.fixture(scope="module")
def fitted():
    return NgramLinearClassifier().fit(*_xy(TRAIN), *_xy(DEV))


def test_predicts_sensibly(fitted):
    texts, labels = _xy(TEST)
    assert fitted.predict(texts) == labels
    assert fitted.classes == ["billing", "bug", "shipping"]
    assert fitted.C in NGRAM_C_GRID
    proba = fitted.predict_proba(texts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.min_df_used == 1  # tiny data keeps every n-gram
    assert "app crashes" in fitted.features.terms  # bigrams are there


def test_matches_sklearn_tfidf_and_logreg(fitted):
    """The stored-coefficient path equals sklearn's own TfidfVectorizer + LogisticRegression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from advisor.baselines.ngram import TOKEN_PATTERN

    texts, labels = _xy(TRAIN)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=TOKEN_PATTERN)
    X = vec.fit_transform(texts)
    probe = [t for t, _ in TEST + DEV]
    np.testing.assert_allclose(
        fitted.features.transform(probe).toarray(), vec.transform(probe).toarray(), atol=1e-12
    )
    lr = LogisticRegression(C=fitted.C, max_iter=2000, random_state=0).fit(X, labels)
    assert list(lr.predict(vec.transform(probe))) == fitted.predict(probe)
    np.testing.assert_allclose(lr.predict_proba(vec.transform(probe)), fitted.predict_proba(probe), atol=1e-6)


def test_save_load_round_trip(fitted, tmp_path):
    fitted.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz", "manifest.json", "vocab.json"]
    config = json.loads((tmp_path / "manifest.json").read_text())
    assert config["architecture"] == "ngram-linear" and config["model"]["sublinear_tf"] is True
    assert config["labels"] == ["billing", "bug", "shipping"] and config["train"]["C"] == fitted.C
    again = NgramLinearClassifier.load(tmp_path)
    probe = [t for t, _ in TEST + DEV + TRAIN] + ["unseen words only", ""]
    assert again.predict(probe) == fitted.predict(probe)
    np.testing.assert_array_equal(again.predict_proba(probe), fitted.predict_proba(probe))
    assert again.C == fitted.C and again.classes == fitted.classes and again.n_features == fitted.n_features


def test_binary_int_labels_round_trip(tmp_path):
    train = [
        ("good great fine", 1),
        ("bad awful poor", 0),
        ("great good", 1),
        ("poor bad", 0),
        ("fine good", 1),
        ("awful poor", 0),
    ]
    dev = [("good", 1), ("bad", 0)]
    clf = NgramLinearClassifier().fit(*_xy(train), *_xy(dev))
    assert clf.predict(["so good", "so bad"]) == [1, 0]
    clf.save(tmp_path)
    again = NgramLinearClassifier.load(tmp_path)
    assert again.predict(["so good", "so bad"]) == [1, 0]
    assert all(type(c) is int for c in again.classes)


def test_deterministic():
    a = NgramLinearClassifier().fit(*_xy(TRAIN), *_xy(DEV))
    b = NgramLinearClassifier().fit(*_xy(TRAIN), *_xy(DEV))
    assert a.C == b.C and a.features.terms == b.features.terms
    np.testing.assert_array_equal(a.head.coef, b.head.coef)


def test_min_df_rule():
    assert default_min_df(100) == 1 and default_min_df(5000) == 2


def test_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        NgramLinearClassifier().predict(["x"])
    with pytest.raises(ValueError, match="two classes"):
        NgramLinearClassifier().fit(["a b", "c d"], ["x", "x"], ["a"], ["x"])
    with pytest.raises(ValueError, match="labels"):
        NgramLinearClassifier().fit(["a b"], ["x", "y"], ["a"], ["x"])
    with pytest.raises(ValueError):
        LinearHead(["a", "b", "c"], np.zeros((1, 3)), np.zeros(1))


def test_select_logreg_ties_prefer_small_c():
    X = np.array([[1.0, 0.0], [0.0, 1.0]] * 4)
    y = ["a", "b"] * 4
    _, C, scores = select_logreg(X, y, X, y, c_grid=(100.0, 1.0, 0.1))
    assert C == 0.1 and all(s["accuracy"] == 1.0 for s in scores.values())
