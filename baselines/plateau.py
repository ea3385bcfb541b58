"""Plateau evidence on the torch side: the writer, and the re-evaluation and retraining the verifier asks for.

:mod:`advisor.baselines.runner` trains the runs and the learning curve; :func:`save_checkpoints` keeps each run's
best checkpoint in the folder beside the evidence file (``evidence.json.d/<arch>-seed<seed>/``, a model folder of
:mod:`advisor.baselines.manifest`; the evidence names it by a path relative to its own folder, with each file's
sha256); :func:`evidence_document` assembles the document TEP101 verifies (its schema is documented in
:mod:`advisor.evidence`), and :func:`write_evidence` writes it atomically next to its two plots and returns the
command's summary.

The verifier (:func:`advisor.evidence.verify`, torch-free itself) calls :func:`reevaluate` for every checkpoint
and, with ``--reproduce``, :func:`reproduce_run` for one run.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor.data import Dataset, fingerprint
from advisor.data.files import replace_dir_atomic, write_json_atomic
from advisor.data.text import label_counts
from advisor.evidence import KIND, SCHEMA_VERSION, PlateauEvidence, PlateauSettings, Run, shown
from advisor.vocabulary import NEURAL

RULE = (
    "after the best epoch, at least `patience` further epochs each fail to beat it by more than `min_delta`"
)


def learning_curve_note(points: list[dict], metric: str) -> str:
    """One sentence on the last step of the learning curve (reported only; empty with fewer than 2 points)."""
    if len(points) < 2:
        return ""
    gain = points[-1]["dev"] - points[-2]["dev"]
    return (
        f"from {points[-2]['examples']} to {points[-1]['examples']} examples dev {metric} moved {gain:+.3f}: "
        + ("more data is still helping" if gain > 0.01 else "more data is helping little")
        + " (reported only; the verdict comes from the epoch curves)"
    )


def evidence_document(
    out: str | Path,
    *,
    data: str | Path,
    ds: Dataset,
    split: dict,
    metric: str,
    patience: int,
    min_delta: float,
    archs: list[str],
    runs: list[dict],
    learning_curve: list[dict],
    versions: dict[str, Any],
    started: float,
    text_column: str = "text",
    label_column: str = "label",
) -> dict:
    """The evidence document for ``runs`` (each with ``best_dev``, ``plateaued`` and its ``checkpoint``) trained
    on ``ds``.

    The verdict is "plateaued" when every run plateaued; the floor is the mean and spread of the best
    architecture's runs' best dev scores (the verifier recomputes it from the re-evaluated checkpoints).
    ``started`` is the ``time.perf_counter()`` reading when the command began.
    """
    out = Path(out)
    by_arch: dict[str, list[float]] = {}
    for r in runs:
        by_arch.setdefault(r["arch"], []).append(r["best_dev"])
    bests = max(by_arch.values(), key=statistics.fmean)
    verdict = "plateaued" if all(r["plateaued"] for r in runs) else "not-plateaued"
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "task": ds.task,
        "metric": metric,
        "data": {
            "path": str(data),
            "fingerprint": fingerprint(ds),
            "examples": len(ds),
            "label_counts": label_counts(ds),
            "text_column": text_column,
            "label_column": label_column,
            "split": split,
        },
        "plateau": {"patience": patience, "min_delta": min_delta, "verdict": verdict, "rule": RULE},
        "architectures": archs,
        "runs": runs,
        "floor": {
            "metric": metric,
            "mean": round(statistics.fmean(bests), 4),
            "std": round(statistics.stdev(bests), 4) if len(bests) > 1 else 0.0,
            "runs": len(bests),
        },
        "learning_curve": learning_curve,
        "learning_curve_note": learning_curve_note(learning_curve, metric),
        "plots": {
            "curves": out.with_suffix(".curves.png").name,
            "learning_curve": out.with_suffix(".learning.png").name,
        },
        "versions": versions,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
    }


def write_evidence(out: str | Path, doc: dict) -> dict:
    """Validate ``doc`` against ``advisor.evidence.PlateauEvidence``, write the plots named in ``doc["plots"]``
    beside ``out``, then ``doc`` to ``out`` (atomically).

    Returns the command's summary: the evidence path, verdict, floor, learning curve, plot paths and the
    checkpoints folder (written before, by :func:`save_checkpoints`).
    """
    from advisor.baselines.plots import plot_curves, plot_learning_curve

    # the writer holds itself to the schema the verifier reads (as JSON: what the file will hold)
    PlateauEvidence.model_validate(json.loads(json.dumps(doc)))
    out = Path(out)
    plots = doc["plots"]
    verdict = doc["plateau"]["verdict"]
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_curves(doc["runs"], out.parent / plots["curves"], f"dev {doc['metric']} per epoch ({verdict})")
    plot_learning_curve(doc["learning_curve"], out.parent / plots["learning_curve"])
    write_json_atomic(out, doc)
    return {
        "evidence": str(out),
        "verdict": verdict,
        "floor": doc["floor"],
        "runs": len(doc["runs"]),
        "examples": doc["data"]["examples"],
        "fingerprint": doc["data"]["fingerprint"],
        "learning_curve": doc["learning_curve"],
        "learning_curve_note": doc["learning_curve_note"],
        "plots": {k: str(out.parent / v) for k, v in plots.items()},
        "checkpoints": str(checkpoints_folder(out)),
        "seconds": doc["seconds"],
    }


def checkpoints_folder(out: str | Path) -> Path:
    """The folder beside the evidence file that holds its checkpoints: ``evidence.json`` -> ``evidence.json.d``."""
    out = Path(out)
    return out.with_name(out.name + ".d")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_checkpoints(out: str | Path, bundles: dict[str, Any], *, data_fingerprint: str, run: dict) -> dict:
    """Save each bundle (name -> trained ``Bundle``, its best epoch's weights) as a model folder under
    :func:`checkpoints_folder`, the whole folder replaced atomically. Returns name -> the evidence's checkpoint
    record: ``{"path": "<evidence name>.d/<name>", "files": {file: sha256}}`` (paths relative to the evidence's
    folder)."""
    from advisor.baselines.io import save_model

    folder = checkpoints_folder(out)

    def fill(tmp: Path) -> None:
        for name, bundle in bundles.items():
            save_model(bundle, tmp / name, data_fingerprint=data_fingerprint, run=run)

    replace_dir_atomic(folder, fill)
    return {
        name: {
            "path": f"{folder.name}/{name}",
            "files": {f.name: _sha256(f) for f in sorted((folder / name).iterdir()) if f.is_file()},
        }
        for name in bundles
    }


def _escaped(exc: object) -> str:
    return shown(exc, 300)[1:-1]


def reevaluate(folder: Path, run: Run, dev_items: list, task: str, data_fingerprint: str) -> float:
    """The dev score of the checkpoint in ``folder``, reloaded on CPU: its architecture from its own manifest
    (it must be ``run.arch``, trained on this data), scored on ``dev_items`` with the task's dev metric.

    :raises ValueError: one line: not a model folder of this format, another architecture or data, weights that
        do not load into the architecture.
    """
    from advisor.baselines import metrics
    from advisor.baselines.io import load_model, predict_items
    from advisor.baselines.manifest import read_manifest
    from advisor.data import DataError

    try:
        manifest = read_manifest(folder, NEURAL)
    except DataError as exc:
        raise ValueError(f"its checkpoint is not a model folder: {_escaped(exc)}") from None
    if manifest.architecture != run.arch:
        raise ValueError(f"its checkpoint holds a {manifest.architecture!r} model, not {run.arch!r}")
    if manifest.task != task or manifest.data_fingerprint != data_fingerprint:
        raise ValueError("its checkpoint was trained on other data (the manifest's task or fingerprint)")
    try:
        bundle = load_model(folder, "cpu")
        predicted = predict_items(bundle, dev_items)
    except Exception as exc:  # a folder from the file: any failure to load is an answer, not a crash
        raise ValueError(f"its checkpoint does not load: {_escaped(exc)}") from None
    if task == "tagging":
        return float(metrics.entity_f1([list(s.tags) for s in dev_items], predicted))
    return float(metrics.accuracy([x.label for x in dev_items], predicted))


# What a retrained run may change without being another run: the epochs it is allowed (it trains exactly as many
# as were recorded, without early stopping) and the device (CPU).
_FREE = ("max_epochs", "patience", "device")


def reproduce_run(
    folder: Path,
    run: Run,
    plateau: PlateauSettings,
    train_items: list,
    dev_items: list,
    task: str,
    tolerance: float,
) -> None:
    """Retrain ``run`` on CPU with one thread, from its seed and its checkpoint's recorded configs, for as many
    epochs as its curve has, and compare every epoch's dev score with the curve (within ``tolerance``).

    :raises ValueError: one line: the configs this advisor trains with differ from the recorded ones, the run
        used an embeddings file, or an epoch's score differs.
    """
    import dataclasses
    import json

    import torch

    from advisor.baselines.manifest import read_manifest
    from advisor.baselines.runner import train_neural

    manifest = read_manifest(folder, NEURAL)
    if manifest.info.get("embeddings"):
        raise ValueError("it was trained with an embeddings file, which the evidence does not carry")
    epochs = len(run.dev_curve)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        bundle = train_neural(
            run.arch,
            train_items,
            dev_items,
            task,
            seed=run.seed,
            device="cpu",
            epochs=epochs,
            patience=max(2, epochs),
            min_delta=plateau.min_delta,
            pooling=manifest.model.get("pooling", "max"),
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)
    model = json.loads(json.dumps(dataclasses.asdict(bundle.model.config)))
    train = {k: v for k, v in dataclasses.asdict(bundle.train_config).items() if k not in _FREE}
    recorded = {k: v for k, v in manifest.train.items() if k not in _FREE}
    differ = sorted(k for k in {*model, *manifest.model} if model.get(k) != manifest.model.get(k))
    differ += sorted(k for k in {*train, *recorded} if train.get(k) != recorded.get(k))
    if differ:
        raise ValueError(f"this advisor trains it with other settings ({', '.join(differ)})")
    for epoch, (old, new) in enumerate(zip(run.dev_curve, bundle.fit.dev_curve, strict=True), 1):
        if abs(old - new) > tolerance:
            raise ValueError(
                f"epoch {epoch} retrained scores {new:.4f}, the file records {old:.4f} (tolerance {tolerance:.4f})"
            )
