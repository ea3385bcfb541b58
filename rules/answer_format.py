"""TEP009 answer-format: what an answer checked by `advisor check` must contain (no effect on recommend)."""

from advisor.hookspecs import hookimpl

FORMAT_RULE = "TEP009"

DOCS = """Applies to answers checked by `advisor check` (and `advisor ask`, the MCP `check` tool and
the llm tool): it never acts during `recommend`. An answer is one JSON object with `architecture` (one of
the candidate ids: `advisor rules` and the prompt list them), `embedding` (`random`, `static` or
`contextual`), `recipe` with five non-empty lines (`optimizer`, `learning_rate`, `batch_size`, `epochs`,
`regularization`), `monitoring` (one non-empty signal) and optionally `rationale`. The JSON schema is
`advisor schema answer`.

Violations reported under this rule: a missing field, an unknown architecture or embedding value, a
missing or empty recipe line, a missing monitoring signal, and choosing another allowed architecture
than the engine's without a `rationale` (the prompt allows a different choice only with a reason).

Why: an agent's answer is only useful if every part the policy asks for is there, named the way the
engine names it; a value the engine does not know cannot be checked against the policy, so it is a
violation rather than a pass. Policy violations proper (an excluded or refused architecture, the wrong
embedding input) carry the id of the rule that excludes, refuses or decides them (TEP101, TEP201,
TEP301, TEP601, ...)."""


@hookimpl
def register_rules(register):
    register(
        id=FORMAT_RULE,
        name="answer-format",
        severity="info",
        summary="An answer names a known architecture and embedding, five recipe lines and one monitoring signal.",
        docs=DOCS,
    )
