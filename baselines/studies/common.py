"""What every study shares: the ``results.json`` envelope (strict pydantic), resumable runs, the atomic output
folder, data loading, and the report's table and number formatting.

A study's output folder holds ``report.md``, ``results.json`` and PNGs; it is filled in a temporary folder and
swapped in whole on success (``advisor.data.files.replace_dir_atomic``), so a failed or interrupted study leaves
the previous folder as it was. Finished runs are kept meanwhile in ``<out>.partial/`` (one JSON file per run,
keyed by the run's settings): run the same command again and it resumes where it stopped; the folder is removed
once the study is written.

Every study is a plan of independent **units** (seed x configuration: :class:`Unit`), made up front and run by
:func:`run_units` through the executor ``--executor`` names (:mod:`advisor.baselines.executors`: ``local``, one
after another in this process; ``ray``, a Ray task each, ``--threads`` CPUs per task). The results are gathered in
plan order, never completion order, and a unit's result depends only on its spec (the worker sets the torch
threads and deterministic algorithms itself, :func:`run_unit`), so ``results.json`` is the same on either executor
but for the timings, ``executor`` and ``hosts`` (the machines the units ran on).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.data import DataError, Dataset, fingerprint, load_dataset
from advisor.data.files import replace_dir_atomic, write_text_atomic
from advisor.vocabulary import EXECUTORS, STUDIES, Executor, StudyName

from .. import executors
from ..manifest import TORCH_LIBRARIES, versions

FORMAT_VERSION = 1


# What differs between two runs of the same study on different executors or machines (timings, memory, hosts,
# the command line), and nothing else: StudyResults.without_timings drops them.
CIRCUMSTANCES = ("seconds", "created", "executor", "hosts", "command", "idle_rss_mb")
RUN_CIRCUMSTANCES = ("seconds", "train_seconds", "predict_seconds", "ms_per_step", "peak_rss_mb", "cuda_peak_mb",
                     "host")  # fmt: skip


class StudyError(RuntimeError):
    """A study cannot produce a result (exit 1)."""


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class DataRef(Strict):
    """One dataset a study ran on."""

    role: Literal["real", "invented", "synthetic"] = Field(
        description="real: a user's or a public set; invented: the project's generator (advisor.data.toy); "
        "synthetic: generated token sequences (vanishing-gradient)"
    )
    name: str = Field(description="what the report calls it, e.g. 'TREC' or 'invented support messages'")
    train: str = Field(description="the training file, or the generator and its settings")
    test: str | None = Field(description="the test file (None: a split of train, or generated)")
    fingerprint: str = Field(description="advisor.data.fingerprint of the training data (sha256)")
    test_fingerprint: str | None = None
    examples: dict[str, int] = Field(description="examples per part: train, dev, test")
    split: dict[str, Any] = Field(default_factory=dict, description="how train, dev and test were made")


class StudyResults(Strict):
    """``results.json``: everything a study's report is computed from, and what reproduces it."""

    format_version: Literal[1] = FORMAT_VERSION
    study: StudyName
    quick: bool = Field(description="the --quick settings (small, for CI) rather than the full ones")
    executor: Executor = Field(
        description="where the units ran: local (in this process) or ray (a task each)"
    )
    hosts: list[str] = Field(
        default_factory=list,
        description="the machines the units ran on (host names, sorted; a resumed unit's as it was recorded)",
    )
    command: str = Field(description="the command line that reproduces this folder")
    versions: dict[str, str | None]
    seeds: list[int]
    data: list[DataRef]
    config: dict[str, Any] = Field(description="the study's settings: models, training, sizes")
    seconds: float = Field(description="wall-clock time of the whole study")
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def without_timings(self) -> dict[str, Any]:
        """The document less how, where and how fast it ran (:data:`CIRCUMSTANCES` and each run's
        :data:`RUN_CIRCUMSTANCES`): the same between executors, byte for byte as JSON."""
        doc = self.model_dump(mode="json", exclude=set(CIRCUMSTANCES))
        for run in doc.get("runs", []):
            for key in RUN_CIRCUMSTANCES:
                run.pop(key, None)
        return doc


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def study_versions() -> dict[str, str | None]:
    return versions(*TORCH_LIBRARIES, "scipy", "matplotlib")


