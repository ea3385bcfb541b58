"""TEP701 monitoring-signal: the one thing to watch while the winner trains and after it ships."""

from advisor.hookspecs import hookimpl
from advisor.vocabulary import FINETUNING

DOCS = """One monitoring signal per winner:
- CNN/RNN models (textcnn, bilstm, lstm, gru, bilstm-crf), ngram-linear and ngram-static-linear: accuracy per length bucket
  (tagging: entity F1 per sentence-length bucket). Convolutions see 3-5 word windows and recurrent encoders
  forget over long spans, so their errors concentrate on long texts; a falling long-text bucket is the first
  sign (`advisor baseline evaluate` prints the table and a PNG).
- frozen-transformer: the same per-length table: mean pooling dilutes long texts and the encoder truncates.
- transformer-finetune and transformer-setfit (fine-tuning; SetFit's loss is the contrastive one): the
  training loss (a loss that stops falling or jumps means the learning rate is too high; collapse) and
  majority-class collapse: dev accuracy falling to the majority-class rate or below the plateaued baseline's
  floor. With accepted evidence the floor is stated: a fine-tuned model that does not
  beat it is not better than the baseline.
TEP503 replaces the signal by macro-F1 with per-class recall when classes are imbalanced above
{policy.imbalance_flag_ratio:g}:1 (policy.imbalance_flag_ratio)."""


@hookimpl
def register_rules(register):
    register(
        id="TEP701",
        name="monitoring-signal",
        severity="info",
        summary="CNN/RNN: accuracy per length bucket; fine-tuning: training loss and majority-class collapse.",
        docs=DOCS,
    )


@hookimpl
def describe_winner(ctx):
    arch, ev, tagging = ctx.winner, ctx.evidence, ctx.profile.task == "tagging"
    metric = "entity F1" if tagging else "accuracy"
    if arch in FINETUNING:
        floor = ""
        if ev.accepted:
            floor = (
                f"; the plateaued baseline's dev {ev.metric} floor is {ev.floor_mean:.3f} ± {ev.floor_std:.3f}: "
                "a fine-tuned model that does not beat it has collapsed or is no better"
            )
        text = (
            "training loss (a loss that stalls or jumps means the learning rate is too high) and majority-class "
            f"collapse: dev {metric} falling to the majority-class rate or below the baseline's score{floor}"
        )
        ctx.set_monitoring(
            text,
            rule="TEP701",
            reason="fine-tuning: collapse shows in the loss and in the predicted class mix",
        )
    else:
        text = f"dev {metric} per length bucket (1-10, 11-20, 21-40, 41-80, 81+ words): errors concentrate on long texts"
        why = {
            "frozen-transformer": "mean pooling dilutes long texts and the encoder truncates them",
            "ngram-linear": "a bag of n-grams loses word order, which long texts need most",
            "ngram-static-linear": "a bag of n-grams and a mean vector both lose word order, which long texts need most",
            "textcnn": "3-5 word windows miss long-range dependencies",
        }.get(arch, "a recurrent state forgets over long spans")
        ctx.set_monitoring(text, rule="TEP701", reason=f"{arch}: {why}")
