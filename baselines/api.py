"""The Python API for training: ``train``, ``plateau``, ``evaluate`` and ``predict`` (``advisor.baselines``).

>>> from advisor.baselines import train
>>> result = train("train.jsonl", arch="textcnn", test="test.jsonl", out="runs/textcnn")   # doctest: +SKIP
>>> result.test["accuracy"], result.model                                                    # doctest: +SKIP

``advisor baseline train|plateau|evaluate|predict`` are a thin layer over these functions: the CLI parses the
options, calls them, renders the result (:mod:`advisor.baselines.report`) and maps the errors to exit codes.
Everything that decides lives here: the profile read off the data, the advice the engine gives the architecture
asked (:func:`advice`), TEP101's gate on fine-tuning and the floor the fine-tuned model is checked against
(:func:`finetune_gate`).

Errors are :class:`advisor.errors.AdvisorError` subclasses with one-line messages; ``exit_code`` is what the CLI
exits with: :class:`BaselineInputError` (2: the data, an option or a folder is wrong), :class:`TrainingRefused`
(1: TEP101 refuses fine-tuning without accepted evidence), :class:`ExtraMissing` (1: the message names the
``pip install`` command), ``advisor.baselines.runner.BaselineError`` (1: training cannot produce a result) and
``BaselineInterrupted`` (130: Ctrl-C; the best model so far is kept aside). The messages name the CLI's
options (``--out``, ``--encoder``), which are these functions' keyword arguments.

Importing this module loads neither torch nor numpy: they load when a function trains or predicts.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.candidates import TRANSFORMERS
from advisor.errors import AdvisorError
from advisor.vocabulary import FINETUNING, TAGGING_TRAINABLE

from .manifest import Manifest

if TYPE_CHECKING:
    from advisor.policy import Policy
    from advisor.profile import ConstraintProfile
    from advisor.recommendation import Recommendation

BASELINES_INSTALL = "pip install torch==2.13.0 && pip install 'text-encoder-advisor[baselines]'"


class BaselineInputError(AdvisorError):
    """Something wrong in what was passed: the data, an option, a model folder (the CLI exits 2)."""

    exit_code = 2


class ExtraMissing(AdvisorError):
    """An extra the work needs is not installed; the message names its ``pip install`` command (exit 1)."""


class TrainingRefused(AdvisorError):
    """TEP101 refuses training a fine-tuning candidate (``advisor.vocabulary.FINETUNING``) on this data without
    accepted evidence (exit 1)."""


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """The toolkit's errors as :class:`AdvisorError`: a bad data file is :class:`BaselineInputError`, a missing
    library :class:`ExtraMissing`; the runner's own errors already are AdvisorErrors."""
    from advisor.data import DataError

    try:
        yield
    except DataError as exc:
        raise BaselineInputError(str(exc)) from None
    except ImportError as exc:  # an extra a model kind needs (frozen-transformer: the transformer extra)
        raise ExtraMissing(str(exc)) from None


