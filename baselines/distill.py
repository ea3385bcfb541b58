"""Knowledge distillation: a word-level student learns a trained transformer's logits (Tang et al. 2019).

``advisor baseline train DATA --arch STUDENT --teacher MODEL_DIR [--unlabeled FILE] [--augment N]``
(``advisor.baselines.train(..., teacher=, unlabeled=, augment=)``) trains the student (``advisor.vocabulary.
DISTILL_STUDENTS``: TextCNN and the RNN classifiers with the project's trainer
(:func:`advisor.baselines.train.train_classifier`, its recipe row, the epoch picked as below;
``ngram-static-linear`` with a ridge-regression head, :func:`advisor.baselines.ngram.select_ridge`: the same
MSE, solved in closed form, C picked on the real dev labels) on a transfer set scored by the teacher (``DISTILL_TEACHERS``: a saved ``frozen-transformer`` classifier, either
head, or a ``transformer-finetune`` one, which TEP101's gate allowed when it was trained):

* the training texts (labeled rows);
* the ``--unlabeled`` texts (a JSONL file's text column, or one text per line);
* ``--augment N``: up to N distinct augmented copies of each training text (:func:`augment`);

at most :data:`MAX_ROWS` rows (a constant, not a policy field: it sizes the transfer set for a 2-core CPU;
the training texts are always kept, then unlabeled texts, then augmented copies, in order).

The loss (:class:`DistillObjective`) is the mean squared error between the student's and the teacher's logits,
Tang et al.'s choice: logits keep what the softmax squashes (how far past the boundary the teacher is, how it
ranks the wrong classes), and matching logits is the high-temperature limit of Hinton et al.'s KL objective,
without a temperature to tune. Logits are defined up to a constant per row under the softmax, so the teacher's
are centred (each row minus its mean; a binary logistic head's one decision value d becomes ``(-d/2, d/2)``).
``hard_weight`` (default :data:`HARD_WEIGHT` = 0: pure distillation) mixes in the hard-label cross-entropy on
the labeled rows: ``loss = (1 - w) * MSE + w * CE`` (CE averaged over the labeled rows of the batch).

Picking the epoch (``selection``, ``advisor.vocabulary.DISTILL_SELECTIONS``; default :data:`SELECTION`) of a
neural student; the trainer keeps the picked epoch's weights and stops after the recipe's patience of epochs
that fail to beat it. The held-out rules judge the student where it did not train, against the teacher, on a
held-out slice: the dev texts (never in the transfer set) and up to :data:`HELD_OUT_COPIES` augmented copies of
each (:func:`held_out_rows`: Tang's rules, swaps from the training words), scored by the teacher. They read no
dev label, so the slice is 5x the dev texts and its score moves with every row, where at 250-1,000 training
examples the dev set has 25-100 labels and its accuracy moves in steps of 1-4 points; and a student matching
logits starts slowly (it first has to reach the teacher's logit scale) while the dev accuracy stays flat, so
patience on the dev accuracy ended students before they had learned (TREC 250: 4 epochs, 0.268 test), and
training to the epoch cap with the best dev accuracy kept hurt the toy chain's student instead (0.956 ->
0.778, int8 -2.2 points; ``benchmarks/results/distill-epoch-cap-experiment.jsonl``).

* ``held-out-mse`` (the default): the student's objective itself on the slice, the MSE between its logits and
  the teacher's centred logits. It keeps falling while the student is still learning the teacher (TREC 250:
  20 epochs, 0.658 test against 0.268 under ``dev-accuracy`` and 0.588 on hard labels) and turns up when the
  student starts memorising the training rows' logits (the toy chain's student: epoch 11, 0.967 test, int8
  +0). Its weak spot, measured: the MSE weighs logit magnitudes, and a teacher with small logits (MiniLM's
  logistic head on MR: held-out MSE 0.01) is matched best by the barely trained student's near-zero outputs,
  so it picked epoch 1 on MR (0.530 and 0.618 test at 250 and 1,000, against 0.568 and 0.631 under
  ``dev-accuracy``); ``benchmarks/results/distill-held-out-mse.jsonl``.
* ``held-out-agreement``: the share of held-out rows on which the student's class is the teacher's, ties
  broken by the lower MSE (the score is ``matches + 1 / (1 + MSE)``). Measured and not the default: on the
  copies (80% of the slice) a student still predicting one class agrees with the teacher as often as a
  better one, so on SST-2 1,000 the agreement sat at 0.72 while the MSE fell and patience ended it at epoch 6
  (0.529 test; ``benchmarks/results/distill-held-out-agreement.jsonl``).
* ``dev-accuracy``: the hard-label students' rule, the accuracy on the real dev labels.

The dev accuracy is measured each epoch under every rule (``dev.curve``; ``dev.best`` is its value at the
picked epoch). The linear student (``ngram-static-linear``) has no epochs: its C is picked on the dev labels either way.

The model folder's manifest records ``run.distillation``: the teacher (path, architecture, head, encoder,
data fingerprint), its dev and test scores measured in the same run, the loss, the augmentation settings and
what they did, the row counts, and ``selection``: the rule, the held-out slice's size, the patience, the
picked epoch, and the held-out agreement and MSE after each epoch.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from advisor.data import DataError, Example, tokenize
from advisor.vocabulary import DISTILL_SELECTIONS, DISTILL_STUDENTS, DISTILL_TEACHERS

MAX_ROWS = 100_000  # the transfer set's cap on this CPU (issue 13: about 100k rows)
HARD_WEIGHT = 0.0  # the hard-label cross-entropy's share of the loss (0: the teacher's logits only)
TEACHER_MASK = "[MASK]"  # what the teacher reads for a masked word (BERT's mask token)
STUDENT_MASK = (
    "\ue000"  # one token for advisor.data.tokenize that no vocabulary holds: the student reads <unk>
)
TEACHER_BATCH = 64
SELECTION = "held-out-mse"  # how a neural student's epoch is picked (DISTILL_SELECTIONS; "Picking the epoch")
HELD_OUT_COPIES = 4  # augmented copies of each dev text in the held-out slice of the held-out-mse rule


@dataclass(frozen=True)
class Augmentation:
    """Tang et al.'s (2019) augmentation rules. Per copy, each word in turn: with ``mask_p`` it is masked, else
    with ``swap_p`` it is replaced by a word drawn uniformly from the training vocabulary (Tang swap a word of
    the same part of speech; the project has no POS tagger, so this is the random same-vocabulary swap); then
    with ``ngram_p`` the copy is cut to a random n-gram, n uniform in 1..``ngram_max``. Seeded per text:
    the same seed gives the same copies. A copy equal to its text or to an earlier copy is dropped, so a text
    gets at most ``copies``."""

    copies: int
    seed: int = 0
    mask_p: float = 0.1
    swap_p: float = 0.1
    ngram_p: float = 0.25
    ngram_max: int = 5
    swap: str = "random same-vocabulary word (no POS tagger)"


def augment(
    token_lists: Sequence[Sequence[str]], rules: Augmentation, vocabulary: Sequence[str]
) -> tuple[list[tuple[int, list[str | None]]], dict[str, int]]:
    """The augmented copies of ``token_lists``: ``(index of the source text, tokens)`` pairs, a masked word
    being None, and how often each operation applied (``masked``, ``swapped`` words; ``ngram`` copies)."""
    words = sorted(set(vocabulary))
    counts = {"masked": 0, "swapped": 0, "ngram": 0}
    out: list[tuple[int, list[str | None]]] = []
    for i, tokens in enumerate(token_lists):
        rng = random.Random(rules.seed * 1_000_003 + i)
        seen = {tuple(tokens)}
        for _ in range(rules.copies):
            copy: list[str | None] = []
            masked = swapped = 0
            for tok in tokens:
                u = rng.random()
                if u < rules.mask_p:
                    copy.append(None)
                    masked += 1
                elif u < rules.mask_p + rules.swap_p and words:
                    copy.append(words[rng.randrange(len(words))])
                    swapped += 1
                else:
                    copy.append(tok)
            cut = len(copy) > 1 and rng.random() < rules.ngram_p
            if cut:
                n = min(len(copy), rng.randint(1, rules.ngram_max))
                start = rng.randrange(len(copy) - n + 1)
                copy = copy[start : start + n]
            key = tuple(copy)
            if key in seen:
                continue
            seen.add(key)
            out.append((i, copy))
            counts["masked"] += masked
            counts["swapped"] += swapped
            counts["ngram"] += cut
    return out, counts


def render(tokens: Sequence[str | None], mask: str) -> str:
    """An augmented copy as text, a masked word written ``mask``."""
    return " ".join(mask if t is None else t for t in tokens)


def read_unlabeled(path: str | Path, text_column: str = "text") -> list[str]:
    """The texts of ``path``: a JSONL file's ``text_column`` (labels, if any, are ignored), else one text per
    non-blank line. ``DataError`` (one line) for a file that cannot be read or a JSONL line without the text."""
    from advisor.data.files import read_text_file

    text = read_text_file(path, "--unlabeled", DataError)
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise DataError(f"--unlabeled {path}: no texts")
    if not lines[0][1].startswith("{"):
        return [line for _, line in lines]
    texts = []
    for n, line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not a JSON object ({exc.msg})") from None
        value = row.get(text_column) if isinstance(row, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{path}:{n}: no non-empty {text_column!r} text")
        texts.append(value.strip())
    return texts


# -- the teacher ------------------------------------------------------------------------------------------------
@dataclass
class Teacher:
    """A loaded teacher: its folder, manifest, model (``predict(items)``) and class names by logit column."""

    path: Path
    manifest: Any
    model: Any
    labels: list[str]

    def record(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "path": str(self.path.resolve()),
            "architecture": m.architecture,
            "head": m.model.get("head", "lr") if m.architecture == "frozen-transformer" else None,
            "encoder": m.model.get("encoder"),
            "data_fingerprint": m.data_fingerprint,
        }

    def logits(self, texts: Sequence[str]):
        """The teacher's centred logits for ``texts``: float32 ``(len(texts), classes)`` in ``labels`` order."""
        import numpy as np
        import torch

        inner = self.model.model
        rows = []
        with torch.inference_mode():
            for s in range(0, len(texts), TEACHER_BATCH):
                batch = [str(t) for t in texts[s : s + TEACHER_BATCH]]
                if hasattr(inner, "head"):  # frozen-transformer, logistic-regression head
                    rows.append(inner.head.decision(inner._features(batch)))
                elif hasattr(inner, "_pad"):  # frozen-transformer, BertCNN head
                    device = next(inner.net.parameters()).device
                    feats = inner._pad(inner.features(batch))
                    rows.append(inner.net(**{k: v.to(device) for k, v in feats.items()})[0].cpu().numpy())
                else:  # transformer-finetune
                    inner._require_fit()
                    enc = {k: v.to(inner.device) for k, v in inner._batch(batch).items()}
                    rows.append(inner.net(**enc).float().cpu().numpy())
        out = np.concatenate(rows).astype(np.float64) if rows else np.zeros((0, len(self.labels)))
        if out.shape[1] == 1:  # a binary logistic head: one decision value for classes[1]
            out = np.column_stack([np.zeros(len(out)), out[:, 0]])
        return (out - out.mean(axis=1, keepdims=True)).astype(np.float32)


