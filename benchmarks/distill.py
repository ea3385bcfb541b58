"""Knowledge distillation on one sample: a TextCNN with and without a frozen MiniLM teacher (issue 13, §4).

Usage (resumable: each finished run is appended to the JSON-lines file and skipped on the next start)::

    nice -n 10 .venv/bin/python benchmarks/distill.py                  # SST-2 at 1,000, seed 0
    nice -n 10 .venv/bin/python benchmarks/distill.py --dataset trec --n 250
    nice -n 15 .venv/bin/python benchmarks/distill.py --plan           # every cell, most important first
    .venv/bin/python benchmarks/distill.py --render                    # the table from the JSON lines
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/distill.py --rule held-out-mse --dataset trec --n 250
    .venv/bin/python benchmarks/distill.py --rule held-out-mse --render  # the students, rule against rule

``--rule`` (``advisor.vocabulary.DISTILL_SELECTIONS``; default: the library's, ``distill.SELECTION``,
``held-out-mse``) is how the students' epoch is picked: ``dev-accuracy`` (the hard-label rule, the default
before; its student rows are ``distill.jsonl``'s), ``held-out-mse`` (the distillation MSE on the dev texts and
their augmented copies; ``distill-held-out-mse.jsonl``) or ``held-out-agreement``
(``distill-held-out-agreement.jsonl``). ``--run`` runs one run of a cell (to order reruns by cost).
The teacher and hard-label rows are the same for every rule: ``distill.jsonl``, reused (and their model folders
under ``runs/bench-distill``).

The data: a stratified sample of ``--n`` training examples (seed 0) of ``../shared/datasets`` (SST-2
``sst2/train.jsonl``, TREC ``trec/train.jsonl``, MR ``mr/mr.jsonl``), its test file the set's own (SST-2 1,821
sentences, TREC 500); MR has no split, so its test set is a fixed stratified 10% of ``mr.jsonl`` (1,067
sentences, seed 0) and the sample is drawn from the other 90%.
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

from advisor.baselines.distill import SELECTION
from advisor.vocabulary import DISTILL_SELECTIONS

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
RESULTS = REPO / "benchmarks" / "results"
OUT = RESULTS / "distill.jsonl"  # the teachers, the hard-label TextCNNs and the dev-accuracy students
WORK = REPO / "runs" / "bench-distill"  # samples and model folders (git-ignored)
SOURCES = {
    "sst2": ("sst2/train.jsonl", "sst2/test.jsonl"),
    "trec": ("trec/train.jsonl", "trec/test.jsonl"),
    "mr": ("mr/mr.jsonl", None),  # no split: a fixed 10% is the test set
}
RUNS = ("teacher", "textcnn", "distilled", "distilled-augment4")
# --plan: the cells in the order they matter (issue 13 asks TREC/MR/SST-2 at 250 and 1,000; the augmented
# students, the costliest runs, come after every cell has its teacher, plain and distilled student)
CELLS = (("sst2", 1000), ("trec", 250), ("mr", 250), ("sst2", 250), ("trec", 1000), ("mr", 1000))
PLAN = [
    *((name, n, run) for name, n in CELLS for run in RUNS[:3]),
    *((name, n, RUNS[3]) for name, n in CELLS),
]


def sample(name: str, n: int) -> tuple[Path, Path]:
    from advisor.data import load_dataset, stratified_split

    data, test = WORK / f"{name}-{n}.jsonl", WORK / f"{name}-test.jsonl"
    if data.is_file() and test.is_file():
        return data, test
    WORK.mkdir(parents=True, exist_ok=True)
    train_file, test_file = SOURCES[name]
    items = list(load_dataset(DATASETS / train_file).items)
    if test_file is None:
        rest, held = stratified_split([x.label for x in items], (0.9, 0.1), 0).indices
        test_items = [items[i] for i in held]
        items = [items[i] for i in rest]
    else:
        test_items = list(load_dataset(DATASETS / test_file, training=False).items)
    chosen = stratified_split([x.label for x in items], (n / len(items), 1 - n / len(items)), 0).indices[0]

    def write(path, rows):
        path.write_text("".join(json.dumps({"text": x.text, "label": x.label}) + "\n" for x in rows), "utf-8")

    write(data, [items[i] for i in chosen])
    write(test, test_items)
    return data, test


def out_for(rule: str, run: str) -> Path:
    """The results file of ``run``'s rows under ``rule``: the students' per rule, the rest in :data:`OUT`."""
    return (
        RESULTS / f"distill-{rule}.jsonl" if run.startswith("distilled") and rule != "dev-accuracy" else OUT
    )


def one(name: str, n: int, run: str, rule: str = "dev-accuracy") -> dict:
    from advisor.baselines import train

    data, test = sample(name, n)
    teacher = WORK / f"{name}-{n}-teacher"
    kwargs = {"arch": "textcnn"}
    suffix = ""
    if run == "teacher":
        kwargs = {"arch": "frozen-transformer"}
    elif run.startswith("distilled"):
        kwargs.update(teacher=teacher, augment=4 if run.endswith("augment4") else 0, selection=rule)
        suffix = "" if rule == "dev-accuracy" else f"-{rule}"
    load = os.getloadavg()[0]
    out = teacher if run == "teacher" else WORK / f"{name}-{n}-{run}{suffix}"
    r = train(data, test=test, device="cpu", threads=1, out=out, force=True, **kwargs)
    extra = {"selection": r.distillation["selection"]} if r.distillation else {}
    return {
        "dataset": name,
        "examples": n,
        "run": run,
        "split": r.examples,
        "test_accuracy": r.test["accuracy"],
        "test_macro_f1": r.test["macro_f1"],
        "dev_best": r.dev.get("best"),
        "dev_accuracy": r.dev.get("accuracy"),
        "epochs": len(r.dev.get("curve") or []) or None,
        "rows": (r.distillation or {}).get("rows"),
        "teacher": (r.distillation or {}).get("teacher"),
        "train_seconds": r.seconds["train"],
        "loadavg": round(load, 2),
        **extra,
    }


def done(path: Path = OUT) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def versus(rows: list[dict], after: list[dict], rule: str) -> str:
    """The students of two rules side by side: ``rows`` (:data:`OUT`: the hard-label TextCNN and the
    dev-accuracy students) and ``after`` (``rule``'s students), test / dev accuracy; then, per rule, how many
    students beat the hard-label one on test and the mean difference (over the cells both rules ran)."""
    by = {(r["dataset"], r["examples"], r["run"]): r for r in rows}
    new = {(r["dataset"], r["examples"], r["run"]): r for r in after}
    cell = lambda r: "not run" if r is None else f"{r['test_accuracy']:.3f} / {r['dev_best']:.3f}"  # noqa: E731
    lines = [
        f"| dataset | n | TextCNN, hard labels | distilled, dev-accuracy | distilled, {rule} "
        f"| --augment 4, dev-accuracy | --augment 4, {rule} |",
        "|---|---|---|---|---|---|---|",
    ]
    deltas: dict[str, list[float]] = {"dev-accuracy": [], rule: []}
    for name, n in dict.fromkeys((name, n) for name, n, _ in PLAN):
        hard = by.get((name, n, "textcnn"))
        out = [cell(hard)]
        for run in RUNS[2:]:
            before, now = by.get((name, n, run)), new.get((name, n, run))
            out += [cell(before), cell(now)]
            if hard and before and now:
                deltas["dev-accuracy"].append(before["test_accuracy"] - hard["test_accuracy"])
                deltas[rule].append(now["test_accuracy"] - hard["test_accuracy"])
        lines.append(f"| {name} | {n:,} | " + " | ".join(out) + " |")
    lines.append("")
    for name, d in deltas.items():
        if d:
            mean = 100 * sum(d) / len(d)
            lines.append(f"{name}: beat the hard-label TextCNN in {sum(x > 0 for x in d)} of {len(d)} runs, "
                         f"mean test difference {mean:+.1f} points")  # fmt: skip
    return "\n".join(lines)


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


def pivot(rows: list[dict]) -> str:
    """One line per (dataset, n): test / dev accuracy of the teacher, the TextCNN on hard labels and the
    students, in PLAN's order; a cell not run yet is "not run". The teacher's dev accuracy is the one the
    distilled run measured on the same split (the teacher's own row records no dev score)."""
    by = {(r["dataset"], r["examples"], r["run"]): r for r in rows}
    lines = [
        "| dataset | n | teacher (MiniLM frozen) | TextCNN, hard labels | TextCNN distilled (dev-accuracy) "
        "| distilled, --augment 4 (dev-accuracy) |",
        "|---|---|---|---|---|---|",
    ]
    cells = list(dict.fromkeys((name, n) for name, n, _ in PLAN))
    for name, n in cells:
        out = []
        for run in RUNS:
            r = by.get((name, n, run))
            if r is None:
                out.append("not run")
                continue
            dev = r.get("dev_best")
            if run == "teacher":
                student = next((by[k] for k in ((name, n, x) for x in RUNS[2:]) if k in by), None)
                dev = ((student or {}).get("teacher") or {}).get("dev", {}).get("accuracy")
            out.append(f"{r['test_accuracy']:.3f} / " + ("-" if dev is None else f"{dev:.3f}"))
        lines.append(f"| {name} | {n:,} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=sorted(SOURCES), default="sst2")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--plan", action="store_true", help="every cell of PLAN, most important first")
    ap.add_argument(
        "--rule", choices=DISTILL_SELECTIONS, default=SELECTION, help="how a student's epoch is picked"
    )
    ap.add_argument("--run", choices=RUNS, help="one run of the --dataset/--n cell (default: each in turn)")
    ap.add_argument("--render", action="store_true")
    args = ap.parse_args(argv)
    if args.render:
        students = out_for(args.rule, RUNS[2])
        if students != OUT:
            print(versus(done(), done(students), args.rule))
            return 0
        print(render(done()))
        print()
        print(pivot(done()))
        return 0
    runs = RUNS if args.run is None else (args.run,)
    cells = PLAN if args.plan else [(args.dataset, args.n, run) for run in runs]
    for name, n, run in cells:
        path = out_for(args.rule, run)
        if any((r["dataset"], r["examples"], r["run"]) == (name, n, run) for r in done(path)):
            continue
        row = one(name, n, run, args.rule)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps({k: v for k, v in row.items() if k != "teacher"}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