def require_baselines():
    """The runner, once the ``baselines`` extra (torch, numpy) is known to be importable; else
    :class:`ExtraMissing` naming the install command, before any work."""
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401

        from advisor.baselines import runner
    except ImportError as exc:
        raise ExtraMissing(
            f"the baselines need the 'baselines' extra ({exc.name or exc}): {BASELINES_INSTALL}"
        ) from None
    return runner


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the result ------------------------------------------------------------------------------------------------
class EntityTokens(BaseModel):
    """Tagging: the share of dev tokens tagged as entities (not ``O``), predicted and true."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    predicted_share: float
    true_share: float


class FloorCheck(BaseModel):
    """The fine-tuned model's two verdicts on a dev split (``advisor.baselines.runner.floor_check``); every key
    that function returns is a field here (extra keys are an error, never dropped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["evidence", "majority"] = Field(
        description="the floor: plateau evidence or majority rate"
    )
    evidence: str | None = Field(description="the evidence file (source evidence)")
    metric: str
    dev_examples: int
    score: float = Field(description="the model's dev score")
    floor_mean: float
    floor_std: float
    threshold: float = Field(description="floor mean + std: the score must exceed it")
    beats_floor: bool
    top_class: str = Field(description="the most-predicted class on dev")
    predicted_share: float
    true_share: float
    collapse_margin: float = Field(description="policy.collapse_margin")
    collapsed: bool = Field(
        description="predicted share - true share > collapse_margin (tagging: or entity tokens predicted < "
        "(1 - collapse_margin) x their true share)"
    )
    entity_tokens: EntityTokens | None = Field(default=None, description="tagging: entity-token shares")
    passed: bool = Field(description="beats the floor and did not collapse")


class TrainResult(BaseModel):
    """What :func:`train` produced: the test metrics, the dev history, the floor check (fine-tuning), the saved
    model folder, its manifest and the advice it trained with. :meth:`document` is ``baseline train --json``.
    Every key the trainer returns is a field (extra keys are an error, never silently dropped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    arch: str
    task: str
    model: Path = Field(description="the saved model folder")
    test: dict[str, Any] = Field(
        description="test metrics: accuracy, macro_f1 (or entity f1, precision, recall)"
    )
    per_class: dict[str, Any] | None
    length_buckets: list[dict[str, Any]] = Field(description="the metric per length bucket (monitoring)")
    dev: dict[str, Any] = Field(description="dev curve, best epoch and score, why training stopped")
    examples: dict[str, int]
    split: dict[str, Any]
    oov: dict[str, float]
    data_fingerprint: str
    seconds: dict[str, float]
    seed: int
    versions: dict[str, str | None]
    floor: FloorCheck | None = Field(
        default=None, description="fine-tuning (transformer-finetune, -setfit) only"
    )
    distillation: dict[str, Any] | None = Field(
        default=None,
        description="--teacher only: the teacher and its dev/test scores, the loss, the augmentation, the rows "
        "(advisor.baselines.distill)",
    )
    plot: Path = Field(description="the per-length PNG in the model folder")
    manifest: Manifest = Field(description="the model folder's manifest.json")
    advice: dict[str, Any] | None = Field(description="what `advisor recommend` gives the profile for arch")
    vectors: dict[str, Any] = Field(
        default_factory=lambda: {"source": "none"},
        description="the static vectors it read (source: given, distilled, random-init or none; the manifest's "
        "run.vectors) and how many word vectors the saved model keeps (kept_words, kept_mb)",
    )

    @property
    def metrics(self) -> dict[str, Any]:
        """The test metrics (``test``)."""
        return self.test

    def document(self) -> dict[str, Any]:
        """The ``advisor baseline train --json`` document: every field but the manifest and the advice (the
        manifest holds the advice, under ``run.advice``); ``floor`` only for fine-tuning, ``distillation`` only
        with a teacher."""
        doc = self.model_dump(mode="json", exclude={"manifest", "advice"})
        for optional in ("floor", "distillation"):
            if doc[optional] is None:
                del doc[optional]
        return doc


# -- the engine's answer, the gate, the advice ------------------------------------------------------------------
def read_profile(
    data: str | Path,
    profile: ConstraintProfile | Mapping[str, Any] | None = None,
    *,
    task: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
) -> ConstraintProfile:
    """The profile of ``data`` as ``advisor recommend --data DATA`` reads it, with ``profile``'s values (a mapping
    of :class:`~advisor.profile.ConstraintProfile` fields) on top; a ConstraintProfile is used as given. The
    data's example count and task cannot be overridden (evidence is bound to them)."""
    from pydantic import ValidationError

    from advisor.data.from_file import check_data_facts, profile_values_from_data
    from advisor.errors import validation_line
    from advisor.profile import ConstraintProfile

    if isinstance(profile, ConstraintProfile):
        return profile
    given = dict(profile or {})
    with _errors():
        values = profile_values_from_data(
            data, task=given.get("task") or task, text_column=text_column, label_column=label_column
        )
        check_data_facts(values, given, data, "profile ")
    try:
        return ConstraintProfile.model_validate({**values, **given})
    except ValidationError as exc:
        raise BaselineInputError(validation_line(exc, "profile", whole="profile")) from None


def ask_engine(
    profile: ConstraintProfile, policy: Policy, evidence: str | Path | None = None
) -> Recommendation:
    """What ``advisor recommend --data DATA [--evidence FILE]`` answers for ``profile`` (the evidence verified,
    its checkpoints re-evaluated, once)."""
    from advisor.api import recommend

    return recommend(profile, policy=policy, evidence=evidence)


