"""TEP201 edge-architecture-first: on phone, edge and browser targets the architecture comes first."""

from advisor.candidates import TRANSFORMERS, round_up
from advisor.hookspecs import hookimpl

DOCS = """On a phone, an edge board or in a browser, the deploy target decides the architecture before
anything else is tuned: model size and per-example latency are hard limits there, and no learning-rate
schedule wins back a model that does not fit. This flag is always on for those targets.

Transformers (frozen or fine-tuned all-MiniLM-L6-v2: 22.7M parameters, ~91 MB at fp32) are excluded on
these targets unless the profile gives BOTH a size budget (max_model_mb) and a latency budget (latency_ms)
and the estimates fit both: an unset budget does not admit a transformer on an edge target. Sizes are the
fp32 ONNX export folders; latencies come from the documented table in advisor.candidates (measured on a CPU
server, multiplied by an extrapolated per-target factor). Quantization (int8 ~4x smaller) can make a
transformer fit; state that budget explicitly if you plan for it.

On classification data the flag names knowledge distillation: a frozen-transformer (or fine-tuned)
teacher trained off the device, whose logits a TextCNN or RNN student learns (``advisor baseline train
--teacher``; Tang et al. 2019), and says to keep it only if it beats the same student on hard labels:
measured here (benchmarks/distill.py; TREC, MR and SST-2 at 250 and 1,000 examples, a TextCNN student, one
seed, the training texts alone and with ``--augment 4``: 12 runs) with the student's epoch picked by the
held-out distillation MSE (the default; benchmarks/results/distill-held-out-mse.jsonl) it helped in 4 of 12
(TREC 250 0.658 against 0.588, SST-2 250 0.597 against 0.580 with and without copies, MR 1,000 with copies
0.671 against 0.637; mean -4.5 points against the hard-label student), where picking it by the dev accuracy
had helped in 2 of 12 (mean -8.3; benchmarks/results/distill.jsonl; TREC 250 collapsed to 0.268). A few
thousand transfer rows are far from Tang's million.

Sources: estimates table (benchmarks/export_latency.py); crossover study for what the transformer is worth
(+5 to +31 accuracy points over random-init TextCNN/BiLSTM from 50 to 1,000 examples)."""


def flag_message(deploy: str, task: str) -> str:
    """The flag's message. On classification data a transformer can still teach the small model that ships
    (knowledge distillation, ``advisor.baselines.distill``): the message names that path; the distillation
    students classify texts, so tagging profiles do not get it."""
    message = (
        f"deploy={deploy}: architecture before everything: pick the architecture for the target before tuning "
        "anything else"
    )
    if task != "classification":
        return message
    return (
        f"{message}; a transformer can still teach the small model: train frozen-transformer off the device, "
        "then `advisor baseline train DATA --arch textcnn --teacher MODEL_DIR --augment N` (knowledge "
        "distillation) and keep it only if it beats the same student on hard labels (measured at 250-1,000 "
        "examples it helped in 4 of 12 runs: benchmarks/distill.py)"
    )


@hookimpl
def register_rules(register):
    register(
        id="TEP201",
        name="edge-architecture-first",
        severity="flag",
        summary="On phone/edge/browser: architecture before everything; transformers only if both budgets admit them.",
        docs=DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    p = ctx.profile
    if not p.edge:
        return
    ctx.flag(rule="TEP201", message=flag_message(p.deploy, p.task))
    for arch in sorted(TRANSFORMERS):
        est = ctx.estimate(arch)
        needs = {"latency_ms": round_up(est.latency_ms), "max_model_mb": round_up(est.size_mb)}
        if p.latency_ms is None or p.max_model_mb is None:
            missing = " and ".join(
                f"--{k.replace('_', '-')}" for k in ("latency_ms", "max_model_mb") if getattr(p, k) is None
            )
            ctx.exclude(
                arch,
                rule="TEP201",
                reason=f"transformers are excluded on {p.deploy} unless both budgets admit them; "
                f"{missing} not given (estimate {est.size_mb:g} MB, {est.latency_ms:g} ms)",
                needs=needs,
            )
        elif est.latency_ms > p.latency_ms or est.size_mb > p.max_model_mb:
            ctx.exclude(
                arch,
                rule="TEP201",
                reason=f"estimate {est.size_mb:g} MB, {est.latency_ms:g} ms on {p.deploy} exceeds the budgets "
                f"({p.max_model_mb:g} MB, {p.latency_ms:g} ms)",
                needs=needs,
            )
        else:
            ctx.info(
                rule="TEP201",
                message=f"{arch} admitted on {p.deploy}: estimate {est.size_mb:g} MB, {est.latency_ms:g} ms within both budgets",
            )