# -- data ------------------------------------------------------------------------------------------
def load_classification(path: str | os.PathLike[str], training: bool = True) -> Dataset:
    ds = load_dataset(path, "classification", training=training)
    for n in ds.notes:
        note(f"{path}: {n}")
    return ds


def data_name(path: str | os.PathLike[str]) -> str:
    """A readable name for a data file: its folder for ``trec/train.jsonl``-style paths, else its stem."""
    p = Path(path)
    generic = {"train", "test", "dev", "data", "all"}
    return (p.parent.name if p.stem.lower() in generic and p.parent.name else p.stem) or str(p)


def toy_dataset(per_class_train: int, per_class_test: int, seed: int) -> tuple[Dataset, Dataset]:
    """The project's invented 3-class set (``advisor.data.toy``) at the given sizes; test texts disjoint."""
    from advisor.data import Example
    from advisor.data.toy import toy_examples

    train = toy_examples(per_class_train, seed)
    test = toy_examples(per_class_test, seed + 1, exclude={x["text"] for x in train})

    def ds(rows: list[dict[str, str]], part: str) -> Dataset:
        items = [Example(r["text"], r["label"]) for r in rows]
        return Dataset("classification", f"advisor.data.toy:{part}", items, "utf-8", [], "generated")

    return ds(train, "train"), ds(test, "test")


def train_dev_test(train: Dataset, test: Dataset | None, max_train: int | None = None):
    """(train, dev, test) items and the split's record: dev is 10% of train (stratified, the runner's split
    seed); without a test set, 80/10/10 of train. ``max_train`` caps the training part (a stratified subset)."""
    from advisor.data import check_labels_seen

    from ..runner import split_data

    if test is not None:
        check_labels_seen(train, test)
        (tr, dev), split = split_data(train, (0.9, 0.1))
        te = list(test.items)
    else:
        (tr, dev, te), split = split_data(train, (0.8, 0.1, 0.1))
    if max_train is not None and len(tr) > max_train:
        from advisor.data import stratified_split

        keep = stratified_split([x.label for x in tr], (max_train / len(tr), 1 - max_train / len(tr)), 1)
        tr = [tr[i] for i in sorted(keep.indices[0])]
        split = {**split, "train_capped_at": max_train}
    split = {**split, "sizes": [len(tr), len(dev), len(te)]}
    return tr, dev, te, split


Prepared = tuple[DataRef, list, list, list]  # the record, then train, dev and test items


def real_set(data: str, test: str | None, max_train: int | None) -> Prepared:
    """A user's (or a public) classification file, split as :func:`train_dev_test` says."""
    train_ds = load_classification(data)
    test_ds = load_classification(test, training=False) if test else None
    tr, dev, te, split = train_dev_test(train_ds, test_ds, max_train)
    ref = DataRef(
        role="real",
        name=data_name(data),
        train=str(data),
        test=None if test is None else str(test),
        fingerprint=fingerprint(train_ds),
        test_fingerprint=None if test_ds is None else fingerprint(test_ds),
        examples={"train": len(tr), "dev": len(dev), "test": len(te)},
        split=split,
    )
    return ref, tr, dev, te


def invented_set(per_class: tuple[int, int], seed: int) -> Prepared:
    """The project's invented set at ``per_class`` (train, test) messages per class; dev is 10% of train."""
    train_ds, test_ds = toy_dataset(*per_class, seed)
    tr, dev, te, split = train_dev_test(train_ds, test_ds)
    ref = DataRef(
        role="invented",
        name="invented support messages",
        train=f"advisor.data.toy.toy_examples({per_class[0]}, seed={seed})",
        test=f"advisor.data.toy.toy_examples({per_class[1]}, seed={seed + 1}, excluding train)",
        fingerprint=fingerprint(train_ds),
        test_fingerprint=fingerprint(test_ds),
        examples={"train": len(tr), "dev": len(dev), "test": len(te)},
        split=split,
    )
    return ref, tr, dev, te


