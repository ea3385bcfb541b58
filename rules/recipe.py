"""TEP602 training-recipe: five lines (optimizer, learning rate, batch size, epochs, regularization).

The lines are rendered from the recipe table (:mod:`advisor.recipes`), the same values ``advisor baseline
train`` trains with; so are the docs.
"""

from advisor import quote
from advisor.candidates import MULTILINGUAL, TRANSFORMERS
from advisor.hookspecs import hookimpl
from advisor.recipes import PAPERS, RECIPES, recipe_for

# The task each row's lines are shown for in the docs (the rows that serve both tasks read as classification).
_DOCS_TASK = {"bilstm-crf": "tagging", "frozen-transformer-tagging": "tagging"}


def _docs() -> str:
    rows = []
    for key, recipe in RECIPES.items():
        lines = recipe.lines(_DOCS_TASK.get(key, "classification"))
        rows.append(
            f"- {key}: "
            + "; ".join(f"{name.replace('_', ' ')} {line}" for name, line in lines.items())
            + f".\n  Source: {PAPERS[key]}"
        )
    return (
        "Five lines per architecture, rendered from the recipe table (advisor/recipes.py), the values `advisor "
        "baseline train` trains with. Where a paper and the trainer disagree, the trainer's measured default is "
        "the recipe and the paper's setting is named under Source; a range in the literature becomes one "
        "default here and the range there. For a non-English profile the transformer recipes name "
        f"{MULTILINGUAL} as the encoder (TEP502). When the winner's measured row is its distilled student "
        "(`advisor compare --teacher`, TEP404), the epochs line says it is distilled and from which teacher.\n"
        + "\n".join(rows)
    )


DOCS = _docs()


@hookimpl
def register_rules(register):
    register(
        id="TEP602",
        name="training-recipe",
        severity="info",
        summary="Five-line training recipe for the winner: optimizer, learning rate, batch size, epochs, regularization.",
        docs=DOCS,
    )


@hookimpl
def describe_winner(ctx):
    recipe = recipe_for(ctx.winner, ctx.profile.task)
    lines = recipe.lines(ctx.profile.task)
    if not ctx.profile.english and ctx.winner in TRANSFORMERS:
        lines["optimizer"] += f"; encoder: {MULTILINGUAL} (language {ctx.profile.language})"
    row = ctx.measurements.row(ctx.winner) if ctx.measurements.provided else None
    if row is not None and row.distilled:
        copies = f" and up to {row.augment} augmented copies of each" if row.augment else ""
        lines["epochs"] += (
            f"; distilled: on the logits of the {row.teacher_architecture} teacher {quote(row.teacher)} over "
            f"the training texts{copies} (TEP404)"
        )
    for field_name, value in lines.items():
        ctx.set_recipe(field_name, value, rule="TEP602", reason=f"{ctx.winner}: {recipe.source}")