def _class_names(inner: Any) -> list[str]:
    if hasattr(inner, "head"):
        return [str(c) for c in inner.head.classes]
    return [str(c) for c in inner.labels]


def load_teacher(path: str | Path, labels: Sequence[str], task: str) -> Teacher:
    """The teacher in ``path``, refused in one line (``DataError``) unless it is a saved ``frozen-transformer``
    or ``transformer-finetune`` text classifier with exactly the data's labels (``labels``, ``task``)."""
    from .runner import load_any
    from .runner import read_manifest as manifest_of

    path = Path(path)
    if task != "classification":
        raise DataError(f"--teacher: distillation trains a text classifier; this data is {task}")
    try:
        manifest = manifest_of(path)
    except DataError as exc:
        raise DataError(f"--teacher {exc}") from None
    kinds = " or ".join(DISTILL_TEACHERS)
    if manifest.architecture not in DISTILL_TEACHERS:
        raise DataError(
            f"--teacher {path}: a {manifest.architecture} model; the teacher must be a trained {kinds} classifier"
        )
    if manifest.task != "classification":
        raise DataError(
            f"--teacher {path}: a {manifest.architecture} tagger; the teacher must be a {kinds} text classifier"
        )
    theirs, ours = sorted(str(x) for x in manifest.labels), sorted(set(labels))
    if theirs != ours:
        raise DataError(
            f"--teacher {path}: its labels ({', '.join(theirs)}) differ from the data's ({', '.join(ours)})"
        )
    manifest, model = load_any(path)
    return Teacher(path, manifest, model, _class_names(model.model))


