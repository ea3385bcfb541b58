"""``advisor compare`` on TREC, MR and SST-2 samples (issue 11 §4): the compare pick's test score against the best
candidate by test (its regret) and against the policy's pick without measurements, and wall time per candidate.

Usage (resumable: one JSON line per finished cell in ``benchmarks/results/compare.jsonl``; a cell already there
is skipped on the next start)::

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/compare.py            # the plan below, in order
    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/compare.py --only 250 # just those sizes
    .venv/bin/python benchmarks/compare.py --quick                                # smoke test (not recorded)
    .venv/bin/python benchmarks/compare.py --render                               # the README table

A cell is (dataset, examples, profile). Its data is ``benchmarks/setfit.py``'s (:func:`draw`: the crossover
study's stratified sample of n examples of the training pool, seed 0; the set's test set as test: TREC
``trec/test.jsonl``, MR the fixed 10% of ``mr/mr.jsonl``, SST-2 ``sst2/test.jsonl``). The sample is written to a
data file and given to :func:`advisor.compare` whole, as a user would: compare holds out its dev share itself
(``policy.evidence_dev_fraction`` 0.2, stratified, seed ``policy.evidence_split_seed`` 12345: the same 80/20 split
``benchmarks/setfit.py`` trains on). Profiles: ``{"deploy": "phone"}`` and ``{"deploy": "gpu-server"}``, the rest
read off the data. Compare runs with its default candidates (what the engine leaves admissible) but
:data:`LEFT_OUT` (``transformer-setfit``, admissible at 1,000 examples on the gpu-server: hours per seed here,
and compare's plan estimate is too low for a budget to skip it; each row's ``left_out`` says so), :data:`SEEDS`
seeds, ``--time-budget-min`` :data:`BUDGET_MIN` per cell (its successive-halving plan, made from the estimates;
what it skipped or dropped is recorded with compare's reason), one torch thread, the shipped policy.

Recorded per cell: each candidate's status, dev mean ± std, test mean, summed train seconds and summed wall seconds
(training, dev scoring and test scoring of each seed, timed around compare's ``run_trial``), p95 latency; the
measured best by dev; the **compare pick** (what ``recommend(profile, measurements=...)`` picks: TEP404 moves the
pick to the measured best only beyond the noise) and its test score; the best candidate by test and the regret
(best test - the compare pick's test); the **policy pick** without measurements and its test score, or
``null`` with ``policy_pick_measured: false`` when the budget left it unmeasured. Test scores are compare's
(``--test``: reported, never used to pick), in percent. The models are written to a temporary folder, deleted
after each cell. The seconds are this shared 2-core machine's under its load (recorded beside them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# This folder holds a datasets.py, which would shadow the Hugging Face `datasets` package setfit imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "benchmarks"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OUT = REPO / "benchmarks" / "results" / "compare.jsonl"
NAMES = ("trec", "mr", "sst2")
PROFILES = ("phone", "gpu-server")
SIZES = (250, 1000)
SAMPLE_SEED = 0
SEEDS = 2
# compare's --time-budget-min per cell: its plan counts the estimates' seconds, which undercount this machine's
BUDGET_MIN = {250: 2.0, 1000: 3.0}
# Left out by this benchmark where compare would train them (recorded in each row's ``left_out``): compare's plan
# costs a transformer-setfit trial at 7 s for 800 training examples (planned_seconds counts one pass, not the
# 2 x 20 pairs per example its recipe trains on), so no budget skips it, but setfit.jsonl measured 1,046 s for 80
# examples (3,200 pairs) here: 32,000 pairs would take hours per seed, the whole session. (Since b88f667 the plan
# counts the pairs, 343 s at 800 examples, and the 3-minute budget skips it by itself; LEFT_OUT stays so that the
# committed gpu-server rows at 1,000 rerun as recorded.)
LEFT_OUT = {
    "transformer-setfit": "left out by the benchmark: 32,000 pairs per seed at 800 training examples, hours here "
    "(setfit.jsonl: 1,046 s for 3,200); compare's plan estimates 7 s, so --time-budget-min would not skip it"
}
QUICK = {"n": 60, "candidates": ("ngram-linear", "textcnn"), "budget_min": None}


def plan() -> list[tuple[str, int, str]]:
    """The cells in the order they run: per size, every set on the phone, then every set on the gpu-server."""
    return [(name, n, prof) for n in SIZES for prof in PROFILES for name in NAMES]


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 2)


def build_row(
    cell: Mapping[str, Any],
    doc: Mapping[str, Any],
    walls: Mapping[str, float],
    compare_pick: str,
    tep404: str | None,
) -> dict[str, Any]:
    """One JSON line of a cell from compare's measurements (``Measurements.model_dump()``), the wall seconds of
    each candidate's trials and the pick ``recommend --measurements`` made."""
    cands = []
    for c in doc["candidates"]:
        trials = c["trials"]
        cands.append(
            {
                "architecture": c["architecture"],
                "status": c["status"],
                "reason": c["reason"],
                "seeds": len(trials),
                "dev_mean": _pct(c["dev_mean"]),
                "dev_std": _pct(c["dev_std"]),
                "test_mean": _pct(c["test_mean"]),
                "test_std": _pct(c["test_std"]),
                "train_seconds": round(sum(t["train_seconds"] for t in trials), 1) if trials else None,
                "wall_seconds": round(walls[c["architecture"]], 1) if trials else None,
                "latency_ms": c["latency_ms"],
            }
        )
    tested = {c["architecture"]: c["test_mean"] for c in cands if c["test_mean"] is not None}
    best_by_test = max(tested, key=lambda a: (tested[a], -list(tested).index(a))) if tested else None
    pick_test = tested.get(compare_pick)
    policy_pick = doc["policy_pick"]
    return {
        **cell,
        "metric": doc["metric"],
        "sizes": dict(doc["examples"]),
        "seeds": len(doc["seeds"]),
        "time_budget_min": doc["plan"]["time_budget_min"],
        "halvings": doc["plan"]["halvings"],
        "planned_seconds": doc["plan"]["planned_seconds"],
        "candidates": cands,
        "not_measured": [c["architecture"] for c in cands if not c["seeds"]],
        "measured_best": doc["best"],
        "compare_pick": compare_pick,
        "compare_pick_test": pick_test,
        "tep404": tep404,
        "best_by_test": best_by_test,
        "best_test": tested.get(best_by_test) if best_by_test else None,
        "regret": None
        if pick_test is None or best_by_test is None
        else round(tested[best_by_test] - pick_test, 2),
        "policy_pick": policy_pick,
        "policy_pick_measured": policy_pick in tested,
        "policy_pick_test": tested.get(policy_pick),
    }


