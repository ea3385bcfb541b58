"""Word 1-2 gram TF-IDF + logistic regression: the cheapest serious text-classification baseline.

Also home of :class:`NgramStaticLinearClassifier` (``ngram-static-linear``: the same TF-IDF features ⊕ the mean
static vector, one head; it adds ``words.json`` and ``word_vectors`` in ``arrays.npz``), and of the pieces the
frozen-transformer baseline shares with them: :class:`LinearHead` (logistic-regression
scores from stored coefficients, so a saved model needs no pickled sklearn object) and :func:`select_logreg` (C picked
on a dev split).

Saved layout (no pickle anywhere): ``manifest.json`` (:mod:`advisor.baselines.manifest`: the vectorizer's
settings, the chosen C and dev scores, the classes, library versions), ``vocab.json`` (the n-gram terms in
feature order) and ``arrays.npz`` (idf, coef, intercept; loaded with ``allow_pickle=False``).
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from advisor.data.text import NGRAM_TOKEN_PATTERN as TOKEN_PATTERN
from advisor.data.text import word_ngrams
from advisor.recipes import RECIPES

from .manifest import Manifest, VocabularyRef, read_manifest, versions, write_model_folder

# The defaults are the recipe table's (advisor.recipes: what `advisor recommend` prints for these heads).
C_GRID: tuple[float, ...] = RECIPES["ngram-linear"].c_grid
NGRAM_C_GRID: tuple[float, ...] = C_GRID
MAX_ITER: int = RECIPES["ngram-linear"].max_iter
MIN_DF_FROM: int = RECIPES["ngram-linear"].min_df_from
VOCAB = "vocab.json"
ARRAYS = "arrays.npz"
LIBRARIES = ("scikit-learn", "numpy")


# --------------------------------------------------------------------------------------------------------------
# Linear head shared by the frozen-transformer and n-gram baselines
# --------------------------------------------------------------------------------------------------------------


def _py(label: Any) -> Any:
    """A numpy scalar label as a JSON-safe Python value."""
    return label.item() if isinstance(label, np.generic) else label


class LinearHead:
    """Binary/multinomial logistic-regression scores from stored coefficients (no sklearn object needed).

    Gives the same predictions as the fitted ``LogisticRegression`` it came from: binary -> ``classes[1]`` when the
    decision value is positive; multiclass -> argmax; probabilities by sigmoid / softmax (lbfgs is multinomial).
    """

    def __init__(self, classes: Sequence[Any], coef: np.ndarray, intercept: np.ndarray):
        self.classes = [_py(c) for c in classes]
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64).reshape(-1)
        if self.coef.ndim != 2 or self.coef.shape[0] != self.intercept.shape[0]:
            raise ValueError("coef must be (n_rows, n_features) and intercept (n_rows,)")
        expected_rows = 1 if len(self.classes) == 2 else len(self.classes)
        if self.coef.shape[0] != expected_rows:
            raise ValueError(
                f"{len(self.classes)} classes need {expected_rows} coefficient rows, got {self.coef.shape[0]}"
            )

    @classmethod
    def from_sklearn(cls, lr: Any) -> LinearHead:
        return cls(lr.classes_, lr.coef_, lr.intercept_)

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[1])

    def decision(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept

    def predict_proba(self, X: Any) -> np.ndarray:
        d = self.decision(X)
        if d.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-d[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        d = d - d.max(axis=1, keepdims=True)
        e = np.exp(d)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> list[Any]:
        d = self.decision(X)
        idx = (d[:, 0] > 0).astype(int) if d.shape[1] == 1 else d.argmax(axis=1)
        return [self.classes[i] for i in idx]

    def to_json(self) -> dict[str, Any]:
        return {"classes": self.classes, "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LinearHead:
        return cls(
            d["classes"], np.array(d["coef"], dtype=np.float64), np.array(d["intercept"], dtype=np.float64)
        )


def select_logreg(
    X_train: Any,
    y_train: Sequence[Any],
    X_dev: Any,
    y_dev: Sequence[Any],
    c_grid: Sequence[float] = C_GRID,
    max_iter: int = MAX_ITER,
) -> tuple[Any, float, dict[str, dict[str, float]]]:
    """Fit one ``LogisticRegression`` per C on train, score each on dev; return (best model, its C, scores per C).

    Dev score: macro-F1, ties broken by accuracy, then by the smaller C (stronger regularisation), so the choice is
    deterministic; lbfgs is deterministic too.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    y_train = list(y_train)
    if len(set(y_train)) < 2:
        raise ValueError("training labels must contain at least two classes")

    def fit(C: float) -> Any:
        lr = LogisticRegression(C=C, max_iter=max_iter, random_state=0)
        with warnings.catch_warnings():
            # Weakly regularised fits on separable data can stop at max_iter; the dev score still ranks them.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return lr.fit(X_train, y_train)

    return _select_on_dev(fit, c_grid, X_dev, y_dev)


