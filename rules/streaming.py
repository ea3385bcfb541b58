"""TEP301 streaming-unidirectional: streaming input takes a one-directional recurrent encoder."""

from advisor.candidates import BIDIRECTIONAL, TRANSFORMERS
from advisor.hookspecs import hookimpl

DOCS = """With streaming input the encoder must produce its state as tokens arrive, before the text ends.
Bidirectional encoders (BiLSTM, and the BiLSTM-CRF whose CRF also decodes over the whole sentence) need
the whole sequence, and so do transformers (every position attends to every other). They are excluded.

Among what remains an LSTM is preferred; a GRU is preferred instead where a size or latency budget is tight
(the LSTM's estimate uses more than {policy.tight_budget_fraction:.0%} of it, policy.tight_budget_fraction):
a GRU has three gates to the LSTM's four, so about 25% fewer recurrent parameters and fewer operations per
token, usually at a small cost in accuracy (Chung et al. 2014).

Measured caveat: on our development CPU (PyTorch 2.13, batch 1, one thread; benchmarks/latency.py) the
GRU was SLOWER than the LSTM (p95 3.2 vs 1.6 ms at 128 tokens): PyTorch's fused LSTM kernel is better
optimised. So where the tight budget is latency and the estimate table says the GRU is not faster, the
rule keeps the LSTM first and says why; the GRU still wins a tight size budget."""


@hookimpl
def register_rules(register):
    register(
        id="TEP301",
        name="streaming-unidirectional",
        severity="exclude",
        summary="Streaming excludes bidirectional encoders, whole-sentence CRFs and transformers; prefers LSTM (GRU if tight).",
        docs=DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    if not ctx.profile.streaming:
        return
    for arch in ctx.candidates:
        if arch in BIDIRECTIONAL:
            why = "reads the sequence in both directions" + (
                " and its CRF decodes over the whole sentence" if arch == "bilstm-crf" else ""
            )
            ctx.exclude(arch, rule="TEP301", reason=f"streaming input: {arch} {why}")
        elif arch in TRANSFORMERS:
            ctx.exclude(
                arch, rule="TEP301", reason=f"streaming input: {arch} attends over the whole sequence"
            )


def _tight(ctx) -> str | None:
    """Why the GRU should go first (a tight budget it helps with), or None."""
    p, lstm, gru = ctx.profile, ctx.estimate("lstm"), ctx.estimate("gru")
    share = ctx.policy.tight_budget_fraction
    if p.max_model_mb is not None and lstm.size_mb > share * p.max_model_mb:
        return f"the LSTM's {lstm.size_mb:g} MB uses over {share:.0%} of the {p.max_model_mb:g} MB budget"
    if p.latency_ms is not None and lstm.latency_ms > share * p.latency_ms:
        if gru.latency_ms < lstm.latency_ms:
            return (
                f"the LSTM's {lstm.latency_ms:g} ms uses over {share:.0%} of the {p.latency_ms:g} ms budget"
            )
        ctx.info(
            rule="TEP301",
            message=f"latency budget is tight but the GRU's estimate ({gru.latency_ms:g} ms) "
            f"is not below the LSTM's ({lstm.latency_ms:g} ms) in the estimate table: keeping the LSTM first",
        )
    return None


@hookimpl
def rank_candidates(ctx):
    if not ctx.profile.streaming:
        return
    tight = _tight(ctx)
    if tight:
        ctx.prefer(
            "gru",
            100,
            rule="TEP301",
            reason=f"streaming with a tight budget: {tight}; a GRU is smaller and faster",
        )
        ctx.prefer(
            "lstm",
            90,
            rule="TEP301",
            reason="streaming: one-directional LSTM, runner-up under a tight budget",
        )
    else:
        ctx.prefer(
            "lstm",
            100,
            rule="TEP301",
            reason="streaming: a one-directional LSTM encodes tokens as they arrive",
        )
        ctx.prefer(
            "gru", 90, rule="TEP301", reason="streaming: a GRU is the smaller one-directional alternative"
        )
