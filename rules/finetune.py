"""TEP101 finetune-needs-plateau and TEP102 small-data-finetune-variance."""

import shlex

from advisor.hookspecs import hookimpl
from advisor.vocabulary import FINETUNING

TEP101_DOCS = """Transformer fine-tuning (every fine-tuning candidate: `transformer-finetune`, end to end, and
`transformer-setfit`, contrastive few-shot fine-tuning) is refused when the profile has fewer labeled
examples (tagging: labeled sentences) than {policy.finetune_min_examples:,} (policy.finetune_min_examples), unless
valid plateau evidence for this data is attached: a file written by `advisor baseline plateau DATA --out evidence.json` (with its
checkpoints in evidence.json.d/), passed as `advisor recommend --data DATA --evidence evidence.json`. The
advisor verifies the file itself (advisor/evidence.py): never without the data (read and fingerprinted again),
schema version 2, same task, example count and fingerprint, the policy's dev split (seed
{policy.evidence_split_seed}, dev share {policy.evidence_dev_fraction}), patience >= {policy.plateau_patience},
min_delta <= {policy.plateau_max_min_delta}, only baseline architectures, each (architecture, seed) once, and
the plateau verdict recomputed from the recorded per-epoch dev curves. Then every kept checkpoint is reloaded
and re-evaluated on the dev split recomputed from the data (policy evidence_check =
"{policy.evidence_check}"; "structural" skips this and is reported by TEP100; "reproduce", or `--reproduce`,
also retrains one run on CPU and compares its whole curve): it must reproduce the recorded best dev score
within one dev example. A run counts only if it learned: dev accuracy at least the dev majority-class rate +
{policy.min_learned_margin} (policy.min_learned_margin; tagging: entity F1 >= {policy.min_learned_entity_f1},
policy.min_learned_entity_f1). The floor is the mean ± std of the best baseline architecture's runs. Anything
else leaves the refusal in place, with the failed check as the reason. The same evidence lifts both
candidates; the refusal names both and says which one the evidence would unlock at the profile's size (TEP401:
`transformer-setfit` under {policy.setfit_below:,} examples, policy.setfit_below, else `transformer-finetune`).
The same gate applies to training: `advisor baseline train --arch transformer-finetune` and `--arch
transformer-setfit` refuse (exit 1) without evidence accepted here, and check the fine-tuned model against the
floor (and for collapse onto one class, policy.collapse_margin {policy.collapse_margin}).

Why: in our crossover study (shared/research/crossover.md; all-MiniLM-L6-v2 vs random-init TextCNN/BiLSTM
on five public sentence-classification sets, 50-2,500 examples) fine-tuning was unstable at 100 examples
or fewer (std up to 8 points between seeds; at 50 examples on MR it lost to frozen features by 6 points)
and beat frozen features from about 250 examples on. Below the threshold the safe default is the frozen
encoder plus a small head (median +17 points over random-init TextCNN/BiLSTM). A plateaued baseline is
the control that unlocks fine-tuning: it shows the data has been looked at, and its dev score is the
floor a fine-tuned model must beat (majority-class collapse shows up as falling below it). SetFit is fine-tuning
too (its encoder's weights change), so it sits behind the same gate although it was the steadier of the two:
shared/research/setfit.md measured it ahead of plain fine-tuning at 100 examples on every set, but a
contrastive model on unexamined data can collapse as well, and the floor is what shows it."""

TEP102_DOCS = """When a fine-tuning candidate is chosen with fewer than {policy.finetune_variance_below:,}
(policy.finetune_variance_below) examples - possible with accepted evidence or a lowered threshold - the flag
says how much it varied between seeds at that size, as measured for each:
- transformer-finetune: by several points: std up to 8.4 points (SST-2, 100 examples; 10.3 as a sample std in
  shared/research/setfit.md, where one seed collapsed to 56.8) and 7.2 (TREC, 50) in the crossover study
  (shared/research/crossover.md). Run three seeds and compare their mean against frozen features + logistic
  regression before trusting one fine-tuned run (Mosbach et al. 2021, "On the Stability of Fine-tuning BERT";
  Zhang et al. 2021, "Revisiting Few-sample BERT Fine-tuning").
- transformer-setfit: far less: sample std at most 3.0 points at 100 examples (MR; TREC 1.6, SST-2 2.4; two
  seeds each, shared/research/setfit.md; benchmarks/results/setfit.jsonl adds seeds as they finish). Two seeds
  are little evidence of stability: run a second seed before trusting one run."""


