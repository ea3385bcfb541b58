"""``advisor compare``: a measured bake-off of the admissible candidates on the user's data.

>>> from advisor import compare
>>> m = compare("train.jsonl", {"deploy": "cpu-server"}, seeds=3, out="runs/compare")   # doctest: +SKIP
>>> m.best, m.candidate(m.best).dev_mean                                                # doctest: +SKIP

How it works (:func:`compare`; the CLI ``advisor compare`` is a thin layer over it):

1. The engine is asked once (:func:`advisor.baselines.api.ask_engine`) for the profile read off the data (and
   ``--evidence``, verified as ``recommend`` verifies it): the candidates are its winner and the alternatives it
   ranks, so exclusions apply and a refused candidate (``transformer-finetune`` under TEP101) joins only when
   its refusal is lifted (the fine-tuning candidates, ``advisor.vocabulary.FINETUNING``, get ``--evidence``). Evidence inside ``--out`` is refused: a run never trusts what it wrote itself.
   New candidates (:data:`advisor.vocabulary.CANDIDATES`) join by themselves.
2. The data is split once (:func:`advisor.data.dataset_split` with the evidence's seed and dev share,
   ``policy.evidence_split_seed`` and ``policy.evidence_dev_fraction``), or trained whole with ``--dev``; the
   parts are written to ``<out>/split/`` and every trial trains on them with
   :func:`advisor.baselines.api.train` (recipe defaults, one torch thread) and is scored on dev with
   :func:`advisor.baselines.api.evaluate`, in the metric the recommendation monitors: accuracy, macro-F1 when
   TEP503 fires, entity F1 for tagging. A ``--test`` score is reported, never used to pick. A candidate that
   reads word vectors trains, as ``baseline train`` does, on the vectors distilled from the shipped MiniLM
   where its recipe says static (there is no ``--embeddings``): they are distilled into the cache once before
   the first trial (:func:`_warm_static_vectors`), recorded in the candidate's ``config.vectors`` and named
   under the table.
3. The plan (:func:`plan`) is made up front from the estimates: candidates ordered cheapest first by
   :func:`planned_seconds` (the estimates table's batch-1 latency at the data's length, times the examples and
   the recipe's epochs: a plan, not a prediction). Without a time budget every candidate gets every seed. With
   one, successive halving: after every candidate's first seed the bottom half by dev mean is dropped, and so
   on, one round per further seed, as many rounds as the budget needs (the pessimistic plan: the dearest
   candidates survive); if even that does not fit, the dearest candidates are skipped. Pruning depends only on
   the dev scores and the planned trial list, never on completion order or the clock, so the same data gives
   the same trials on any executor.
4. After every trial, serially on this machine with no trial running: each candidate's seed-0 model folder is
   measured (size on disk; p95 of :data:`LATENCY_RUNS` single-example predictions of a text of the data's p95
   length, one torch thread).
5. Distilled students (``teacher``, ``advisor compare --teacher MODEL_DIR [--augment N]``): the teacher is checked up
   front as ``baseline train --teacher`` checks it (:func:`advisor.baselines.distill.load_teacher`: a trained
   ``frozen-transformer`` or ``transformer-finetune`` classifier with the data's labels; one line, exit 2
   otherwise), and every candidate that is a distillation student (``advisor.vocabulary.DISTILL_STUDENTS``)
   gets a second row, ``"<arch> (distilled)"``: the same split, the same seeds, the same
   :func:`advisor.baselines.api.train` with ``teacher=`` and ``augment=``, measured like every trial and
   planned, halved and skipped like any candidate. Its cost in the plan (:func:`planned_distilled_seconds`):
   the teacher scoring the transfer set once (the training texts and ``augment`` copies of each, capped at
   :data:`advisor.baselines.distill.MAX_ROWS`) plus dev and test, then the student's own plan over the
   transfer set's rows. The row's ``distillation`` field records the teacher (path, architecture, head,
   encoder, the fingerprint of its training data, its dev and test scores on this split), the augmentation,
   the loss and the rows; TEP404 reads it (``rules/pickers.py``, BEST_DOCS). ``teacher="auto"``
   (:data:`AUTO`): compare's best measured teacher-capable candidate (``DISTILL_TEACHERS`` among the
   candidates, by dev mean, ties in plan order) teaches with its seed-0 model, in a last round after the
   others, every seed (:func:`_auto_teacher`); that round is no part of the halving, its seeds are reserved
   from the budget first and it is skipped rather than any candidate (:func:`_plan`).
6. ``<out>`` is filled in a temporary folder and swapped in whole (:func:`advisor.data.files.replace_dir_atomic`):
   ``measurements.json`` (:class:`advisor.measurements.Measurements`), ``measurements.md`` (the table),
   ``measurements.png`` (dev score against latency), ``split/`` and ``models/<arch>-seed<k>/``. The model
   manifests name the split files by the temporary folder's path they were trained from.

Executors (:mod:`advisor.baselines.executors`, shared with ``advisor study``): ``local`` (default) runs the trials
one after another; ``ray`` runs each (candidate, seed) trial of a round as a Ray task with its own CPUs (and a GPU
when CUDA is there): it joins the cluster named by ``RAY_ADDRESS``, else starts a local instance (``ray_cpus``
CPUs, no dashboard, ``RAY_TMPDIR`` as its temp folder when set) and shuts it down after. On a cluster of several machines ``--out`` must be a folder every
machine sees (the model folders are written by the workers and measured by the driver).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.measurements import DISTILLED, KIND, METRIC_LABELS, SCHEMA_VERSION, Measurements

from . import executors
from .api import BaselineInputError, ask_engine, read_profile, require_baselines

if TYPE_CHECKING:
    from advisor.policy import Policy
    from advisor.profile import ConstraintProfile

AUTO = "auto"  # --teacher auto: compare's best measured teacher-capable candidate teaches, in a last round
LATENCY_RUNS = 50  # single-example predictions timed per candidate (after 3 warm-up calls)
MEASUREMENTS = "measurements.json"


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the plan --------------------------------------------------------------------------------------------------
def planned_seconds(arch: str, profile: ConstraintProfile, train_examples: int) -> float:
    """The plan's cost of one trial of ``arch``: the estimates table's batch-1 CPU latency at the profile's length
    times the examples and passes (3 per epoch for a backward pass, batches 8x cheaper per example than batch 1;
    a contrastive recipe's pairs count as its examples; one pass for the frozen features and the linear heads),
    plus 2 s to load. Orders and budgets trials; it
    predicts nothing."""
    from advisor.candidates import estimate
    from advisor.recipes import recipe_for
    from advisor.vocabulary import FINETUNING, NEURAL

    ms = estimate(arch, profile.tokens, "cpu-server").latency_ms
    recipe = recipe_for(arch, profile.task)
    if recipe.pair_iterations is not None:
        # contrastive fine-tuning (transformer-setfit) trains on 2 x num_iterations pairs per example, two
        # texts a pair: at 800 examples 32,000 pairs, not 800 examples
        passes = 3 * (recipe.max_epochs or 1) * 2 * recipe.pair_iterations * 2 / 8
    elif arch in NEURAL or arch in FINETUNING:
        passes = 3 * (recipe.max_epochs or 1) / 8
    else:
        passes = 1.0
    return round(2.0 + ms / 1000 * train_examples * passes, 1)


def planned_distilled_seconds(
    arch: str, teacher_arch: str, profile: ConstraintProfile, train_examples: int, augment: int, scored: int
) -> float:
    """The plan's cost of one distilled trial of the student ``arch``: 2 s to load the teacher, the teacher's
    one forward pass over the transfer set (the training texts and up to ``augment`` copies of each, capped at
    :data:`~advisor.baselines.distill.MAX_ROWS`) and over the ``scored`` dev and test examples (its scores are
    recorded), at the estimates table's batch-1 latency of ``teacher_arch`` 8x cheaper per example in batches,
    plus :func:`planned_seconds` of the student with the transfer set's rows as its examples."""
    from advisor.candidates import estimate

    from .distill import MAX_ROWS

    rows = min(MAX_ROWS, train_examples * (1 + augment))
    ms = estimate(teacher_arch, profile.tokens, "cpu-server").latency_ms
    return round(2.0 + ms / 1000 * (rows + scored) / 8 + planned_seconds(arch, profile, rows), 1)


def plan(costs: Mapping[str, float], seeds: int, budget_s: float | None) -> tuple[list[str], int, list[str]]:
    """``(order, halvings, skipped)``: the candidates cheapest first (ties in candidate order, as ``costs`` is
    given), the successive-halving rounds planned after the first seed, and the dearest candidates skipped
    because even the most halved plan would not fit ``budget_s``."""
    order = sorted(costs, key=lambda a: (costs[a], list(costs).index(a)))
    if budget_s is None:
        return order, 0, []
    skipped: list[str] = []
    while True:
        most = min(seeds - 1, math.ceil(math.log2(len(order)))) if len(order) > 1 else 0
        for h in range(most + 1):
            if plan_cost([costs[a] for a in order], seeds, h) <= budget_s:
                return order, h, skipped
        if len(order) == 1:
            return order, most, skipped
        skipped.insert(0, order.pop())


def _plan(
    costs: Mapping[str, float], seeds: int, budget_s: float | None, last: Sequence[str]
) -> tuple[list[str], int, list[str], list[str]]:
    """:func:`plan` with ``last`` (``--teacher auto``'s distilled rows: they train after every round, every seed)
    kept out of the halving: their seeds are reserved from the budget first, and when the rest would then have
    to skip a candidate the last round is skipped instead. ``(order, halvings, skipped, last)``; ``order`` ends
    with ``last``."""
    first = {a: c for a, c in costs.items() if a not in last}
    if not last:
        return (*plan(first, seeds, budget_s), [])
    reserved = sum(costs[a] for a in last) * seeds
    room = None if budget_s is None else budget_s - reserved
    order, halvings, skipped = plan(first, seeds, room)
    if room is None or (not skipped and plan_cost([costs[a] for a in order], seeds, halvings) <= room):
        return order + list(last), halvings, skipped, list(last)
    order, halvings, skipped = plan(first, seeds, budget_s)
    return order, halvings, skipped + list(last), []


def rounds(seeds: int, halvings: int) -> list[list[int]]:
    """The seeds each round runs: ``[[0, ..., seeds-1]]`` without halving, else ``[[0], [1], ..., [h, ...]]``."""
    if halvings == 0:
        return [list(range(seeds))]
    return [[i] for i in range(halvings)] + [list(range(halvings, seeds))]


def plan_cost(costs: Sequence[float], seeds: int, halvings: int) -> float:
    """The pessimistic cost of a plan: every round's survivors are the dearest candidates."""
    dear = sorted(costs, reverse=True)
    n, total = len(dear), 0.0
    for i, round_seeds in enumerate(rounds(seeds, halvings)):
        if i:
            n = math.ceil(n / 2)
        total += sum(dear[:n]) * len(round_seeds)
    return total


# -- one trial (runs in a Ray worker too: top-level, plain data in and out) --------------------------------------
def run_trial(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Train ``spec["arch"]`` with ``spec["seed"]`` on the split files and score it on dev (and test)."""
    from advisor.baselines.api import evaluate, train
    from advisor.errors import AdvisorError, message_line
    from advisor.vocabulary import FINETUNING

    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            result = train(
                spec["train"],
                arch=spec["arch"],
                profile=spec["profile"],
                policy=spec["policy"],
                evidence=spec["evidence"] if spec["arch"] in FINETUNING else None,
                test=spec["test"] or spec["dev"],
                dev=spec["dev"],
                out=spec["model"],
                seed=spec["seed"],
                device=spec["device"],
                threads=spec["threads"],
                teacher=spec.get("teacher"),
                augment=spec.get("augment") or 0,
            )
            dev = evaluate(spec["model"], spec["dev"])["test"][spec["metric"]]
    except AdvisorError as exc:
        return {"error": message_line(str(exc), 300)}
    curve = result.dev.get("curve") or None
    advice = result.advice or {}
    return {
        "seed": spec["seed"],
        "dev": round(float(dev), 6),
        "test": round(float(result.test[spec["metric"]]), 6) if spec["test"] else None,
        "best_epoch": result.dev.get("best_epoch"),
        "epochs": len(curve) if curve else None,
        "train_seconds": result.seconds["train"],
        "config": {
            "embedding": advice.get("embedding"),
            "recipe": advice.get("recipe"),
            **({"vectors": result.vectors} if result.vectors.get("source", "none") != "none" else {}),
        },
        **({"distillation": result.distillation} if result.distillation else {}),
    }


# -- measuring the kept models -----------------------------------------------------------------------------------
def folder_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 2)


def probe_item(task: str, dev_items: Sequence, tokens: int):
    """One example of ``tokens`` words, made of the dev texts' words in order (the data's p95 length)."""
    from advisor.data import Example, TaggedSentence, tokenize

    words: list[str] = []
    for x in dev_items:
        words += list(x.tokens) if task == "tagging" else tokenize(x.text)
        if len(words) >= tokens:
            break
    words = (words * (tokens // max(1, len(words)) + 1))[:tokens] or ["x"]
    if task == "tagging":
        return TaggedSentence(tuple(words), tuple("O" for _ in words))
    return Example(" ".join(words), "")


def p95_latency_ms(model_dir: Path, item, runs: int = LATENCY_RUNS) -> float:
    """p95 of ``runs`` single-example predictions of ``item`` by the saved model, on one torch thread."""
    import torch

    from advisor.baselines.runner import load_any

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _, model = load_any(model_dir)
        for _ in range(3):
            model.predict([item])
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model.predict([item])
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        torch.set_num_threads(threads)
    times.sort()
    return round(times[max(0, math.ceil(0.95 * len(times)) - 1)], 3)


# -- the command -------------------------------------------------------------------------------------------------
def _split_files(
    ds, dev_ds, test_ds, policy: Policy, folder: Path
) -> tuple[dict[str, Path | None], dict, dict]:
    """Write train/dev(/test) into ``folder``; return their paths, the split record and the part sizes."""
    from advisor.data import dataset_split

    if dev_ds is not None:
        train_items, dev_items = list(ds.items), list(dev_ds.items)
        split = {"train": "the whole data", "dev": str(dev_ds.path)}
    else:
        share = policy.evidence_dev_fraction
        (train_items, dev_items), split = dataset_split(ds, (1 - share, share), policy.evidence_split_seed)
    parts = {"train": train_items, "dev": dev_items, "test": list(test_ds.items) if test_ds else None}
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path | None] = {}
    ext = ".conll" if ds.task == "tagging" else ".jsonl"
    for name, items in parts.items():
        if items is None:
            paths[name] = None
            continue
        path = folder / f"{name}{ext}"
        if ds.task == "tagging":
            text = "".join(
                "".join(f"{t}\t{g}\n" for t, g in zip(s.tokens, s.tags, strict=True)) + "\n" for s in items
            )
        else:
            text = "".join(
                json.dumps({"text": x.text, "label": x.label}, ensure_ascii=False) + "\n" for x in items
            )
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    sizes = {k: len(v) for k, v in parts.items() if v is not None}
    return paths, split, {"dev_items": dev_items, "sizes": sizes}


def _check_out(out: Path, inputs: Sequence[Path | None]) -> None:
    from advisor.baselines.runner import check_out_path, check_writable
    from advisor.data import DataError

    try:
        check_out_path(out, inputs)
        check_writable(out)
    except DataError as exc:
        raise BaselineInputError(str(exc)) from None
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MEASUREMENTS).is_file())):
        raise BaselineInputError(
            f"--out {out}: exists and is not an `advisor compare` folder (no {MEASUREMENTS}): nothing there is "
            "replaced; choose another --out"
        )


def _candidates(rec, asked: Sequence[str] | None) -> list[str]:
    from advisor.errors import did_you_mean
    from advisor.vocabulary import CANDIDATES

    admissible = [rec.architecture] + [a.architecture for a in rec.alternatives if a.status == "ranked"]
    if not asked:
        return admissible
    blocked = {a.architecture: a for a in rec.alternatives if a.status != "ranked"}
    chosen = []
    for arch in asked:
        if arch not in CANDIDATES:
            raise BaselineInputError(
                f"--candidates: unknown candidate {arch!r}{did_you_mean(arch, CANDIDATES)}"
            )
        if arch in blocked:
            raise BaselineInputError(
                f"--candidates: {arch} is {blocked[arch].status} for this profile ({blocked[arch].why_not}): "
                "compare measures admissible candidates only"
            )
        if arch not in chosen:
            chosen.append(arch)
    return [a for a in admissible if a in chosen]


def _warm_static_vectors(chosen: Sequence[str], progress: bool) -> None:
    """Distil the default static vectors into the cache once, before any trial, when a candidate reads word
    vectors: every trial then reads them from the cache (``baseline train``'s default where the recipe says
    static; compare has no ``--embeddings``), and Ray workers on this machine never distil side by side.
    Without the transformer extra nothing happens here: the trials say what they trained instead."""
    from advisor.vocabulary import READS_VECTORS

    readers = [a for a in chosen if a in READS_VECTORS]
    if not readers:
        return
    from advisor.baselines import static

    try:
        found = static.default_vectors()
    except ImportError:
        return
    if progress:
        how = "from the cache" if found["cached"] else f"distilled in {found['distill_seconds']:g} s"
        _note(
            f"static vectors: {', '.join(readers)} read the ones distilled from the shipped {static.SHIPPED_NAME} "
            f"where the recipe says static ({found['tokens']:,} tokens x {found['dim']}, {how}: {found['folder']})"
        )


def _vectors_note(doc: Measurements) -> list[str]:
    """What the table says about the static vectors the candidates read (their trials' ``config.vectors``)."""
    from .static import SHIPPED_NAME

    by: dict[str, list[str]] = {}
    lines = []
    for c in doc.candidates:
        v = c.config.get("vectors")
        if not v:
            continue
        if v["source"] == "distilled":
            key = (
                f"the vectors distilled from the shipped {SHIPPED_NAME} ({v['tokens']:,} tokens x {v['dim']}, "
                f"{v['path']}), the default where the recipe says static"
            )
        elif v["source"] == "random-init":
            key = f"no static vectors: random-init embeddings ({v['reason']})"
        else:
            key = f"the vectors of {v['path']}"
        by.setdefault(key, []).append(c.name)
    for key, archs in by.items():
        lines.append(f"Static vectors: {', '.join(archs)} read {key}.")
    return lines


def _distilled_note(doc: Measurements) -> list[str]:
    """What the table says about the distilled rows: the teacher, its scores on this split, the augmentation."""
    rows = [c for c in doc.candidates if c.distillation is not None]
    if not rows or rows[0].distillation.teacher is None:
        return []
    d = rows[0].distillation
    t = d.teacher
    scores = ""
    if t.dev is not None:
        scores = f"; the teacher's dev {METRIC_LABELS[doc.metric]} {t.dev.get(doc.metric, float('nan')):.4f}"
        if t.test is not None:
            scores += f", test {t.test.get(doc.metric, float('nan')):.4f}"
    copies = f" and up to {d.augment} augmented copies of each" if d.augment else ""
    auto = " (--teacher auto: the best measured teacher-capable candidate's seed-0 model)" if d.auto else ""
    lines = [
        f"Distilled: {', '.join(c.name for c in rows)} learned the {t.architecture} teacher {t.path}'s logits"
        f"{auto} over the training texts{copies} (advisor baseline train --teacher){scores}."
    ]
    if t.data_fingerprint == doc.data_fingerprint and not d.auto:
        lines.append(
            "The teacher was trained on this data file (its own split), so it may have trained on compare's dev "
            "examples: its dev score here is flattered, and so may the distilled rows' be. A teacher trained on "
            "compare's train split alone (split/train.jsonl, copied out of --out) has not seen them."
        )
    return lines


def _stats(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    mean = round(statistics.fmean(values), 6)
    return mean, (round(statistics.stdev(values), 6) if len(values) > 1 else None)


def compare(
    data: str | Path,
    profile: ConstraintProfile | Mapping[str, Any] | None = None,
    *,
    test: str | Path | None = None,
    dev: str | Path | None = None,
    policy: Policy | None = None,
    evidence: str | Path | None = None,
    candidates: Sequence[str] | None = None,
    seeds: int = 3,
    time_budget_min: float | None = None,
    executor: str = "local",
    out: str | Path = "runs/compare",
    task: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    device: str = "auto",
    threads: int = 1,
    ray_cpus: int | None = None,
    progress: bool = True,
    teacher: str | Path | None = None,
    augment: int = 0,
) -> Measurements:
    """Train the admissible candidates on one split of ``data``, ``seeds`` seeds each, measure them, write ``out``.

    ``profile``: profile fields on top of what the data shows (``{"deploy": "phone", "latency_ms": 5}``), or a
    :class:`~advisor.profile.ConstraintProfile` read from ``data``. ``candidates``: a subset of the admissible ones
    (naming an excluded or refused one is an error). ``time_budget_min``: plan successive halving to fit it (the
    module docstring). ``executor``: ``local`` or ``ray``. ``teacher``: a trained ``frozen-transformer`` or
    ``transformer-finetune`` classifier folder: every candidate that is a distillation student also trains
    distilled (``augment`` augmented copies per training text), as its own row. Returns the :class:`~advisor.measurements.Measurements`
    written to ``<out>/measurements.json``. Errors: :class:`~advisor.baselines.api.BaselineInputError` (exit 2)
    for bad input, :class:`~advisor.baselines.api.ExtraMissing` for a missing extra.
    """
    from advisor.data import DataError, load_dataset
    from advisor.data.files import replace_dir_atomic
    from advisor.policy import find_project_policy
    from advisor.vocabulary import EXECUTORS

    if seeds < 2:
        raise BaselineInputError("--seeds must be at least 2: a mean ± std needs two runs")
    if executor not in EXECUTORS:
        raise BaselineInputError(f"--executor {executor!r}: one of {', '.join(EXECUTORS)}")
    if time_budget_min is not None and time_budget_min <= 0:
        raise BaselineInputError("--time-budget-min must be positive")
    if teacher is None and augment:
        raise BaselineInputError("--augment applies with --teacher MODEL_DIR only")
    if not isinstance(augment, int) or augment < 0:
        raise BaselineInputError(f"--augment {augment!r}: a number of copies per training text, 0 or more")
    require_baselines()
    t_start = time.perf_counter()
    out = Path(out)
    data = Path(data)
    inputs = [
        data,
        Path(test) if test else None,
        Path(dev) if dev else None,
        Path(evidence) if evidence else None,
        Path(teacher) if teacher and str(teacher) != AUTO else None,
    ]
    _check_out(out, inputs)
    policy = policy or find_project_policy()
    profile = read_profile(data, profile, task=task, text_column=text_column, label_column=label_column)
    rec = ask_engine(profile, policy, evidence)
    chosen = _candidates(rec, candidates)
    try:
        ds = load_dataset(data, profile.task, text_column=text_column, label_column=label_column)
        dev_ds = (
            load_dataset(
                dev, profile.task, text_column=text_column, label_column=label_column, training=False
            )
            if dev
            else None
        )
        test_ds = (
            load_dataset(
                test, profile.task, text_column=text_column, label_column=label_column, training=False
            )
            if test
            else None
        )
    except DataError as exc:
        raise BaselineInputError(str(exc)) from None
    distill = _teacher(teacher, augment, ds, chosen)
    if profile.task == "tagging":
        metric, why = "f1", "entity F1: the tagging metric"
    elif any(f.rule == "TEP503" for f in rec.flags):
        metric, why = "macro_f1", "macro-F1: TEP503 fires (class imbalance), the recommendation monitors it"
    else:
        metric, why = "accuracy", "accuracy: what the recommendation monitors for these classes"
    label = METRIC_LABELS[metric]
    run = executors.runner(executor, run_trial, cpus=lambda spec: spec["threads"])
    result: dict[str, Measurements] = {}

    def fill(folder: Path) -> None:
        paths, split, parts = _split_files(ds, dev_ds, test_ds, policy, folder / "split")
        n_train = parts["sizes"]["train"]
        arch_of = {a: a for a in chosen}
        costs = {a: planned_seconds(a, profile, n_train) for a in chosen}
        if distill is not None:
            scored = parts["sizes"]["dev"] + parts["sizes"].get("test", 0)
            teachers = distill["auto"] or [distill["teacher"]["architecture"]]  # auto: the dearest one plans
            for a in distill["students"]:
                arch_of[a + DISTILLED] = a
                costs[a + DISTILLED] = max(
                    planned_distilled_seconds(a, t, profile, n_train, augment, scored) for t in teachers
                )
        names = list(arch_of)
        budget = None if time_budget_min is None else time_budget_min * 60
        last = [a for a in names if a != arch_of[a]] if distill is not None and distill["auto"] else []
        order, halvings, skipped, last = _plan(costs, seeds, budget, last)
        reasons: dict[str, str] = {
            a: f"skipped: the plan for --time-budget-min {time_budget_min:g} has no room for it (estimated "
            f"{costs[a]:.0f} s per seed; the cheaper candidates go first"
            + (", the teacher round last)" if a != arch_of[a] and distill["auto"] else ")")
            for a in skipped
        }
        status: dict[str, str] = {a: "skipped" for a in skipped}
        trials: dict[str, list[dict]] = {a: [] for a in names}
        configs: dict[str, dict] = {a: {} for a in names}
        records: dict[str, dict] = {}  # a distilled row's seed-0 run.distillation
        active = [a for a in order if a not in last]
        schedule = rounds(seeds, halvings)
        total = plan_cost([costs[a] for a in active], seeds, halvings) + sum(costs[a] for a in last) * seeds
        if progress:
            kd = sum(a != arch_of[a] for a in order)
            _note(
                f"compare: {len(order) - kd} candidates"
                + (f" + {kd} distilled" if kd else "")
                + f" ({', '.join(order)}), {seeds} seeds, dev {label}; "
                f"{halvings} halving round(s) planned"
                + (", the teacher round last" if last else "")
                + f", about {total:.0f} s (estimate)"
                + (f"; skipped: {', '.join(skipped)}" if skipped else "")
            )
        _warm_static_vectors(list(dict.fromkeys(arch_of[a] for a in order)), progress)
        spent = planned_done = 0.0
        for r, round_seeds in enumerate(schedule + ([list(range(seeds))] if last else [])):
            # --teacher auto's round (after the others): the best measured teacher-capable candidate teaches
            if r == len(schedule):
                active = list(last)
                no_teacher = _auto_teacher(distill, trials, order, folder, out, ds)
                if no_teacher is not None:
                    for a in last:
                        status[a], reasons[a] = "skipped", f"skipped: {no_teacher}"
                    break
            elif r:  # successive halving on the dev means so far, ties in plan order
                keep = math.ceil(len(active) / 2)
                ranked = sorted(
                    active, key=lambda a: (-statistics.fmean(t["dev"] for t in trials[a]), order.index(a))
                )
                floor = statistics.fmean(t["dev"] for t in trials[ranked[keep - 1]])
                for a in ranked[keep:]:
                    mean = statistics.fmean(t["dev"] for t in trials[a])
                    status[a] = "dropped"
                    reasons[a] = (
                        f"dropped by successive halving after {len(trials[a])} seed(s): dev {label} {mean:.4f} "
                        f"below the {keep} kept (lowest {floor:.4f}), to fit --time-budget-min {time_budget_min:g}"
                    )
                active = ranked[:keep]
                active.sort(key=order.index)
            specs = [
                {
                    "name": a,
                    "arch": arch_of[a],
                    "seed": s,
                    "train": str(paths["train"]),
                    "dev": str(paths["dev"]),
                    "test": str(paths["test"]) if paths["test"] else None,
                    "model": str(folder / "models" / _model_folder(a, arch_of[a], s)),
                    "profile": profile,
                    "policy": policy,
                    "evidence": str(evidence) if evidence else None,
                    "metric": metric,
                    "device": device,
                    "threads": threads,
                    **(
                        {"teacher": distill.get("folder") or distill["teacher"]["path"], "augment": augment}
                        if a != arch_of[a]
                        else {}
                    ),
                }
                for a in active
                for s in round_seeds
            ]
            results: list[dict | None] = [None] * len(specs)
            left = sum(costs[sp["name"]] for sp in specs)
            for i, res in run(specs):
                results[i] = res
                sp = specs[i]
                planned_done += costs[sp["name"]]
                left -= costs[sp["name"]]
                if progress:
                    if "error" in res:
                        _note(f"  {sp['name']} seed {sp['seed']}: failed: {res['error']}")
                    else:
                        spent += res["train_seconds"]
                        ratio = spent / planned_done if planned_done else 1.0
                        later = sum(costs[a] for a in active) * sum(len(x) for x in schedule[r + 1 :])
                        later += sum(costs[a] for a in last) * seeds if r < len(schedule) else 0.0
                        epoch = f"epoch {res['best_epoch']}/{res['epochs']}, " if res["epochs"] else ""
                        _note(
                            f"  {sp['name']} seed {sp['seed']}: {epoch}dev {label} {res['dev']:.4f} "
                            f"({res['train_seconds']:.1f} s); about {max(0.0, ratio * (left + later)):.0f} s left"
                        )
            for sp, res in zip(specs, results, strict=True):
                a = sp["name"]
                if "error" in res:
                    if status.get(a) != "failed":
                        status[a], reasons[a] = "failed", f"failed: {res['error']}"
                    continue
                configs[a] = res.pop("config")
                record = res.pop("distillation", None)
                if record is not None and (a not in records or sp["seed"] == 0):
                    records[a] = record
                res["model"] = f"models/{_model_folder(a, sp['arch'], sp['seed'])}"
                trials[a].append(res)
            active = [a for a in active if status.get(a) != "failed"]
            for a in list(status):
                if status[a] == "failed":
                    trials[a] = []
        # measured serially on this machine, no trial running
        rows = []
        item = probe_item(profile.task, parts["dev_items"], profile.tokens)
        for a in names:
            ts = sorted(trials[a], key=lambda t: t["seed"])
            dev_mean, dev_std = _stats([t["dev"] for t in ts])
            test_mean, test_std = _stats([t["test"] for t in ts if t["test"] is not None])
            model_mb = latency = None
            if ts:
                first = folder / ts[0]["model"]
                model_mb = folder_mb(first)
                latency = p95_latency_ms(first, item)
            rows.append(
                {
                    "name": a,
                    "architecture": arch_of[a],
                    "status": status.get(a, "measured"),
                    "reason": reasons.get(a),
                    "config": configs[a],
                    "planned_seconds": costs[a],
                    "trials": ts,
                    "dev_mean": dev_mean,
                    "dev_std": dev_std,
                    "test_mean": test_mean,
                    "test_std": test_std,
                    "model_mb": model_mb,
                    "latency_ms": latency,
                    "distillation": None
                    if a == arch_of[a]
                    else _distillation(distill, records.get(a), bool(paths["test"])),
                }
            )
        planned = order + skipped  # cheapest first: the plan, then what it had no room for
        rows.sort(key=lambda c: planned.index(c["name"]))
        measured = [c for c in rows if c["dev_mean"] is not None and len(c["trials"]) >= 2]
        best = max(measured, key=lambda c: c["dev_mean"])["name"] if measured else None
        for c in rows:
            del c["name"]
        from .manifest import TORCH_LIBRARIES, versions

        doc = Measurements.model_validate(
            {
                "version": SCHEMA_VERSION,
                "kind": KIND,
                "data": str(data),
                "data_fingerprint": profile.data.fingerprint,
                "task": profile.task,
                "examples": parts["sizes"],
                "split": split,
                "metric": metric,
                "metric_reason": why,
                "tokens": profile.tokens,
                "deploy": profile.deploy,
                "policy_pick": rec.architecture,
                "best": best,
                "seeds": list(range(seeds)),
                "plan": {
                    "time_budget_min": time_budget_min,
                    "halvings": halvings,
                    "planned_seconds": round(total, 1),
                    "order": order,
                },
                "candidates": rows,
                "versions": versions(*TORCH_LIBRARIES, "scikit-learn", "sentence-transformers"),
                "run": {
                    "executor": executor,
                    "seconds": round(time.perf_counter() - t_start, 2),
                    "latency_runs": LATENCY_RUNS,
                },
            }
        )
        (folder / MEASUREMENTS).write_text(doc.model_dump_json(indent=2) + "\n", encoding="utf-8")
        (folder / "measurements.md").write_text(table(doc, profile), encoding="utf-8")
        from . import plots

        plots.plot_measurements(doc, profile, folder / "measurements.png")
        result["doc"] = doc

    with executors.ray_session(executor, ray_cpus):
        replace_dir_atomic(out, fill)
    return result["doc"]


def _teacher(teacher, augment: int, ds, chosen: Sequence[str]) -> dict[str, Any] | None:
    """``None`` without a teacher; else the teacher's record (checked as ``baseline train --teacher`` checks it,
    :func:`advisor.baselines.distill.load_teacher`) and the students among the candidates. One-line
    :class:`BaselineInputError` (exit 2) for a wrong teacher or no student to teach."""
    if teacher is None:
        return None
    from advisor.data import DataError
    from advisor.vocabulary import DISTILL_STUDENTS, DISTILL_TEACHERS

    from .distill import load_teacher

    students = [a for a in chosen if a in DISTILL_STUDENTS]
    if not students:
        raise BaselineInputError(
            f"--teacher: no distillation student among the candidates ({', '.join(chosen)}); the students are "
            f"{', '.join(a for a in DISTILL_STUDENTS if a != 'rnn')}"
        )
    if str(teacher) == AUTO:
        teachers = [a for a in chosen if a in DISTILL_TEACHERS]
        if not teachers:
            raise BaselineInputError(
                f"--teacher auto: no teacher among the candidates ({', '.join(chosen)}); a teacher is "
                f"{' or '.join(DISTILL_TEACHERS)}, admissible for the profile (or give --teacher MODEL_DIR)"
            )
        return {"teacher": None, "auto": teachers, "students": students, "augment": augment}
    try:
        record = load_teacher(teacher, [x.label for x in ds.items], ds.task).record()
    except DataError as exc:
        raise BaselineInputError(str(exc)) from None
    return {"teacher": record, "auto": None, "students": students, "augment": augment}


def _auto_teacher(distill: dict, trials: Mapping[str, list], order: Sequence[str], folder: Path, out: Path,
                  ds) -> str | None:  # fmt: skip
    """``--teacher auto``: among the teacher-capable candidates with a seed-0 model, the best by dev mean (ties in
    plan order) becomes ``distill["teacher"]`` (its record names the folder it will have under ``out``) and its
    folder here ``distill["folder"]``; the reason the round is skipped when there is none."""
    from advisor.data import DataError

    from .distill import load_teacher

    capable = [a for a in distill["auto"] if any(t["seed"] == 0 for t in trials[a])]
    if not capable:
        return (
            f"--teacher auto: no teacher-capable candidate ({', '.join(distill['auto'])}) has a seed-0 model"
        )
    best = max(capable, key=lambda a: (statistics.fmean(t["dev"] for t in trials[a]), -order.index(a)))
    here = folder / "models" / _model_folder(best, best, 0)
    try:
        record = load_teacher(here, [x.label for x in ds.items], ds.task).record()
    except DataError as exc:
        return f"--teacher auto: {best} cannot teach ({exc})"
    distill["teacher"] = {**record, "path": str((out / "models" / _model_folder(best, best, 0)).resolve())}
    distill["folder"] = str(here)
    return None


def _model_folder(name: str, arch: str, seed: int) -> str:
    return f"{arch}-seed{seed}" if name == arch else f"{arch}-distilled-seed{seed}"


def _distillation(distill: dict, record: dict | None, has_test: bool) -> dict[str, Any]:
    """A distilled row's ``distillation`` field: the teacher checked up front, its scores, loss and rows from
    the seed-0 trial's ``run.distillation`` (none when no trial ran)."""
    teacher = dict(distill["teacher"]) if distill["teacher"] else None
    out: dict[str, Any] = {"teacher": teacher, "auto": bool(distill["auto"]), "augment": distill["augment"],
                           "loss": None, "rows": None}  # fmt: skip
    if record is not None and teacher is not None:
        teacher["dev"] = record["teacher"]["dev"]
        teacher["test"] = record["teacher"]["test"] if has_test else None
        out["loss"], out["rows"] = record["loss"], record["rows"]
    return out


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.4f}" if std is None else f"{mean:.4f} ± {std:.4f}"


def table(doc: Measurements, profile: ConstraintProfile | None = None) -> str:
    """The measurements as a Markdown table (also the text output), with what was skipped or dropped and why."""
    label = METRIC_LABELS[doc.metric]
    head = ["candidate", "status", "seeds", f"dev {label}", f"test {label}", "train s", "MB", "p95 ms"]
    lines = [
        f"# advisor compare: {Path(doc.data).name} (dev {label}; {doc.examples['train']} train, "
        f"{doc.examples['dev']} dev examples)",
        "",
        "| " + " | ".join(head) + " |",
        "|:--|:--|--:|--:|--:|--:|--:|--:|",
    ]
    for c in doc.candidates:
        secs = sum(t.train_seconds for t in c.trials)
        cells = [
            c.name + (" (best)" if c.name == doc.best else ""),
            c.status,
            str(len(c.trials)),
            _pm(c.dev_mean, c.dev_std),
            _pm(c.test_mean, c.test_std),
            f"{secs:.1f}" if c.trials else "-",
            f"{c.model_mb:g}" if c.model_mb is not None else "-",
            f"{c.latency_ms:g}" if c.latency_ms is not None else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Policy pick without measurements: {doc.policy_pick}. p95 latency: one thread, {doc.tokens} words, on the "
        "machine that ran compare. Test scores are reported, never used to pick."
    )
    lines += _vectors_note(doc)
    lines += _distilled_note(doc)
    notes = [f"- {c.name}: {c.reason}" for c in doc.candidates if c.reason]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"
