"""The candidate encoders, their properties, and the size and latency estimates the budgets use.

Sizes are fp32 parameter bytes (4 bytes per parameter) under the stated assumptions. Latencies are
p95 per-example inference at batch size 1: ``p95_ms = (a + b·tokens + c·tokens²) × target factor``,
fitted to single-thread CPU measurements made on this project's development machine by
``benchmarks/latency.py`` (results in ``benchmarks/results/latency.json``). The target factors are
extrapolations (not measured here) and are marked as such in every estimate's ``source``.
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
    params_m: float  # millions of parameters under the assumptions below
    a_ms: float  # fixed cost per example, ms
    b_ms: float  # cost per token, ms
    c_ms: float  # cost per token squared, ms (attention)
    assumptions: str


# Latency: least-squares fits to the p95 of single-thread, batch-1 CPU inference at 20, 32, 128 and 512
# tokens, measured on the project's development machine (AMD EPYC, 2 shared cores, torch 2.13.0 CPU;
# benchmarks/latency.py -> benchmarks/results/latency.json, 2026-11-27). The RNN and BiLSTM-CRF latencies
# were measured with 128-d inputs (a 300-d input adds a little input-projection time: not measured).
# Sizes: parameters under the stated assumptions (the word models at 300-d, the vectors TEP601 recommends
# under 10k examples; computed from the layer shapes; TextCNN-300 and MiniLM also counted by the benchmark).
COSTS: dict[str, CostModel] = {
    "ngram-linear": CostModel(0.50, 0.474, 0.0017, 0.0, "100k 1-2 gram features x 5 classes"),
    # The kept vectors dominate: 20k training words x 256-d model2vec vectors = 5.12M (the model keeps only its
    # vocabulary's vectors; the full distilled table would be 29,525 x 256 = 7.6M). Latency: the edge study's
    # 0.90 ms at 20 tokens (shared/research/edge.md, one point: ngram-linear's per-token slope assumed).
    "ngram-static-linear": CostModel(
        5.62, 0.866, 0.0017, 0.0, "100k 1-2 gram features + 20k kept words x 256-d vectors, 5 classes"
    ),
    "textcnn": CostModel(6.36, 0.607, 0.0168, 0.0, "20k vocab x 300-d embeddings, 3/4/5 x 100 filters"),
    "bilstm": CostModel(6.44, 0.662, 0.0163, 0.0, "20k x 300-d embeddings, hidden 128 per direction"),
    "lstm": CostModel(6.22, 0.218, 0.0161, 0.0, "20k x 300-d embeddings, hidden 128"),
    "gru": CostModel(6.17, 0.316, 0.0303, 0.0, "20k x 300-d embeddings, hidden 128"),
    "bilstm-crf": CostModel(
        6.89, 0.727, 0.0614, 0.0, "20k x 300-d words, char CNN 30x50, hidden 200 per direction"
    ),
    "frozen-transformer": CostModel(
        22.71, 10.81, 0.1529, 0.000863, "all-MiniLM-L6-v2 (6 layers, 384-d) + linear head"
    ),
    "transformer-finetune": CostModel(
        22.71, 10.81, 0.1529, 0.000863, "all-MiniLM-L6-v2 (6 layers, 384-d) + linear head"
    ),
    # SetFit serves the encoder it fine-tuned, unchanged in shape, plus a logistic-regression head: the encoder's
    # size and latency (the head's 384 x classes weights are within the rounding).
    "transformer-setfit": CostModel(
        22.71, 10.81, 0.1529, 0.000863, "all-MiniLM-L6-v2 (6 layers, 384-d) + logistic-regression head"
    ),
}
COST_SOURCE = "fitted to single-thread CPU measurements (benchmarks/latency.py)"

# Extrapolated slow-downs relative to the measured CPU server; not measured here.
TARGET_FACTORS: dict[str, tuple[float, float, str]] = {
    # target: (factor for non-transformers, factor for transformers, source)
    "cpu-server": (1.0, 1.0, "measured"),
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
    return Estimate(
        size_mb=round(cost.params_m * 4.0 * 1_000_000 / 1e6, 1), latency_ms=round(ms, 3), source=source
    )


def round_up(value: float) -> float:
    """``value`` rounded up to a budget a person would type (2 decimals under 10, 1 under 100, else integer)."""
    import math

    step = 0.01 if value < 10 else 0.1 if value < 100 else 1.0
    return round(math.ceil(value / step - 1e-9) * step, 2)