def run_cell(name: str, n: int, prof: str, *, quick: bool = False) -> dict[str, Any]:
    """Run compare on one cell (in a temporary folder) and return its row."""
    import torch

    import advisor.baselines.compare as compare_mod
    from advisor import recommend
    from advisor.baselines.api import ask_engine, read_profile
    from advisor.policy import DEFAULT_POLICY

    bench_setfit = _setfit_script()
    torch.set_num_threads(1)
    sample, test = bench_setfit.draw(name, QUICK["n"] if quick else n, SAMPLE_SEED)
    if quick:
        test = test[:200]
    walls: dict[str, float] = {}
    inner = compare_mod.run_trial

    def timed_trial(spec):  # the local executor calls the module's run_trial; time each (candidate, seed)
        t0 = time.perf_counter()
        try:
            return inner(spec)
        finally:
            walls[spec["arch"]] = walls.get(spec["arch"], 0.0) + time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        data, test_file = Path(tmp) / f"{name}-{n}.jsonl", Path(tmp) / f"{name}-test.jsonl"
        for path, items in ((data, sample), (test_file, test)):
            path.write_text(
                "".join(json.dumps({"text": x.text, "label": x.label}) + "\n" for x in items), "utf-8"
            )
        profile = read_profile(data, {"deploy": prof})
        admissible = compare_mod._candidates(ask_engine(profile, DEFAULT_POLICY, None), None)
        chosen = [a for a in admissible if a not in LEFT_OUT]
        load = [round(x, 2) for x in os.getloadavg()]
        t0 = time.perf_counter()
        compare_mod.run_trial = timed_trial
        try:
            doc = compare_mod.compare(
                data,
                profile,
                test=test_file,
                policy=DEFAULT_POLICY,
                candidates=QUICK["candidates"] if quick else chosen,
                seeds=SEEDS,
                time_budget_min=QUICK["budget_min"] if quick else BUDGET_MIN[n],
                out=Path(tmp) / "compare",
                threads=1,
            )
        finally:
            compare_mod.run_trial = inner
        wall = time.perf_counter() - t0
        rec = recommend(
            profile, policy=DEFAULT_POLICY, measurements=Path(tmp) / "compare" / "measurements.json"
        )
    tep404 = next((f.message for f in rec.flags if f.rule == "TEP404"), None)
    cell = {"dataset": name, "examples": n, "profile": prof, "sample_seed": SAMPLE_SEED}
    row = build_row(cell, doc.model_dump(), walls, rec.architecture, tep404)
    row["left_out"] = {} if quick else {a: LEFT_OUT[a] for a in admissible if a in LEFT_OUT}
    row["wall_seconds"] = round(wall, 1)
    row["loadavg_start"], row["loadavg_end"] = load, [round(x, 2) for x in os.getloadavg()]
    return row