def finetune_gate(
    profile: ConstraintProfile,
    policy: Policy,
    rec: Recommendation,
    evidence: str | Path | None,
    data: str | Path,
    arch: str = "transformer-finetune",
) -> dict[str, Any]:
    """TEP101's gate on training a fine-tuning ``arch`` (``advisor.vocabulary.FINETUNING``), and the floor the
    trained model is checked against.

    ``rec`` is :func:`ask_engine`'s answer (the evidence verified by :func:`advisor.evidence.verify`). When TEP101
    refuses fine-tuning (under policy ``finetune_min_examples`` without evidence it accepts), this raises
    :class:`TrainingRefused` before any training, with TEP101's reason and its unlock command. Otherwise it
    returns the ``floor`` argument of ``advisor.baselines.runner.train``: accepted evidence's floor (mean ± std)
    and split, else the dev majority-class rate; with ``policy.collapse_margin``.
    """
    if profile.task == "tagging" and arch not in TAGGING_TRAINABLE:  # SetFit labels whole texts (TEP001)
        raise BaselineInputError(
            f"--arch {arch} classifies whole texts (SetFit has no per-token output): for tagging data use --arch "
            "transformer-finetune or bilstm-crf"
        )
    refusal = next((r for r in rec.refusals if r.architecture == arch and r.rule == "TEP101"), None)
    if refusal is not None:
        raise TrainingRefused(  # one line of at most 600 characters: the data path once, not three times
            f"TEP101 refuses training {arch}: {refusal.message}. Unlock: advisor baseline plateau "
            f"{shlex.quote(str(data))} --out evidence.json, then rerun this command with --arch {arch} "
            "--evidence evidence.json"
        )
    ev = rec.evidence
    if ev is not None and ev.accepted:
        return {
            "source": "evidence",
            "evidence": str(evidence),
            "mean": ev.floor_mean,
            "std": ev.floor_std,
            "split_seed": policy.evidence_split_seed,
            "dev_fraction": policy.evidence_dev_fraction,
            "collapse_margin": policy.collapse_margin,
        }
    if ev is not None:
        _note(f"note: evidence not accepted ({ev.reason}): the floor check uses the majority-class rate")
    return {"source": "majority", "collapse_margin": policy.collapse_margin}


def advice(
    arch: str,
    profile: ConstraintProfile,
    policy: Policy,
    rec: Recommendation,
    evidence: str | Path | None = None,
) -> dict[str, Any]:
    """What ``advisor recommend`` gives ``profile`` for ``arch`` (``rec``: :func:`ask_engine`'s answer).

    ``{"architecture", "recommended", "embedding", "why", "recipe"}``: the embedding input, the reason
    its rule gives, and the five recipe lines, as recommend prints them when ``arch`` wins (otherwise the
    engine is asked with ``force_winner``, as ``advisor check`` asks it). The plain RNN baseline is no
    candidate: it reads the LSTM's advice (the same recipe row). An architecture the profile excludes or
    refuses gets ``embedding`` None and a note naming the rule; it still trains, as asked. Training always
    follows the recipe table: a line a plugin's rule printed instead is named in a note.
    """
    from advisor.api import recommend
    from advisor.candidates import MULTILINGUAL
    from advisor.recipes import recipe_for

    asked = "lstm" if arch == "rnn" else arch
    out = {"architecture": arch, "recommended": rec.architecture}
    if rec.architecture != asked:
        _note(f"note: recommend picks {rec.architecture} for this profile; this trains {arch}")
        blocked = next(
            (a for a in rec.alternatives if a.architecture == asked and a.status != "ranked"), None
        )
        if blocked is not None:
            _note(
                f"note: recommend {blocked.status} {arch} for this profile ({blocked.why_not}); training it anyway"
            )
            return {**out, "embedding": None, "why": blocked.why_not, "recipe": None}
        rec = recommend(profile, policy=policy, evidence=evidence, force_winner=asked)
    why = next(t.reason for t in reversed(rec.trace) if t.kind == "embedding")  # the last one set it
    if arch in TRANSFORMERS and not profile.english:
        _note(
            f"note: the recipe names {MULTILINGUAL} for language {profile.language}; "
            "this baseline encodes with the bundled English all-MiniLM-L6-v2"
        )
    printed = rec.recipe.model_dump()
    table = recipe_for(asked, profile.task).lines(profile.task)
    for name, line in printed.items():  # a plugin's rule may print another line than the table's
        if line != table[name] and not line.startswith(f"{table[name]}; encoder: "):
            _note(f"note: recommend prints {name} {line!r} (a plugin's rule); this trains {table[name]!r}")
    return {**out, "embedding": rec.embedding, "why": why, "recipe": printed}


