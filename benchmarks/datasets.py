"""Benchmark the baselines on the public datasets in ``../shared/datasets`` with the project's DEFAULT settings.

Usage::

    .venv/bin/python benchmarks/datasets.py                           # everything: trec, mr, sst2, sst2-sentences, conll
    .venv/bin/python benchmarks/datasets.py --only trec --seeds 3     # one dataset; merged into the existing JSON
    .venv/bin/python benchmarks/datasets.py --quick --only trec       # smoke mode: a few hundred examples, 2 epochs
    .venv/bin/python benchmarks/datasets.py --render                  # rewrite the markdown from the JSON

Records to beat (issue 3): Kim 2014 CNN-rand (TREC 91.2, MR 76.1, SST-2 82.7) and Lample et al. 2016's LSTM-CRF
without pretrained embeddings (CoNLL-2003 English 84.3 entity F1, trained in <= 20 minutes on this CPU).

What "default settings" means here: exactly what ``advisor baseline train`` does (``advisor.baselines.runner.
train_neural``): the model configs of ``advisor.baselines.models`` and ``TrainConfig()`` / ``tagger_train_config()``
as they are, early stopping on a dev set with the runner's patience (3; the same for the tagger) and
``min_delta`` 0. Nothing is tuned, and the test sets are read only to score the model that dev picked.

Splits (none of them looks at a test set):

* TREC: train.jsonl (5,452; coarse labels) -> 90/10 stratified train/dev with the runner's seed 12345 (the split
  ``advisor baseline train trec/train.jsonl --test trec/test.jsonl`` makes; Kim 2014 also held out 10% of train);
  test.jsonl (500).
* MR: rt-polarity.pos/.neg (cp1252, via ``load_class_files``; same fingerprint as mr.jsonl) -> fixed 90/10
  stratified train/test split with seed 12345, then the train part -> 90/10 train/dev with seed 12345.
* SST-2: train sst2/glue_train_phrases.jsonl (67,349 phrases), dev sst2/dev.jsonl (872), test sst2/test.jsonl (1,821);
  ``sst2-sentences``: the same with sst2/train.jsonl (6,920 sentences) as train.
* CoNLL-2003 English: eng.train / eng.testa (dev) / eng.testb (test), IOB1 converted to IOB2 on load; BiLSTM-CRF with
  the character CNN, random-init word vectors. Training stops at the dev plateau or when ``--conll-budget-min``
  minutes have passed (the target's time limit), whichever comes first; a stop on the budget keeps the best epoch
  so far, exactly as Ctrl-C does in ``fit``.

Every run records wall seconds of ``fit`` (training + per-epoch dev evaluation, up to the plateau stop), process CPU
seconds, ``os.getloadavg()`` before and after (the machine has 2 cores, shared), epochs, best epoch and the dev
curve. Training throughput is train examples x epochs / fit seconds (dev evaluation included, so a lower bound).
torch, OpenMP and BLAS run single-threaded (``--threads 1``, as ``advisor baseline`` does): on this shared 2-core
machine two threads spin-wait against other jobs and run many times slower.

Writes ``--out`` (JSON; a run with ``--only`` replaces those datasets and keeps the others) and a markdown copy
beside it (same name, ``.md``) with the table and the command to rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "datasets.json"
ALL = ("trec", "mr", "sst2", "sst2-sentences", "conll")
SCHEMA = "datasets-benchmark/1"
SPLIT_SEED = 12345  # advisor.baselines.runner.SPLIT_SEED; checked at run time

# Records to beat (issue 3), in percent.
TARGETS: dict[str, dict[str, Any]] = {
    "trec": {"metric": "accuracy", "value": 91.2, "source": "Kim 2014 CNN-rand", "seconds_per_seed": 60},
    "mr": {"metric": "accuracy", "value": 76.1, "source": "Kim 2014 CNN-rand"},
    "sst2": {"metric": "accuracy", "value": 82.7, "source": "Kim 2014 CNN-rand (phrases + sentences)"},
    "sst2-sentences": {"metric": "accuracy", "value": None, "source": "no target (reported for comparison)"},
    "conll": {
        "metric": "entity_f1",
        "value": 84.3,
        "source": "Lample et al. 2016 LSTM-CRF, no pretrained embeddings",
        "seconds_per_seed": 20 * 60,
    },
}

# What limits a figure below its target. Filled in from the dev-only investigation (see the markdown's notes);
# printed next to a missed target.
LIMITS: dict[str, str] = {
    "trec": "0.2 points is one question of the 500 per seed on average, inside the seed spread (std 0.6; seeds score "
    "90.4 / 91.0 / 91.6). No setting tried on held-out dev beat the defaults (note 2).",
    "sst2": "dev accuracy saturates at 82.1-82.7 in epoch 1-5 with every setting tried (note 4); the dev-picked "
    "weights score 81.5-82.0 on test. The GLUE phrase set is not Kim's phrase-augmented train file "
    "(stsa.binary.phrases.train is missing from the snapshot, sst2/README).",
}

# Findings of the dev-only investigation (benchmarks/results/datasets_dev_investigation.json), copied into the
# markdown's notes. No run behind these notes read a test file.
NOTES: list[str] = [
    "1. **Threads.** On this shared 2-core VM torch's default of 2 threads spin-waits against other jobs: one "
    "TextCNN step took 945 ms with 2 threads and 53 ms with 1 (70 ms with 2 threads and OMP_WAIT_POLICY=passive), "
    "load 4-5. This benchmark therefore runs with `--threads 1` (`advisor baseline` now defaults to 1 as well).",
    "2. **TREC accuracy: no default change is supported by dev data.** Protocol: trec/train.jsonl only, three "
    "stratified 80/10/10 splits (seeds 1000-1002), early stopping on the first 10%, scored on the second 10% "
    "(545 questions), model seeds 0 and 1: 6 paired runs per setting. Held-out dev accuracy (paired difference to "
    "the defaults ± its standard error): defaults 86.21; Kim's Adadelta lr 1.0 83.33 (-2.88 ± 0.44); embed_dim 128 "
    "84.92 (-1.29 ± 0.41); batch 100 85.54 (-0.67 ± 0.21); unk_replace 0.5 86.45 (+0.24 ± 0.34); length-bucketed "
    "batches 86.45 (+0.24 ± 0.36); case kept in the tokenizer (Kim kept TREC's case) 86.00 (-0.21 ± 0.29). So the "
    "0.2-point gap to 91.2 is noise-level, and lowercasing is not what limits it.",
    "3. **TREC seconds: recommend length-bucketed batches.** Seed 0 needs 11 epochs and takes 65 s even on an "
    "idle machine (40 s and 43 s for seeds 1 and 2). A profile of 2 epochs: 7.9 s of 16 s is backward, 3.2 s conv1d "
    "forward, 0.6 s the (already fused) Adam step, i.e. convolutions over padded batches. Batches of similar "
    "lengths (shuffle, sort pools of 20 batches by length, shuffle the batch order) on the benchmark's own "
    "train/dev split: 3.3-4.2 s per epoch instead of 5.6-7.0 s, fit 38 / 20 / 24 s instead of 77 / 39 / 44 s "
    "(seeds 0-2), best dev 87.16 / 86.61 / 86.61 vs 88.07 / 86.42 / 86.24, and the same held-out accuracy in "
    "note 2 (+0.24 ± 0.36). That would put every seed well under 60 s.",
    "4. **SST-2 (phrases): no schedule change helps on dev.** Best dev accuracy (seed 0 unless stated): defaults "
    "82.68 / 82.68 / 82.57 (seeds 0-2, best epochs 1 / 3 / 5); lr 5e-4 82.68 (epoch 1); batch 200 82.11; "
    "length-bucketed batches 82.45 (epoch 1; no speed gain here, the per-step cost dominates on short phrases). "
    "The model reaches its dev ceiling within one epoch of the 67k phrases. Phrase training adds about +1.1 "
    "test points over sentence-only training (81.66 vs 80.60).",
    "5. **CoNLL-2003.** The BiLSTM-CRF reached its dev plateau inside the budget: 16 epochs of about 57 s "
    "(testa evaluation included), best epoch 13, stopped after 907 s. An earlier run of the same command "
    "(patience 4, stopped by the 20-minute budget after 1,197 s at load 2) kept the same epoch and scored the same "
    "85.61. With length-bucketed batches (dev only, seed 0) it plateaued after 506 s (13 epochs of 39 s, best "
    "epoch 10) at dev F1 90.29 vs 90.64: about half the time for a dev difference within one seed's noise.",
    "6. **Reproducibility.** Results are deterministic for a given code version and thread count (the TREC "
    "TextCNN test accuracies repeated exactly across two runs), but the code changed during these runs (fused "
    "Adam, tagger defaults): each dataset entry in the JSON records its git commit where available.",
]


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(x: float) -> float:
    return round(100.0 * x, 2)


# ----------------------------------------------------------------------------------------------------------------
# data


def need(*parts: str) -> Path:
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        sys.exit(f"benchmarks/datasets.py: {path} not found (the shared datasets are expected in {DATASETS})")
    return path


def subsample(items: list, labels: list[str], n: int, seed: int = 0) -> list:
    """A stratified sample of about ``n`` items (quick mode)."""
    from advisor.data import stratified_split

    if n >= len(items):
        return list(items)
    frac = n / len(items)
    idx = stratified_split(labels, (frac, 1 - frac), seed).indices[0]
    return [items[i] for i in idx]


def split_two(items: list, labels: list[str], fractions: tuple[float, float], seed: int = SPLIT_SEED):
    from advisor.data import stratified_split

    split = stratified_split(labels, fractions, seed)
    a, b = ([items[i] for i in part] for part in split.indices)
    return (
        a,
        b,
        {
            "seed": seed,
            "fractions": list(fractions),
            "sizes": [len(a), len(b)],
            "stratified": split.stratified,
            "note": split.note,
        },
    )


def load_classification(name: str, quick: bool) -> dict[str, Any]:
    """train/dev/test item lists plus a description of where they came from."""
    from advisor.data import fingerprint, load_class_files, load_dataset

    if name == "trec":
        train_ds = load_dataset(need("trec", "train.jsonl"))
        test = list(load_dataset(need("trec", "test.jsonl"), training=False).items)
        full = list(train_ds.items)
        train, dev, split = split_two(full, [x.label for x in full], (0.9, 0.1))
        files = {"train": "trec/train.jsonl", "test": "trec/test.jsonl"}
        split_desc = f"trec/train.jsonl -> 90/10 stratified train/dev ({split['note']}); test trec/test.jsonl"
        fp = fingerprint(train_ds)
    elif name == "mr":
        pos, neg = need("mr", "rt-polarity.pos"), need("mr", "rt-polarity.neg")
        ds = load_class_files({"positive": pos, "negative": neg})
        same = fingerprint(ds) == fingerprint(load_dataset(need("mr", "mr.jsonl")))
        full = list(ds.items)
        rest, test, outer = split_two(full, [x.label for x in full], (0.9, 0.1))
        train, dev, split = split_two(rest, [x.label for x in rest], (0.9, 0.1))
        split = {"test_split": outer, "dev_split": split, "same_as_mr_jsonl": same, "notes": ds.notes}
        files = {"data": "mr/rt-polarity.pos + mr/rt-polarity.neg (cp1252)"}
        split_desc = (
            f"fixed 90/10 stratified train/test split of all 10,662 (seed {SPLIT_SEED}), then train -> "
            f"90/10 stratified train/dev (seed {SPLIT_SEED})"
        )
        fp = fingerprint(ds)
    elif name in ("sst2", "sst2-sentences"):
        train_file = "glue_train_phrases.jsonl" if name == "sst2" else "train.jsonl"
        train_ds = load_dataset(need("sst2", train_file))
        train = list(train_ds.items)
        dev = list(load_dataset(need("sst2", "dev.jsonl"), training=False).items)
        test = list(load_dataset(need("sst2", "test.jsonl"), training=False).items)
        files = {"train": f"sst2/{train_file}", "dev": "sst2/dev.jsonl", "test": "sst2/test.jsonl"}
        split = {"canonical": True}
        split_desc = f"canonical: train sst2/{train_file}, dev sst2/dev.jsonl, test sst2/test.jsonl"
        fp = fingerprint(train_ds)
    else:
        raise ValueError(name)
    if quick:
        train = subsample(train, [x.label for x in train], 300)
        dev = subsample(dev, [x.label for x in dev], 60)
        test = subsample(test, [x.label for x in test], 100)
    return {
        "train": train,
        "dev": dev,
        "test": test,
        "files": files,
        "split": split,
        "split_desc": split_desc,
        "train_fingerprint": fp,
        "sizes": {"train": len(train), "dev": len(dev), "test": len(test)},
        "train_labels": dict(sorted(Counter(x.label for x in train).items())),
    }


def load_conll(quick: bool) -> dict[str, Any]:
    from advisor.data import fingerprint, load_dataset

    train_ds = load_dataset(need("conll2003", "eng.train"), task="tagging")
    train = list(train_ds.items)
    dev = list(load_dataset(need("conll2003", "eng.testa"), task="tagging", training=False).items)
    test = list(load_dataset(need("conll2003", "eng.testb"), task="tagging", training=False).items)
    if quick:
        train, dev, test = train[:300], dev[:60], test[:60]
    return {
        "train": train,
        "dev": dev,
        "test": test,
        "files": {
            "train": "conll2003/eng.train",
            "dev": "conll2003/eng.testa",
            "test": "conll2003/eng.testb",
        },
        "split": {"canonical": True, "notes": train_ds.notes},
        "split_desc": "canonical: eng.train / eng.testa (dev) / eng.testb (test), IOB1 -> IOB2 on load",
        "train_fingerprint": fingerprint(train_ds),
        "sizes": {"train": len(train), "dev": len(dev), "test": len(test)},
        "train_tokens": sum(len(s.tokens) for s in train),
    }


# ----------------------------------------------------------------------------------------------------------------
# runs


class _Budget:
    """Raise KeyboardInterrupt after ``seconds`` (SIGALRM): ``fit`` then stops as on Ctrl-C, keeping its best epoch."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds if seconds and seconds > 0 and hasattr(signal, "SIGALRM") else None
        self.fired = False

    def _handler(self, signum, frame):
        self.fired = True
        raise KeyboardInterrupt

    def __enter__(self):
        if self.seconds:
            self._old = signal.signal(signal.SIGALRM, self._handler)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)
        return False


