"""TEP801 sw-ratio: Google's samples / words-per-sample guidance, as a third-party advisor rule plugin.

Registered through the ``advisor`` entry-point group (see this package's pyproject.toml); the engine
loads it after the built-in rules and it uses the same hooks as they do.
"""

from advisor import hookimpl

RULE = "TEP801"
NGRAM_BELOW = 1_500  # S/W under this: an n-gram model (Google's guide, step 2.5)
PRETRAINED_BELOW = 15_000  # samples under this, with a sequence model: pretrained embeddings
POINTS = 5

DOCS = """Google's text classification guide (developers.google.com/machine-learning/guides/text-classification,
step 2.5, "Choose a model") measured 450K experiments and summarised them in one number: the ratio of the
number of samples (S) to the number of words per sample (W). When S/W < 1,500, an n-gram model (tf-idf
over 1-2 grams with a simple classifier) did as well or better than sequence models, at a fraction of
the cost; above 1,500, a sequence model (CNN/RNN) took the lead, and with fewer than 15,000 samples it
should read pretrained embeddings.

This rule adds +5 points to ngram-linear when S/W < 1,500 and ngram-linear is still available (a nudge:
the built-in pickers give their first choice 100 points and the runner-up 90), and records an info
entry in the trace otherwise. It applies to classification only (the guide is about classification).

S/W comes from the data when the profile was read with --data (profile.data.sw_ratio: examples / median
words per example). Without data it is estimated as examples / (tokens / 2), taking half the profile's
p95 length as a rough stand-in for the median; the reason in the trace says which was used."""


@hookimpl
def register_rules(register):
    register(
        id=RULE,
        name="sw-ratio",
        severity="prefer",
        summary="Google's S/W guidance: samples / words-per-sample < 1,500 favours the n-gram model (+5 points).",
        docs=DOCS,
    )


def sw_ratio(profile) -> tuple[float, str]:
    """(S/W, where it came from) for a profile."""
    if profile.data is not None and profile.data.sw_ratio is not None:
        return profile.data.sw_ratio, "measured on the data (examples / median words per example)"
    median = max(profile.tokens / 2, 1.0)
    return (
        profile.examples / median,
        f"estimated: examples / (tokens / 2) = {profile.examples} / {median:g}, no --data",
    )


@hookimpl
def rank_candidates(ctx):
    p = ctx.profile
    if p.task != "classification":
        ctx.info(rule=RULE, message="the S/W guidance is for classification; nothing to do for tagging")
        return
    ratio, source = sw_ratio(p)
    if ratio < NGRAM_BELOW:
        if "ngram-linear" in ctx.remaining():
            ctx.prefer(
                "ngram-linear",
                POINTS,
                rule=RULE,
                reason=f"S/W {ratio:,.0f} < {NGRAM_BELOW:,} ({source}): Google's guide favours an n-gram model",
            )
        else:
            ctx.info(
                rule=RULE,
                message=f"S/W {ratio:,.0f} < {NGRAM_BELOW:,} ({source}), but ngram-linear is not available",
            )
        return
    embeddings = (
        f"with pretrained embeddings ({p.examples:,} samples < {PRETRAINED_BELOW:,})"
        if p.examples < PRETRAINED_BELOW
        else "with embeddings learned from the data"
    )
    ctx.info(
        rule=RULE,
        message=f"S/W {ratio:,.0f} >= {NGRAM_BELOW:,} ({source}): the guide favours a sequence model {embeddings}",
    )
