"""Agents' answers: reading them and checking them against the policy (``advisor check``, the guardrail).

The function users import is ``advisor.check`` (the package exports it lazily); the module is named
``answers`` so that the package attribute ``advisor.check`` is the function, never shadowed by a submodule.

An answer is the JSON object the prompt asks for (``advisor schema answer``)::

    {"architecture": "textcnn", "embedding": "static",
     "recipe": {"optimizer": "...", "learning_rate": "...", "batch_size": "...", "epochs": "...",
                "regularization": "..."},
     "monitoring": "...", "rationale": "..."}

:func:`check` runs the engine on the profile and reports every way the answer breaks the policy in
force, each with the rule id that says so:

- an architecture the engine excluded (the excluding rules: TEP001 task fit, TEP201 edge, TEP202/TEP203
  budgets, TEP301 streaming, or a plugin's rule) or refused (TEP101 fine-tuning under the threshold
  without accepted evidence);
- an embedding input other than the one the policy gives that architecture (TEP601, or whichever rule
  set it): the engine is asked what the policy gives the answer's architecture if it wins
  (``force_winner``, see :meth:`advisor.engine.Engine.evaluate`), so plugins count too;
- format problems (the ``answer-format`` rule, TEP009): an unknown architecture or embedding value, a
  missing or empty recipe line, a missing monitoring signal, or another allowed architecture than the
  engine's chosen without a ``rationale`` (the prompt allows that only with a reason).

A malformed answer (not JSON, not an object) raises :class:`CheckInputError` with a one-line message.

The violations read the trace's structured fields (``kind``, ``architecture``), never its wording. The
format rule is looked up by its name (``FORMAT_RULE_NAME``) in the engine, like any rule: this module
imports no rule module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.contracts import StrictModel
from advisor.errors import did_you_mean, error_line
from advisor.policy import Policy
from advisor.profile import ConstraintProfile
from advisor.recommendation import Flag, Recipe, Recommendation
from advisor.vocabulary import CANDIDATES, EMBEDDINGS, RECIPE_FIELDS, Architecture, Embedding

if TYPE_CHECKING:
    from advisor.engine import Engine

FORMAT_RULE_NAME = "answer-format"  # the rule format violations are reported under (TEP009)


class AnswerRecipe(Recipe):
    """Five lines: how to train the architecture (each a non-empty string)."""

    model_config = ConfigDict(strict=True, str_min_length=1)


class AgentAnswer(StrictModel):
    """The JSON object the prompt asks an agent for (what advisor check reads)."""

    # (a one-line docstring: it is the schema's description) Strict, like every model that reads an agent's
    # input: each value has its exact type and no other key is allowed. check() reports what breaks this shape
    # as TEP009 violations: an answer, not an error.

    architecture: Architecture = Field(description="The candidate id to build.")
    embedding: Embedding = Field(description="The embedding input.")
    recipe: AnswerRecipe = Field(description="Five-line training recipe.")
    monitoring: str = Field(min_length=1, description="The one monitoring signal.")
    rationale: str | None = Field(
        default=None,
        description="Why, when the architecture is another allowed one than the engine's choice.",
    )


def answer_schema() -> dict:
    """The JSON schema of :class:`AgentAnswer`, the recipe inlined (it stands alone inside a tool's input schema)."""
    schema = AgentAnswer.model_json_schema()
    defs = schema.pop("$defs")
    schema["properties"]["recipe"] = {**defs["AnswerRecipe"], **schema["properties"]["recipe"]}
    del schema["properties"]["recipe"]["$ref"]
    return schema


class CheckInputError(ValueError):
    """The answer cannot be read at all (not JSON, not an object): the message is one line."""


class Violation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(description="Id of the rule the answer breaks (TEP009 for format problems).")
    message: str = Field(description="One line: what is wrong and why.")
    field: str | None = Field(default=None, description="The answer field at fault (e.g. recipe.epochs).")
    unlock: str | None = Field(default=None, description="For a refusal: the command that would lift it.")


class CheckResult(BaseModel):
    """The verdict on one answer, with the engine's own recommendation for the same profile."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(default=1, description="Version of this JSON contract.")
    ok: bool = Field(description="True when there is no violation.")
    violations: list[Violation] = Field(default_factory=list, description="Every violation, in field order.")
    notes: list[Flag] = Field(
        default_factory=list,
        description="Flags the policy raises for the answer's own architecture (things to know, not violations).",
    )
    answer: dict[str, Any] = Field(description="The answer as read.")
    recommendation: Recommendation = Field(description="The engine's own recommendation for the profile.")


# -- reading an answer ---------------------------------------------------------------------------
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


def _json_error(exc: json.JSONDecodeError, where: str) -> str:
    return f"answer is not valid JSON{where}: {exc.msg} at line {exc.lineno}, column {exc.colno}"


def _require_object(value: object) -> dict:
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number"
        )
        raise CheckInputError(f"answer must be a JSON object, got {kind}")
    return value


def parse_answer(text: str) -> dict:
    """The answer object in an LLM reply: bare JSON, the first fenced code block, or the first ``{...}``.

    :raises CheckInputError: no JSON object can be read (one-line message with line and column).
    """
    if not isinstance(text, str):
        raise CheckInputError(f"answer must be text, got {type(text).__name__}")
    from advisor.data.files import parse_limits

    with parse_limits("answer", CheckInputError):
        return _parse_answer(text)


def _parse_answer(text: str) -> dict:
    text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if not stripped:
        raise CheckInputError("answer is empty")
    try:
        return _require_object(json.loads(text))  # positions in errors refer to the text as given
    except json.JSONDecodeError as exc:
        bare_error = exc
    fence = _FENCE.search(stripped)
    if fence is not None:
        try:
            return _require_object(json.loads(fence.group(1)))
        except json.JSONDecodeError as exc:
            raise CheckInputError(_json_error(exc, " inside the ``` code block")) from None
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", stripped):
        with suppress(json.JSONDecodeError):
            value, _ = decoder.raw_decode(stripped, match.start())
            if isinstance(value, dict):
                return value
    if stripped[0] in '[{"' or stripped[0].isdigit():
        raise CheckInputError(_json_error(bare_error, ""))
    raise CheckInputError("answer holds no JSON object (expected bare JSON or a ```json code block)")


def read_answer(source: str | Path) -> dict:
    """Read and parse an answer file (``-`` reads stdin)."""
    import sys

    from advisor.data.files import read_capped, read_text_file

    if str(source) == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream (tests, embedders)
            return parse_answer(sys.stdin.read())
        raw = read_capped(stdin, "stdin", "answer", CheckInputError)
        return parse_answer(raw.decode("utf-8", errors="replace"))

    text = read_text_file(source, "answer", CheckInputError)
    try:
        return parse_answer(text)
    except CheckInputError as exc:
        raise CheckInputError(f"{source}: {exc}") from None


# -- the check -----------------------------------------------------------------------------------
def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _closest(value: str, valid) -> str:
    return did_you_mean(value.strip().lower().replace("_", "-").replace(" ", "-"), valid)


def _format_violations(answer: Mapping[str, Any], format_rule: str) -> list[Violation]:
    """TEP009 violations: the missing and unknown values in words, then whatever else breaks :class:`AgentAnswer`
    (a value of the wrong type, an unknown key), one line each."""
    out: list[Violation] = []

    def bad(field: str, message: str) -> None:
        out.append(Violation(rule=format_rule, field=field, message=message))

    def missing(value: object) -> bool:  # absent, null or blank (a value of another type: the model says so)
        return value is None or (isinstance(value, str) and not value.strip())

    arch = answer.get("architecture")
    if missing(arch):
        bad("architecture", "architecture is missing: name one of " + ", ".join(CANDIDATES))
    elif isinstance(arch, str) and arch not in CANDIDATES:
        bad(
            "architecture",
            f"unknown architecture {arch!r}{_closest(str(arch), CANDIDATES)}; known: {', '.join(CANDIDATES)}",
        )
    emb = answer.get("embedding")
    if missing(emb):
        bad("embedding", "embedding is missing: name one of " + ", ".join(EMBEDDINGS))
    elif isinstance(emb, str) and emb not in EMBEDDINGS:
        bad(
            "embedding",
            f"unknown embedding {emb!r}{_closest(str(emb), EMBEDDINGS)}; known: {', '.join(EMBEDDINGS)}",
        )
    recipe = answer.get("recipe")
    if recipe is None:
        bad("recipe", "recipe is missing: give five lines (" + ", ".join(RECIPE_FIELDS) + ")")
    elif isinstance(recipe, Mapping):
        for name in RECIPE_FIELDS:
            if missing(recipe.get(name)):
                bad(f"recipe.{name}", f"recipe line {name!r} is missing or empty")
    if missing(answer.get("monitoring")):
        bad("monitoring", "monitoring signal is missing: name the one signal to watch")
    try:
        AgentAnswer.model_validate(dict(answer))
    except ValidationError as exc:
        said = {v.field for v in out}
        for err in exc.errors(include_url=False):
            field = ".".join(str(p) for p in err["loc"])
            if field in said or field.split(".")[0] in said:
                continue  # already said in words above
            if err["type"] == "extra_forbidden":
                *parent, key = (str(p) for p in err["loc"])
                known = AnswerRecipe.model_fields if parent == ["recipe"] else AgentAnswer.model_fields
                hint = did_you_mean(key, known, otherwise=f" (known: {', '.join(known)})")
                bad(field, f"unknown key {field!r}{hint}")
            else:
                bad(field, error_line(err))
    return out


def _known(value: object, valid) -> bool:
    return isinstance(value, str) and value in valid


def check(
    answer: Mapping[str, Any] | str,
    profile: ConstraintProfile | Mapping[str, Any],
    *,
    policy: Policy | None = None,
    evidence: str | Path | None = None,
    engine: Engine | None = None,
    measurements: str | Path | None = None,
) -> CheckResult:
    """Check an agent's answer against the policy for ``profile``.

    :param answer: the answer object, or a reply text to :func:`parse_answer`.
    :param profile: a :class:`ConstraintProfile` or a mapping of its fields.
    :param policy: thresholds in force (default: the shipped :class:`Policy`).
    :param evidence: a plateau evidence file, verified as ``recommend`` verifies it (accepted evidence
        lifts TEP101, and then fine-tuning is no violation).
    :param engine: the engine to ask (default: the process-wide one, with the installed plugins).
    :param measurements: an ``advisor compare`` measurements.json for the profile's data, as ``recommend`` reads
        it (a measured exclusion, TEP204, is a violation; TEP404's measured facts are notes).
    :returns: a :class:`CheckResult`; ``ok`` is False when there is any violation.
    :raises CheckInputError: the answer is not a JSON object.
    :raises pydantic.ValidationError: the profile mapping is invalid.
    :raises advisor.engine.AdvisorError: the engine cannot produce a recommendation (plugin failure,
        nothing meets the budgets).
    """
    from advisor.api import recommend
    from advisor.engine import default_engine

    if isinstance(answer, str):
        answer = parse_answer(answer)
    if not isinstance(answer, Mapping):
        _require_object(answer)
    if not isinstance(profile, ConstraintProfile):
        profile = ConstraintProfile.model_validate(profile)
    policy = policy or Policy()
    engine = engine or default_engine()
    format_rule = engine.rule(FORMAT_RULE_NAME).id
    rec = recommend(profile, policy=policy, evidence=evidence, engine=engine, measurements=measurements)
    violations = _format_violations(answer, format_rule)
    notes: list[Flag] = []
    arch = answer.get("architecture")
    if _known(arch, CANDIDATES):
        excluded = [t for t in rec.trace if t.kind == "exclude" and t.architecture == arch]
        refused = [r for r in rec.refusals if r.architecture == arch]
        for t in excluded:
            violations.append(
                Violation(rule=t.rule, field="architecture", message=f"{arch} is excluded: {t.reason}")
            )
        for r in refused:
            violations.append(
                Violation(
                    rule=r.rule,
                    field="architecture",
                    message=f"{arch} is refused: {r.message}",
                    unlock=r.unlock,
                )
            )
        if not excluded and not refused:
            chosen = (
                rec
                if arch == rec.architecture
                else recommend(
                    profile,
                    policy=policy,
                    evidence=evidence,
                    engine=engine,
                    force_winner=arch,
                    measurements=measurements,
                )
            )
            emb = answer.get("embedding")
            if _known(emb, EMBEDDINGS) and emb != chosen.embedding:
                # the last embedding effect set the value in force
                setter = next((t for t in reversed(chosen.trace) if t.kind == "embedding"), None)
                rule = setter.rule if setter is not None else format_rule
                why = f": {setter.reason}" if setter is not None else ""
                violations.append(
                    Violation(
                        rule=rule,
                        field="embedding",
                        message=f"{arch} takes {chosen.embedding!r} input under the policy, not {emb!r}{why}",
                    )
                )
            own = {(f.rule, f.message) for f in rec.flags}
            notes = [f for f in chosen.flags if (f.rule, f.message) not in own]
            if arch != rec.architecture and _text(answer.get("rationale")) is None:
                violations.append(
                    Violation(
                        rule=format_rule,
                        field="rationale",
                        message=f"{arch} differs from the engine's choice {rec.architecture} and the answer gives no "
                        "rationale (another allowed architecture needs a reason)",
                    )
                )
    order = {name: i for i, name in enumerate(AgentAnswer.model_fields)}  # the answer's own field order
    violations.sort(key=lambda v: order.get((v.field or "").split(".")[0], len(order)))
    return CheckResult(
        ok=not violations,
        violations=violations,
        notes=notes,
        answer=dict(answer),
        recommendation=rec,
    )


def render_check(result: CheckResult, *, source: str = "answer") -> str:
    """The verdict for people: the answer beside the engine's recommendation, then every violation.

    Every value is shown through :func:`advisor.sanitize.one_line`: nothing in the answer (a rationale holding
    ``\\x1b[8m`` or a line ``verdict: OK``) can hide or forge a line of the verdict.
    """
    from advisor.sanitize import one_line

    rec, answer = result.recommendation, result.answer
    source = one_line(source)
    recipe = answer.get("recipe") if isinstance(answer.get("recipe"), Mapping) else {}
    given = answer.get("recipe")
    if given is not None and not isinstance(given, Mapping):  # each recipe line shows the wrong type
        recipe = dict.fromkeys(RECIPE_FIELDS, given)
    rows = [
        ("architecture", answer.get("architecture"), rec.architecture),
        ("embedding", answer.get("embedding"), rec.embedding),
    ]
    rows += [(f"recipe {f.replace('_', ' ')}", recipe.get(f), getattr(rec.recipe, f)) for f in RECIPE_FIELDS]
    rows += [("monitoring", answer.get("monitoring"), rec.monitoring)]
    width = 44
    lines = [f"{'':<22}{source[:width]:<{width}}  engine's recommendation"]
    for name, mine, theirs in rows:
        if _text(mine) is not None:
            shown = one_line(mine)
        elif mine is None or isinstance(mine, str):
            shown = "(missing)"
        else:  # a value of another type: say so, not "missing"
            shown = one_line(f"(not text: {json.dumps(mine, default=str)})")
        if len(shown) > width:
            shown = shown[: width - 3] + "..."
        differs = " <>" if mine != theirs and name in ("architecture", "embedding") else ""
        lines.append(f"{name:<22}{shown:<{width}}  {one_line(theirs)}{differs}")
    if _text(answer.get("rationale")) is not None:
        lines.append(f"{'rationale':<22}{one_line(answer['rationale'])}")
    lines.append("")
    if result.ok:
        lines.append("verdict: OK: the answer respects every rule in force")
    else:
        n = len(result.violations)
        lines.append(
            f"verdict: VIOLATES THE POLICY ({n} violation{'s' * (n != 1)}): do not use this answer as it stands"
        )
        for v in result.violations:
            lines.append(f"  [{v.rule}] {one_line(v.message)}")
            if v.unlock:
                lines.append(f"      unlock: {one_line(v.unlock)}")
        lines.append(
            f"use the engine's recommendation instead: {rec.architecture} with {rec.embedding} input ({rec.description})"
        )
    for f in result.notes:
        lines.append(f"note [{f.rule} {f.name}] {one_line(f.message)}")
    return "\n".join(lines) + "\n"