def check_student(arch: str) -> None:
    if arch not in DISTILL_STUDENTS:
        raise DataError(
            f"--teacher: the student must be one of {', '.join(DISTILL_STUDENTS)} (--arch {arch} is no student)"
        )


# -- the loss ---------------------------------------------------------------------------------------------------
def objective(hard_weight: float = HARD_WEIGHT):
    """``train_classifier``'s ``objective``: wraps the student in :class:`DistillObjective`."""
    import torch.nn.functional as F
    from torch import nn

    class DistillObjective(nn.Module):
        """``(1 - w) * MSE(student logits, teacher logits) + w * CE(student logits, labels)`` (CE on the labeled
        rows only). Called without a teacher (prediction) it is the student."""

        def __init__(self, student: nn.Module):
            super().__init__()
            self.student = student
            if hasattr(student, "apply_max_norm"):
                self.apply_max_norm = student.apply_max_norm

        def forward(self, tokens, mask=None, targets=None, teacher=None, labeled=None):
            logits, _ = self.student(tokens, mask)
            if teacher is None:
                return logits, None
            # logits, teacher: (batch_size, num_classes); labeled: (batch_size,) bool
            loss = F.mse_loss(logits, teacher)
            if hard_weight and labeled is not None and bool(labeled.any()):
                ce = F.cross_entropy(logits[labeled], targets[labeled])
                loss = (1 - hard_weight) * loss + hard_weight * ce
            return logits, loss

    return DistillObjective