def _select_on_dev(
    fit: Any, c_grid: Sequence[float], X_dev: Any, y_dev: Sequence[Any]
) -> tuple[Any, float, dict[str, dict[str, float]]]:
    """``fit(C)`` (anything with ``predict(X)``) for each C of ``c_grid``, scored on dev: (the best, its C, the
    scores per C). Dev score: macro-F1, ties broken by accuracy, then by the smaller C."""
    from sklearn.metrics import accuracy_score, f1_score

    if not c_grid:
        raise ValueError("c_grid is empty")
    y_dev = list(y_dev)
    best: tuple[tuple[float, float, float], Any, float] | None = None
    scores: dict[str, dict[str, float]] = {}
    for C in sorted(float(c) for c in c_grid):
        model = fit(C)
        pred = model.predict(X_dev)
        f1 = float(f1_score(y_dev, pred, average="macro", zero_division=0))
        acc = float(accuracy_score(y_dev, pred))
        scores[repr(C)] = {"macro_f1": f1, "accuracy": acc}
        key = (f1, acc, -C)
        if best is None or key > best[0]:
            best = (key, model, C)
    assert best is not None
    return best[1], best[2], scores


def select_ridge(
    X_train: Any,
    targets: np.ndarray,
    classes: Sequence[Any],
    X_dev: Any,
    y_dev: Sequence[Any],
    c_grid: Sequence[float] = C_GRID,
) -> tuple[LinearHead, float, dict[str, dict[str, float]]]:
    """A linear head regressed on a teacher's centred logits (``targets``, (rows, classes) in ``classes``
    order): ridge regression, the mean squared error of :mod:`advisor.baselines.distill`, solved in closed form,
    one fit per C (alpha = 1 / C, so C means what it means for :func:`select_logreg`: less regularisation as it
    grows), picked on the real dev labels as :func:`select_logreg` picks. Two classes regress the one
    difference of the two logits (the binary head's decision value)."""
    from sklearn.linear_model import Ridge

    y = np.asarray(targets, dtype=np.float64)
    if len(classes) == 2:
        y = (y[:, 1] - y[:, 0])[:, None]

    def fit(C: float) -> LinearHead:
        ridge = Ridge(alpha=1.0 / C).fit(X_train, y)
        return LinearHead(classes, np.atleast_2d(ridge.coef_), np.atleast_1d(ridge.intercept_))

    return _select_on_dev(fit, c_grid, X_dev, y_dev)


def head_config(
    C: float | None,
    c_grid: Sequence[float],
    dev_scores: dict[str, dict[str, float]],
    max_iter: int,
    head: str = "LogisticRegression(lbfgs)",
) -> dict:
    """How a :func:`select_logreg` (or, distilled, :func:`select_ridge`) head was trained (the ``train`` part of
    its model's manifest)."""
    return {
        "head": head,
        "C": C,
        "c_grid": list(c_grid),
        "max_iter": max_iter,
        "dev_selection": "macro_f1, then accuracy, then smaller C",
        "dev_scores": dev_scores,
    }


def check_xy(texts: Sequence[str], labels: Sequence[Any], name: str) -> None:
    if isinstance(texts, str):
        raise TypeError(f"{name}_texts must be a sequence of strings, not one string")
    if len(texts) != len(labels):
        raise ValueError(f"{name}: {len(texts)} texts but {len(labels)} labels")
    if len(texts) == 0:
        raise ValueError(f"{name}: no examples")


# --------------------------------------------------------------------------------------------------------------
# The n-gram classifier
# --------------------------------------------------------------------------------------------------------------


def default_min_df(n_train: int) -> int:
    """1 below the recipe's ``min_df_from`` (500) training texts (every n-gram is precious), else 2: n-grams
    seen in one text only are mostly noise, and dropping them shrinks a 1-2 gram vocabulary several-fold."""
    return 1 if n_train < MIN_DF_FROM else 2


def _analyzer(ngram_range: Sequence[int], lowercase: bool, token_pattern: str) -> Any:
    """The n-gram analyzer scikit-learn counts with: :func:`advisor.data.text.word_ngrams`, the function the
    torch-free runtime (:mod:`advisor.runtime`) tokenizes an exported model's input with."""
    return functools.partial(
        word_ngrams, ngram_range=tuple(ngram_range), lowercase=lowercase, token_pattern=token_pattern
    )


