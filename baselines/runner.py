"""What the ``advisor baseline`` commands do: load data, split, train, evaluate, save, and write evidence.

Every function returns a plain dict (the ``--json`` document). Progress goes to stderr. Splits use a fixed
seed (:data:`SPLIT_SEED`) and are recorded in every artifact with the data fingerprint.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor import __version__
from advisor.data import (
    DataError,
    Dataset,
    check_labels_seen,
    fingerprint,
    load_dataset,
    stratified_split,
    tokenize,
)
from advisor.data.files import replace_dir_atomic, write_json_atomic
from advisor.evidence import KIND, SCHEMA_VERSION, PlateauEvidence, plateau_verdict

SPLIT_SEED = 12345
NEURAL = ("textcnn", "bilstm", "lstm", "gru", "rnn", "bilstm-crf")
CLASSIFIERS = ("textcnn", "bilstm", "lstm", "gru", "rnn", "ngram-linear", "frozen-transformer")


class BaselineError(RuntimeError):
    """Training or evaluation cannot produce a result (exit 1)."""


class OptionError(ValueError):
    """An option value this machine cannot honour, e.g. --device cuda without CUDA (exit 2)."""


def check_device(device: str) -> None:
    from advisor.baselines.train import resolve_device

    try:
        resolve_device(device)
    except ValueError as exc:
        raise OptionError(f"--device {device}: {exc}") from None


def set_threads(threads: int | None) -> None:
    """CPU threads for torch. Default 1: these small models train several times faster single-threaded on a
    shared 2-core machine (measured: a TextCNN conv step 17 ms with 1 thread vs 106 ms with 2 under load)."""
    import torch

    torch.set_num_threads(max(1, int(threads or 1)))


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def versions() -> dict[str, str]:
    import numpy
    import torch

    return {
        "advisor": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }


def _load(path, task=None, text_column="text", label_column="label", training=True) -> Dataset:
    ds = load_dataset(path, task, text_column=text_column, label_column=label_column, training=training)
    for n in ds.notes:
        note(f"{path}: {n}")
    return ds


def _subset(ds: Dataset, idx: list[int]) -> list:
    return [ds.items[i] for i in idx]


def _labels_of(ds: Dataset, items: list) -> list[str]:
    if ds.task == "classification":
        return [x.label for x in items]
    # Tagging: stratify sentences by their first entity type (or "O").
    return [next((t[2:] for t in s.tags if t != "O"), "O") for s in items]


def split_data(ds: Dataset, fractions: tuple[float, ...], seed: int = SPLIT_SEED):
    """Stratified split (falls back to a plain shuffle when a class has a single member), with a note."""
    split = stratified_split(_labels_of(ds, ds.items), fractions, seed)
    parts = [_subset(ds, idx) for idx in split.indices]
    info = {
        "seed": seed,
        "fractions": list(fractions),
        "sizes": [len(p) for p in parts],
        "stratified": split.stratified,
        "note": split.note,
    }
    note(f"split {'/'.join(str(len(p)) for p in parts)} ({split.note})")
    return parts, info


def default_arch(task: str) -> str:
    return "bilstm-crf" if task == "tagging" else "textcnn"


def _check_arch(arch: str, task: str) -> None:
    if task == "tagging" and arch != "bilstm-crf":
        raise DataError(f"--arch {arch} classifies texts; for tagging data use --arch bilstm-crf")
    if task == "classification" and arch == "bilstm-crf":
        raise DataError(
            "--arch bilstm-crf tags tokens; for classification data use textcnn, bilstm, lstm, gru, rnn, ngram-linear or frozen-transformer"
        )


def _train_neural(
    arch,
    train_items,
    dev_items,
    task,
    *,
    seed,
    device,
    epochs=None,
    patience=3,
    min_delta=0.0,
    pooling="max",
    embeddings=None,
    freeze_embeddings=False,
    progress=True,
):
    from advisor.baselines.train import (
        TrainConfig,
        TrainingError,
        tagger_train_config,
        train_classifier,
        train_tagger,
    )

    model_config: dict[str, Any] = {}
    if arch in ("bilstm", "lstm", "gru", "rnn"):
        model_config["pooling"] = pooling
    if freeze_embeddings:
        if embeddings is None:
            raise DataError("--freeze-embeddings needs --embeddings FILE (random-init embeddings must train)")
        model_config["freeze_embeddings"] = True
    overrides: dict[str, Any] = {"seed": seed, "device": device, "patience": patience, "min_delta": min_delta}
    if epochs is not None:
        overrides["max_epochs"] = epochs
    try:
        if task == "tagging":
            return train_tagger(
                train_items,
                dev_items,
                arch,
                model_config=model_config,
                train_config=tagger_train_config(**overrides),
                embeddings=embeddings,
                progress=progress,
            )
        if arch in ("bilstm", "lstm", "gru", "rnn"):
            overrides.setdefault("batch_size", 32)
            overrides.setdefault("grad_clip", 5.0)
        return train_classifier(
            train_items,
            dev_items,
            arch,
            model_config=model_config,
            train_config=TrainConfig(**overrides),
            embeddings=embeddings,
            progress=progress,
        )
    except TrainingError as exc:
        raise BaselineError(str(exc)) from None
    except ValueError as exc:
        raise BaselineError(str(exc)) from None


def classification_report(gold: list[str], pred: list[str], texts: list[str]) -> dict:
    from advisor.baselines import metrics

    return {
        "accuracy": metrics.accuracy(gold, pred),
        "macro_f1": metrics.macro_f1(gold, pred),
        "per_class": metrics.per_class_report(gold, pred),
        "length_buckets": metrics.length_bucket_accuracy(gold, pred, [len(tokenize(t)) for t in texts]),
    }


def tagging_report(gold: list[list[str]], pred: list[list[str]]) -> dict:
    from advisor.baselines import metrics

    p, r, f = metrics.entity_prf(gold, pred)
    lengths = [len(g) for g in gold]
    return {
        "f1": f,
        "precision": p,
        "recall": r,
        "length_buckets": metrics.length_bucket_entity_f1(gold, pred, lengths),
    }


def _oov(train_items, others: dict[str, list], task: str, embeddings=None) -> dict:
    def toks(items):
        if task == "tagging":
            return [t.lower() for s in items for t in s.tokens]
        return [t for x in items for t in tokenize(x.text)]

    vocab = set(toks(train_items))
    out: dict[str, Any] = {}
    emb_vocab = None
    if embeddings is not None:
        from advisor.data import embeddings_vocab

        emb_vocab = embeddings_vocab(embeddings)
    for name, items in others.items():
        t = toks(items)
        if not t:
            continue
        out[f"{name}_vs_train_vocab"] = round(sum(w not in vocab for w in t) / len(t), 4)
        if emb_vocab is not None:
            out[f"{name}_vs_embeddings"] = round(sum(w not in emb_vocab for w in t) / len(t), 4)
    return out


def train(
    data,
    *,
    task=None,
    text_column="text",
    label_column="label",
    test_file=None,
    dev_file=None,
    arch=None,
    pooling="max",
    embeddings=None,
    freeze_embeddings=False,
    epochs=None,
    seed=0,
    device="auto",
    out=None,
    threads=1,
) -> dict:
    t0 = time.perf_counter()
    set_threads(threads)
    check_device(device)
    ds = _load(data, task, text_column, label_column)
    arch = arch or default_arch(ds.task)
    _check_arch(arch, ds.task)
    test_ds = _load(test_file, ds.task, text_column, label_column, training=False) if test_file else None
    dev_ds = _load(dev_file, ds.task, text_column, label_column, training=False) if dev_file else None
    for other in (test_ds, dev_ds):
        if other is not None:
            check_labels_seen(ds, other)
    if test_ds is not None and dev_ds is not None:
        train_items, dev_items, test_items = list(ds.items), list(dev_ds.items), list(test_ds.items)
        split = {"train": str(data), "dev": str(dev_file), "test": str(test_file)}
    elif test_ds is not None:
        (train_items, dev_items), split = split_data(ds, (0.9, 0.1))
        test_items = list(test_ds.items)
        split["test"] = str(test_file)
    elif dev_ds is not None:
        (train_items, test_items), split = split_data(ds, (0.9, 0.1))
        dev_items = list(dev_ds.items)
        split["dev"] = str(dev_file)
    else:
        (train_items, dev_items, test_items), split = split_data(ds, (0.8, 0.1, 0.1))
    out = Path(out) if out else Path("runs") / f"{arch}-seed{seed}"
    note(f"training {arch} on {len(train_items)} examples (dev {len(dev_items)}, test {len(test_items)})")
    t_train = time.perf_counter()
    if arch in NEURAL:
        bundle = _train_neural(
            arch,
            train_items,
            dev_items,
            ds.task,
            seed=seed,
            device=device,
            epochs=epochs,
            pooling=pooling,
            embeddings=embeddings,
            freeze_embeddings=freeze_embeddings,
        )
        fit = bundle.fit.to_dict() if bundle.fit else {}
        model = _NeuralModel(bundle)
    else:
        model = _sklearn_model(arch, seed)
        model.fit(
            [x.text for x in train_items],
            [x.label for x in train_items],
            [x.text for x in dev_items],
            [x.label for x in dev_items],
        )
        fit = {}
    train_seconds = time.perf_counter() - t_train
    t_pred = time.perf_counter()
    report = _report(model, test_items, ds.task)
    pred_seconds = time.perf_counter() - t_pred
    result = {
        "arch": arch,
        "task": ds.task,
        "model": str(out),
        "test": {k: v for k, v in report.items() if k != "length_buckets" and k != "per_class"},
        "per_class": report.get("per_class"),
        "length_buckets": report["length_buckets"],
        "dev": {
            "curve": fit.get("dev_curve"),
            "best_epoch": fit.get("best_epoch"),
            "best": fit.get("best_score"),
            "stopped": fit.get("stopped_reason"),
        },
        "examples": {"train": len(train_items), "dev": len(dev_items), "test": len(test_items)},
        "split": split,
        "oov": _oov(train_items, {"dev": dev_items, "test": test_items}, ds.task, embeddings),
        "data_fingerprint": fingerprint(ds),
        "seconds": {
            "train": round(train_seconds, 2),
            "predict": round(pred_seconds, 3),
            "per_example_ms": round(1000 * pred_seconds / max(1, len(test_items)), 3),
            "total": round(time.perf_counter() - t0, 2),
        },
        "seed": seed,
        "versions": versions(),
    }
    model.save(
        out,
        {
            "data_fingerprint": result["data_fingerprint"],
            "split": split,
            "test": result["test"],
            "seed": seed,
            "data": str(data),
        },
    )
    plot = out / "length_buckets.png"
    from advisor.baselines.plots import plot_length_buckets

    plot_length_buckets(result["length_buckets"], plot)
    result["plot"] = str(plot)
    return result


class _NeuralModel:
    def __init__(self, bundle):
        self.bundle = bundle

    def predict(self, items, task):
        from advisor.baselines.io import predict_tags, predict_texts

        if task == "tagging":
            return predict_tags(self.bundle, [s.tokens for s in items])
        return predict_texts(self.bundle, [x.text for x in items])

    def save(self, out, meta):
        from advisor.baselines.io import save_model

        save_model(self.bundle, out, meta)


class _SklearnModel:
    def __init__(self, model):
        self.model = model

    def fit(self, *args):
        self.model.fit(*args)

    def predict(self, items, task):
        return list(self.model.predict([x.text for x in items]))

    def save(self, out, meta):
        import json

        def fill(folder: Path) -> None:
            self.model.save(folder)
            (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

        replace_dir_atomic(out, fill)


def _sklearn_model(arch: str, seed: int):
    """Deterministic by construction (convex fits, fixed C grid); ``seed`` is recorded, not needed."""
    if arch == "ngram-linear":
        from advisor.baselines.ngram import NgramLinearClassifier

        return _SklearnModel(NgramLinearClassifier())
    from advisor.baselines.transformer import FrozenTransformerClassifier

    return _SklearnModel(FrozenTransformerClassifier())


def _report(model, items, task) -> dict:
    pred = model.predict(items, task)
    if task == "tagging":
        return tagging_report([list(s.tags) for s in items], pred)
    return classification_report([x.label for x in items], pred, [x.text for x in items])


def load_any(model_dir):
    """A saved model directory of any architecture, wrapped with ``predict(items, task)``."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise DataError(f"{model_dir}: not a saved model directory (no config.json)")
    import json

    meta = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    arch = meta.get("arch") or meta.get("kind")
    if arch == "ngram-linear":
        from advisor.baselines.ngram import NgramLinearClassifier

        return arch, meta, _SklearnModel(NgramLinearClassifier.load(model_dir))
    if arch == "frozen-transformer":
        from advisor.baselines.transformer import FrozenTransformerClassifier

        return arch, meta, _SklearnModel(FrozenTransformerClassifier.load(model_dir))
    from advisor.baselines.io import load_model

    return arch, meta, _NeuralModel(load_model(model_dir))


