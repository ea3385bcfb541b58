"""TEP202 latency-budget and TEP203 size-budget: candidates over a given budget are excluded."""

from advisor.candidates import round_up
from advisor.hookspecs import hookimpl

LATENCY_DOCS = """When latency_ms is given, on any target, every candidate whose estimated p95 per-example
latency at the profile's text length (tokens) on the deploy target exceeds it is excluded. Estimates:
advisor.candidates (single-thread CPU measurements by benchmarks/latency.py, fitted as a + b*tokens
(+ c*tokens^2 for attention), times an extrapolated factor for phone, browser, edge and GPU targets).
The alternatives in every recommendation show each candidate's estimate."""

SIZE_DOCS = """When max_model_mb is given, on any target, every candidate whose estimated fp32 size
(4 bytes per parameter, under the assumptions stated in advisor.candidates: 20k-word vocabulary with
300-d vectors for word models; all-MiniLM-L6-v2's 22.7M parameters for transformers) exceeds it is
excluded."""


@hookimpl
def register_rules(register):
    register(
        id="TEP202",
        name="latency-budget",
        severity="exclude",
        summary="Excludes candidates whose estimated p95 latency exceeds latency_ms.",
        docs=LATENCY_DOCS,
    )
    register(
        id="TEP203",
        name="size-budget",
        severity="exclude",
        summary="Excludes candidates whose estimated fp32 size exceeds max_model_mb.",
        docs=SIZE_DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    p = ctx.profile
    if p.latency_ms is None and p.max_model_mb is None:
        return
    for arch in ctx.candidates:
        est = ctx.estimate(arch)
        if p.latency_ms is not None and est.latency_ms > p.latency_ms:
            ctx.exclude(
                arch,
                rule="TEP202",
                reason=f"estimated p95 {est.latency_ms:g} ms at {p.tokens} words on {p.deploy} exceeds the {p.latency_ms:g} ms budget",
                needs={"latency_ms": round_up(est.latency_ms)},
            )
        if p.max_model_mb is not None and est.size_mb > p.max_model_mb:
            ctx.exclude(
                arch,
                rule="TEP203",
                reason=f"estimated {est.size_mb:g} MB (fp32) exceeds the {p.max_model_mb:g} MB budget",
                needs={"max_model_mb": round_up(est.size_mb)},
            )
