"""CPU fine-tuning at 500 examples, and the lesson's BertCNN against the logistic-regression head (issue 10).

Usage (resumable: each finished run is appended to the JSON-lines file and skipped on the next start)::

    nice -n 10 .venv/bin/python benchmarks/finetune.py                 # per dataset: fine-tuning, the heads; seed 0
    nice -n 10 .venv/bin/python benchmarks/finetune.py --seeds 2       # add seed 1
    nice -n 10 .venv/bin/python benchmarks/finetune.py --only heads    # the frozen-transformer heads only
    .venv/bin/python benchmarks/finetune.py --render                   # the tables from the JSON lines

The data: a stratified sample of 500 training examples (seed 0) of TREC (``trec/train.jsonl``, coarse labels), MR
(``mr/mr.jsonl``) and SST-2 (``sst2/train.jsonl``, the 6,920 sentences) in ``../shared/datasets``, written to a data
file; the test sets are the sets' own test files (TREC ``trec/test.jsonl``, 500; SST-2 ``sst2/test.jsonl``, 1,821)
and, for MR (no canonical split), a stratified sample of 1,000 of the other MR sentences (seed 1).

``finetune`` runs, per dataset and seed, what a user runs (through the Python API, ``advisor.baselines``):
``plateau(sample, evidence, arch="textcnn", seeds=3, fractions="1.0")`` once per dataset (the TextCNN plateau
evidence: the policy's 80/20 evidence split, seeds 0-2), then ``train(sample, arch="transformer-finetune",
evidence=..., test=...)`` with the shipped all-MiniLM-L6-v2 and the recipe row (AdamW 5e-5, batch 16, 10% warmup,
up to 20 epochs, early stopping on dev accuracy with patience 3) on the evidence's split (400 train, 100 dev); the
floor check compares its dev accuracy with the evidence's floor (mean + std of the TextCNN runs). Recorded: epochs
run, seconds per epoch (fit seconds / epochs: the training steps and the dev pass of each epoch), test accuracy
and the floor and collapse verdicts.

``heads`` trains ``frozen-transformer`` with each head on the same sample (no evidence: the runner's 90/10
train/dev split of the 500, the same test set): ``lr`` (logistic regression on mean-pooled, L2-normalised sentence
embeddings, C chosen on dev) and ``cnn`` (BertCNN: a TextCNN, widths 2/3/4 x 64 filters, over the frozen
last-layer token features, trained with the TextCNN recipe). Recorded: test accuracy, training seconds (the
encoding pass included) and prediction time.

Everything runs on the CPU with one torch thread (``threads=1``, as ``advisor baseline`` does), under ``nice``, on
a shared 2-core machine: the seconds are this machine's under its load at the time (``os.getloadavg()`` is
recorded before each run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = REPO / "benchmarks" / "results" / "finetune.jsonl"
WORK = REPO / "runs" / "bench-finetune"  # samples, evidence and model folders (git-ignored)
N = 500
SOURCES = {  # name: (train file, test file or None: a held-out sample of the rest)
    "trec": ("trec/train.jsonl", "trec/test.jsonl"),
    "mr": ("mr/mr.jsonl", None),
    "sst2": ("sst2/train.jsonl", "sst2/test.jsonl"),
}
MR_TEST = 1000
HEADS = ("lr", "cnn")


def _write(path: Path, items) -> None:
    path.write_text("".join(json.dumps({"text": x.text, "label": x.label}) + "\n" for x in items), "utf-8")


def sample(name: str) -> tuple[Path, Path]:
    """The 500-example data file and the test file of ``name`` (written once under :data:`WORK`)."""
    from advisor.data import load_dataset, stratified_split

    data, test = WORK / f"{name}-{N}.jsonl", WORK / f"{name}-test.jsonl"
    if data.is_file() and test.is_file():
        return data, test
    WORK.mkdir(parents=True, exist_ok=True)
    train_file, test_file = SOURCES[name]
    items = list(load_dataset(DATASETS / train_file).items)
    labels = [x.label for x in items]
    chosen, rest = stratified_split(labels, (N / len(items), 1 - N / len(items)), 0).indices
    _write(data, [items[i] for i in chosen])
    if test_file is None:
        others = [items[i] for i in rest]
        part = stratified_split(
            [x.label for x in others], (MR_TEST / len(others), 1 - MR_TEST / len(others)), 1
        )
        _write(test, [others[i] for i in part.indices[0]])
    else:
        _write(test, load_dataset(DATASETS / test_file).items)
    return data, test


def evidence(name: str, data: Path) -> tuple[Path, dict]:
    """The TextCNN plateau evidence for the sample (trained once; its summary cached beside it)."""
    from advisor.baselines import plateau

    path, summary = WORK / f"{name}-evidence.json", WORK / f"{name}-evidence.summary.json"
    if not summary.is_file():
        t0 = time.perf_counter()
        doc = plateau(data, path, arch="textcnn", seeds=3, fractions="1.0", device="cpu", threads=1)
        doc = {
            "verdict": doc["verdict"],
            "floor": doc["floor"],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        summary.write_text(json.dumps(doc), "utf-8")
    return path, json.loads(summary.read_text("utf-8"))


def finetune_run(name: str, seed: int) -> dict:
    from advisor.baselines import train

    data, test = sample(name)
    ev, summary = evidence(name, data)
    load = os.getloadavg()[0]
    r = train(data, arch="transformer-finetune", evidence=ev, test=test, seed=seed, device="cpu", threads=1,
              out=WORK / f"{name}-ft-seed{seed}", force=True)  # fmt: skip
    fit = r.manifest.fit or {}
    epochs = len(fit.get("dev_curve") or [])
    f = r.floor
    return {
        "phase": "finetune",
        "dataset": name,
        "examples": N,
        "seed": seed,
        "split": r.examples,
        "epochs": epochs,
        "best_epoch": fit.get("best_epoch"),
        "stopped": fit.get("stopped_reason"),
        "dev_curve": fit.get("dev_curve"),
        "seconds_per_epoch": round(fit["seconds"] / max(1, epochs), 1),
        "train_seconds": r.seconds["train"],
        "test_accuracy": r.test["accuracy"],
        "test_macro_f1": r.test["macro_f1"],
        "floor": f.model_dump() if f else None,
        "evidence": summary,
        "loadavg": round(load, 2),
        "versions": {k: r.versions.get(k) for k in ("torch", "transformers")},
    }


def heads_run(name: str, head: str) -> dict:
    from advisor.baselines import train

    data, test = sample(name)
    load = os.getloadavg()[0]
    r = train(data, arch="frozen-transformer", head=head, test=test, device="cpu", threads=1,
              out=WORK / f"{name}-frozen-{head}", force=True)  # fmt: skip
    fit = r.manifest.fit or {}
    return {
        "phase": "heads",
        "dataset": name,
        "examples": N,
        "head": head,
        "split": r.examples,
        "epochs": len(fit.get("dev_curve") or []) or None,
        "train_seconds": r.seconds["train"],
        "predict_ms_per_example": r.seconds["per_example_ms"],
        "test_accuracy": r.test["accuracy"],
        "test_macro_f1": r.test["macro_f1"],
        "dev_best": r.dev.get("best"),
        "loadavg": round(load, 2),
    }


def done() -> list[dict]:
    if not OUT.is_file():
        return []
    return [json.loads(line) for line in OUT.read_text("utf-8").splitlines() if line.strip()]


def _append(row: dict) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps({k: v for k, v in row.items() if k not in ("dev_curve", "evidence")}), file=sys.stderr)


def render(rows: list[dict]) -> str:
    lines = [
        "Fine-tuning all-MiniLM-L6-v2 at 500 examples (CPU, 1 thread; `benchmarks/finetune.py`):",
        "",
        "| dataset | seed | train/dev/test | epochs (best) | s/epoch | test acc | dev acc | TextCNN floor (mean + std) | beats floor | collapsed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted((r for r in rows if r["phase"] == "finetune"), key=lambda r: (r["dataset"], r["seed"])):
        f, s = r["floor"], r["split"]
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {s['train']}/{s['dev']}/{s['test']} | {r['epochs']} ({r['best_epoch']}) "
            f"| {r['seconds_per_epoch']} | {r['test_accuracy']:.3f} | {f['score']:.3f} | "
            f"{f['floor_mean']:.3f} + {f['floor_std']:.3f} = {f['threshold']:.3f} | "
            f"{'yes' if f['beats_floor'] else 'NO'} | {'YES' if f['collapsed'] else 'no'} |"
        )
    heads = [r for r in rows if r["phase"] == "heads"]
    if heads:
        lines += [
            "",
            "frozen all-MiniLM-L6-v2, logistic-regression head (lr) vs BertCNN (cnn), same 500 examples:",
            "",
            "| dataset | head | train/dev/test | test acc | macro-F1 | train s (encoding included) | predict ms/example |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in sorted(heads, key=lambda r: (r["dataset"], HEADS.index(r["head"]))):
            s = r["split"]
            lines.append(
                f"| {r['dataset']} | {r['head']} | {s['train']}/{s['dev']}/{s['test']} | {r['test_accuracy']:.3f} | "
                f"{r['test_macro_f1']:.3f} | {r['train_seconds']} | {r['predict_ms_per_example']} |"
            )
    loads = [r["loadavg"] for r in rows]
    if loads:
        lines.append(f"\nload average (1 min) before the runs: {min(loads)} to {max(loads)} on 2 cores")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--only", choices=("finetune", "heads"))
    ap.add_argument("--datasets", default=",".join(SOURCES))
    ap.add_argument("--render", action="store_true")
    args = ap.parse_args(argv)
    rows = done()
    names = [n for n in args.datasets.split(",") if n]
    if not args.render:  # dataset by dataset: each one's fine-tuning runs, then its two heads
        for name in names:
            if args.only in (None, "finetune"):
                have = {(r["dataset"], r["seed"]) for r in rows if r["phase"] == "finetune"}
                for seed in range(args.seeds):
                    if (name, seed) not in have:
                        rows.append(finetune_run(name, seed))
                        _append(rows[-1])
            if args.only in (None, "heads"):
                have = {(r["dataset"], r["head"]) for r in rows if r["phase"] == "heads"}
                for head in HEADS:
                    if (name, head) not in have:
                        rows.append(heads_run(name, head))
                        _append(rows[-1])
    text = render(rows)
    OUT.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
