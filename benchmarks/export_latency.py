"""Size and single-example latency of the exported candidates, run by onnxruntime on one CPU thread.

Usage::

    nice -n 10 python benchmarks/export_latency.py                  # build the exports once, then measure
    python benchmarks/export_latency.py --runs 20 --lengths 8 128 512 --archs textcnn minilm
    python benchmarks/export_latency.py --table                     # only print the table from the results

What is measured: each small candidate at the size the latency benchmark (:mod:`benchmarks.latency`) assumes
(random weights: latency and size do not depend on training; vocabulary 20,000 words) -- ``textcnn`` (embed
300, widths 3/4/5 x 100), ``bilstm``, ``lstm``, ``gru`` (embed 128, hidden 128, max pooling), ``bilstm-crf``
(word 100, char CNN, hidden 128, 9 tags; Viterbi outside the graph is not timed), ``ngram-linear`` (fitted on
the synthetic Zipf corpus of the latency benchmark), ``ngram-static-linear`` (the same, every training word
keeping a random 256-d vector) -- and ``minilm``, a ``frozen-transformer`` (the shipped
all-MiniLM-L6-v2 with a logistic-regression head) exported whole. Every one is exported with
``advisor.baselines.export`` to fp32 and int8 (``quantize_dynamic``) folders under ``--work``; each graph runs
in an onnxruntime session with one intra-op thread (batch 1) on inputs of 8..512 tokens (word ids, words,
n-gram terms of a text of that many words, or word pieces including [CLS]/[SEP]); ``--runs`` timed calls after
``--warmup`` give p50 and p95 in ms (graph only: tokenization outside the graph is timed apart as
``tokenize_ms``, median). The streaming step (``step.onnx``) of lstm/gru is timed as ``step`` (one token).
``size_bytes`` is the whole export folder (graph, vocabulary or tokenizer, manifest);
``size_bytes_without_step`` leaves out ``step.onnx`` (which holds the embedding and cell weights a second time),
what a whole-sequence deployment ships: the table's size.

Resumable: results are appended to ``benchmarks/results/export_latency.jsonl`` as they are measured, one line
per (arch, precision, tokens), and points already there are skipped (``--fresh`` starts over). These are CPU
measurements of this machine; phone, edge and browser latencies remain extrapolations (the factors of
``advisor.candidates``), until measured on such a device.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from latency import VOCAB, _zipf_corpus, cpu_model, load_avg, time_call, usable_cpus  # noqa: E402

OUT = HERE / "results" / "export_latency.jsonl"
ACCURACY = HERE / "results" / "export_accuracy.jsonl"  # benchmarks/export_accuracy.py: the trained exports
WORK = Path(tempfile.gettempdir()) / "advisor-export-latency"  # the model and export folders (not committed)
ARCHS = ("textcnn", "bilstm", "lstm", "gru", "bilstm-crf", "ngram-linear", "ngram-static-linear", "minilm")
STATIC_DIM = 256  # ngram-static-linear's kept vectors: the distilled model2vec width
LENGTHS = (8, 16, 32, 64, 128, 256, 512)
PRECISIONS = ("fp32", "int8")


def _bundle(arch: str, **fields: Any):
    import numpy as np
    import torch

    from advisor.baselines.models import build_model, make_config
    from advisor.baselines.train import Bundle, TrainConfig
    from advisor.baselines.vocab import PAD, UNK, CharVocab, Vocab

    torch.manual_seed(0)
    vocab = Vocab([PAD, UNK, *(f"w{i}" for i in range(VOCAB - 2))])
    chars = None
    if arch == "bilstm-crf":
        chars = CharVocab([PAD, UNK, *(chr(c) for c in range(33, 131))])
        fields["char_vocab_size"] = len(chars)
    model = build_model(arch, make_config(arch, vocab_size=VOCAB, **fields)).eval()
    n_out = fields.get("num_tags", fields.get("num_classes", 2))
    del np
    return Bundle(
        arch=arch,
        model=model,
        vocab=vocab,
        labels=[str(i) for i in range(n_out)],
        train_config=TrainConfig(),
        char_vocab=chars,
        preprocess={"lowercase": False, "zero_digits": False, "max_chars": 12} if chars else {},
    )


def build(arch: str, folder: Path) -> None:
    """The model folder of ``arch`` at the benchmark's size (random weights)."""
    import numpy as np

    from advisor.baselines.io import save_model

    if arch == "textcnn":
        save_model(_bundle("textcnn", embed_dim=300, num_classes=2), folder)
    elif arch in ("bilstm", "lstm", "gru"):
        save_model(_bundle(arch, embed_dim=128, hidden_size=128, num_classes=2, pooling="max"), folder)
    elif arch == "bilstm-crf":
        fields = {"word_dim": 100, "hidden_size": 128, "num_tags": 9, "char_dim": 30, "char_filters": 50}
        save_model(_bundle("bilstm-crf", **fields), folder)
    elif arch in ("ngram-linear", "ngram-static-linear"):
        from advisor.baselines.ngram import NgramLinearClassifier, NgramStaticLinearClassifier
        from advisor.data import tokenize

        rng = np.random.default_rng(0)
        train, dev = _zipf_corpus(4000, VOCAB, rng), _zipf_corpus(500, VOCAB, rng)
        labels = [int(rng.integers(0, 2)) for _ in train]
        dev_labels = [int(rng.integers(0, 2)) for _ in dev]
        if arch == "ngram-linear":
            clf = NgramLinearClassifier(c_grid=(1.0,))
        else:  # every training word keeps a random STATIC_DIM-d vector (size and latency do not need real ones)
            clf = NgramStaticLinearClassifier(vectors=f"random {STATIC_DIM}-d (benchmark)", c_grid=(1.0,))

            def keep_every_word(texts):
                clf.words = sorted({t for text in texts for t in tokenize(text)})
                clf.word_vectors = rng.normal(size=(len(clf.words), STATIC_DIM)).astype(np.float32)
                clf._index = {w: i for i, w in enumerate(clf.words)}

            clf._fit_extra = keep_every_word
        clf.fit(train, labels, dev, dev_labels).save(folder)
    elif arch == "minilm":
        from advisor.baselines.ngram import LinearHead
        from advisor.baselines.transformer import FrozenTransformerClassifier

        clf = FrozenTransformerClassifier(c_grid=(1.0,))
        rng = np.random.default_rng(0)
        clf.head = LinearHead(["0", "1"], rng.normal(size=(1, 384)), np.zeros(1))
        clf.save(folder)
    else:
        raise ValueError(f"unknown arch {arch!r}; choose from {', '.join(ARCHS)}")