# -- the four functions -----------------------------------------------------------------------------------------
def train(
    data: str | Path,
    *,
    arch: str | None = None,
    profile: ConstraintProfile | Mapping[str, Any] | None = None,
    policy: Policy | None = None,
    evidence: str | Path | None = None,
    test: str | Path | None = None,
    dev: str | Path | None = None,
    out: str | Path | None = None,
    task: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    embeddings: str | Path | None = None,
    freeze_embeddings: bool | None = None,
    pooling: str = "max",
    head: str = "lr",
    encoder: str | Path | None = None,
    epochs: int | None = None,
    seed: int = 0,
    device: str = "auto",
    threads: int = 1,
    force: bool = False,
    teacher: str | Path | None = None,
    unlabeled: str | Path | None = None,
    augment: int = 0,
    selection: str | None = None,
) -> TrainResult:
    """Train ``arch`` on ``data`` with the recipe ``advisor recommend`` gives its profile, test it, save it.

    What ``advisor baseline train DATA`` does (its options are these keywords; ``test``/``dev`` are ``--test`` /
    ``--dev``). ``profile``: profile fields on top of what the data shows (``{"deploy": "phone"}``), or a
    :class:`~advisor.profile.ConstraintProfile` read from ``data``; ``policy``: the thresholds (default: the
    nearest pyproject's ``[tool.advisor]``, as the CLI). ``arch`` None: TextCNN (BiLSTM-CRF for tagging).
    ``head``: ``frozen-transformer``'s head, ``lr`` (logistic regression) or ``cnn`` (the lesson's BertCNN).

    ``transformer-finetune`` and ``transformer-setfit`` (``advisor.vocabulary.FINETUNING``) pass TEP101's gate first (:func:`finetune_gate`): under the example threshold it
    needs ``evidence`` the engine accepts for ``data`` and otherwise raises :class:`TrainingRefused` before any
    work; the fine-tuned model then gets the floor check (``result.floor``). ``encoder``: a local Hugging Face
    model folder (default: the shipped all-MiniLM-L6-v2), for ``frozen-transformer`` too. On tagging data
    ``transformer-finetune`` is token classification and ``frozen-transformer`` a CRF on frozen token features. The model folder is ``out`` (default
    ``runs/<arch>-seed<seed>``), written atomically, reloadable by :func:`evaluate` and :func:`predict`.

    ``teacher``: a saved ``frozen-transformer`` or ``transformer-finetune`` classifier folder whose logits the
    student ``arch`` (TextCNN, an RNN classifier) learns, over the training texts, the ``unlabeled`` texts and
    ``augment`` augmented copies per training text (:mod:`advisor.baselines.distill`); ``result.distillation``
    holds the teacher's dev/test scores measured in the same run. ``selection``: how a neural student's epoch
    is picked (``advisor.vocabulary.DISTILL_SELECTIONS``; None: ``distill.SELECTION``).
    """
    from advisor.errors import did_you_mean
    from advisor.policy import find_project_policy
    from advisor.vocabulary import HEADS, TRAINABLE

    for name, value, choices in (("--arch", arch, TRAINABLE), ("--head", head, HEADS)):
        if value is not None and value not in choices:
            raise BaselineInputError(
                f"{name} {value!r} is not one of {', '.join(choices)}{did_you_mean(str(value), choices)}"
            )
    finetune = arch in FINETUNING
    if head != "lr" and arch != "frozen-transformer":
        raise BaselineInputError(f"--head {head} applies to --arch frozen-transformer only")
    if encoder and arch not in TRANSFORMERS:
        *most, last = sorted(TRANSFORMERS)
        raise BaselineInputError(f"--encoder applies to --arch {', '.join(most)} and {last} only")
    if evidence and not finetune:
        raise BaselineInputError(f"--evidence applies to --arch {' or '.join(FINETUNING)} only")
    distill = _distill_options(arch, teacher, unlabeled, augment, selection)
    runner = require_baselines()
    policy = policy or find_project_policy()
    floor, answer = None, None
    with _errors():
        if finetune:  # the gate, before any work
            profile = read_profile(
                data, profile, task=task, text_column=text_column, label_column=label_column
            )
            answer = ask_engine(profile, policy, evidence)
            floor = finetune_gate(profile, policy, answer, evidence, data, arch)
    given = {"advice": None}

    def advise(arch_: str, task_: str) -> dict:
        nonlocal profile, answer
        if answer is None:  # asked once the runner has checked the data, the arch and --out
            profile = read_profile(
                data, profile, task=task_, text_column=text_column, label_column=label_column
            )
            answer = ask_engine(profile, policy, evidence)
        given["advice"] = advice(arch_, profile, policy, answer, evidence)
        return given["advice"]

    with _errors():
        doc = runner.train(
            data,
            task=task,
            text_column=text_column,
            label_column=label_column,
            test_file=test,
            dev_file=dev,
            arch=arch,
            pooling=pooling,
            embeddings=embeddings,
            freeze_embeddings=freeze_embeddings,
            epochs=epochs,
            seed=seed,
            device=device,
            out=out,
            threads=threads,
            advise=advise,
            force=force,
            encoder=encoder,
            head=head,
            floor=floor,
            distill=distill,
        )
        manifest = runner.read_manifest(doc["model"])
    return TrainResult(**doc, manifest=manifest, advice=given["advice"])


