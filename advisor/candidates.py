"""The candidate encoders, their properties, and the size and latency estimates the budgets use.

Sizes are the fp32 ONNX export folders (``advisor baseline export``) under the stated assumptions, measured.
Latencies are p95 per-example inference at batch size 1: ``p95_ms = (a + b·tokens + c·tokens²) × target
factor``, fitted to single-thread onnxruntime CPU measurements of those exports made on this project's
development machine by ``benchmarks/export_latency.py`` (results in ``benchmarks/results/export_latency.jsonl``,
the commit cited at :data:`COSTS`). The CPU figures are measured; the phone, browser, edge and GPU factors
are extrapolations (not measured on such a device) and every estimate's ``source`` says which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from advisor.vocabulary import CANDIDATES, EMBEDDINGS, FINETUNING  # noqa: F401  (the ids, in tie-break order)

TRANSFORMERS: frozenset[str] = frozenset({"frozen-transformer", *FINETUNING})
BIDIRECTIONAL: frozenset[str] = frozenset({"bilstm", "bilstm-crf"})
# Candidates that can only label whole texts (not tokens), and the one that only tags.
CLASSIFY_ONLY: frozenset[str] = frozenset(
    {"ngram-linear", "ngram-static-linear", "textcnn", "transformer-setfit"}
)
TAG_ONLY: frozenset[str] = frozenset({"bilstm-crf"})
# The multilingual encoder the recipes name in place of all-MiniLM-L6-v2 for non-English texts (TEP502, TEP602).
MULTILINGUAL = "paraphrase-multilingual-MiniLM-L12-v2"

DESCRIPTIONS: dict[str, str] = {
    "ngram-linear": "word 1-2 gram TF-IDF + linear classifier (fastText-style)",
    "ngram-static-linear": "word 1-2 gram TF-IDF + the mean static (model2vec) vector, one linear classifier",
    "textcnn": "TextCNN (Kim 2014): convolutions of widths 3/4/5 over word vectors, max-pooled",
    "bilstm": "bidirectional LSTM encoder (classification: pooled; tagging: softmax per token)",
    "lstm": "one-directional LSTM (streams token by token)",
    "gru": "one-directional GRU (streams token by token; smaller and faster than an LSTM)",
    "bilstm-crf": "BiLSTM-CRF tagger (Lample et al. 2016), optional character CNN",
    "frozen-transformer": "pretrained transformer (all-MiniLM-L6-v2) as a frozen encoder + small head",
    "transformer-finetune": "pretrained transformer (all-MiniLM-L6-v2) fine-tuned end to end",
    "transformer-setfit": "pretrained transformer (all-MiniLM-L6-v2) fine-tuned contrastively on pairs of the "
    "labeled examples, then a logistic-regression head (SetFit, Tunstall et al. 2022)",
}


@dataclass(frozen=True)
class CostModel:
    size_mb: float  # the fp32 ONNX export folder under the assumptions below, MB (measured)
    a_ms: float  # fixed cost per example, ms
    b_ms: float  # cost per token, ms
    c_ms: float  # cost per token squared, ms (attention)
    assumptions: str


# Measured on the fp32 ONNX exports (advisor baseline export's graphs, random weights at the stated sizes) by
# benchmarks/export_latency.py: onnxruntime 1.32, one intra-op thread, batch 1, 20 timed calls per length at
# 8, 16, 32, 64, 128, 256 and 512 tokens, on the project's development machine (AMD EPYC, 2 shared cores).
# Results: benchmarks/results/export_latency.jsonl as of commit 1732519f92a4717a03da5896b410271e56c4c41e
# (the other candidates measured 2026-12-01 12:49-13:02 UTC, ngram-static-linear 15:19 UTC). The latency is
# `python benchmarks/export_latency.py --fit`: least squares on relative error of a + b*tokens (+ c*tokens^2 for
# MiniLM, fitted to 8..256: it reads at most 256 word pieces) to the p95 of the process's CPU time per call
# (cpu_p95), not the wall-clock p95, which on this shared machine (load 7-9) is mostly the wait for a core.
# Graph only: tokenization outside the graph adds 0.01-0.3 ms (tokenize_ms in the results). Size: the export
# folder (graph with its weights, vocabulary or tokenizer, manifest) without the streaming step graph. int8
# exports are 3-4x smaller (the results file has them); the budgets read fp32.
# Sizes are for the word models at 300-d, as TextCNN is measured (the vectors TEP601 recommends under 10k
# examples are 256-d model2vec or 300-d GloVe/fastText; comparing the word models at one width keeps a budget from
# picking one for the benchmark's width): export_latency built the RNNs at 128-d and BiLSTM-CRF at 100-d words
# with hidden 128, so their sizes are the measured folder plus the 4 bytes of every parameter the 300-d model
# (BiLSTM-CRF: hidden 200, its default) adds, counted from advisor.baselines.models (LSTM +14.11 MB, GRU +14.02,
# BiLSTM +14.46, BiLSTM-CRF +18.39). Their latencies stay the 128-d measurements (the wider input projection and
# BiLSTM-CRF's wider LSTM add time that is not measured).
# Until 2026-12-01 this table held torch figures (benchmarks/latency.py -> benchmarks/results/latency.json).
COSTS: dict[str, CostModel] = {
    "ngram-linear": CostModel(
        1.12, 0.0301, 0.000003, 0.0, "word 1-2 grams of a 20k-word Zipf corpus x 2 classes"
    ),
    "ngram-static-linear": CostModel(
        19.55,
        0.0411,
        0.000372,
        0.0,
        "ngram-linear + 20k kept words x 256-d (model2vec-width) vectors, 2 classes",
    ),
    "textcnn": CostModel(25.68, 0.5082, 0.00899, 0.0, "20k vocab x 300-d embeddings, 3/4/5 x 100 filters"),
    "bilstm": CostModel(25.96, 0.1978, 0.011819, 0.0, "20k x 300-d embeddings, hidden 128 per direction"),
    "lstm": CostModel(25.08, 0.1447, 0.006214, 0.0, "20k x 300-d embeddings, hidden 128"),
    "gru": CostModel(24.85, 0.1722, 0.005442, 0.0, "20k x 300-d embeddings, hidden 128"),
    "bilstm-crf": CostModel(
        27.79, 0.2099, 0.016846, 0.0, "20k x 300-d words, char CNN 30x50, hidden 200 per direction, 9 tags"
    ),
    "frozen-transformer": CostModel(
        91.72, 3.7165, 0.234019, 0.000538945, "all-MiniLM-L6-v2 (6 layers, 384-d) + linear head"
    ),
    "transformer-finetune": CostModel(
        91.72, 3.7165, 0.234019, 0.000538945, "all-MiniLM-L6-v2 (6 layers, 384-d) + linear head"
    ),
    # SetFit serves the encoder it fine-tuned, unchanged in shape, plus a logistic-regression head: the encoder's
    # size and latency (the head's 384 x classes weights are within the rounding).
    "transformer-setfit": CostModel(
        91.72, 3.7165, 0.234019, 0.000538945, "all-MiniLM-L6-v2 (6 layers, 384-d) + logistic-regression head"
    ),
}
COST_SOURCE = "measured on CPU: fp32 ONNX export, onnxruntime one thread (benchmarks/export_latency.py, CPU-time p95 fit)"

# Extrapolated slow-downs relative to the measured CPU server; not measured here.
TARGET_FACTORS: dict[str, tuple[float, float, str]] = {
    # target: (factor for non-transformers, factor for transformers, source)
    "cpu-server": (1.0, 1.0, "measured (this CPU)"),
    "gpu-server": (1.0, 0.5, "extrapolated: batch-1 GPU inference, launch-bound for small models"),
    "phone": (3.0, 3.0, "extrapolated: mid-range phone CPU ~3x slower per thread"),
    "browser": (4.0, 4.0, "extrapolated: WebAssembly ~4x slower than native"),
    "edge": (6.0, 6.0, "extrapolated: Raspberry-Pi-class board ~6x slower"),
}


@dataclass(frozen=True)
class Estimate:
    size_mb: float
    latency_ms: float
    source: str


@lru_cache(
    maxsize=8192
)  # pure, and its result is frozen: recommend() asks for the same few figures again and again
def estimate(arch: str, tokens: int, deploy: str) -> Estimate:
    """fp32 size and p95 batch-1 latency of ``arch`` at ``tokens`` words on ``deploy``."""
    cost = COSTS[arch]
    plain, transformer, target_source = TARGET_FACTORS[deploy]
    factor = transformer if arch in TRANSFORMERS else plain
    ms = (cost.a_ms + cost.b_ms * tokens + cost.c_ms * tokens * tokens) * factor
    source = f"{COST_SOURCE}; {cost.assumptions}; target {deploy}: {target_source}"
    return Estimate(size_mb=round(cost.size_mb, 1), latency_ms=round(ms, 3), source=source)


def round_up(value: float) -> float:
    """``value`` rounded up to a budget a person would type (2 decimals under 10, 1 under 100, else integer)."""
    import math

    step = 0.01 if value < 10 else 0.1 if value < 100 else 1.0
    return round(math.ceil(value / step - 1e-9) * step, 2)