@hookimpl
def register_rules(register):
    register(
        id="TEP101",
        name="finetune-needs-plateau",
        severity="refuse",
        summary="Refuses transformer fine-tuning (plain and SetFit) under {policy.finetune_min_examples:,} examples "
        "until a baseline on the data has plateaued.",
        docs=TEP101_DOCS,
    )
    register(
        id="TEP102",
        name="small-data-finetune-variance",
        severity="flag",
        summary="Fine-tuning under {policy.finetune_variance_below:,} examples varies between seeds (plain: several "
        "points, compare three seeds; SetFit: about 3).",
        docs=TEP102_DOCS,
    )


def unlock_command(data_path: str | None) -> str:
    data = shlex.quote(data_path) if data_path else "DATA"
    return (
        f"advisor baseline plateau {data} --out evidence.json && "
        f"advisor recommend --data {data} --evidence evidence.json"
    )


@hookimpl
def refuse_candidates(ctx):
    p, threshold, ev = ctx.profile, ctx.policy.finetune_min_examples, ctx.evidence
    unit = "labeled sentences" if p.task == "tagging" else "labeled examples"
    if p.examples >= threshold:
        ctx.info(rule="TEP101", message=f"{p.examples} {unit} >= {threshold}: fine-tuning needs no evidence")
        return
    if ev.accepted:
        ctx.info(
            rule="TEP101",
            message=f"{p.examples} {unit} < {threshold}, but plateau evidence was accepted: {ev.reason}; "
            f"floor {ev.metric} {ev.floor_mean:.4f} ± {ev.floor_std:.4f}",
        )
        return
    reason = (
        f"{p.examples} {unit} < {threshold} (policy finetune_min_examples): fine-tuning is refused until a "
        "TextCNN/BiLSTM baseline trained on your data has plateaued"
    )
    if ev.provided:
        reason += f"; evidence not accepted: {ev.reason}"
    refused = (
        FINETUNING if p.task == "classification" else ("transformer-finetune",)
    )  # TEP001: SetFit classifies
    if p.task == "classification":
        unlocked = unlocked_by_evidence(p.examples, ctx.policy.setfit_below)
        side = "<" if unlocked == "transformer-setfit" else ">="
        reason += (
            f"; refused: {', '.join(refused)}; evidence would unlock {unlocked} at this size "
            f"({p.examples} {side} {ctx.policy.setfit_below}, policy setfit_below)"
        )
    data_path = p.data.path if p.data is not None else None
    for arch in refused:
        ctx.refuse(arch, rule="TEP101", reason=reason, unlock=unlock_command(data_path))


def unlocked_by_evidence(examples: int, setfit_below: int) -> str:
    """The fine-tuning candidate TEP401 picks at ``examples`` once fine-tuning is allowed (policy setfit_below)."""
    return "transformer-setfit" if examples < setfit_below else "transformer-finetune"


@hookimpl
def describe_winner(ctx):
    below = ctx.policy.finetune_variance_below
    if ctx.winner not in FINETUNING or ctx.profile.examples >= below:
        return
    if ctx.winner == "transformer-finetune":
        message = (
            f"{ctx.profile.examples} examples < {below}: fine-tuned accuracy varies by several points between "
            "seeds at this size (measured: up to 8); run three seeds and compare them against frozen features"
        )
    else:
        message = (
            f"{ctx.profile.examples} examples < {below}: SetFit varied far less than plain fine-tuning between "
            "seeds at this size (measured: sample std up to 3 points at 100 examples, two seeds; plain fine-tuning "
            "up to 10); run a second seed before trusting one run"
        )
    ctx.flag(rule="TEP102", message=message)