def exported(arch: str, precision: str, work: Path) -> Path:
    """The export folder of ``arch`` at ``precision``, built (and the model folder) when not there yet."""
    from advisor.baselines import export

    model, out = work / arch, work / f"{arch}-{precision}"
    if not (model / "manifest.json").is_file():
        print(f"building {arch}", file=sys.stderr, flush=True)
        build(arch, model)
    if not (out / "manifest.json").is_file():
        t0 = time.perf_counter()
        export(model, out=out, quantize=None if precision == "fp32" else precision)
        print(f"exported {arch} {precision} in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return out


def item(arch: str, tokens: int) -> Any:
    """An input of ``tokens`` tokens for ``arch``'s runtime: a text, or a token list for the tagger."""
    import numpy as np

    if arch == "minilm":
        return " ".join(["hello"] * (tokens - 2))  # "hello" is one word piece; [CLS] and [SEP] make `tokens`
    if arch in ("ngram-linear", "ngram-static-linear"):
        return " ".join(_zipf_corpus(1, VOCAB, np.random.default_rng(tokens), tokens, tokens + 1)[0].split())
    words = [f"w{i}" for i in np.random.default_rng(tokens).integers(2, VOCAB - 2, tokens)]
    return words if arch == "bilstm-crf" else " ".join(words)


def measure(folder: Path, arch: str, tokens: int, runs: int, warmup: int) -> dict[str, Any]:
    from advisor import runtime

    rt = runtime.load(folder, threads=1)
    x = item(arch, tokens)
    feeds = rt._feeds([x])
    graph = time_call(lambda: rt.session.run(None, feeds), runs, warmup)
    tok = time_call(lambda: rt._feeds([x]), max(5, runs // 2), 1)
    return {**graph, "tokenize_ms": tok["p50"], "fed_tokens": int(next(iter(feeds.values())).shape[1])}


def measure_step(folder: Path, runs: int, warmup: int) -> dict[str, Any]:
    from advisor import runtime

    stream = runtime.load(folder, threads=1).stream()
    return time_call(lambda: stream.push_token("w7"), runs, warmup)


def done_keys(path: Path) -> set[tuple]:
    if not path.is_file():
        return set()
    return {
        (r["arch"], r["precision"], r["tokens"]) for r in map(json.loads, path.read_text().splitlines()) if r
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", nargs="+", default=list(ARCHS), choices=ARCHS)
    ap.add_argument("--lengths", nargs="+", type=int, default=list(LENGTHS))
    ap.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    ap.add_argument("--runs", type=int, default=30, help="timed calls per point")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--work", type=Path, default=WORK, help="where the model and export folders are built")
    ap.add_argument("--fresh", action="store_true", help="forget the results file and measure everything")
    ap.add_argument("--table", action="store_true", help="only print the table of the results file")
    ap.add_argument(
        "--fit", action="store_true", help="only print the cost models (advisor/candidates.py) of the results"
    )
    args = ap.parse_args(argv)
    if args.table:
        print(table(load(args.out)))
        return 0
    if args.fit:
        for arch, f in fits(load(args.out)).items():
            print(arch, json.dumps(f))
        return 0
    if args.fresh and args.out.exists():
        args.out.unlink()
    from advisor.baselines.export import folder_size
    from advisor.baselines.manifest import versions

    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = done_keys(args.out)
    machine = {"cpu": cpu_model(), "usable_cpus": usable_cpus(), "threads": 1}
    libs = versions("onnxruntime", "onnx", "torch")
    for arch in args.archs:
        for precision in args.precisions:
            folder = exported(arch, precision, args.work)
            size = folder_size(folder)
            step = folder / "step.onnx"
            deploy = size - (step.stat().st_size if step.is_file() else 0)
            points: list[Any] = [*args.lengths, *(["step"] if arch in ("lstm", "gru") else [])]
            for tokens in points:
                if (arch, precision, tokens) in done:
                    continue
                if tokens == "step":
                    r = measure_step(folder, max(args.runs, 100), args.warmup)
                else:
                    r = measure(folder, arch, int(tokens), args.runs, args.warmup)
                row = {
                    "arch": arch,
                    "precision": precision,
                    "tokens": tokens,
                    "size_bytes": size,
                    "size_bytes_without_step": deploy,
                    **r,
                    "load_1min": (load_avg() or [None])[0],
                    "machine": machine,
                    "versions": libs,
                    "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                with args.out.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{arch:13s} {precision} {tokens!s:>5}: p50 {r['p50']:.3f} ms, p95 {r['p95']:.3f} ms",
                    flush=True,
                )
    print(table(load(args.out)))
    return 0


def load(path: Path) -> list[dict[str, Any]]:
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
    )


def fits(rows: list[dict[str, Any]], precision: str = "fp32") -> dict[str, dict[str, Any]]:
    """The cost model of each export at ``precision``: ``cpu_p95 ≈ a + b*tokens`` (``+ c*tokens^2`` for MiniLM)
    fitted on relative error (:func:`latency.fit_p95`) over the measured lengths, and the folder's size without
    ``step.onnx``. The fit reads ``cpu_p95`` (the process's CPU time per call), not the wall-clock p95: on this
    shared machine the wall p95 of a sub-millisecond call is mostly the wait for a core (it is not even
    monotonic in the length), while the CPU time is what the call costs on a core of its own. A point whose
    input was cut (MiniLM's 512, fed as its 256-piece maximum) is left out of the fit."""
    from latency import fit_p95

    out: dict[str, dict[str, Any]] = {}
    for arch in ARCHS:
        points = {
            int(r["tokens"]): r["cpu_p95"]
            for r in rows
            if r["arch"] == arch
            and r["precision"] == precision
            and r["tokens"] != "step"
            and not (arch == "minilm" and r["fed_tokens"] < r["tokens"])  # at most 256 word pieces
        }
        if not points:
            continue
        size = next(
            r["size_bytes_without_step"] for r in rows if r["arch"] == arch and r["precision"] == precision
        )
        f = fit_p95(points, 2 if arch == "minilm" else 1)
        out[arch] = {"size_mb": round(size / 1e6, 2), **f, "lengths": sorted(points)}
    return out


def table(rows: list[dict[str, Any]], lengths: tuple[int, ...] = (8, 128, 512)) -> str:
    """The edge table (markdown): size and p50/p95 per length of each export, its SST-2 accuracy when
    ``benchmarks/export_accuracy.py`` measured it (``ACCURACY``), and the ratios to MiniLM fp32 (size; p95 and
    CPU-time p95 at 128 tokens)."""
    by = {(r["arch"], r["precision"], r["tokens"]): r for r in rows}
    accuracy = {(r["arch"], r["precision"]): r["accuracy"] for r in load(ACCURACY)}
    base = {t: by.get(("minilm", "fp32", t)) for t in lengths}
    base_size = next(
        (r["size_bytes"] for r in rows if r["arch"] == "minilm" and r["precision"] == "fp32"), None
    )
    head = (
        "| export | SST-2 acc | size | "
        + " | ".join(f"p50 / p95 ms @{t}" for t in lengths)
        + " | smaller | faster (p95 @128) | faster (CPU p95 @128) |"
    )
    lines = [head, "|" + "---|" * (6 + len(lengths))]
    for arch in ARCHS:
        for precision in PRECISIONS:
            cells = [by.get((arch, precision, t)) for t in lengths]
            if not any(cells):
                continue
            size = next(c.get("size_bytes_without_step", c["size_bytes"]) for c in cells if c)
            lat = [f"{c['p50']:.3f} / {c['p95']:.3f}" if c else "-" for c in cells]
            smaller = f"{base_size / size:.0f}x" if base_size else "-"
            mid, ref = by.get((arch, precision, 128)), base.get(128)
            faster = f"{ref['p95'] / mid['p95']:.0f}x" if mid and ref else "-"
            cpu = f"{ref['cpu_p95'] / mid['cpu_p95']:.0f}x" if mid and ref else "-"
            kib = size / 1024
            shown = f"{kib / 1024:.1f} MiB" if kib >= 1024 else f"{kib:.0f} KiB"
            acc = accuracy.get((arch, precision))
            acc_cell = (
                f"{acc:.3f}" if acc is not None else "- (tagger)" if arch == "bilstm-crf" else "not measured"
            )
            lines.append(
                f"| {arch} {precision} | {acc_cell} | {shown} | "
                + " | ".join(lat)
                + f" | {smaller} | {faster} | {cpu} |"
            )
    step = [r for r in rows if r["tokens"] == "step"]
    if step:
        lines.append("")
        lines.append(
            "Streaming step (one token through step.onnx): "
            + "; ".join(
                f"{r['arch']} {r['precision']} p50 {r['p50']:.3f} / p95 {r['p95']:.3f} ms" for r in step
            )
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