def run_neural(
    arch: str, data: dict[str, Any], task: str, seed: int, quick: bool, budget_s: float | None = None
) -> dict[str, Any]:
    """Train ``arch`` with the runner's defaults, score dev-picked weights on test."""
    import dataclasses

    import torch

    from advisor.baselines import io, report, runner

    epochs = 2 if quick else None  # None: the default max_epochs
    load_before = loadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with _Budget(budget_s) as budget:
        # patience, min_delta, batch size, clipping: whatever `advisor baseline train` uses
        bundle = runner.train_neural(
            arch, data["train"], data["dev"], task, seed=seed, device="cpu", epochs=epochs, progress=False
        )
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    load_after = loadavg()
    fit = bundle.fit
    t0 = time.perf_counter()
    pred = io.predict_items(bundle, data["test"])
    predict_s = time.perf_counter() - t0
    if task == "tagging":
        rep = report.tagging_report([list(s.tags) for s in data["test"]], pred)
        test = {"f1": pct(rep["f1"]), "precision": pct(rep["precision"]), "recall": pct(rep["recall"])}
        score = test["f1"]
    else:
        rep = report.classification_report(
            [x.label for x in data["test"]], pred, [x.text for x in data["test"]]
        )
        test = {"accuracy": pct(rep["accuracy"]), "macro_f1": pct(rep["macro_f1"])}
        score = test["accuracy"]
    epochs_run = len(fit.dev_curve)
    n_train = len(data["train"])
    stopped = "time-budget" if budget.fired else fit.stopped_reason
    run = {
        "arch": arch,
        "seed": seed,
        "score": score,
        "test": test,
        "dev_best": pct(fit.best_score) if fit.best_score is not None else None,
        "dev_curve": [pct(x) for x in fit.dev_curve],
        "train_loss": [round(x, 4) for x in fit.train_loss],
        "epochs": epochs_run,
        "best_epoch": fit.best_epoch,
        "stopped": stopped,
        "fit_seconds": round(fit.seconds, 1),
        "seconds_to_best_epoch_est": round(fit.seconds * fit.best_epoch / epochs_run, 1)
        if epochs_run
        else None,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "train_examples_per_s": round(n_train * epochs_run / fit.seconds, 1)
        if fit.seconds and epochs_run
        else None,
        "predict_ms_per_test_example": round(1000 * predict_s / max(1, len(data["test"])), 3),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "torch_threads": torch.get_num_threads(),
        "config": {
            "model": dataclasses.asdict(bundle.model.config),
            "train": dataclasses.asdict(bundle.train_config),
        },
        "vocab_size": len(bundle.vocab),
    }
    if task == "tagging":
        run["train_tokens_per_s"] = (
            round(data["train_tokens"] * epochs_run / fit.seconds, 1) if fit.seconds and epochs_run else None
        )
        run["test_per_type"] = {
            k: {"f1": pct(v["f1"]), "support": v["support"]}
            for k, v in _entity_report(data["test"], pred)["per_type"].items()
        }
    note(
        f"  {arch} seed {seed}: test {score:.2f}, dev {run['dev_best']}, {epochs_run} epochs (best "
        f"{fit.best_epoch}, {stopped}), fit {fit.seconds:.1f} s, cpu {cpu:.1f} s, load {load_before}->{load_after}"
    )
    return run


