"""Accuracy of the exported models, fp32 and int8, on one dataset sample: the edge table's accuracy column.

Usage (resumable: each finished (arch, precision) is appended to the JSON-lines file and skipped next time)::

    nice -n 15 .venv/bin/python benchmarks/export_accuracy.py
    .venv/bin/python benchmarks/export_accuracy.py --table          # the rows as a markdown table

:mod:`benchmarks.export_latency` measures size and latency on random weights, so it has no accuracy. This
trains each small classifier (``ngram-linear``, ``ngram-static-linear``, ``textcnn``, ``bilstm``, ``lstm``,
``gru``) and MiniLM (``frozen-transformer``) on the SST-2 sample of :mod:`benchmarks.distill` (1,000 stratified
training examples of ``sst2/train.jsonl``, seed 0; the runner's 90/10 train/dev split), with each recipe's
defaults through the Python API (one torch thread, CPU), reusing that benchmark's TextCNN and teacher folders
when they are there, then exports each fp32 and int8 (:func:`advisor.baselines.export`) with the whole SST-2
test set (1,821 sentences) as ``data``: the export's own check gives the fp32 parity against the reloaded
model, the fp32 accuracy and the int8 accuracy (onnxruntime, torch-free code path). Sizes are these trained
folders' (their vocabularies are the sample's, far below the 20k words export_latency assumes): the edge
table takes its sizes and latencies from export_latency and only the accuracy from here. BiLSTM-CRF is a
tagger (no SST-2 accuracy): not run here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from distill import WORK, sample  # noqa: E402

OUT = HERE / "results" / "export_accuracy.jsonl"
DATASET, N = "sst2", 1000
# export_latency's names (minilm: the frozen-transformer) -> the trained architecture
ARCHS = {
    "ngram-linear": "ngram-linear",
    "ngram-static-linear": "ngram-static-linear",
    "textcnn": "textcnn",
    "bilstm": "bilstm",
    "lstm": "lstm",
    "gru": "gru",
    "minilm": "frozen-transformer",
}
REUSED = {"textcnn": "textcnn", "minilm": "teacher"}  # benchmarks/distill.py's folders for this sample


def trained(name: str, data: Path, test: Path) -> tuple[Path, float | None]:
    """The trained model folder of ``name`` on the sample (trained now when not there) and its test accuracy
    as the trained model scored it (None when reused and not recorded)."""
    from advisor.baselines import train

    reused = WORK / f"{DATASET}-{N}-{REUSED[name]}" if name in REUSED else None
    if reused is not None and (reused / "manifest.json").is_file():
        manifest = json.loads((reused / "manifest.json").read_text("utf-8"))
        return reused, (manifest.get("run", {}).get("test") or {}).get("accuracy")
    out = WORK / f"{DATASET}-{N}-export-{name}"
    if (out / "manifest.json").is_file():
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
        return out, (manifest.get("run", {}).get("test") or {}).get("accuracy")
    r = train(data, test=test, arch=ARCHS[name], device="cpu", threads=1, out=out, force=True)
    return out, r.test["accuracy"]


def one(name: str, precision: str) -> dict:
    from advisor.baselines import export

    data, test = sample(DATASET, N)
    model, model_accuracy = trained(name, data, test)
    out = WORK / f"{DATASET}-{N}-export-{name}-onnx-{precision}"
    load = os.getloadavg()[0]
    r = export(model, out=out, quantize=None if precision == "fp32" else precision, data=test, force=True)
    check = r["export"]["check"]
    return {
        "arch": name,
        "precision": precision,
        "dataset": DATASET,
        "examples": N,
        "test_examples": check["fp32"]["examples"],
        "accuracy": check[precision]["accuracy"],
        "fp32_accuracy": check["fp32"]["accuracy"],
        "int8_change": check.get("int8", {}).get("change"),
        "model_test_accuracy": model_accuracy,
        "fp32_parity": {k: check["fp32"][k] for k in ("agreement", "max_abs_logit_diff", "passed")},
        "size_bytes": r["size_bytes"],
        "model": str(model.relative_to(WORK.parents[1])),
        "loadavg": round(load, 2),
    }


def done() -> list[dict]:
    if not OUT.is_file():
        return []
    return [json.loads(line) for line in OUT.read_text("utf-8").splitlines() if line.strip()]


def table(rows: list[dict]) -> str:
    lines = [
        "| export | SST-2 test accuracy | int8 change | fp32 parity (agreement, max abs diff) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        p = r["fp32_parity"]
        change = "" if r["int8_change"] is None else f"{r['int8_change']:+.4f}"
        lines.append(
            f"| {r['arch']} {r['precision']} | {r['accuracy']:.4f} | {change} | "
            f"{p['agreement']:.2%}, {p['max_abs_logit_diff']:.2g} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archs", nargs="+", default=list(ARCHS), choices=list(ARCHS))
    ap.add_argument("--table", action="store_true")
    args = ap.parse_args(argv)
    if args.table:
        print(table(done()))
        return 0
    finished = {(r["arch"], r["precision"]) for r in done()}
    for name in args.archs:
        for precision in ("fp32", "int8"):
            if (name, precision) in finished:
                continue
            row = one(name, precision)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            with OUT.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