def evaluate(model, data, *, task=None, text_column="text", label_column="label") -> dict:
    arch, meta, m = load_any(model)
    task = "tagging" if arch == "bilstm-crf" else "classification"
    ds = _load(data, task, text_column, label_column, training=False)
    t0 = time.perf_counter()
    report = _report(m, list(ds.items), ds.task)
    seconds = time.perf_counter() - t0
    return {
        "arch": arch,
        "task": ds.task,
        "model": str(model),
        "data": str(data),
        "test": {k: v for k, v in report.items() if k not in ("length_buckets", "per_class")},
        "per_class": report.get("per_class"),
        "length_buckets": report["length_buckets"],
        "examples": len(ds),
        "data_fingerprint": fingerprint(ds),
        "seconds": {
            "predict": round(seconds, 3),
            "per_example_ms": round(1000 * seconds / max(1, len(ds)), 3),
        },
    }


def predict(model, texts: list[str]) -> list[tuple[str, object]]:
    arch, meta, m = load_any(model)
    if arch == "bilstm-crf":
        from advisor.data import TaggedSentence

        items = [TaggedSentence(tuple(t.split()), tuple("O" for _ in t.split())) for t in texts]
        return [(t, " ".join(p)) for t, p in zip(texts, m.predict(items, "tagging"), strict=True)]
    from advisor.data import Example

    items = [Example(t, "") for t in texts]
    return list(zip(texts, m.predict(items, "classification"), strict=True))