def _scores(model: Any, items: Sequence[Example]) -> dict[str, float]:
    from .metrics import accuracy, macro_f1

    gold = [x.label for x in items]
    pred = [str(p) for p in model.predict(items)]
    return {"accuracy": round(accuracy(gold, pred), 4), "macro_f1": round(macro_f1(gold, pred), 4)}


# -- training ---------------------------------------------------------------------------------------------------
def train_student(
    arch: str,
    teacher: Teacher,
    train_items: Sequence[Example],
    dev_items: Sequence[Example],
    test_items: Sequence[Example],
    *,
    unlabeled: str | Path | None = None,
    augment_copies: int = 0,
    text_column: str = "text",
    seed: int = 0,
    hard_weight: float = HARD_WEIGHT,
    selection: str | None = None,
    note=print,
    linear: Any = None,
    **train_options: Any,
):
    """Train ``arch`` on ``teacher``'s logits over the transfer set (see the module docstring); returns the
    bundle (``linear`` itself, fitted, for a linear student) and the ``distillation`` record.
    ``train_options``: :func:`advisor.baselines.runner.train_neural`'s keywords (device, epochs, pooling,
    embeddings...). ``linear``: the unfitted ``ngram-static-linear`` classifier
    (:meth:`~advisor.baselines.ngram.NgramLinearClassifier.fit_to_logits`: its features on the training and
    unlabeled texts, a ridge head on the teacher's logits; ``train_options`` and ``hard_weight`` do not apply)."""

    check_student(arch)
    selection = selection or SELECTION
    if selection not in DISTILL_SELECTIONS:
        raise DataError(f"selection {selection!r} is not one of {', '.join(DISTILL_SELECTIONS)}")
    texts = [x.text for x in train_items]
    extra = read_unlabeled(unlabeled, text_column) if unlabeled is not None else []
    rules = Augmentation(augment_copies, seed) if augment_copies else None
    room = MAX_ROWS - len(texts)
    dropped = max(0, len(extra) - room)
    extra = extra[: max(0, room)]
    room -= len(extra)
    copies: list[tuple[int, list[str | None]]] = []
    ops = None
    if rules is not None:
        token_lists = [tokenize(t) for t in texts]
        copies, ops = augment(token_lists, rules, [w for toks in token_lists for w in toks])
        dropped += max(0, len(copies) - room)
        copies = copies[: max(0, room)]
    if dropped:
        note(f"note: the transfer set is capped at {MAX_ROWS:,} rows: {dropped:,} rows left out")
    teacher_texts = texts + extra + [render(c, TEACHER_MASK) for _, c in copies]
    student_texts = texts + extra + [render(c, STUDENT_MASK) for _, c in copies]
    note(f"distillation: the teacher scores {len(teacher_texts):,} rows")
    scored = teacher.logits(teacher_texts)
    labels = sorted({x.label for x in train_items})
    scored = scored[:, [teacher.labels.index(lab) for lab in labels]]  # columns in the student's label order
    if linear is not None:
        dev_texts, dev_labels = [x.text for x in dev_items], [x.label for x in dev_items]
        bundle = linear.fit_to_logits(texts + extra, student_texts, scored, labels, dev_texts, dev_labels)
        loss = {"kind": "mse on centred logits (ridge regression, C on dev)", "hard_weight": 0.0}
        selected = {"rule": "dev-accuracy (C of the ridge grid)"}
    else:
        bundle, selected = _train_neural_student(arch, train_items, dev_items, texts, extra, student_texts,
                                                 scored, labels, seed, hard_weight, train_options, teacher,
                                                 selection)  # fmt: skip
        loss = {"kind": "mse on centred logits", "hard_weight": hard_weight}
    record = {
        "teacher": {
            **teacher.record(),
            "dev": _scores(teacher.model, dev_items),
            "test": _scores(teacher.model, test_items),
        },
        "loss": loss,
        "selection": selected,
        "unlabeled": None if unlabeled is None else {"file": str(unlabeled), "texts": len(extra)},
        "augmentation": None if rules is None else {**asdict(rules), "operations": ops},
        "rows": {
            "train": len(texts),
            "unlabeled": len(extra),
            "augmented": len(copies),
            "total": len(student_texts),
            "cap": MAX_ROWS,
            "left_out": dropped,
        },
    }
    return bundle, record


