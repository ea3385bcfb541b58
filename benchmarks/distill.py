"""Knowledge distillation on one sample: a TextCNN with and without a frozen MiniLM teacher (issue 13, §4).

Usage (resumable: each finished run is appended to the JSON-lines file and skipped on the next start)::

    nice -n 10 .venv/bin/python benchmarks/distill.py                  # SST-2 at 1,000, seed 0
    nice -n 10 .venv/bin/python benchmarks/distill.py --dataset trec --n 250
    .venv/bin/python benchmarks/distill.py --render                    # the table from the JSON lines

The data: a stratified sample of ``--n`` training examples (seed 0) of ``../shared/datasets`` (SST-2
``sst2/train.jsonl``, TREC ``trec/train.jsonl``), its test file the set's own (SST-2 1,821 sentences, TREC 500).
Runs, through the Python API (``advisor.baselines.train``), on the runner's 90/10 train/dev split of the sample:
the teacher (``frozen-transformer``: the shipped all-MiniLM-L6-v2, logistic-regression head), the TextCNN on the
hard labels, and the TextCNN students with ``teacher=`` and ``augment`` 0 and 4 (Tang et al.'s rules,
:mod:`advisor.baselines.distill`). Recorded: test and dev accuracy, the rows, the seconds, the load average. CPU,
one torch thread, under ``nice`` on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = REPO / "benchmarks" / "results" / "distill.jsonl"
WORK = REPO / "runs" / "bench-distill"  # samples and model folders (git-ignored)
SOURCES = {"sst2": ("sst2/train.jsonl", "sst2/test.jsonl"), "trec": ("trec/train.jsonl", "trec/test.jsonl")}
RUNS = ("teacher", "textcnn", "distilled", "distilled-augment4")


def sample(name: str, n: int) -> tuple[Path, Path]:
    from advisor.data import load_dataset, stratified_split

    data, test = WORK / f"{name}-{n}.jsonl", WORK / f"{name}-test.jsonl"
    if data.is_file() and test.is_file():
        return data, test
    WORK.mkdir(parents=True, exist_ok=True)
    train_file, test_file = SOURCES[name]
    items = list(load_dataset(DATASETS / train_file).items)
    chosen = stratified_split([x.label for x in items], (n / len(items), 1 - n / len(items)), 0).indices[0]

    def write(path, rows):
        path.write_text("".join(json.dumps({"text": x.text, "label": x.label}) + "\n" for x in rows), "utf-8")

    write(data, [items[i] for i in chosen])
    write(test, load_dataset(DATASETS / test_file, training=False).items)
    return data, test


def one(name: str, n: int, run: str) -> dict:
    from advisor.baselines import train

    data, test = sample(name, n)
    teacher = WORK / f"{name}-{n}-teacher"
    kwargs = {"arch": "textcnn"}
    if run == "teacher":
        kwargs = {"arch": "frozen-transformer"}
    elif run.startswith("distilled"):
        kwargs["teacher"] = teacher
        kwargs["augment"] = 4 if run.endswith("augment4") else 0
    load = os.getloadavg()[0]
    out = teacher if run == "teacher" else WORK / f"{name}-{n}-{run}"
    r = train(data, test=test, device="cpu", threads=1, out=out, force=True, **kwargs)
    return {
        "dataset": name,
        "examples": n,
        "run": run,
        "split": r.examples,
        "test_accuracy": r.test["accuracy"],
        "test_macro_f1": r.test["macro_f1"],
        "dev_best": r.dev.get("best"),
        "epochs": len(r.dev.get("curve") or []) or None,
        "rows": (r.distillation or {}).get("rows"),
        "teacher": (r.distillation or {}).get("teacher"),
        "train_seconds": r.seconds["train"],
        "loadavg": round(load, 2),
    }


def done() -> list[dict]:
    if not OUT.is_file():
        return []
    return [json.loads(line) for line in OUT.read_text("utf-8").splitlines() if line.strip()]


def render(rows: list[dict]) -> str:
    lines = [
        "| dataset | n | run | rows | test acc | dev acc | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rows_ = r["rows"]["total"] if r.get("rows") else r["split"]["train"]
        dev = "" if r["dev_best"] is None else f"{r['dev_best']:.3f}"
        lines.append(
            f"| {r['dataset']} | {r['examples']} | {r['run']} | {rows_} | {r['test_accuracy']:.3f} | {dev} | "
            f"{r['train_seconds']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=sorted(SOURCES), default="sst2")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--render", action="store_true")
    args = ap.parse_args(argv)
    if args.render:
        print(render(done()))
        return 0
    finished = {(r["dataset"], r["examples"], r["run"]) for r in done()}
    for run in RUNS:
        if (args.dataset, args.n, run) in finished:
            continue
        row = one(args.dataset, args.n, run)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        with OUT.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps({k: v for k, v in row.items() if k != "teacher"}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
