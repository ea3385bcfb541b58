"""TEP601 embedding-input: what the winner reads: contextual, static or random-init vectors."""

from advisor.candidates import TRANSFORMERS
from advisor.hookspecs import hookimpl

DOCS = """Transformers read contextual embeddings (their own). Other models read frozen static vectors
under {policy.static_embeddings_below:,} (policy.static_embeddings_below) examples and random-init embeddings
above, for tagging and classification alike. Kim (2014): static word2vec vectors beat random init on every
small set (e.g. MR 81.0 vs 76.1; TREC 92.8 vs 91.2); with tens of thousands of examples embeddings trained on
the task catch up and the pretrained vocabulary's gaps cost more than they give. The n-gram linear model
learns its sparse n-gram weights from scratch (fastText-style): random init. `ngram-static-linear` always
reads static vectors (the mean of its words' vectors is half its input).

Which static vectors: for English, the model2vec vectors `advisor embeddings distill` makes offline from the
shipped all-MiniLM-L6-v2 (29,525 sub-word tokens x 256; `advisor baseline train` uses them by default where
this rule says static), or GloVe/fastText 300-d. Measured (edge study, shared/research/edge.md): TextCNN on
the only GloVe vectors at hand (a 5,050-word subset) never beat TF-IDF n-grams, while TextCNN over the
distilled vectors beat them on MR and SST-2 (e.g. SST-2 250: 68.3 vs 61.8) and the TF-IDF ⊕ mean-vector model
was the best small model in 9 of 10 (set, size) cells. For other languages: fastText cc.<lang>.300 (or
vectors distilled from a multilingual sentence transformer with `advisor embeddings distill --from DIR`)."""


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
    elif arch == "ngram-static-linear" or n < below:
        vectors = (
            "model2vec vectors distilled from all-MiniLM-L6-v2 by `advisor embeddings distill`, or GloVe/fastText "
            "300-d"
            if ctx.profile.english
            else f"fastText cc.{ctx.profile.language.replace('_', '-').split('-')[0].lower()}.300"
        )
        why = (
            "ngram-static-linear reads the mean of its words' static vectors"
            if arch == "ngram-static-linear"
            else f"{n} examples < {below}"
        )
        ctx.set_embedding("static", rule="TEP601", reason=f"{why}: frozen static vectors ({vectors})")
    else:
        ctx.set_embedding(
            "random",
            rule="TEP601",
            reason=f"{n} examples >= {below}: random-init embeddings trained on the task",
        )
