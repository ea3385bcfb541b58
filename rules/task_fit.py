"""TEP001 task-fit: candidates that cannot do the task at all are excluded."""

from advisor.candidates import CLASSIFY_ONLY, TAG_ONLY
from advisor.hookspecs import hookimpl

DOCS = """TextCNN, the n-gram linear model and SetFit (transformer-setfit: a sentence encoder and a head
over its one embedding per text) label whole texts: they have no per-token output, so they do not tag. The BiLSTM-CRF is a sequence tagger: for classifying whole texts, a pooled BiLSTM is the
comparable model. This rule removes the misfits before any other rule looks at the candidates."""


@hookimpl
def register_rules(register):
    register(
        id="TEP001",
        name="task-fit",
        severity="exclude",
        summary="Excludes candidates that cannot do the task (text classifiers for tagging, CRF taggers for classification).",
        docs=DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    if ctx.profile.task == "tagging":
        for arch in sorted(CLASSIFY_ONLY):
            ctx.exclude(arch, rule="TEP001", reason=f"{arch} labels whole texts and has no per-token output")
    else:
        for arch in sorted(TAG_ONLY):
            ctx.exclude(
                arch,
                rule="TEP001",
                reason=f"{arch} is a sequence tagger; classification uses a pooled bilstm",
            )