def predict_labels(bundle, items) -> list[str]:
    """A trained classifier bundle's predicted label names for ``items`` (``.text``), in order."""
    from ..train import predict_class_ids

    return [
        bundle.labels[i] for i in predict_class_ids(bundle.model, bundle.encode_texts(x.text for x in items))
    ]


def train_and_predict(arch: str, spec: Mapping[str, Any], model_config: dict[str, Any], **kwargs: Any):
    """A classification unit's training: ``arch`` on ``spec["train"]`` / ``spec["dev"]`` with its ``seed`` and at
    most ``max_epochs`` (CPU, no progress), then its ``test`` items predicted; returns (bundle, label names)."""
    from ..runner import train_neural

    b = train_neural(
        arch,
        spec["train"],
        spec["dev"],
        "classification",
        seed=spec["seed"],
        device="cpu",
        epochs=spec["max_epochs"],
        progress=False,
        model_config=model_config,
        **kwargs,
    )
    return b, predict_labels(b, spec["test"])


@dataclass(frozen=True)
class Request:
    """What :func:`advisor.baselines.studies.run_study` asks of a study module's ``run(request)``."""

    data: str | None  # a classification file, or None
    test: str | None  # its test file, or None (a split of data)
    seeds: int | None  # None: the study's own count
    quick: bool  # the QUICK settings rather than FULL
    cache: RunCache  # finished runs, for resuming
    command: str  # the command line that reproduces the study
    executor: str = "local"
    name: str = "study"  # the study's name, for messages
    threads: int = 1  # torch CPU threads (a study that runs subprocesses passes it on)
    options: Mapping[str, Any] = field(
        default_factory=dict
    )  # a study's own options (ner: dev, encoder, budget)

    def pick(self, quick: Any, full: Any) -> tuple[Any, list[int]]:
        """The study's settings (``quick`` or ``full``, by the request) and its seeds: ``--seeds`` or the
        settings' own ``seeds``, numbered from 0."""
        settings = quick if self.quick else full
        return settings, list(range(self.seeds or settings.seeds))


# -- resumable runs --------------------------------------------------------------------------------
class RunCache:
    """Finished runs of an unfinished study, one JSON file each under ``<out>.partial/``.

    A run's key is a hash of everything that decides it (``settings``): change a setting and the run is redone.
    """

    def __init__(self, out: str | os.PathLike[str]):
        out = Path(out)
        self.folder = out.with_name(out.name + ".partial")

    def _path(self, settings: Mapping[str, Any]) -> Path:
        key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
        return self.folder / f"{key}.json"

    def get(self, settings: Mapping[str, Any]) -> dict[str, Any] | None:
        """The finished run's record (``{"settings", "result", "host"}``), or None."""
        path = self._path(settings)
        if path.is_file():
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("settings") == json.loads(json.dumps(settings, default=str)):
                return doc
        return None

    def put(self, settings: Mapping[str, Any], result: dict[str, Any], host: str | None = None) -> None:
        doc = {"settings": settings, "result": result, "host": host}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self._path(settings), json.dumps(doc, default=str) + "\n")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the plan and its executor ---------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One independent run of a study's plan."""

    settings: Mapping[str, Any]  # everything that decides the result: the resume key (:class:`RunCache`)
    spec: Mapping[str, Any]  # what the study's unit function gets: plain data (pickled to a Ray worker)
    label: str  # what progress notes call it