class _TfidfFeatures:
    """TF-IDF from a fixed term list and idf vector (sublinear tf, l2 rows), equal to sklearn's TfidfVectorizer."""

    def __init__(
        self,
        terms: Sequence[str],
        idf: np.ndarray,
        lowercase: bool = True,
        ngram_range: tuple[int, int] = (1, 2),
        token_pattern: str = TOKEN_PATTERN,
    ):
        from sklearn.feature_extraction.text import CountVectorizer

        self.terms = list(terms)
        self.idf = np.asarray(idf, dtype=np.float64)
        if len(self.terms) != self.idf.shape[0]:
            raise ValueError(f"{len(self.terms)} terms but {self.idf.shape[0]} idf values")
        self.counter = CountVectorizer(
            vocabulary={t: i for i, t in enumerate(self.terms)},
            analyzer=_analyzer(ngram_range, lowercase, token_pattern),
            dtype=np.float64,
        )

    def transform(self, texts: Sequence[str]) -> Any:
        from sklearn.preprocessing import normalize

        X = self.counter.transform(list(texts)).tocsr()
        np.log(X.data, out=X.data)
        X.data += 1.0
        X.data *= self.idf[X.indices]
        return normalize(X, norm="l2", copy=False)


class NgramLinearClassifier:
    """Word 1-2 gram TF-IDF (sublinear tf) + logistic regression, C chosen on dev."""

    kind = "ngram-linear"

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | None = None,
        max_features: int | None = None,
        lowercase: bool = True,
        c_grid: Sequence[float] = NGRAM_C_GRID,
        max_iter: int = MAX_ITER,
    ):
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.min_df = min_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.c_grid = tuple(float(c) for c in c_grid)
        self.max_iter = int(max_iter)
        self.features: _TfidfFeatures | None = None
        self.head: LinearHead | None = None
        self.C: float | None = None
        self.min_df_used: int | None = None
        self.dev_scores: dict[str, dict[str, float]] = {}
        self.distilled = (
            False  # the head regressed on a teacher's logits (fit_to_logits), not fitted to labels
        )

    def fit(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[Any],
        dev_texts: Sequence[str],
        dev_labels: Sequence[Any],
    ) -> NgramLinearClassifier:
        check_xy(train_texts, train_labels, "train")
        check_xy(dev_texts, dev_labels, "dev")
        self._fit_features(train_texts)
        X_tr = self._transform(train_texts)
        X_dev = self._transform(dev_texts)
        lr, self.C, self.dev_scores = select_logreg(
            X_tr, train_labels, X_dev, dev_labels, self.c_grid, self.max_iter
        )
        self.head = LinearHead.from_sklearn(lr)
        return self

    def fit_to_logits(
        self,
        feature_texts: Sequence[str],
        transfer_texts: Sequence[str],
        targets: np.ndarray,
        classes: Sequence[Any],
        dev_texts: Sequence[str],
        dev_labels: Sequence[Any],
    ) -> NgramLinearClassifier:
        """Knowledge distillation (:mod:`advisor.baselines.distill`): the features fitted on ``feature_texts``
        (the training and unlabeled texts), the head regressed on a teacher's centred logits ``targets`` for
        ``transfer_texts`` (:func:`select_ridge`), C picked on the real dev labels."""
        check_xy(dev_texts, dev_labels, "dev")
        self._fit_features(feature_texts)
        self.head, self.C, self.dev_scores = select_ridge(
            self._transform(transfer_texts),
            targets,
            [_py(c) for c in classes],
            self._transform(dev_texts),
            dev_labels,
            self.c_grid,
        )
        self.distilled = True
        return self

    def _fit_features(self, train_texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.min_df_used = self.min_df if self.min_df is not None else default_min_df(len(train_texts))
        vec = TfidfVectorizer(
            analyzer=_analyzer(self.ngram_range, self.lowercase, TOKEN_PATTERN),
            min_df=self.min_df_used,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float64,
        )
        try:
            vec.fit(list(train_texts))
        except ValueError as exc:  # "empty vocabulary"
            raise ValueError(f"no n-gram survived min_df={self.min_df_used}: {exc}") from exc
        terms = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
        self.features = _TfidfFeatures(terms, vec.idf_, self.lowercase, self.ngram_range)
        self._fit_extra(train_texts)

    def _fit_extra(self, train_texts: Sequence[str]) -> None:
        """What a subclass fits on the training texts beside the TF-IDF terms (nothing here)."""

    def _transform(self, texts: Sequence[str]) -> Any:
        """The feature rows the head reads."""
        if self.features is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        return self.features.transform(texts)

    def _require_fit(self) -> tuple[_TfidfFeatures, LinearHead]:
        if self.features is None or self.head is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        return self.features, self.head

    def predict(self, texts: Sequence[str]) -> list[Any]:
        _, head = self._require_fit()
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string")
        return head.predict(self._transform(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        _, head = self._require_fit()
        return head.predict_proba(self._transform(texts))

    @property
    def classes(self) -> list[Any]:
        return list(self._require_fit()[1].classes)

    @property
    def n_features(self) -> int:
        return len(self._require_fit()[0].terms)

    def manifest(self, **provenance: Any) -> Manifest:
        """The checkpoint manifest (``advisor.baselines.manifest``) of this fitted classifier; ``provenance``
        sets its ``data_fingerprint`` and ``run``."""
        feats, head = self._require_fit()
        return Manifest(
            architecture=self.kind,
            task="classification",
            model=self._model_info(feats),
            train=head_config(
                self.C,
                self.c_grid,
                self.dev_scores,
                self.max_iter,
                "Ridge on the teacher's centred logits" if self.distilled else "LogisticRegression(lbfgs)",
            ),
            labels=list(head.classes),
            vocabulary=VocabularyRef(
                file=VOCAB, size=len(feats.terms), source="training texts (word n-grams)"
            ),
            versions=versions(*LIBRARIES),
            files=self._files(),
            **provenance,
        )

    def _files(self) -> list[str]:
        return [VOCAB, ARRAYS]

    def _model_info(self, feats: _TfidfFeatures) -> dict[str, Any]:
        return {
            "vectorizer": "tfidf",
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "min_df_used": self.min_df_used,
            "max_features": self.max_features,
            "lowercase": self.lowercase,
            "sublinear_tf": True,
            "norm": "l2",
            "smooth_idf": True,
            "token_pattern": TOKEN_PATTERN,
            "n_features": len(feats.terms),
        }

    def save(self, directory: str | Path, extra=None, **provenance: Any) -> Path:
        """Write the model folder atomically: manifest, the n-gram terms and the arrays (no pickle); ``extra``:
        see :func:`~advisor.baselines.manifest.write_model_folder`."""
        feats, head = self._require_fit()
        manifest = self.manifest(**provenance)

        def fill(d: Path) -> None:
            (d / VOCAB).write_text(json.dumps(feats.terms, ensure_ascii=False) + "\n", encoding="utf-8")
            np.savez(d / ARRAYS, idf=feats.idf, coef=head.coef, intercept=head.intercept, **self._arrays())
            self._save_extra(d)

        return write_model_folder(directory, manifest, fill, extra)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _save_extra(self, d: Path) -> None:
        """Files a subclass saves beside the n-gram terms and arrays (none here)."""

    @classmethod
    def load(cls, directory: str | Path) -> NgramLinearClassifier:
        d = Path(directory)
        manifest = read_manifest(d, (cls.kind,))
        v, h = manifest.model, manifest.train
        obj = cls(
            **cls._load_args(v),
            ngram_range=tuple(v["ngram_range"]),
            min_df=v["min_df"],
            max_features=v["max_features"],
            lowercase=v["lowercase"],
            c_grid=h["c_grid"],
            max_iter=h["max_iter"],
        )
        obj.min_df_used, obj.C, obj.dev_scores = v["min_df_used"], h["C"], h["dev_scores"]
        terms = json.loads((d / VOCAB).read_text(encoding="utf-8"))
        with np.load(d / ARRAYS, allow_pickle=False) as arr:
            idf, coef, intercept = arr["idf"], arr["coef"], arr["intercept"]
            obj._load_extra(d, arr)
        obj.features = _TfidfFeatures(terms, idf, v["lowercase"], obj.ngram_range, v["token_pattern"])
        obj.head = LinearHead(manifest.labels, coef, intercept)
        return obj

    @classmethod
    def _load_args(cls, model_info: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _load_extra(self, d: Path, arrays: Any) -> None:
        """Read what :meth:`_save_extra` and :meth:`_arrays` wrote (nothing here)."""


# --------------------------------------------------------------------------------------------------------------
# The hybrid: TF-IDF n-grams ⊕ the mean static vector
# --------------------------------------------------------------------------------------------------------------

WORDS = "words.json"


class NgramStaticLinearClassifier(NgramLinearClassifier):
    """Word 1-2 gram TF-IDF ⊕ the mean static vector of the text's words, one logistic regression, C chosen on dev.

    The edge study's best small model (``shared/research/edge.md``: ``tfidf+m2v-lr``, the best in 9 of 10
    (set, size) cells at 250 and 1,000 examples): the TF-IDF rows (sublinear tf, L2-normalised) are concatenated
    with the L2-normalised mean of the word vectors of the text's words (``advisor.data.tokenize``, the word
    models' tokenizer), so the question words TF-IDF keeps and the similarity the vectors carry both reach one
    linear head. ``vectors`` is any ``--embeddings`` source (a GloVe/fastText/JSON file or a model2vec folder,
    read by ``advisor.data.embeddings.read_vectors``: a model2vec folder encodes every training word). The model
    keeps the vectors of its training words only (``words.json`` and ``word_vectors`` in ``arrays.npz``): a word
    first seen at prediction has no vector, as it has no n-gram feature.
    """

    kind = "ngram-static-linear"

    def __init__(self, vectors: str | Path | None = None, **settings: Any):
        super().__init__(**settings)
        self.vectors = vectors
        self.words: list[str] = []
        self.word_vectors: np.ndarray | None = None
        self._index: dict[str, int] = {}

    def _fit_extra(self, train_texts: Sequence[str]) -> None:
        from advisor.data import tokenize
        from advisor.data.embeddings import read_vectors

        if self.vectors is None:
            raise ValueError("ngram-static-linear needs static vectors (a file or a model2vec folder)")
        words = sorted({t for text in train_texts for t in tokenize(text)})
        wanted = set(words) | {w.lower() for w in words}
        found: dict[str, np.ndarray] = {}
        dim = None
        for word, values in read_vectors(self.vectors, words=sorted(wanted)):
            if word not in wanted or word in found:
                continue
            try:
                vec = np.asarray(values, dtype=np.float32)
            except ValueError:
                raise ValueError(f"{self.vectors}: the vector for {word!r} is not numbers") from None
            dim = dim or vec.shape[0]
            if vec.shape != (dim,):
                raise ValueError(
                    f"{self.vectors}: vector for {word!r} has {vec.shape[0]} values, expected {dim}"
                )
            found[word] = vec
        kept = [w for w in words if w in found or w.lower() in found]
        if not kept:
            raise ValueError(f"{self.vectors}: no training word has a vector")
        self.words = kept
        self.word_vectors = np.stack([found.get(w, found.get(w.lower())) for w in kept]).astype(np.float32)
        self._index = {w: i for i, w in enumerate(kept)}

    def _mean_vectors(self, texts: Sequence[str]) -> np.ndarray:
        from advisor.data import tokenize

        assert self.word_vectors is not None
        out = np.zeros((len(texts), self.word_vectors.shape[1]), dtype=np.float64)
        for row, text in enumerate(texts):
            idx = [self._index[t] for t in tokenize(text) if t in self._index]
            if idx:
                v = self.word_vectors[idx].mean(axis=0)
                norm = float(np.linalg.norm(v))
                out[row] = v / norm if norm > 0 else v
        return out

    def _transform(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        if self.features is None or self.word_vectors is None:
            raise RuntimeError("the classifier is not fitted; call fit() or load() first")
        return hstack(
            [self.features.transform(texts), csr_matrix(self._mean_vectors(list(texts)))], format="csr"
        )

    @property
    def vectors_mb(self) -> float:
        """Size of the kept word vectors (fp32), MB."""
        return round(0 if self.word_vectors is None else self.word_vectors.nbytes / 1e6, 3)

    def _model_info(self, feats: _TfidfFeatures) -> dict[str, Any]:
        assert self.word_vectors is not None
        return {
            **super()._model_info(feats),
            "static_vectors": {
                "source": str(self.vectors),
                "words": len(self.words),
                "dim": int(self.word_vectors.shape[1]),
                "mb": self.vectors_mb,
                "pooling": "mean of the text's word vectors, L2-normalised",
            },
        }

    def _files(self) -> list[str]:
        return [VOCAB, ARRAYS, WORDS]

    def _arrays(self) -> dict[str, np.ndarray]:
        assert self.word_vectors is not None
        return {"word_vectors": self.word_vectors}

    def _save_extra(self, d: Path) -> None:
        (d / WORDS).write_text(json.dumps(self.words, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def _load_args(cls, model_info: dict[str, Any]) -> dict[str, Any]:
        return {"vectors": model_info["static_vectors"]["source"]}

    def _load_extra(self, d: Path, arrays: Any) -> None:
        self.words = json.loads((d / WORDS).read_text(encoding="utf-8"))
        self.word_vectors = np.asarray(arrays["word_vectors"], dtype=np.float32)
        if self.word_vectors.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but {self.word_vectors.shape[0]} vectors")
        self._index = {w: i for i, w in enumerate(self.words)}
