"""The advisor as tools for the ``llm`` library (its ``register_tools`` hook).

Installed with the ``llm`` extra, the distribution's ``[project.entry-points.llm]`` entry ``advisor``
points here, so ``llm`` users get the tools without configuration::

    llm --tool advisor_recommend "Which encoder for 300 labeled tweets on a phone, 5 ms budget?"
    llm tools list

Each tool takes and returns JSON text (what every model can produce and read). A bad argument raises
``ValueError`` with a one-line message, which ``llm`` hands back to the model as ``Error: ...``.
"""

from __future__ import annotations

import json
from typing import Any

import llm

from advisor.vocabulary import COMPUTES, DEPLOYS, TASKS


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _profile(profile_json: str):
    from pydantic import ValidationError

    from advisor.errors import validation_line
    from advisor.profile import ConstraintProfile

    try:
        return ConstraintProfile.model_validate(_object(profile_json, "profile_json"))
    except ValidationError as exc:
        raise ValueError(validation_line(exc, "profile_json", whole="profile")) from None


def _answer_or_error(fn):
    from advisor.errors import AdvisorError

    try:
        return fn()
    except AdvisorError as exc:
        raise ValueError(str(exc)) from None


def advisor_recommend(profile_json: str) -> str:
    """Recommend a text encoder for a team's constraints, from a deterministic policy engine.

    profile_json: a JSON object with the constraint profile. Only "examples" (labeled examples; tagging:
    labeled sentences) is required; optional: "task" ({tasks}), "classes", "tokens" (p95
    words), "latency_ms", "deploy" ({deploys}), "compute" ({computes}),
    "streaming" (bool), "max_model_mb", "language", "description".
    Returns the recommendation as JSON: architecture, embedding, recipe, monitoring, flags and refusals with
    rule ids, alternatives with why each lost.
    """
    from advisor.api import recommend

    profile = _profile(profile_json)
    return _answer_or_error(lambda: recommend(profile).model_dump_json(exclude={"trace"}))


def advisor_check(answer_json: str, profile_json: str) -> str:
    """Check an answer against the policy before giving it; a violation means the answer must change.

    answer_json: a JSON object {"architecture", "embedding", "recipe": {"optimizer", "learning_rate",
    "batch_size", "epochs", "regularization"}, "monitoring", "rationale"}.
    profile_json: the same constraint profile as for advisor_recommend.
    Returns JSON: {"ok": bool, "violations": [{"rule", "message", ...}], "engine_choice": {...}}.
    """
    from advisor.answers import CheckInputError, check

    answer = _object(answer_json, "answer_json")
    profile = _profile(profile_json)
    try:
        result = _answer_or_error(lambda: check(answer, profile))
    except CheckInputError as exc:
        raise ValueError(str(exc)) from None
    rec = result.recommendation
    return json.dumps(
        {
            "ok": result.ok,
            "violations": [v.model_dump(exclude_none=True) for v in result.violations],
            "notes": [f.model_dump() for f in result.notes],
            "engine_choice": {
                "architecture": rec.architecture,
                "embedding": rec.embedding,
                "recipe": rec.recipe.model_dump(),
                "monitoring": rec.monitoring,
            },
        }
    )


def advisor_explain_rule(rule_id: str) -> str:
    """The full documentation of one policy rule, by id or name (e.g. TEP101, edge-architecture-first): what it
    does, why, and its sources, with the shipped policy's values (the policy these tools use)."""
    from advisor.engine import default_engine

    engine = _answer_or_error(default_engine)
    return json.dumps(_answer_or_error(lambda: engine.rule(rule_id)).rendered().as_dict())


advisor_recommend.__doc__ = advisor_recommend.__doc__.format(  # the vocabularies, spelled once
    tasks="|".join(TASKS), deploys="|".join(DEPLOYS), computes="|".join(COMPUTES)
)


@llm.hookimpl
def register_tools(register):
    register(advisor_recommend)
    register(advisor_check)
    register(advisor_explain_rule)