# -- plateau evidence ------------------------------------------------------------------------------
def _learning_curve(
    ds,
    train_items,
    dev_items,
    arch,
    fractions,
    *,
    seed,
    device,
    patience,
    min_delta,
    max_epochs,
    embeddings,
    full_score,
) -> list[dict]:
    points = []
    labels = _labels_of(ds, train_items)
    for frac in sorted(set(fractions)):
        if frac >= 1.0:
            points.append({"fraction": 1.0, "examples": len(train_items), "arch": arch, "dev": full_score})
            continue
        split = stratified_split(labels, (frac, 1 - frac), SPLIT_SEED + 1)
        sub = [train_items[i] for i in split.indices[0]]
        if len({*_labels_of(ds, sub)}) < 2:
            continue
        note(f"learning curve: {arch} on {len(sub)} examples ({frac:.0%})")
        b = _train_neural(
            arch,
            sub,
            dev_items,
            ds.task,
            seed=seed,
            device=device,
            epochs=max_epochs,
            patience=patience,
            min_delta=min_delta,
            embeddings=embeddings,
            progress=False,
        )
        points.append(
            {"fraction": frac, "examples": len(sub), "arch": arch, "dev": round(b.fit.best_score, 4)}
        )
    return points


def plateau(
    data,
    out,
    *,
    task=None,
    text_column="text",
    label_column="label",
    archs=None,
    seeds=3,
    patience=3,
    min_delta=0.001,
    max_epochs=60,
    fractions="0.25,0.5,1.0",
    embeddings=None,
    device="auto",
    threads=1,
) -> dict:
    t0 = time.perf_counter()
    set_threads(threads)
    check_device(device)
    ds = _load(data, task, text_column, label_column)
    arch_list = [
        a.strip()
        for a in (archs or ("bilstm-crf" if ds.task == "tagging" else "textcnn,bilstm")).split(",")
        if a.strip()
    ]
    for a in arch_list:
        if a not in NEURAL:
            raise DataError(f"--arch {a}: plateau evidence comes from neural baselines ({', '.join(NEURAL)})")
        _check_arch(a, ds.task)
    try:
        fracs = [float(f) for f in str(fractions).split(",") if f.strip()]
    except ValueError:
        raise DataError(f"--fractions {fractions!r}: expected comma-separated numbers in (0, 1]") from None
    if not fracs or any(not 0 < f <= 1 for f in fracs):
        raise DataError(f"--fractions {fractions!r}: expected comma-separated numbers in (0, 1]")
    (train_items, dev_items), split = split_data(ds, (0.8, 0.2))
    metric = "entity_f1" if ds.task == "tagging" else "accuracy"
    runs = []
    for arch in arch_list:
        for seed in range(seeds):
            note(f"plateau: {arch} seed {seed} ({len(runs) + 1}/{len(arch_list) * seeds})")
            b = _train_neural(
                arch,
                train_items,
                dev_items,
                ds.task,
                seed=seed,
                device=device,
                epochs=max_epochs,
                patience=patience,
                min_delta=min_delta,
                embeddings=embeddings,
            )
            curve = [round(float(x), 6) for x in b.fit.dev_curve]
            ok, best_epoch = plateau_verdict(curve, patience, min_delta)
            import dataclasses

            runs.append(
                {
                    "arch": arch,
                    "seed": seed,
                    "config": {
                        "model": dataclasses.asdict(b.model.config),
                        "train": dataclasses.asdict(b.train_config),
                    },
                    "dev_curve": curve,
                    "train_loss": [round(float(x), 6) for x in b.fit.train_loss],
                    "best_epoch": best_epoch,
                    "best_dev": max(curve) if curve else 0.0,
                    "plateaued": ok,
                    "stopped": b.fit.stopped_reason,
                    "seconds": round(b.fit.seconds, 2),
                }
            )
            if b.fit.stopped_reason == "interrupted":
                raise BaselineError("interrupted: no evidence written (a partial run cannot show a plateau)")
    bests = [r["best_dev"] for r in runs]
    verdict = "plateaued" if all(r["plateaued"] for r in runs) else "not-plateaued"
    first = runs[0]
    lc = _learning_curve(
        ds,
        train_items,
        dev_items,
        arch_list[0],
        fracs,
        seed=0,
        device=device,
        patience=patience,
        min_delta=min_delta,
        max_epochs=max_epochs,
        embeddings=embeddings,
        full_score=first["best_dev"],
    )
    lc_note = ""
    if len(lc) >= 2:
        gain = lc[-1]["dev"] - lc[-2]["dev"]
        lc_note = (
            f"from {lc[-2]['examples']} to {lc[-1]['examples']} examples dev {metric} moved {gain:+.3f}: "
            + ("more data is still helping" if gain > 0.01 else "more data is helping little")
            + " (reported only; the verdict comes from the epoch curves)"
        )
    out = Path(out)
    plots = {
        "curves": out.with_suffix(".curves.png").name,
        "learning_curve": out.with_suffix(".learning.png").name,
    }
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "task": ds.task,
        "metric": metric,
        "data": {
            "path": str(data),
            "fingerprint": fingerprint(ds),
            "examples": len(ds),
            "label_counts": dict(sorted(Counter(_labels_of(ds, ds.items)).items()))
            if ds.task == "classification"
            else dict(sorted(Counter(t[2:] for s in ds.items for t in s.tags if t.startswith("B-")).items())),
            "split": split,
        },
        "plateau": {
            "patience": patience,
            "min_delta": min_delta,
            "verdict": verdict,
            "rule": "after the best epoch, at least `patience` further epochs each fail to beat it by more than `min_delta`",
        },
        "architectures": arch_list,
        "runs": runs,
        "floor": {
            "metric": metric,
            "mean": round(statistics.fmean(bests), 4),
            "std": round(statistics.stdev(bests), 4) if len(bests) > 1 else 0.0,
            "runs": len(runs),
        },
        "learning_curve": lc,
        "learning_curve_note": lc_note,
        "plots": plots,
        "versions": versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    # the writer holds itself to the schema the verifier reads (as JSON: what the file will hold)
    import json

    PlateauEvidence.model_validate(json.loads(json.dumps(doc)))
    from advisor.baselines.plots import plot_curves, plot_learning_curve

    out.parent.mkdir(parents=True, exist_ok=True)
    plot_curves(runs, out.parent / plots["curves"], f"dev {metric} per epoch ({verdict})")
    plot_learning_curve(lc, out.parent / plots["learning_curve"])
    write_json_atomic(out, doc)
    return {
        "evidence": str(out),
        "verdict": verdict,
        "floor": doc["floor"],
        "runs": len(runs),
        "examples": len(ds),
        "fingerprint": doc["data"]["fingerprint"],
        "learning_curve": lc,
        "learning_curve_note": lc_note,
        "plots": {k: str(out.parent / v) for k, v in plots.items()},
        "seconds": doc["seconds"],
    }


