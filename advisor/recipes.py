"""The training recipes: one typed row per architecture, the one source of what the advice says and what the
toolkit does.

Rule TEP602 (``advisor.rules.recipe``) prints the five recipe lines of the winner by rendering its row
(:meth:`Recipe.lines`); ``advisor baseline train`` takes its defaults from the same row
(``advisor.baselines.train.TrainConfig.from_recipe`` for the PyTorch models, ``c_grid``/``max_iter``/
``encode_batch_size`` for the scikit-learn heads in ``advisor.baselines.ngram`` and
``advisor.baselines.transformer``). So the advice is what training does, and a test trains every trainable
architecture through the CLI and compares the saved configuration with the printed recipe.

Where a paper and the trainer disagree, the row holds the trainer's measured default and :data:`PAPERS` says
what the paper used (TEP602's docs show both). A range in the literature ("2e-5 to 5e-5") becomes one default
in the row and the range in :data:`PAPERS`. ``transformer-finetune`` trains with its row in
``advisor.baselines.finetune`` (classification and token classification); ``frozen-transformer-tagging`` is the
row of the frozen tagger's linear + CRF head (``advisor.baselines.frozen_tagger``);
``transformer-setfit`` trains with its row in ``advisor.baselines.setfit_train``.

Standard library only, part of what ``advisor`` exports for plugins: a third-party rule may read the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.vocabulary import OPTIMIZERS, RECIPE_FIELDS, Optimizer

OPTIMIZER_NAMES: dict[str, str] = {
    "adam": "Adam",
    "adamw": "AdamW",
    "adadelta": "Adadelta",
    "sgd": "SGD",
    "lbfgs": "L-BFGS logistic regression (scikit-learn)",
}
# The dev metric early stopping watches, per task (a function of advisor.baselines.metrics), and its name.
DEV_METRIC: dict[str, str] = {"classification": "accuracy", "tagging": "entity_f1"}
METRIC_NAMES: dict[str, str] = {"accuracy": "accuracy", "entity_f1": "entity F1"}


@dataclass(frozen=True)
class Recipe:
    """One architecture's training recipe as values. ``None`` means "does not apply" (a convex head has no
    learning rate, trains full batch and to convergence rather than for epochs)."""

    source: str  # what the values come from (the reason in TEP602's trace)
    optimizer: Optimizer
    learning_rate: float | None = None  # peak step size; None: convex head
    batch_size: int | None = None  # examples (tagging: sentences) per step; None: full batch
    max_epochs: int | None = None  # cap on passes over the data; None: trains to convergence
    patience: int | None = None  # early stopping: epochs in a row without a better dev score
    # regularization
    dropout: float | None = None  # dropout rate, where ``dropout_at`` says
    grad_clip: float | None = None  # max global gradient L2 norm
    max_norm: float | None = None  # L2 cap on each output-layer weight row (Kim 2014)
    weight_decay: float = 0.0  # L2 penalty (decoupled for AdamW)
    unk_replace: float | None = None  # chance that a word seen once reads as <unk> in a batch (Lample 2016)
    c_grid: tuple[float, ...] = ()  # logistic regression: inverse L2 strengths tried, the best on dev kept
    min_df_from: int | None = (
        None  # n-grams seen in one training text only are dropped from this many texts on
    )
    # schedule and solver
    warmup: float | None = None  # share of the steps with linear warmup, then linear decay to 0
    max_iter: int | None = None  # convex solver iterations
    encode_batch_size: int | None = None  # frozen encoder: texts per forward pass
    # contrastive few-shot fine-tuning (SetFit): the encoder trains on sentence pairs drawn from the labeled
    # examples, then a logistic-regression head trains on its embeddings
    pair_iterations: int | None = (
        None  # positive and as many negative pairs drawn per example (num_iterations)
    )
    head_c: float | None = None  # the head's inverse L2 strength (fixed, not chosen on dev)
    # words, not values: what the optimizer trains, where dropout sits, model details
    trains: str = ""  # e.g. "on word 1-2 gram TF-IDF"
    dropout_at: str = ""  # e.g. "before the output layer"
    details: str = ""  # appended to the regularization line

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}")

    def lines(self, task: str) -> dict[str, str]:
        """The five recipe lines (``advisor.vocabulary.RECIPE_FIELDS``, in order) for a ``task``."""
        lines = {
            "optimizer": self._optimizer(),
            "learning_rate": self._learning_rate(),
            "batch_size": self._batch_size(task),
            "epochs": self._epochs(task),
            "regularization": self._regularization(),
        }
        return {name: lines[name] for name in RECIPE_FIELDS}

    def _optimizer(self) -> str:
        return " ".join(filter(None, (OPTIMIZER_NAMES[self.optimizer], self.trains)))

    def _learning_rate(self) -> str:
        if self.learning_rate is None:
            grid = ", ".join(f"{c:g}" for c in self.c_grid)
            return f"none (convex); C chosen on dev (macro-F1) from {{{grid}}}"
        rate = number(self.learning_rate)
        if self.warmup is not None:
            return f"{rate}, {self.warmup:.0%} linear warmup then linear decay"
        return rate

    def _batch_size(self, task: str) -> str:
        if self.pair_iterations is not None:
            return f"{self.batch_size} sentence pairs"
        if self.batch_size is None:
            encode = (
                f"; texts encoded in batches of {self.encode_batch_size}" if self.encode_batch_size else ""
            )
            return f"full batch{encode}"
        return f"{self.batch_size} sentences" if task == "tagging" else str(self.batch_size)

    def _epochs(self, task: str) -> str:
        if self.max_epochs is None:
            cap = f" (max_iter {self.max_iter})" if self.max_iter else ""
            if self.encode_batch_size:
                return f"one encoding pass; the head trains to convergence{cap}"
            return f"to convergence{cap}"
        if self.pair_iterations is not None:
            pairs = 2 * self.pair_iterations
            return (
                f"{self.max_epochs} over {pairs} contrastive pairs per example (num_iterations "
                f"{self.pair_iterations}), no early stopping; then the head trains to convergence (max_iter "
                f"{self.max_iter})"
            )
        stop = f", early stopping on dev {METRIC_NAMES[DEV_METRIC[task]]} (patience {self.patience})"
        return f"up to {self.max_epochs}{stop if self.patience else ''}"

    def _regularization(self) -> str:
        parts = []
        if self.dropout is not None:
            parts.append(" ".join(filter(None, (f"dropout {self.dropout:g}", self.dropout_at))))
        if self.max_norm is not None:
            parts.append(f"max-norm {self.max_norm:g} on the output weights")
        if self.unk_replace is not None:
            parts.append(f"words seen once read as <unk> with p {self.unk_replace:g}")
        if self.grad_clip is not None:
            parts.append(f"gradient clipping at norm {self.grad_clip:g}")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        if self.c_grid:
            parts.append("L2 via C")
        if self.head_c is not None:
            parts.append(f"head L2 with C {self.head_c:g}")
        if self.min_df_from is not None:
            parts.append(f"n-grams seen in one text dropped from {self.min_df_from:,} training texts on")
        return "; ".join(filter(None, (", ".join(parts), self.details)))


def number(x: float) -> str:
    """A step size as people write it: ``1e-3``, ``5e-5``, ``0.01``."""
    if x >= 0.01:
        return f"{x:g}"
    mantissa, exponent = f"{x:e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


C_GRID: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)

# The rows. ``rnn`` serves bilstm, lstm, gru and the plain RNN baseline; ``frozen-transformer-tagging`` is the
# frozen transformer's row for tagging (see :func:`recipe_key`).
RECIPES: dict[str, Recipe] = {
    "textcnn": Recipe(
        source="Kim 2014",
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=50,
        max_epochs=30,
        patience=3,
        dropout=0.5,
        dropout_at="before the output layer",
        max_norm=3.0,
        details="filters 3/4/5 x 100",
    ),
    "rnn": Recipe(
        source="baselines' defaults",
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=32,
        max_epochs=30,
        patience=3,
        dropout=0.5,
        dropout_at="on embeddings and encoder output",
        grad_clip=5.0,
    ),
    "bilstm-crf": Recipe(
        source="baselines' defaults (85.61 F1 on CoNLL-2003); Lample et al. 2016",
        optimizer="adam",
        learning_rate=2e-3,
        batch_size=32,
        max_epochs=25,
        patience=3,
        dropout=0.5,
        dropout_at="on embeddings and BiLSTM output",
        unk_replace=0.5,
        grad_clip=5.0,
        details="character CNN features",
    ),
    "transformer-finetune": Recipe(
        source="crossover study; Mosbach et al. 2021; Zhang et al. 2021",
        optimizer="adamw",
        trains="with bias correction",
        learning_rate=5e-5,
        warmup=0.1,
        batch_size=16,
        max_epochs=20,
        patience=3,
        dropout=0.1,
        dropout_at="(the model's own)",
        weight_decay=0.01,
        details="compare three seeds when data is small",
    ),
    "transformer-setfit": Recipe(
        source="setfit.md (the setfit package's standard recipe); Tunstall et al. 2022",
        optimizer="adamw",
        trains="on contrastive sentence pairs (cosine-similarity loss), then an L-BFGS logistic-regression head",
        learning_rate=2e-5,
        warmup=0.1,
        batch_size=16,
        max_epochs=1,
        pair_iterations=20,
        weight_decay=0.01,
        head_c=1.0,
        max_iter=100,
        details="run a second seed when data is small",
    ),
    "frozen-transformer": Recipe(
        source="crossover study",
        optimizer="lbfgs",
        trains="on frozen mean-pooled, L2-normalised sentence embeddings",
        c_grid=C_GRID,
        max_iter=2000,
        encode_batch_size=64,
        details="the encoder stays frozen",
    ),
    "frozen-transformer-tagging": Recipe(
        source="baselines' defaults",
        optimizer="adam",
        trains="on a linear + CRF head over frozen token embeddings",
        learning_rate=1e-3,
        batch_size=32,
        max_epochs=50,
        patience=5,
        dropout=0.2,
        dropout_at="on the frozen features",
        details="the encoder stays frozen",
    ),
    "ngram-linear": Recipe(
        source="crossover study",
        optimizer="lbfgs",
        trains="on word 1-2 gram TF-IDF",
        c_grid=C_GRID,
        max_iter=2000,
        min_df_from=500,
        details="sublinear tf",
    ),
    "ngram-static-linear": Recipe(
        source="edge study",
        optimizer="lbfgs",
        trains="on word 1-2 gram TF-IDF concatenated with the mean static vector",
        c_grid=C_GRID,
        max_iter=2000,
        min_df_from=500,
        details="sublinear tf; the vectors stay frozen (model2vec, distilled from all-MiniLM-L6-v2)",
    ),
}

# What the papers used where the row differs, and the ranges a row picked one default from (TEP602's docs).
PAPERS: dict[str, str] = {
    "textcnn": 'Kim 2014 ("Convolutional Neural Networks for Sentence Classification"): Adadelta (rho 0.95), '
    "mini-batch 50, dropout 0.5, max-norm 3, early stopping on dev. Adam reaches the same accuracy faster "
    "(our baselines and the crossover study use it; on TREC, Kim's Adadelta lr 1.0 scored 2.9 points lower on "
    "held-out dev: benchmarks/results/datasets.md).",
    "rnn": "bilstm / lstm / gru / rnn: standard practice (Adam, dropout 0.5, gradient clipping 5, early stopping "
    "on dev).",
    "bilstm-crf": 'Lample et al. 2016 ("Neural Architectures for Named Entity Recognition"): SGD lr 0.01, '
    "batch 1, up to 50 epochs, gradient clipping 5.0, dropout 0.5, character features, singleton words "
    "replaced by <unk> with p 0.5. Adam with batches of sentences converges in far fewer CPU hours: our "
    "default reached 85.61 entity F1 on CoNLL-2003 test in 16 epochs (benchmarks/results/datasets-conll.md; "
    "that run used patience 4) against Lample's 84.3 without pretrained vectors.",
    "transformer-finetune": "Mosbach et al. 2021 and Zhang et al. 2021 on small-data BERT fine-tuning: AdamW "
    "WITH bias correction, lr 2e-5 to 5e-5, batch 16-32, 10% linear warmup then linear decay, weight decay "
    "0.01, and well over 3 epochs (at least 10 under 1,000 examples; 3 epochs is what made early BERT "
    "fine-tuning look unstable), early stopping on dev. The default is the crossover study's setting "
    "(shared/research/crossover.md: AdamW 5e-5, warmup 10%, linear decay, >= 10 epochs); `advisor baseline "
    "train --arch transformer-finetune` trains with it.",
    "transformer-setfit": 'Tunstall et al. 2022 ("Efficient Few-Shot Learning Without Prompts"): contrastive '
    "fine-tuning of a sentence-transformers encoder on positive and negative pairs of the labeled examples "
    "(CosineSimilarityLoss), then a logistic-regression head on its embeddings. The row is the setfit 1.2 "
    "package's standard recipe as shared/research/setfit.md measured it on all-MiniLM-L6-v2: num_iterations 20 "
    "(20 positive and 20 negative pairs per example), batch 16, one epoch, body learning rate 2e-5 with 10% "
    "linear warmup, weight decay 0.01 (setfit's l2_weight), scikit-learn's LogisticRegression defaults (C 1, "
    "max_iter 100); `advisor baseline train --arch transformer-setfit` trains with it.",
    "frozen-transformer": "mean-pooled, L2-normalised all-MiniLM-L6-v2 features + logistic regression with C "
    "chosen on dev (crossover study).",
    "frozen-transformer-tagging": "tagging: a linear + CRF head on frozen token features; dropout 0.1-0.3 on the "
    "features (`advisor baseline train --arch frozen-transformer` on tagging data trains it: "
    "advisor.baselines.frozen_tagger).",
    "ngram-linear": "word 1-2 gram TF-IDF (sublinear tf) + L2 logistic regression, C chosen on dev (crossover "
    "study).",
    "ngram-static-linear": "the ngram-linear features concatenated with the mean of model2vec vectors distilled "
    "from all-MiniLM-L6-v2 (256-d), one L2 logistic regression with C from {0.1, 1, 10, 100} on validation "
    "(edge study, shared/research/edge.md: tfidf+m2v-lr).",
}

# Which row an architecture reads.
RNN_ARCHS: frozenset[str] = frozenset({"bilstm", "lstm", "gru", "rnn"})


def recipe_key(arch: str, task: str) -> str:
    """The row of :data:`RECIPES` for ``arch`` on ``task``."""
    if arch in RNN_ARCHS:
        return "rnn"
    if arch == "frozen-transformer" and task == "tagging":
        return "frozen-transformer-tagging"
    return arch


def recipe_for(arch: str, task: str) -> Recipe:
    """The recipe row for ``arch`` on ``task`` (``KeyError`` for an architecture without one)."""
    return RECIPES[recipe_key(arch, task)]