def held_out_rows(
    dev_texts: Sequence[str], train_texts: Sequence[str], seed: int = 0, copies: int = HELD_OUT_COPIES
) -> tuple[list[str], list[str], int]:
    """The held-out slice the ``held-out-mse`` rule scores (module docstring, "Picking the epoch"): the dev
    texts, then up to ``copies`` augmented copies of each (:class:`Augmentation`'s rules and ``seed``; swaps
    draw from the training texts' words, as the transfer set's copies do). Returns the texts as the teacher
    reads them, as the student reads them, and how many are copies."""
    token_lists = [tokenize(t) for t in dev_texts]
    words = [w for t in train_texts for w in tokenize(t)]
    made, _ = augment(token_lists, Augmentation(copies, seed), words)
    teacher = [*dev_texts, *(render(c, TEACHER_MASK) for _, c in made)]
    student = [*dev_texts, *(render(c, STUDENT_MASK) for _, c in made)]
    return teacher, student, len(made)


def _train_neural_student(arch, train_items, dev_items, texts, extra, student_texts, scored, labels, seed,
                          hard_weight, train_options, teacher, selection):  # fmt: skip
    """The neural student: the project's trainer on the transfer set, the teacher's logits as a row tensor;
    the epoch picked by ``selection`` (``DISTILL_SELECTIONS``). Returns the bundle and the selection record."""
    import torch
    import torch.nn.functional as F

    from advisor.recipes import recipe_for

    from .runner import train_neural
    from .train import predict_logits
    from .vocab import Vocab

    guessed = [labels[i] for i in scored.argmax(axis=1)]
    items = list(train_items) + [Example(t, g) for t, g in zip(student_texts[len(texts) :], guessed[len(texts) :], strict=True)]  # fmt: skip
    vocab = Vocab.build(tokenize(t) for t in texts + extra)  # a masked word (STUDENT_MASK) reads <unk>
    labeled = torch.zeros(len(items), dtype=torch.bool)
    labeled[: len(texts)] = True
    options = {
        "vocab": vocab,
        "row_tensors": {"teacher": torch.from_numpy(scored), "labeled": labeled},
        "objective": objective(hard_weight),
    }
    record: dict[str, Any] = {"rule": selection}
    curves: dict[str, list[float]] = {"agreement": [], "mse": []}
    if selection != "dev-accuracy":
        for_teacher, for_student, n_copies = held_out_rows([x.text for x in dev_items], texts, seed)
        target = torch.from_numpy(
            teacher.logits(for_teacher)[:, [teacher.labels.index(lab) for lab in labels]]
        )
        answers = target.argmax(1)
        ids = [vocab.encode(tokenize(t)) for t in for_student]

        def select(module) -> float:
            logits = predict_logits(module, ids)
            mse, matches = float(F.mse_loss(logits, target)), int((logits.argmax(1) == answers).sum())
            curves["mse"].append(round(mse, 4))
            curves["agreement"].append(round(matches / len(ids), 4))
            # held-out-agreement: more matches first, then the lower MSE (1 / (1 + mse) is in (0, 1])
            return -mse if selection == "held-out-mse" else matches + 1 / (1 + mse)

        options["select"] = select
        record["held_out"] = {
            "dev_texts": len(dev_items),
            "augmented": n_copies,
            "copies_per_text": HELD_OUT_COPIES,
        }
    bundle = train_neural(arch, items, dev_items, "classification", seed=seed, trainer_options=options,
                          **train_options)  # fmt: skip
    fit = bundle.fit
    record["patience"] = train_options.get("patience") or recipe_for(arch, "classification").patience
    record["best_epoch"] = fit.best_epoch
    if curves["mse"]:
        record["held_out_agreement_curve"] = curves["agreement"]
        record["held_out_mse_curve"] = curves["mse"]
    return bundle, record
