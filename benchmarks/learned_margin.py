"""How far honest baselines beat the majority class: the measurement behind ``policy.min_learned_margin``.

Usage (resumable: each finished run is appended to the JSON-lines file and skipped on the next start)::

    .venv/bin/python benchmarks/learned_margin.py                    # trec, mr, sst2 at 250 and 500; seeds 0, 1
    .venv/bin/python benchmarks/learned_margin.py --seeds 3          # add seed 2
    .venv/bin/python benchmarks/learned_margin.py --tagging --seeds 2   # CoNLL-2003, BiLSTM-CRF (entity F1)
    .venv/bin/python benchmarks/learned_margin.py --render           # the table of candidate margins

What one run is: what ``advisor baseline plateau DATA --arch textcnn`` trains on a data file of N examples. The
file is a stratified sample of N examples (seed 0) of the dataset's training data (TREC ``trec/train.jsonl``, MR
``mr/mr.jsonl``, SST-2 ``sst2/glue_sst2_train.tsv``, in ``../shared/datasets``); the evidence split of the shipped
policy (``advisor.policy``: seed 12345, 80/20 stratified) gives train and dev; TextCNN trains with its recipe
(``advisor.baselines.runner.train_neural``), patience 3, min_delta 0.001, at most 60 epochs, one thread. Recorded:
the dev curve, the best dev score (the checkpoint's), the dev split's majority-class rate and the margin between
them. ``--render`` counts, for each candidate margin, the runs and the (dataset, size) evidence files it would
refuse (a file is refused when none of its runs learned).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = REPO / "benchmarks" / "results" / "learned_margin.jsonl"
SOURCES = {
    "trec": ("trec/train.jsonl", {}),
    "mr": ("mr/mr.jsonl", {}),
    "sst2": ("sst2/glue_sst2_train.tsv", {"text_column": "sentence"}),
}
# Tagging (``--tagging``): BiLSTM-CRF on CoNLL-2003 English sentences; "learned" is an entity F1.
TAGGING = {"conll": ("conll2003/eng.train", {})}
F1_CANDIDATES = (0.05, 0.1, 0.2)
SIZES = (250, 500)
CANDIDATES = (0.0, 0.02, 0.05, 0.1)


def sample(name: str, n: int) -> list:
    from advisor.data import load_dataset, stratified_split
    from advisor.data.split import stratify_labels

    path, columns = {**SOURCES, **TAGGING}[name]
    ds = load_dataset(DATASETS / path, **columns)
    items = [x for x in ds.items if ds.task == "classification" or len(x.tokens)]
    labels = stratify_labels(ds.task, items)
    idx = stratified_split(labels, (n / len(items), 1 - n / len(items)), 0).indices[0]
    return [items[i] for i in idx]


def one_run(name: str, n: int, seed: int) -> dict:
    from advisor.baselines.runner import set_threads, train_neural
    from advisor.data import stratified_split
    from advisor.data.split import stratify_labels
    from advisor.evidence import plateau_verdict
    from advisor.policy import DEFAULT_POLICY

    set_threads(1)
    items = sample(name, n)
    policy = DEFAULT_POLICY
    fractions = (1 - policy.evidence_dev_fraction, policy.evidence_dev_fraction)
    task = "tagging" if name in TAGGING else "classification"
    split = stratified_split(stratify_labels(task, items), fractions, policy.evidence_split_seed)
    train, dev = ([items[i] for i in part] for part in split.indices)
    t0 = time.perf_counter()
    b = train_neural(
        "bilstm-crf" if task == "tagging" else "textcnn",
        train,
        dev,
        task,
        seed=seed,
        device="cpu",
        epochs=60,
        patience=3,
        min_delta=0.001,
        progress=False,
    )
    curve = [round(float(x), 6) for x in b.fit.dev_curve]
    _, best_epoch = plateau_verdict(curve, 3, 0.001)
    majority = max(Counter(x.label for x in dev).values()) / len(dev) if task == "classification" else 0.0
    best = curve[best_epoch - 1]
    return {
        "dataset": name,
        "examples": n,
        "seed": seed,
        "dev": len(dev),
        "curve": curve,
        "best_dev": best,
        "majority": round(majority, 6),
        "margin": round(best - majority, 6),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def done() -> list[dict]:
    if not OUT.is_file():
        return []
    return [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]


def render(rows: list[dict]) -> str:
    tagged = [r for r in rows if r["dataset"] in TAGGING]
    rows = [r for r in rows if r["dataset"] not in TAGGING]
    lines = [
        "| dataset | examples | dev | majority | best dev per seed | margin per seed |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["examples"]), []).append(r)
    for (name, n), rs in sorted(groups.items()):
        rs.sort(key=lambda r: r["seed"])
        lines.append(
            f"| {name} | {n} | {rs[0]['dev']} | {rs[0]['majority']:.3f} | "
            + ", ".join(f"{r['best_dev']:.3f}" for r in rs)
            + " | "
            + ", ".join(f"{r['margin']:+.3f}" for r in rs)
            + " |"
        )
    lines += [
        "",
        "| candidate margin | runs refused | evidence files refused (no run learned) |",
        "|---|---|---|",
    ]
    for m in CANDIDATES:
        runs = sum(r["margin"] < m for r in rows)
        files = sum(all(r["margin"] < m for r in rs) for rs in groups.values())
        lines.append(f"| {m:.2f} | {runs} of {len(rows)} | {files} of {len(groups)} |")
    if tagged:
        lines += [
            "",
            "| tagging | sentences | dev | seed | best dev entity F1 | epochs |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(tagged, key=lambda r: (r["examples"], r["seed"])):
            lines.append(
                f"| {r['dataset']} | {r['examples']} | {r['dev']} | {r['seed']} | {r['best_dev']:.3f} | {len(r['curve'])} |"
            )
        lines += ["", "| candidate min_learned_entity_f1 | tagging runs refused (dev entity F1 below it) |"]
        lines += ["|---|---|"]
        lines += [
            f"| {m:.2f} | {sum(r['best_dev'] < m for r in tagged)} of {len(tagged)} |" for m in F1_CANDIDATES
        ]
    margins = [r["margin"] for r in rows]
    if margins:
        lines.append(f"\nmargins: min {min(margins):+.3f}, median {statistics.median(margins):+.3f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--render", action="store_true")
    ap.add_argument("--tagging", action="store_true", help="CoNLL-2003 with BiLSTM-CRF instead (entity F1)")
    args = ap.parse_args(argv)
    rows = done()
    if not args.render:
        have = {(r["dataset"], r["examples"], r["seed"]) for r in rows}
        for seed in range(args.seeds):
            for n in SIZES:
                for name in TAGGING if args.tagging else SOURCES:
                    if (name, n, seed) in have:
                        continue
                    row = one_run(name, n, seed)
                    print(
                        json.dumps({k: v for k, v in row.items() if k != "curve"}),
                        file=sys.stderr,
                        flush=True,
                    )
                    OUT.parent.mkdir(parents=True, exist_ok=True)
                    with OUT.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row) + "\n")
                    rows.append(row)
    text = render(rows)
    OUT.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
