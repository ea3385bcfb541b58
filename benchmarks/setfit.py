"""SetFit (``transformer-setfit``) on TREC, MR and SST-2 samples of 50 to 500 examples: the numbers behind
``policy.setfit_below`` (issue 15 §3), beside ``shared/research/setfit.md`` and ``crossover.md``.

Usage (resumable: each finished run is appended to the JSON-lines file and skipped on the next start)::

    nice -n 10 .venv/bin/python benchmarks/setfit.py                 # the plan below, in order, until done
    nice -n 10 .venv/bin/python benchmarks/setfit.py --only 50,100   # just those sizes (seed 0 first)
    .venv/bin/python benchmarks/setfit.py --render                   # the markdown table of what has finished

What one run is: the crossover study's sampling (``shared/research/crossover.md``): a stratified sample of n labeled
examples (seed = the run's seed) of the dataset's training pool, split 80% train / 20% validation (stratified, seed
12345); ``advisor.baselines.setfit_train.SetFitClassifier`` trains on the 80% with the ``transformer-setfit`` recipe
row (the setfit package's standard recipe) on the shipped all-MiniLM-L6-v2 and is scored on the whole test set.
Pools and test sets: TREC ``trec/train.jsonl`` / ``trec/test.jsonl`` (500); MR ``mr/mr.jsonl`` with the fixed 90/10
stratified split (seed 12345), the 10% (1,067) the test set; SST-2 ``sst2/train.jsonl`` sentences / ``sst2/test.jsonl``
(1,821). torch runs with ``--threads`` threads (default 1: setfit.md measured with 2, but on this shared 2-core machine
under a load of 8-10 two threads spin against each other); ``seconds`` are wall seconds of training plus test
prediction and ``cpu_seconds`` the process's CPU seconds (what the machine's load does not inflate), with the load
average recorded beside them.

The table (``--render``) puts each (set, size) beside setfit.md's SetFit and crossover.md's fine-tuned and frozen
MiniLM (those transformer rows ran on an H100: no CPU seconds) and, where ``benchmarks/results/finetune.jsonl`` has
them (500 examples only), this machine's: ``transformer-finetune`` with the training seconds of each run and
``frozen-transformer`` with the logistic-regression head (its seconds include the encoding pass). finetune.py draws
its own 500-example sample (seed 0; fine-tuning on the evidence's 400/100 split, the frozen head on 450/50) and
scores MR on its own 1,000-sentence test sample: the same sets and size, not the same sample or MR test set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# This folder holds a datasets.py, which would shadow the Hugging Face `datasets` package setfit imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "benchmarks"]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = REPO / "benchmarks" / "results" / "setfit.jsonl"
# This machine's fine-tuned and frozen MiniLM (benchmarks/finetune.py: 500 examples only, its own sample and splits).
FINETUNE = REPO / "benchmarks" / "results" / "finetune.jsonl"
NAMES = ("trec", "mr", "sst2")
SPLIT_SEED = 12345
# The order runs are made in: the small sizes first on one seed (what the switch point rests on), then more seeds.
PLAN = ((50, 0), (100, 0), (250, 0), (500, 0), (50, 1), (100, 1), (250, 1), (50, 2), (100, 2), (250, 2))
PLAN += ((500, 1), (500, 2))

# Reference figures (test accuracy %, mean ± std (seeds)): setfit-minilm from shared/research/setfit.md, minilm-ft and
# minilm-frozen from shared/research/crossover.md (setfit.md's table for n = 100 and 250, crossover.md's otherwise).
REFERENCE: dict[tuple[str, int], dict[str, str]] = {
    ("trec", 50): {"frozen": "54.5±5.9 (3)", "ft": "62.6±7.2 (3)"},
    ("trec", 100): {"setfit.md": "89.5±1.6 (2)", "frozen": "63.9±7.0 (3)", "ft": "81.5±3.2 (3)"},
    ("trec", 250): {"setfit.md": "91.0±0.0 (1)", "frozen": "72.2±4.0 (3)", "ft": "91.3±0.6 (3)"},
    ("trec", 500): {"frozen": "80.0±1.3 (3)", "ft": "93.5±1.2 (3)"},
    ("mr", 50): {"frozen": "59.8±1.6 (3)", "ft": "53.8±0.6 (3)"},
    ("mr", 100): {"setfit.md": "70.4±3.0 (2)", "frozen": "62.7±4.6 (3)", "ft": "64.6±6.0 (3)"},
    ("mr", 250): {"setfit.md": "76.5±0.0 (1)", "frozen": "68.7±1.9 (3)", "ft": "69.4±3.2 (3)"},
    ("mr", 500): {"frozen": "70.7±1.7 (3)", "ft": "73.0±2.6 (3)"},
    ("sst2", 50): {"frozen": "66.0±5.8 (3)", "ft": "67.0±6.0 (3)"},
    ("sst2", 100): {"setfit.md": "77.3±2.4 (2)", "frozen": "71.4±3.2 (3)", "ft": "68.2±10.3 (3)"},
    ("sst2", 250): {"setfit.md": "79.7±0.0 (1)", "frozen": "75.4±0.9 (3)", "ft": "76.6±3.3 (3)"},
    ("sst2", 500): {"frozen": "78.7±0.1 (3)", "ft": "81.9±0.8 (3)"},
}


def pool_and_test(name: str) -> tuple[list, list]:
    from advisor.data import load_dataset, stratified_split

    if name == "trec":
        pool = list(load_dataset(DATASETS / "trec" / "train.jsonl").items)
        test = list(load_dataset(DATASETS / "trec" / "test.jsonl", training=False).items)
    elif name == "mr":
        items = list(load_dataset(DATASETS / "mr" / "mr.jsonl").items)
        split = stratified_split([x.label for x in items], (0.9, 0.1), SPLIT_SEED)
        pool, test = ([items[i] for i in part] for part in split.indices)
    else:
        pool = list(load_dataset(DATASETS / "sst2" / "train.jsonl").items)
        test = list(load_dataset(DATASETS / "sst2" / "test.jsonl", training=False).items)
    return pool, test


def draw(name: str, n: int, seed: int) -> tuple[list, list]:
    """``(sample, test)``: the stratified sample of ``n`` examples (``seed``) of ``name``'s pool, and its test set
    (also ``benchmarks/compare.py``'s data)."""
    from advisor.data import stratified_split

    pool, test = pool_and_test(name)
    frac = n / len(pool)
    picked = stratified_split([x.label for x in pool], (frac, 1 - frac), seed).indices[0]
    return [pool[i] for i in picked], test


def one_run(name: str, n: int, seed: int, threads: int) -> dict:
    import torch

    from advisor.baselines.setfit_train import SetFitClassifier
    from advisor.data import stratified_split

    torch.set_num_threads(threads)
    sample, test = draw(name, n, seed)
    split = stratified_split([x.label for x in sample], (0.8, 0.2), SPLIT_SEED)
    train, dev = ([sample[i] for i in part] for part in split.indices)
    t0, c0 = time.perf_counter(), time.process_time()
    model = SetFitClassifier(seed=seed, progress=False)
    model.fit(
        [x.text for x in train], [x.label for x in train], [x.text for x in dev], [x.label for x in dev]
    )
    t_train = time.perf_counter() - t0
    pred = model.predict([x.text for x in test])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    acc = sum(p == x.label for p, x in zip(pred, test, strict=True)) / len(test)
    return {
        "dataset": name,
        "examples": n,
        "seed": seed,
        "train": len(train),
        "dev": len(dev),
        "test": len(test),
        "test_accuracy": round(100 * acc, 2),
        "dev_accuracy": round(100 * model.fit_result["best_score"], 2),
        "pairs": model.info["pairs"],
        "seconds_train": round(t_train, 1),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "threads": threads,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def done() -> list[dict]:
    if not OUT.is_file():
        return []
    return [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]


def _mean_std(xs: list[float]) -> str:
    std = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.1f}±{std:.1f} ({len(xs)})"


def _span(values: list[float]) -> str:
    """``a-b`` (or ``a`` when they round alike) of the values, in whole seconds; ``-`` for none."""
    if not values:
        return "-"
    low, high = f"{min(values):.0f}", f"{max(values):.0f}"
    return low if low == high else f"{low}-{high}"


def minilm_here(rows: list[dict]) -> dict[tuple[str, int], dict[str, str]]:
    """This machine's MiniLM cells from ``benchmarks/results/finetune.jsonl`` rows: ``ft`` (``transformer-finetune``,
    mean over its seeds, with the training seconds per run) and ``frozen`` (``frozen-transformer`` with the
    logistic-regression head, the encoding pass in its seconds), keyed by (dataset, examples)."""
    out: dict[tuple[str, int], dict[str, str]] = {}
    ft: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        key = (r["dataset"], r["examples"])
        if r["phase"] == "finetune":
            ft.setdefault(key, []).append(r)
        elif r["phase"] == "heads" and r["head"] == "lr":
            out.setdefault(key, {})["frozen"] = f"{100 * r['test_accuracy']:.1f}; {r['train_seconds']:.0f} s"
    for key, rs in ft.items():
        accs = [100 * r["test_accuracy"] for r in rs]
        seconds = _span([r["train_seconds"] for r in rs])
        out.setdefault(key, {})["ft"] = f"{_mean_std(accs)}; {seconds} s"
    return out


def _finetune_rows() -> list[dict]:
    if not FINETUNE.is_file():
        return []
    return [json.loads(line) for line in FINETUNE.read_text().splitlines() if line.strip()]


def render(rows: list[dict], here: list[dict] | None = None) -> str:
    """The README table: this benchmark's SetFit beside setfit.md's SetFit, crossover.md's MiniLM rows and this
    machine's MiniLM rows (``here``: finetune.jsonl's rows, read from the file when None; see :func:`minilm_here`)."""
    minilm = minilm_here(_finetune_rows() if here is None else here)
    lines = [
        "| dataset | n | SetFit here | wall s per run | CPU s per run | SetFit (setfit.md) | fine-tuned | frozen "
        "| fine-tuned here; s per run | frozen here; s per run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["examples"]), []).append(r)
    for name in NAMES:
        for n in sorted({k[1] for k in (*REFERENCE, *groups) if k[0] == name}):
            rs = sorted(groups.get((name, n), []), key=lambda r: r["seed"])
            ref = REFERENCE.get((name, n), {})
            mine = minilm.get((name, n), {})
            ours = _mean_std([r["test_accuracy"] for r in rs]) if rs else "-"
            one = [r["seconds"] for r in rs if r["threads"] == 1]
            two = [
                r["seconds"] for r in rs if r["threads"] != 1
            ]  # the first run, before --threads 1 was the default
            wall = "; ".join(
                [*([_span(one)] if one else []), *([f"{_span(two)} with 2 threads"] if two else [])]
            )
            wall = wall or "-"
            cpu = _span([r["cpu_seconds"] for r in rs if "cpu_seconds" in r])
            lines.append(
                f"| {name} | {n} | {ours} | {wall} | {cpu} | {ref.get('setfit.md', '-')} | {ref.get('ft', '-')} | "
                f"{ref.get('frozen', '-')} | {mine.get('ft', '-')} | {mine.get('frozen', '-')} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated sizes (default: every size of the plan)")
    ap.add_argument("--datasets", default=",".join(NAMES))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--render", action="store_true", help="print the table of finished runs and exit")
    args = ap.parse_args(argv)
    if args.render:
        print(render(done()))
        return 0
    sizes = None if args.only is None else {int(x) for x in args.only.split(",")}
    names = [x for x in args.datasets.split(",") if x]
    have = {(r["dataset"], r["examples"], r["seed"]) for r in done()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for n, seed in PLAN:
        if sizes is not None and n not in sizes:
            continue
        for name in names:
            if (name, n, seed) in have:
                continue
            print(f"setfit: {name} n={n} seed={seed} ...", file=sys.stderr, flush=True)
            row = one_run(name, n, seed, args.threads)
            with OUT.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            print(f"  test {row['test_accuracy']:.1f}  {row['seconds']:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
