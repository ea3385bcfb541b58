"""A third-party rule plugin: TEP900 flags every profile with its example count."""

from advisor import hookimpl


@hookimpl
def register_rules(register):
    register(
        id="TEP900",
        name="team-rule",
        severity="flag",
        summary="A team's own rule, installed through the advisor entry-point group.",
        docs="Test fixture for the entry-point plugin path.",
    )


@hookimpl
def exclude_candidates(ctx):
    ctx.flag(rule="TEP900", message=f"team rule saw {ctx.profile.examples} examples")
