"""Full-data baselines with the distilled static vectors (issue 12 §3, partial): resumable, one JSONL row per run.

Models, on the splits of ``benchmarks/datasets.py`` (``load_classification``: no tuning on test; dev carved
from train with seed 12345 where the set has no dev split):

- ``ngram-linear``: word 1-2 gram TF-IDF + logistic regression (deterministic: one run);
- ``ngram-static-linear``: the same ⊕ the mean model2vec vector distilled from all-MiniLM-L6-v2 (one run);
- ``textcnn-m2v-static``: TextCNN (the recipe) over the distilled vectors, frozen (Kim's CNN-static);
- ``textcnn-m2v-nonstatic``: the same, vectors trained (Kim's CNN-non-static).

The vectors are ``advisor embeddings distill``'s default (the cache; distilled on first use). Each finished run is
appended to ``--out`` (default ``benchmarks/results/static_vectors.jsonl``) at once; a run already there is
skipped, so an interrupted run resumes. Single-threaded; run it under ``nice``::

    nice -n 10 .venv/bin/python benchmarks/static_vectors.py --seeds 1
    .venv/bin/python benchmarks/static_vectors.py --table        # the markdown table of what is there

Needs ``../shared/datasets`` and the ``transformer`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path(__file__).resolve().parent / "results" / "static_vectors.jsonl"
LINEAR = ("ngram-linear", "ngram-static-linear")
CNN = ("textcnn-m2v-static", "textcnn-m2v-nonstatic")
DATASETS = ("trec", "sst2-sentences", "mr", "sst2")  # sst2: GLUE phrases (67k), linear models only
# Kim 2014 (CNN-static / CNN-non-static) and CNN-rand, for the table
KIM = {
    "trec": {"rand": 91.2, "static": 92.8, "nonstatic": 93.6},
    "mr": {"rand": 76.1, "static": 81.0, "nonstatic": 81.5},
    "sst2": {"rand": 82.7, "static": 86.8, "nonstatic": 87.2},
}


def done(out: Path) -> set[tuple[str, str, int]]:
    if not out.is_file():
        return set()
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {(r["dataset"], r["model"], r["seed"]) for r in rows}


def append(out: Path, row: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def accuracy(gold, pred) -> float:
    return round(100 * sum(g == p for g, p in zip(gold, pred, strict=True)) / max(1, len(gold)), 2)


def run_linear(model_name: str, data: dict, vectors: Path) -> dict:
    from advisor.baselines.ngram import NgramLinearClassifier, NgramStaticLinearClassifier

    cls = NgramStaticLinearClassifier if model_name == "ngram-static-linear" else NgramLinearClassifier
    kwargs = {"vectors": vectors} if model_name == "ngram-static-linear" else {}
    t0 = time.perf_counter()
    model = cls(**kwargs).fit(
        [x.text for x in data["train"]],
        [x.label for x in data["train"]],
        [x.text for x in data["dev"]],
        [x.label for x in data["dev"]],
    )
    pred = model.predict([x.text for x in data["test"]])
    extra = {"kept_words": len(model.words), "kept_mb": model.vectors_mb} if kwargs else {}
    return {
        "test": accuracy([x.label for x in data["test"]], pred),
        "C": model.C,
        "seconds": round(time.perf_counter() - t0, 1),
        **extra,
    }


def run_cnn(model_name: str, data: dict, vectors: Path, seed: int) -> dict:
    from advisor.baselines import io, runner

    t0 = time.perf_counter()
    bundle = runner.train_neural(
        "textcnn",
        data["train"],
        data["dev"],
        "classification",
        seed=seed,
        device="cpu",
        embeddings=vectors,
        freeze_embeddings=model_name == "textcnn-m2v-static",
        progress=False,
    )
    pred = io.predict_items(bundle, data["test"])
    fit = bundle.fit.to_dict() if bundle.fit else {}
    return {
        "test": accuracy([x.label for x in data["test"]], pred),
        "best_epoch": fit.get("best_epoch"),
        "dev": fit.get("best_score"),
        "epochs": len(fit.get("dev_curve") or []),
        "seconds": round(time.perf_counter() - t0, 1),
        "embeddings_found": bundle.info.get("embeddings_found"),
    }


def table(out: Path) -> str:
    rows = (
        [json.loads(line) for line in out.read_text().splitlines() if line.strip()] if out.is_file() else []
    )
    by: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        by.setdefault((r["dataset"], r["model"]), []).append(r["test"])
    lines = [
        "| dataset | " + " | ".join((*LINEAR, *CNN)) + " | Kim 2014 rand / static / non-static |",
        "|---" * 6 + "|",
    ]
    for d in DATASETS:
        cells = []
        for m in (*LINEAR, *CNN):
            xs = by.get((d, m))
            cells.append("-" if not xs else f"{sum(xs) / len(xs):.1f} ({len(xs)})")
        k = KIM.get(d.split("-")[0])
        kim = f"{k['rand']} / {k['static']} / {k['nonstatic']}" if k else "-"
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {kim} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=list(DATASETS))
    ap.add_argument("--models", nargs="*", default=[*LINEAR, *CNN])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--table", action="store_true")
    args = ap.parse_args(argv)
    if args.table:
        print(table(args.out))
        return 0
    import torch

    torch.set_num_threads(1)
    from datasets import load_classification, loadavg

    from advisor.baselines.static import default_vectors

    vectors = Path(default_vectors()["folder"])
    finished = done(args.out)
    # the cheap linear models everywhere first, then the CNNs (the phrase-level SST-2 only for linear models)
    plan = [(d, m, 0) for m in LINEAR if m in args.models for d in args.only]
    plan += [
        (d, m, s)
        for s in range(args.seeds)
        for m in CNN
        if m in args.models
        for d in args.only
        if d != "sst2"
    ]
    cache: dict[str, dict] = {}
    for dataset, model, seed in plan:
        if (dataset, model, seed) in finished:
            continue
        data = cache.setdefault(dataset, load_classification(dataset, quick=False))
        print(f"{dataset} {model} seed {seed} ...", file=sys.stderr, flush=True)
        result = run_linear(model, data, vectors) if model in LINEAR else run_cnn(model, data, vectors, seed)
        row = {
            "dataset": dataset,
            "model": model,
            "seed": seed,
            **result,
            "sizes": data["sizes"],
            "load": loadavg(),
            "vectors": str(vectors.name),
        }
        append(args.out, row)
        print(f"  test {row['test']} ({row['seconds']} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
