"""The advisor's vocabularies: every fixed set of names, spelled once.

Each is a ``Literal`` type (what pydantic models and type hints use) and the tuple of its values (what click
choices, loops and messages use), the tuple derived from the type so the two cannot drift. Standard library
only: the profile, the engine, the rules, the baselines and the CLI all import from here, and none of them
needs pydantic or click to do so.
"""

from __future__ import annotations

from typing import Literal, get_args

Task = Literal["classification", "tagging"]
Deploy = Literal["phone", "edge", "browser", "cpu-server", "gpu-server"]
Compute = Literal["cpu", "gpu"]
Severity = Literal["refuse", "exclude", "prefer", "flag", "info"]
Embedding = Literal["random", "static", "contextual"]
RecipeField = Literal["optimizer", "learning_rate", "batch_size", "epochs", "regularization"]
OutputFormat = Literal["text", "markdown", "json", "prompt"]
Pooling = Literal["max", "mean", "last"]  # how an RNN classifier pools its states
Device = Literal["auto", "cpu", "cuda"]  # where the baselines train
# frozen-transformer's head: logistic regression on sentence embeddings, or the lesson's BertCNN (a TextCNN over
# the frozen token features).
Head = Literal["lr", "cnn"]
AlternativeStatus = Literal["ranked", "refused", "excluded"]
# `advisor study NAME` (advisor.baselines.studies).
StudyName = Literal["widths", "pooling", "vanishing-gradient", "ner"]
# Where runs execute, `advisor compare --executor` and `advisor study --executor` (advisor.baselines.executors):
# local, one after another in this process; ray, a Ray task per trial or study unit.
Executor = Literal["local", "ray"]
# The optimizers a training recipe names (advisor.recipes): the four the PyTorch trainer implements, and L-BFGS
# for the convex logistic-regression heads (scikit-learn's default solver).
Optimizer = Literal["adam", "adamw", "adadelta", "sgd", "lbfgs"]
# What a trace entry records: the advisor.engine.Context method that made it.
EffectKind = Literal["exclude", "refuse", "prefer", "flag", "info", "embedding", "recipe", "monitoring"]
# The built-in candidates, in tie-break order.
Architecture = Literal[
    "ngram-linear",
    "ngram-static-linear",
    "textcnn",
    "bilstm",
    "lstm",
    "gru",
    "bilstm-crf",
    "frozen-transformer",
    "transformer-finetune",
    "transformer-setfit",
]

TASKS: tuple[str, ...] = get_args(Task)
DEPLOYS: tuple[str, ...] = get_args(Deploy)
COMPUTES: tuple[str, ...] = get_args(Compute)
SEVERITIES: tuple[str, ...] = get_args(Severity)
EMBEDDINGS: tuple[str, ...] = get_args(Embedding)
RECIPE_FIELDS: tuple[str, ...] = get_args(RecipeField)
FORMATS: tuple[str, ...] = get_args(OutputFormat)
STATUSES: tuple[str, ...] = get_args(AlternativeStatus)
POOLINGS: tuple[str, ...] = get_args(Pooling)
DEVICES: tuple[str, ...] = get_args(Device)
HEADS: tuple[str, ...] = get_args(Head)
STUDIES: tuple[str, ...] = get_args(StudyName)
EXECUTORS: tuple[str, ...] = get_args(Executor)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
TORCH_OPTIMIZERS: tuple[str, ...] = tuple(o for o in OPTIMIZERS if o != "lbfgs")  # what fit() steps with
EFFECT_KINDS: tuple[str, ...] = get_args(EffectKind)
CANDIDATES: tuple[str, ...] = get_args(Architecture)

# Deploy targets where the model runs on the user's device.
EDGE_TARGETS: frozenset[str] = frozenset({"phone", "edge", "browser"})

# The candidates that fine-tune a pretrained transformer: TEP101 refuses every one of them under policy
# finetune_min_examples without accepted plateau evidence, the same evidence lifts them all, and `advisor
# baseline train` checks each against the floor (and for collapse). transformer-setfit is contrastive few-shot
# fine-tuning (SetFit, Tunstall et al. 2022); transformer-finetune trains the encoder and a linear head end to end.
FINETUNING: tuple[str, ...] = ("transformer-finetune", "transformer-setfit")

# What `advisor baseline train` can train: the candidates it implements plus a plain (Elman) RNN, which is no
# candidate but a baseline the lesson uses. PyTorch models are NEURAL (the word-level baselines); the rest are
# scikit-learn heads and the fine-tuned transformers (advisor.baselines.finetune, advisor.baselines.setfit_train).
NEURAL: tuple[str, ...] = ("textcnn", "bilstm", "lstm", "gru", "rnn", "bilstm-crf")
TRAINABLE: tuple[str, ...] = (
    *NEURAL,
    "ngram-linear",
    "ngram-static-linear",
    "frozen-transformer",
    *FINETUNING,
)
# What reads word vectors (the --embeddings file or folder, or the distilled default where the recipe says static).
READS_VECTORS: tuple[str, ...] = (*NEURAL, "ngram-static-linear")
# `advisor baseline export`: the formats and quantizations it writes (advisor.baselines.export), and the
# recurrent classifiers it also exports one step of, for a token-by-token running prediction (unidirectional).
EXPORT_FORMATS: tuple[str, ...] = ("onnx",)
QUANTIZATIONS: tuple[str, ...] = ("int8",)
STREAMING: tuple[str, ...] = ("lstm", "gru", "rnn")
# What it trains on tagging data (the rest of TRAINABLE classify texts only): the BiLSTM-CRF, the recurrent
# baselines as softmax taggers (advisor.baselines.models.TAGGERS), a linear + CRF head on frozen transformer
# token features (advisor.baselines.frozen_tagger) and token-classification fine-tuning.
TAGGING_TRAINABLE: tuple[str, ...] = (
    "bilstm-crf", "bilstm", "lstm", "gru", "rnn", "frozen-transformer", "transformer-finetune"
)  # fmt: skip
# Knowledge distillation (advisor.baselines.distill): the trained transformer classifiers that can teach, and the
# word-level text classifiers that learn from their logits (ngram-static-linear: a ridge head on them).
DISTILL_TEACHERS: tuple[str, ...] = ("frozen-transformer", "transformer-finetune")
DISTILL_STUDENTS: tuple[str, ...] = ("textcnn", "bilstm", "lstm", "gru", "rnn", "ngram-static-linear")
# How a neural student's epoch is picked (advisor.baselines.distill; the default first): on the held-out dev
# texts and their augmented copies, the distillation MSE to the teacher's logits or the agreement with its
# classes (ties: the lower MSE); or the dev accuracy (the hard-label students' rule).
DISTILL_SELECTIONS: tuple[str, ...] = ("held-out-mse", "held-out-agreement", "dev-accuracy")
# Architectures whose plateau counts as evidence (TEP101), per task.
BASELINE_ARCHS: dict[str, tuple[str, ...]] = {
    "classification": ("textcnn", "bilstm", "lstm", "gru", "rnn"),
    "tagging": ("bilstm-crf", "bilstm", "lstm", "gru", "rnn"),
}


def is_english(language: str) -> bool:
    """Whether a BCP-47 code names English (``en``, ``en-US``, ``EN_gb``)."""
    return language.lower().replace("_", "-").split("-")[0] == "en"
