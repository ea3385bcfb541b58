"""TEP501 long-text-truncation, TEP502 non-english, TEP503 class-imbalance."""

from advisor import quote
from advisor.candidates import MULTILINGUAL, TRANSFORMERS
from advisor.hookspecs import hookimpl

TEP501_DOCS = """Transformer encoders have a fixed maximum input (512 word pieces for BERT-style models;
all-MiniLM-L6-v2 was trained with 128 and truncates at 256 by default). When the profile's p95 length
(tokens, in words; from --data: the measured p95) exceeds {policy.max_transformer_tokens:,}
(policy.max_transformer_tokens), transformer candidates need truncation (keep the head, or head + tail: Sun
et al. 2019 found head+tail best for long reviews) or chunking with pooled chunk vectors; the flag says so
whenever a transformer is still a candidate."""

TEP502_DOCS = """The bundled pretrained choices (all-MiniLM-L6-v2 and the GloVe/fastText English vectors) are
English-only. For another language the recipe names a multilingual encoder in their place
(paraphrase-multilingual-MiniLM-L12-v2, same 384-d sentence embeddings, 50+ languages; or XLM-R base for
fine-tuning) and fastText's per-language vectors (cc.<lang>.300.vec, Grave et al. 2018) for static input.
Estimates stay those of MiniLM-L6; a 12-layer multilingual encoder is about 2x slower and 5x larger
(its 250k-token vocabulary), so check budgets again."""

TEP503_DOCS = """When the data (--data) shows a largest-to-smallest class ratio above
{policy.imbalance_flag_ratio:g}:1 (policy.imbalance_flag_ratio), accuracy hides the minority classes: a
model that always answers the majority class scores well. The monitoring signal becomes macro-F1 with
per-class recall, and the flag names the ratio and the smallest class."""


@hookimpl
def register_rules(register):
    register(
        id="TEP501",
        name="long-text-truncation",
        severity="flag",
        summary="Texts longer than {policy.max_transformer_tokens:,} words (p95) need truncation or chunking for "
        "transformer candidates.",
        docs=TEP501_DOCS,
    )
    register(
        id="TEP502",
        name="non-english",
        severity="flag",
        summary="Non-English texts: the bundled pretrained choices are English-only; use the multilingual recipe.",
        docs=TEP502_DOCS,
    )
    register(
        id="TEP503",
        name="class-imbalance",
        severity="flag",
        summary="Class imbalance above {policy.imbalance_flag_ratio:g}:1 makes the monitoring signal macro-F1 with "
        "per-class recall.",
        docs=TEP503_DOCS,
    )


def imbalance(ctx):
    d = ctx.profile.data
    if d is None or d.imbalance_ratio is None or ctx.profile.task != "classification":
        return None
    return d.imbalance_ratio if d.imbalance_ratio > ctx.policy.imbalance_flag_ratio else None


@hookimpl
def exclude_candidates(ctx):
    p = ctx.profile
    if not p.english:
        ctx.flag(
            rule="TEP502",
            message=f"language={p.language}: the bundled pretrained encoder and vectors are English-only; "
            f"use {MULTILINGUAL} for transformer candidates and fastText cc.{p.language.replace('_', '-').split('-')[0].lower()}.300.vec for static vectors",
        )


@hookimpl
def describe_winner(ctx):
    p = ctx.profile
    if p.tokens > ctx.policy.max_transformer_tokens and any(c in ctx.remaining() for c in TRANSFORMERS):
        ctx.flag(
            rule="TEP501",
            message=f"p95 length {p.tokens} words > {ctx.policy.max_transformer_tokens}: "
            "transformer candidates need truncation (head or head+tail) or chunking",
        )
    ratio = imbalance(ctx)
    if ratio is not None:
        counts = p.data.label_counts
        smallest = min(counts, key=lambda k: (counts[k], k))
        ctx.flag(
            rule="TEP503",
            message=f"class imbalance {ratio:.1f}:1 (smallest class {quote(smallest)}: {counts[smallest]} examples): "
            "watch macro-F1 and per-class recall, not accuracy",
        )
        ctx.set_monitoring(
            "macro-F1 with per-class recall on the dev set (accuracy hides the minority classes at this imbalance)",
            rule="TEP503",
            reason=f"class imbalance {ratio:.1f}:1 > {ctx.policy.imbalance_flag_ratio:g}:1",
        )