# -- human-readable forms ----------------------------------------------------------------------------
def _buckets_table(buckets) -> str:
    lines = ["  length       n   score"]
    for b in buckets:
        score = b.get("accuracy", b.get("f1"))
        lines.append(f"  {b['bucket']:<10} {b['n']:>5}   " + ("   -" if score is None else f"{score:.3f}"))
    return "\n".join(lines)


def format_train(r: dict) -> str:
    t = r["test"]
    score = (
        f"test accuracy {t['accuracy']:.4f}, macro-F1 {t['macro_f1']:.4f}"
        if "accuracy" in t
        else f"test entity F1 {t['f1']:.4f} (P {t['precision']:.4f}, R {t['recall']:.4f})"
    )
    dev = r["dev"]
    curve = (
        ""
        if not dev.get("curve")
        else f"\ndev curve: {', '.join(f'{x:.3f}' for x in dev['curve'])} (best epoch {dev['best_epoch']}, {dev['stopped']})"
    )
    return (
        f"{r['arch']} on {r['examples']['train']} examples: {score}{curve}\n"
        f"trained in {r['seconds']['train']} s; {r['seconds']['per_example_ms']} ms per test example\n"
        f"per-length accuracy (monitoring signal):\n{_buckets_table(r['length_buckets'])}\n"
        f"model: {r['model']}   plot: {r['plot']}"
    )


def format_evaluate(r: dict) -> str:
    t = r["test"]
    score = (
        f"accuracy {t['accuracy']:.4f}, macro-F1 {t['macro_f1']:.4f}"
        if "accuracy" in t
        else f"entity F1 {t['f1']:.4f} (P {t['precision']:.4f}, R {t['recall']:.4f})"
    )
    return f"{r['arch']} on {r['examples']} examples of {r['data']}: {score}\n{_buckets_table(r['length_buckets'])}"


def format_plateau(r: dict) -> str:
    f = r["floor"]
    lc = ", ".join(f"{p['examples']}: {p['dev']:.3f}" for p in r["learning_curve"])
    return (
        f"verdict: {r['verdict']} ({r['runs']} runs on {r['examples']} examples)\n"
        f"floor: dev {f['metric']} {f['mean']:.4f} ± {f['std']:.4f}\n"
        f"learning curve: {lc}\n{r['learning_curve_note']}\n"
        f"evidence: {r['evidence']}   plots: {r['plots']['curves']}, {r['plots']['learning_curve']}\n"
        f"next: advisor recommend --data DATA --evidence {r['evidence']}"
    )