def _distill_options(arch, teacher, unlabeled, augment, selection=None) -> dict[str, Any] | None:
    """``runner.train``'s ``distill`` argument, or the one-line error for options that do not go together."""
    from advisor.errors import did_you_mean
    from advisor.vocabulary import DISTILL_SELECTIONS, DISTILL_STUDENTS

    if teacher is None:
        if unlabeled is not None or augment:
            raise BaselineInputError("--unlabeled and --augment apply with --teacher MODEL_DIR only")
        if selection is not None:
            raise BaselineInputError("selection applies with a teacher only (it picks a student's epoch)")
        return None
    if selection is not None and selection not in DISTILL_SELECTIONS:
        raise BaselineInputError(
            f"selection {selection!r} is not one of {', '.join(DISTILL_SELECTIONS)}"
            f"{did_you_mean(str(selection), DISTILL_SELECTIONS)}"
        )
    if arch is not None and arch not in DISTILL_STUDENTS:
        raise BaselineInputError(
            f"--teacher trains a student: --arch {' , '.join(DISTILL_STUDENTS)}, not {arch}".replace(
                " , ", ", "
            )
        )
    if not isinstance(augment, int) or augment < 0:
        raise BaselineInputError(f"--augment {augment!r}: a number of copies per training text, 0 or more")
    return {"teacher": teacher, "unlabeled": unlabeled, "augment": augment, "selection": selection}


def plateau(
    data: str | Path,
    out: str | Path,
    *,
    arch: str | Sequence[str] | None = None,
    seeds: int = 3,
    patience: int = 3,
    min_delta: float = 0.001,
    max_epochs: int = 60,
    fractions: str | Sequence[float] = "0.25,0.5,1.0",
    embeddings: str | Path | None = None,
    task: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    device: str = "auto",
    threads: int = 1,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """Train baselines (default TextCNN and BiLSTM; BiLSTM-CRF for tagging) with ``seeds`` seeds each on the
    policy's evidence split of ``data`` until they plateau; write the evidence file ``out`` that TEP101 verifies
    (``advisor baseline plateau``). Returns the evidence summary (``--json``)."""
    runner = require_baselines()
    archs = arch if arch is None or isinstance(arch, str) else ",".join(arch)
    if not isinstance(fractions, str):
        fractions = ",".join(str(f) for f in fractions)
    with _errors():
        return runner.plateau(
            data,
            out,
            task=task,
            text_column=text_column,
            label_column=label_column,
            archs=archs,
            seeds=seeds,
            patience=patience,
            min_delta=min_delta,
            max_epochs=max_epochs,
            fractions=fractions,
            embeddings=embeddings,
            device=device,
            threads=threads,
            policy=policy,
        )


def evaluate(
    model: str | Path,
    data: str | Path,
    *,
    task: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
) -> dict[str, Any]:
    """Score a saved model folder on ``data`` (``advisor baseline evaluate``): accuracy, macro-F1, per class and
    per length (tagging: entity F1)."""
    runner = require_baselines()
    with _errors():
        return runner.evaluate(model, data, task=task, text_column=text_column, label_column=label_column)


def predict(model: str | Path, texts: Sequence[str]) -> list[tuple[str, Any]]:
    """``(text, prediction)`` for each text (a tagger's prediction: its tags, space-separated), from a saved
    model folder (``advisor baseline predict``)."""
    if isinstance(texts, str):
        raise BaselineInputError("predict takes a list of texts, not one string")
    runner = require_baselines()
    with _errors():
        return runner.predict(model, list(texts))