def _setfit_script():
    import importlib

    return importlib.import_module("benchmarks.setfit")


def done(out: Path = OUT) -> list[dict]:
    if not out.is_file():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def _score(x: float | None) -> str:
    return "not measured" if x is None else f"{x:.1f}"


def render(rows: Sequence[dict], planned: Sequence[tuple[str, int, str]] | None = None) -> str:
    """The README table: one line per cell, in plan order; a planned cell without a row reads ``not run``."""
    lines = [
        "| set | n | profile | policy pick (test) | compare pick (test) | best by test | regret | wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    have = {(r["dataset"], r["examples"], r["profile"]): r for r in rows}
    for key in planned if planned is not None else plan():
        r = have.get(key)
        if r is None:
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | not run | | | | |")
            continue
        regret = "-" if r["regret"] is None else f"{r['regret']:.1f}"
        lines.append(
            f"| {r['dataset']} | {r['examples']} | {r['profile']} | {r['policy_pick']} "
            f"({_score(r['policy_pick_test'])}) | {r['compare_pick']} ({_score(r['compare_pick_test'])}) | "
            f"{r['best_by_test']} ({_score(r['best_test'])}) | {regret} | {r['wall_seconds']:.0f} |"
        )
    notes = []
    for key in planned if planned is not None else plan():
        r = have.get(key)
        if r is None:
            continue
        what = [f"{a} {why}" for a, why in r.get("left_out", {}).items()]
        what += [
            f"{c['architecture']} {c['status']} ({c['seeds']} seed(s))"
            for c in r["candidates"]
            if c["status"] != "measured"
        ]
        if what:
            notes.append(f"- {' '.join(map(str, key))}: {'; '.join(what)}")
    return "\n".join(lines + ([""] + notes if notes else []))


def describe(row: Mapping[str, Any]) -> str:
    """What one cell measured, for the terminal."""
    out = [
        f"{row['dataset']} n={row['examples']} {row['profile']}: {row['wall_seconds']:.0f} s, "
        f"{row['halvings']} halving round(s), budget {row['time_budget_min']} min"
    ]
    for c in row["candidates"]:
        if not c["seeds"]:
            out.append(f"  {c['architecture']}: {c['status']} ({c['reason']})")
            continue
        std = "" if c["dev_std"] is None else f" ± {c['dev_std']:.1f}"
        out.append(
            f"  {c['architecture']}: {c['status']}, {c['seeds']} seed(s), dev {c['dev_mean']:.1f}{std}, "
            f"test {c['test_mean']:.1f}, train {c['train_seconds']:.0f} s, wall {c['wall_seconds']:.0f} s"
        )
    out.append(
        f"  policy pick {row['policy_pick']} ({_score(row['policy_pick_test'])}); compare pick "
        f"{row['compare_pick']} ({_score(row['compare_pick_test'])}); best by test {row['best_by_test']} "
        f"({_score(row['best_test'])}); regret {row['regret']}"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated sizes (default: both)")
    ap.add_argument("--datasets", default=",".join(NAMES))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--quick", action="store_true", help="a smoke test: TREC, 60 examples, two light candidates"
    )
    ap.add_argument("--render", action="store_true", help="print the table of the planned cells and exit")
    args = ap.parse_args(argv)
    if args.render:
        print(render(done(args.out)))
        return 0
    if args.quick:
        print(describe(run_cell("trec", QUICK["n"], "phone", quick=True)))
        return 0
    sizes = SIZES if args.only is None else tuple(int(x) for x in args.only.split(","))
    names = [x for x in args.datasets.split(",") if x]
    have = {(r["dataset"], r["examples"], r["profile"]) for r in done(args.out)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name, n, prof in plan():
        if n not in sizes or name not in names or (name, n, prof) in have:
            continue
        print(f"compare: {name} n={n} {prof} ...", file=sys.stderr, flush=True)
        row = run_cell(name, n, prof)
        with args.out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(describe(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
