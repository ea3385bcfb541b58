"""TEP202 latency-budget and TEP203 size-budget: candidates over a given budget are excluded; TEP204
measured-budget: so are those whose size or latency measured by ``advisor compare`` (``ctx.measurements``) is over."""

from advisor.candidates import TARGET_FACTORS, TRANSFORMERS, round_up
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


BUDGET_DOCS = """With measurements from `advisor compare` (--measurements), a candidate the estimates
admitted is excluded when its measured size (the kept model folder on disk) exceeds max_model_mb, or its
measured p95 single-example latency (one thread, at the data's p95 length, on the machine that ran compare,
times the deploy target's factor from advisor.candidates, as the estimates use) exceeds latency_ms.
Measurements are not verified like plateau evidence (nothing is re-run), so they can only take away: this
rule never admits a candidate the estimates excluded (TEP201-TEP203 still decide on the estimates; a forged
1 ms transformer stays excluded on a phone) and never lifts a refusal."""


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
    register(
        id="TEP204",
        name="measured-budget",
        severity="exclude",
        summary="Excludes candidates whose measured size or latency (advisor compare) exceeds a budget.",
        docs=BUDGET_DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    p = ctx.profile
    if p.latency_ms is None and p.max_model_mb is None:
        return
    exclude_estimated(ctx)
    exclude_measured(ctx)


def exclude_estimated(ctx):
    p = ctx.profile
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


def _factor(arch: str, deploy: str) -> float:
    plain, transformer, _ = TARGET_FACTORS[deploy]
    return transformer if arch in TRANSFORMERS else plain


def exclude_measured(ctx):
    m, p = ctx.measurements, ctx.profile
    if not m.provided or (p.latency_ms is None and p.max_model_mb is None):
        return
    for arch, c in m.candidates.items():
        if arch not in ctx.candidates or ctx.is_excluded(arch):
            continue  # only takes away what the estimates admitted
        if p.max_model_mb is not None and c.model_mb is not None and c.model_mb > p.max_model_mb:
            ctx.exclude(
                arch,
                rule="TEP204",
                reason=f"measured {c.model_mb:g} MB on disk exceeds the {p.max_model_mb:g} MB budget",
            )
        if p.latency_ms is not None and c.latency_ms is not None:
            factor = _factor(arch, p.deploy)
            ms = round(c.latency_ms * factor, 3)
            if ms > p.latency_ms:
                on = f" x{factor:g} for {p.deploy}" if factor != 1 else ""
                ctx.exclude(
                    arch,
                    rule="TEP204",
                    reason=f"measured p95 {c.latency_ms:g} ms{on} = {ms:g} ms at {m.tokens} words exceeds the "
                    f"{p.latency_ms:g} ms budget",
                )