def run_unit(job: Mapping[str, Any]) -> dict[str, Any]:
    """``job["fn"](job["spec"])`` with ``job["threads"]`` torch threads and deterministic algorithms, on a Ray
    worker as here; returns ``{"result", "host"}``, or ``{"error"}`` (one line) when training failed."""
    import torch

    from ..runner import BaselineError, set_threads

    set_threads(job["threads"])
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return {"result": job["fn"](job["spec"]), "host": platform.node() or "host"}
    except BaselineError as exc:  # e.g. a non-finite loss
        return {"error": f"{job['study']}: {exc}"}
    except StudyError as exc:
        return {"error": str(exc)}
    finally:
        torch.use_deterministic_algorithms(deterministic)


def run_units(
    req: Request, fn: Callable[[Mapping[str, Any]], dict[str, Any]], units: Sequence[Unit], gpus: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """Run every unit not finished already (``req.cache``) through ``req.executor`` and return the results in
    plan order, and the sorted host names they ran on. ``fn`` is a module-level function of a unit's spec; each
    result is kept in the cache the moment it arrives, so an interrupted or failed study resumes. ``gpus``: one
    GPU per Ray task when this machine has CUDA (the units that can train on it)."""
    results: list[dict[str, Any] | None] = [None] * len(units)
    hosts: set[str] = set()
    todo = []
    for i, unit in enumerate(units):
        done = req.cache.get(unit.settings)
        if done is None:
            todo.append(i)
        else:
            results[i] = done["result"]
            hosts.add(done.get("host") or "unknown (resumed)")
    if todo:
        where = "in this process" if req.executor == "local" else f"as Ray tasks, {req.threads} CPU(s) each"
        note(f"{req.name}: {len(todo)} of {len(units)} runs to do, {where}")
    run = executors.runner(
        req.executor, run_unit, cpus=lambda job: job["threads"], gpus=None if gpus else False
    )
    jobs = [{"fn": fn, "spec": units[i].spec, "threads": req.threads, "study": req.name} for i in todo]
    for k, (j, out) in enumerate(run(jobs), 1):
        if "error" in out:
            raise StudyError(out["error"])
        unit = units[todo[j]]
        req.cache.put(unit.settings, out["result"], out["host"])
        results[todo[j]] = out["result"]
        hosts.add(out["host"])
        note(f"{req.name}: {unit.label} done ({k}/{len(todo)})")
    return results, sorted(hosts)  # type: ignore[return-value]


# -- output ----------------------------------------------------------------------------------------
def write_study(
    out: str | os.PathLike[str],
    results: StudyResults,
    report: str,
    plots: Mapping[str, Callable[[Path], object]],
) -> Path:
    """Write ``results.json``, ``report.md`` and each ``plots[name](path)`` PNG into ``out``, atomically."""

    def fill(folder: Path) -> None:
        (folder / "results.json").write_text(results.model_dump_json(indent=1) + "\n", encoding="utf-8")
        (folder / "report.md").write_text(report, encoding="utf-8")
        for name, draw in plots.items():
            draw(folder / name)

    return replace_dir_atomic(out, fill)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; the first column is left-aligned, the others right-aligned."""
    align = [":--"] + ["--:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pts(x: float, sign: bool = False) -> str:
    """A 0..1 score as points with one decimal: 0.8123 -> '81.2' (``sign``: '+1.2' / '-0.4')."""
    return f"{100 * x:+.1f}" if sign else f"{100 * x:.1f}"


def pval(p: float) -> str:
    """A p-value for a table cell: '0.031', '< 0.001'."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_is(p: float) -> str:
    """A p-value in a sentence: 'p = 0.031', 'p < 0.001'."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def check_common(name: str, executor: str, seeds: int | None) -> None:
    if name not in STUDIES:
        from advisor.errors import did_you_mean

        raise DataError(
            f"unknown study {name!r}{did_you_mean(name, STUDIES)}; choose one of {', '.join(STUDIES)}"
        )
    if executor not in EXECUTORS:
        raise DataError(f"--executor {executor}: one of {', '.join(EXECUTORS)}")
    if seeds is not None and seeds < 1:
        raise DataError(f"--seeds {seeds}: need at least 1")
