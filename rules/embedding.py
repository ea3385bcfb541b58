"""TEP601 embedding-input: what the winner reads: contextual, static or random-init vectors."""

from advisor.candidates import TRANSFORMERS
from advisor.hookspecs import hookimpl

DOCS = """Transformers read contextual embeddings (their own). Other models read frozen static vectors
(GloVe or fastText, 300-d) under {policy.static_embeddings_below:,} (policy.static_embeddings_below)
examples and random-init embeddings above, for tagging and classification alike. Kim (2014): static word2vec
vectors beat random init on every small set (e.g. MR 81.0 vs 76.1; TREC 92.8 vs 91.2); with tens of
thousands of examples embeddings trained on the task catch up and the pretrained vocabulary's gaps cost more
than they give. The n-gram linear model learns its sparse n-gram weights from scratch (fastText-style):
random init."""


@hookimpl
def register_rules(register):
    register(
        id="TEP601",
        name="embedding-input",
        severity="info",
        summary="Transformers: contextual; other models: static vectors under {policy.static_embeddings_below:,} examples, "
        "random init above.",
        docs=DOCS,
    )


@hookimpl
def describe_winner(ctx):
    arch, n, below = ctx.winner, ctx.profile.examples, ctx.policy.static_embeddings_below
    if arch in TRANSFORMERS:
        ctx.set_embedding("contextual", rule="TEP601", reason=f"{arch} reads its own contextual embeddings")
    elif arch == "ngram-linear":
        ctx.set_embedding(
            "random", rule="TEP601", reason="ngram-linear learns sparse n-gram weights from scratch"
        )
    elif n < below:
        vectors = (
            "GloVe/fastText 300-d"
            if ctx.profile.english
            else f"fastText cc.{ctx.profile.language.replace('_', '-').split('-')[0].lower()}.300"
        )
        ctx.set_embedding(
            "static", rule="TEP601", reason=f"{n} examples < {below}: frozen static vectors ({vectors})"
        )
    else:
        ctx.set_embedding(
            "random",
            rule="TEP601",
            reason=f"{n} examples >= {below}: random-init embeddings trained on the task",
        )