def _entity_report(test, pred):
    from advisor.baselines import metrics

    return metrics.entity_report([list(s.tags) for s in test], pred)


def run_ngram(data: dict[str, Any]) -> dict[str, Any]:
    from advisor.baselines import report
    from advisor.baselines.ngram import NgramLinearClassifier

    load_before = loadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    model = NgramLinearClassifier()
    model.fit(
        [x.text for x in data["train"]],
        [x.label for x in data["train"]],
        [x.text for x in data["dev"]],
        [x.label for x in data["dev"]],
    )
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    pred = model.predict([x.text for x in data["test"]])
    rep = report.classification_report([x.label for x in data["test"]], pred, [x.text for x in data["test"]])
    score = pct(rep["accuracy"])
    note(f"  ngram-linear: test {score:.2f}, C={model.C}, fit {wall:.1f} s")
    return {
        "arch": "ngram-linear",
        "seed": None,
        "score": score,
        "test": {"accuracy": score, "macro_f1": pct(rep["macro_f1"])},
        "C": model.C,
        "n_features": model.n_features,
        "fit_seconds": round(wall, 1),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "train_examples_per_s": None,
        "epochs": None,
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [r["score"] for r in runs]
    secs = [r["fit_seconds"] for r in runs]
    tput = [r["train_examples_per_s"] for r in runs if r.get("train_examples_per_s")]
    loads = [r["loadavg_before"][0] for r in runs] + [r["loadavg_after"][0] for r in runs]
    return {
        "n": len(runs),
        "mean": round(statistics.fmean(scores), 2),
        "std": round(statistics.stdev(scores), 2) if len(scores) > 1 else 0.0,
        "min": min(scores),
        "max": max(scores),
        "fit_seconds_mean": round(statistics.fmean(secs), 1),
        "fit_seconds_max": max(secs),
        "cpu_seconds_mean": round(statistics.fmean(r["cpu_seconds"] for r in runs), 1),
        "train_examples_per_s": round(statistics.fmean(tput), 1) if tput else None,
        "epochs": [r.get("epochs") for r in runs],
        "best_epochs": [r.get("best_epoch") for r in runs],
        "stopped": [r.get("stopped") for r in runs],
        "loadavg_1min_range": [min(loads), max(loads)] if loads else None,
    }


def bench_classification(name: str, seeds: int, quick: bool, context_seeds: int) -> dict[str, Any]:
    note(f"== {name}")
    data = load_classification(name, quick)
    note(f"   {data['split_desc']}; sizes {data['sizes']}")
    models: dict[str, Any] = {}
    runs = [run_neural("textcnn", data, "classification", s, quick) for s in range(seeds)]
    models["textcnn"] = {"runs": runs, "summary": summarize(runs)}
    if name == "trec" and context_seeds > 0:
        runs = [run_neural("bilstm", data, "classification", s, quick) for s in range(context_seeds)]
        models["bilstm"] = {"runs": runs, "summary": summarize(runs)}
        r = run_ngram(data)
        models["ngram-linear"] = {"runs": [r], "summary": summarize([r])}
    return finish(name, data, models, "textcnn")


def bench_conll(seeds: int, quick: bool, budget_min: float) -> dict[str, Any]:
    note("== conll")
    data = load_conll(quick)
    note(f"   {data['split_desc']}; sizes {data['sizes']}; budget {budget_min} min per seed")
    budget_s = None if quick or not budget_min else budget_min * 60
    runs = [run_neural("bilstm-crf", data, "tagging", s, quick, budget_s) for s in range(seeds)]
    out = finish("conll", data, {"bilstm-crf": {"runs": runs, "summary": summarize(runs)}}, "bilstm-crf")
    out["budget_minutes"] = None if budget_s is None else budget_min
    out["train_tokens"] = data["train_tokens"]
    return out


def finish(name: str, data: dict[str, Any], models: dict[str, Any], main_arch: str) -> dict[str, Any]:
    target = TARGETS[name]
    s = models[main_arch]["summary"]
    met = None if target["value"] is None else s["mean"] >= target["value"]
    time_ok = None
    if target.get("seconds_per_seed"):
        time_ok = s["fit_seconds_max"] <= target["seconds_per_seed"]
    return {
        "name": name,
        "files": data["files"],
        "split": data["split"],
        "split_desc": data["split_desc"],
        "sizes": data["sizes"],
        "train_fingerprint": data["train_fingerprint"],
        "train_labels": data.get("train_labels"),
        "target": target,
        "main_arch": main_arch,
        "meets_target": met,
        "meets_time": time_ok,
        "models": models,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ----------------------------------------------------------------------------------------------------------------
# output


def versions() -> dict[str, Any]:
    """The library versions (``advisor.baselines.manifest.versions``) and this machine: commit, CPU, threads."""
    import torch

    from advisor.baselines.manifest import TORCH_LIBRARIES
    from advisor.baselines.manifest import versions as library_versions

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = None
    try:
        import subprocess

        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "baselines", "advisor"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode == 0:
            commit = head.stdout.strip() + ("+dirty(baselines/advisor)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        **library_versions(*TORCH_LIBRARIES),
        "git_commit": commit,
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


def _fmt(x: Any, nd: int = 1) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def table_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for name in ALL:
        d = doc["datasets"].get(name)
        if d is None:
            continue
        for arch, m in d["models"].items():
            s = m["summary"]
            main = arch == d["main_arch"]
            tgt = d["target"]["value"] if main else None
            metric = "entity F1" if d["target"]["metric"] == "entity_f1" else "accuracy"
            score = f"{s['mean']:.2f} ± {s['std']:.2f}" if s["n"] > 1 else f"{s['mean']:.2f}"
            status = (
                "-" if tgt is None else ("met" if s["mean"] >= tgt else f"missed by {tgt - s['mean']:.2f}")
            )
            time_limit = d["target"].get("seconds_per_seed") if main else None
            secs = f"{s['fit_seconds_mean']:.0f} (max {s['fit_seconds_max']:.0f})"
            if time_limit:
                secs += " ok" if s["fit_seconds_max"] <= time_limit else f" > {time_limit}"
            epochs = (
                "-"
                if s["epochs"][0] is None
                else ", ".join(f"{e}/{b}" for e, b in zip(s["epochs"], s["best_epochs"], strict=True))
            )
            load = s["loadavg_1min_range"]
            rows.append(
                {
                    "dataset": name,
                    "model": arch,
                    "metric": metric,
                    "test": score,
                    "seeds": str(s["n"]),
                    "target": "-" if tgt is None else f"{tgt}",
                    "status": status,
                    "fit_s": secs,
                    "cpu_s": _fmt(s["cpu_seconds_mean"], 0),
                    "ex_per_s": _fmt(s["train_examples_per_s"], 0),
                    "epochs": epochs,
                    "stopped": ", ".join(sorted(set(map(str, s["stopped"])))) if s["stopped"][0] else "-",
                    "load": f"{load[0]:.1f}-{load[1]:.1f}" if load else "-",
                    "limit": LIMITS.get(name, "") if (tgt is not None and s["mean"] < tgt) else "",
                }
            )
    return rows


COLUMNS = [
    ("dataset", "dataset"),
    ("model", "model"),
    ("metric", "metric"),
    ("test", "test (mean ± std)"),
    ("seeds", "seeds"),
    ("target", "target"),
    ("status", "vs target"),
    ("fit_s", "fit s/seed"),
    ("cpu_s", "CPU s/seed"),
    ("ex_per_s", "train ex/s"),
    ("epochs", "epochs/best"),
    ("stopped", "stopped"),
    ("load", "load avg 1m"),
]


def markdown_table(doc: dict[str, Any]) -> str:
    rows = table_rows(doc)
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(r[k] for k, _ in COLUMNS) + " |")
    limits = [f"- **{r['dataset']} {r['model']}** below target: {r['limit']}" for r in rows if r["limit"]]
    return "\n".join(lines + ([""] + limits if limits else []))


def markdown(doc: dict[str, Any]) -> str:
    v = doc["versions"]
    parts = [
        "# Baselines on the public datasets (default settings)",
        "",
        f"Generated by `benchmarks/datasets.py` on {doc['updated']}{' (QUICK smoke mode: not a benchmark)' if doc['quick'] else ''}.",
        f"Machine: {v['cpu']} ({v['cpu_count']} CPUs, shared; torch {v['torch']}, {v['torch_threads']} threads), "
        f"Python {v['python']}.",
        "",
        "Rerun (all datasets, about 1-2 h on this machine, depending on its load):",
        "",
        "```",
        doc["rerun"],
        "```",
        "",
        markdown_table(doc),
        "",
        "Columns: *test* is test accuracy (classification) or conlleval entity F1 (CoNLL), in percent, mean ± sample "
        "std over seeds 0..n-1; *fit s/seed* is wall seconds of training to the dev plateau, per-epoch dev evaluation "
        "included (mean, max); *CPU s* the process CPU seconds (torch threads as stated above); *train ex/s* = train examples x epochs / "
        "fit seconds; *epochs/best* the epochs run and the best dev epoch whose weights were kept; *load avg 1m* the "
        "range of `os.getloadavg()[0]` before/after the runs (2 cores: a load above 2 means other jobs shared them).",
        "",
        "## Splits and settings",
        "",
    ]
    for name in ALL:
        d = doc["datasets"].get(name)
        if d is None:
            continue
        cfg = d["models"][d["main_arch"]]["runs"][0].get("config", {})
        parts.append(
            f"- **{name}** ({d['sizes']['train']:,} train / {d['sizes']['dev']:,} dev / "
            f"{d['sizes']['test']:,} test): {d['split_desc']}. Target: {d['target']['source']}."
        )
        if cfg:
            tc = cfg["train"]
            parts.append(
                f"  {d['main_arch']} train config: optimizer {tc['optimizer']}, lr {tc['lr']}, batch "
                f"{tc['batch_size']}, max_epochs {tc['max_epochs']}, patience {tc['patience']}, min_delta "
                f"{tc['min_delta']}, grad_clip {tc['grad_clip']}."
            )
        if name == "conll" and d.get("budget_minutes"):
            parts.append(
                f"  Stopped at the dev plateau or after {d['budget_minutes']} minutes, whichever came "
                "first (best epoch kept)."
            )
    if doc.get("notes"):
        parts += ["", "## Notes", "", *doc["notes"]]
    return "\n".join(parts) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save(out: Path, doc: dict[str, Any], touch: bool = True) -> None:
    if touch or "updated" not in doc:
        doc["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["table"] = table_rows(doc)
    write_atomic(out, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    write_atomic(out.with_suffix(".md"), markdown(doc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument(
        "--seeds", type=int, default=3, help="TextCNN seeds 0..N-1 per classification dataset"
    )
    parser.add_argument(
        "--context-seeds",
        type=int,
        default=1,
        help="TREC context runs: BiLSTM seeds (plus one ngram-linear fit); 0 skips them",
    )
    parser.add_argument("--conll-seeds", type=int, default=1, help="BiLSTM-CRF seeds on CoNLL-2003")
    parser.add_argument(
        "--conll-budget-min",
        type=float,
        default=20.0,
        help="stop CoNLL training after this many minutes (best epoch kept); 0: train to plateau",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: ~300 train / 60 dev / 100 test examples, 2 epochs (not a benchmark)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON results (markdown copy beside it)"
    )
    parser.add_argument("--fresh", action="store_true", help="do not merge with an existing --out file")
    parser.add_argument(
        "--render",
        action="store_true",
        help="only rewrite the markdown (and the JSON's table and notes) from the existing --out file",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch/OpenMP/BLAS threads (default 1: on this shared 2-core machine torch's default of "
        "2 spin-waits against other jobs and runs up to ~15x slower); 0 keeps torch's default",
    )
    args = parser.parse_args(argv)
    if args.threads > 0:  # before numpy/torch/sklearn are imported, so that BLAS and OpenMP pools obey it too
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    if args.render:
        doc = json.loads(out.read_text(encoding="utf-8"))
        doc["notes"] = list(NOTES)
        save(out, doc, touch=False)
        print(markdown_table(doc))
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    bad = [n for n in names if n not in ALL]
    if bad:
        parser.error(f"--only: unknown dataset(s) {', '.join(bad)}; choose from {', '.join(ALL)}")
    if args.seeds < 1 or args.conll_seeds < 1 or args.context_seeds < 0:
        parser.error("--seeds and --conll-seeds must be >= 1, --context-seeds >= 0")
    if not DATASETS.is_dir():
        sys.exit(
            f"benchmarks/datasets.py: the shared datasets folder {DATASETS} is absent; nothing to benchmark"
        )

    import torch

    from advisor.baselines import runner

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if runner.SPLIT_SEED != SPLIT_SEED:
        sys.exit(
            f"runner.SPLIT_SEED is {runner.SPLIT_SEED}, this benchmark documents {SPLIT_SEED}: update it"
        )

    doc: dict[str, Any] = {}
    if out.exists() and not args.fresh:
        try:
            old = json.loads(out.read_text(encoding="utf-8"))
            if old.get("schema") == SCHEMA and bool(old.get("quick")) == args.quick:
                doc = old
        except (OSError, json.JSONDecodeError):
            doc = {}
    rerun = (
        ".venv/bin/python benchmarks/datasets.py"
        + (" --quick" if args.quick else "")
        + f" --seeds {args.seeds} --context-seeds {args.context_seeds} --conll-seeds {args.conll_seeds}"
        + f" --conll-budget-min {args.conll_budget_min:g} --threads {args.threads}"
    )
    doc.update(
        {
            "schema": SCHEMA,
            "quick": args.quick,
            "rerun": rerun,
            "versions": versions(),
            "datasets_dir": str(DATASETS),
        }
    )
    doc.setdefault("datasets", {})
    doc["notes"] = list(NOTES)
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        if name == "conll":
            result = bench_conll(args.conll_seeds, args.quick, args.conll_budget_min)
        else:
            result = bench_classification(name, args.seeds, args.quick, args.context_seeds)
        cmd = (
            ".venv/bin/python benchmarks/datasets.py --only "
            + name
            + (" --quick" if args.quick else "")
            + (
                f" --seeds {args.seeds}"
                if name != "conll"
                else f" --conll-seeds {args.conll_seeds} --conll-budget-min {args.conll_budget_min:g}"
            )
            + (f" --context-seeds {args.context_seeds}" if name == "trec" else "")
            + f" --threads {args.threads}"
        )
        result["command"] = cmd
        result["versions"] = doc["versions"]
        result["seconds_total"] = round(time.perf_counter() - t0, 1)
        doc["datasets"][name] = result
        save(out, doc)
    doc["seconds_total_last_run"] = round(time.perf_counter() - started, 1)
    save(out, doc)
    print(markdown_table(doc))
    print(f"\nwrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
