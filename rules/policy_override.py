"""TEP100 policy-override: every threshold that differs from the shipped default is flagged."""

from advisor.hookspecs import hookimpl

DOCS = """A policy value that differs from the shipped default changes what the advisor recommends, so it is
never silent. Overrides come from a [tool.advisor] table in the user's pyproject.toml or from --policy FILE.
Each recommendation made under an override carries this flag, naming each changed value, its shipped
default and the value in force. See `advisor rules` for the values in force."""


@hookimpl
def register_rules(register):
    register(
        id="TEP100",
        name="policy-override",
        severity="flag",
        summary="Flags every policy threshold that differs from the shipped default.",
        docs=DOCS,
    )


@hookimpl
def exclude_candidates(ctx):
    for name, (default, value) in ctx.policy.overrides().items():
        ctx.flag(rule="TEP100", message=f"policy override: {name} = {value!r} (shipped default {default!r})")
