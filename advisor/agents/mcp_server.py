"""``advisor mcp``: the advisor as a Model Context Protocol server over stdio (official ``mcp`` SDK, 2.x).

Tools (each input error comes back as a tool error, ``isError: true`` with a one-line message, never a
crash of the server):

- ``recommend(profile)``: the Recommendation JSON (``advisor schema recommendation``) for a profile
  object with the profile's fields (``advisor schema profile``; only ``examples`` is required);
- ``check(answer, profile)``: the verdict on an agent's answer (an object as ``advisor schema answer``,
  or the reply text holding it): ``ok``, ``violations`` with rule ids, and the engine's recommendation;
- ``list_rules()``: every rule (id, name, severity, plugin, summary) and the policy in force;
- ``explain_rule(rule_id)``: a rule's full documentation;
- ``render_prompt(profile=None)``: the text-encoder-picker prompt, with the engine's verdicts when a
  profile is given.

Resources: the JSON schemas of the data contracts, ``advisor://schema/{profile,recommendation,answer,evidence}``.

The policy is read once at start (``--policy FILE``, else ``[tool.advisor]`` of the nearest pyproject.toml,
as the CLI does). Written against the installed SDK's ``mcp.server.mcpserver.MCPServer``; nothing is
written to stdout but the protocol (the SDK logs to stderr, at WARNING and above here).

No ``from __future__ import annotations`` here: the SDK reads the tool functions' annotations to build
their input schemas, and closures' annotations must be real objects for that.
"""

import inspect
import json
from typing import Annotated, Any

from pydantic import Field, ValidationError, WithJsonSchema

from advisor import __version__
from advisor.policy import Policy

SERVER_NAME = "text-encoder-advisor"
SCHEMA_URI = "advisor://schema/{name}"
MCP_MISSING = "advisor mcp needs the mcp SDK: pip install 'text-encoder-advisor[mcp]'"
INSTRUCTIONS = (
    "Picks a text encoder (architecture, embedding input, five-line recipe, one monitoring signal) under a "
    "team's constraints with a deterministic rules engine. Call `recommend` with a profile (only `examples` "
    "is required) for the engine's answer; call `check` on any answer you write yourself before giving it: "
    "a violation (rule id + reason) means the answer breaks the policy. `render_prompt` gives the full "
    "instructions with the engine's verdicts as hard constraints."
)


def _profile_schema() -> dict[str, Any]:
    """The profile's JSON schema, inlined for a tool argument (no $defs; ``data`` is filled by --data only)."""
    from advisor.profile import ConstraintProfile

    schema = ConstraintProfile.model_json_schema()
    schema.pop("$defs", None)
    schema["properties"].pop("data", None)
    schema["description"] = "The team's constraints; only `examples` is required. " + schema.get(
        "description", ""
    )
    return schema


def _answer_schema() -> dict[str, Any]:
    from advisor.answers import answer_schema

    return {
        "anyOf": [
            {**answer_schema(), "description": "The answer object (advisor schema answer)."},
            {
                "type": "string",
                "description": "An LLM reply holding the answer (bare JSON or a ```json block).",
            },
        ]
    }


def build_server(policy: Policy | None = None):
    """An ``MCPServer`` with the advisor's tools and schema resources (not started)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError

    from advisor.answers import CheckInputError, CheckResult
    from advisor.contracts import NAMES, render_schema
    from advisor.engine import default_engine
    from advisor.errors import AdvisorError, UnknownRuleError, did_you_mean, message_line, validation_line
    from advisor.profile import ConstraintProfile
    from advisor.recommendation import Recommendation

    policy = policy or Policy()
    # Typed Any with the real schema published: the tools validate themselves, so a bad value gets a
    # one-line message instead of the SDK's multi-line pydantic report.
    ProfileArg = Annotated[Any, WithJsonSchema(_profile_schema())]
    AnswerArg = Annotated[Any, WithJsonSchema(_answer_schema())]

    def profile_of(value: Any) -> ConstraintProfile:
        if not isinstance(value, dict):
            raise ToolError(f"profile must be an object, got {type(value).__name__}")
        valid = [k for k in ConstraintProfile.model_fields if k != "data"]
        for key in value:
            if key not in valid:
                hint = did_you_mean(key, valid, otherwise=f" (valid keys: {', '.join(valid)})")
                raise ToolError(f"profile: unknown key {key!r}{hint}")
        try:
            return ConstraintProfile.model_validate(value)
        except ValidationError as exc:
            raise ToolError(validation_line(exc, "profile", whole="profile")) from None

    def engine():
        try:
            return default_engine()
        except AdvisorError as exc:
            raise ToolError(str(exc)) from None

    def tool(name: str):
        """Register ``fn`` as tool ``name``, its docstring (dedented) as the description."""

        def decorator(fn):
            server.add_tool(fn, name=name, description=inspect.cleandoc(fn.__doc__ or ""))
            return fn

        return decorator

    class AdvisorServer(MCPServer):
        """The SDK's server, with every tool error one line: arguments that fail the SDK's own validation (a
        missing required argument) read ``Error executing tool X: arguments: profile: Field required``, not
        pydantic's multi-line report."""

        async def call_tool(self, name, arguments, context=None):
            try:
                return await super().call_tool(name, arguments, context)
            except UnexpectedToolError:
                raise
            except ToolError as exc:
                cause = exc.__cause__
                if isinstance(cause, ValidationError):
                    raise ToolError(
                        f"Error executing tool {name}: {validation_line(cause, 'arguments')}"
                    ) from cause
                raise ToolError(message_line(str(exc))) from cause

    server = AdvisorServer(
        name=SERVER_NAME,
        title="Text encoder advisor",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )

    @tool("recommend")
    def recommend_tool(profile: ProfileArg) -> Recommendation:
        """Recommend an encoder (architecture, embedding input, five-line recipe, monitoring signal) for a
        constraint profile. Returns the Recommendation JSON: architecture, embedding, recipe, monitoring,
        flags and refusals (each with its rule id), alternatives with why each lost, and the rule trace."""
        from advisor.api import recommend

        p = profile_of(profile)
        try:
            return recommend(p, policy=policy, engine=engine())
        except AdvisorError as exc:
            raise ToolError(str(exc)) from None

    @tool("check")
    def check_tool(answer: AnswerArg, profile: ProfileArg) -> CheckResult:
        """Check an answer (architecture, embedding, recipe, monitoring, rationale) against the policy for the
        profile. Returns ok, every violation with its rule id and reason (e.g. TEP101 fine-tuning under the
        example threshold, TEP201 a transformer on an edge target, TEP009 a format problem), and the
        engine's own recommendation. A violation is a result, not an error."""
        from advisor.answers import check

        p = profile_of(profile)
        try:
            return check(answer, p, policy=policy)
        except CheckInputError as exc:
            raise ToolError(str(exc)) from None
        except AdvisorError as exc:
            raise ToolError(str(exc)) from None

    @tool("list_rules")
    def list_rules_tool() -> dict[str, Any]:
        """List every rule of the policy (id, name, severity, plugin, one-line summary) and the thresholds in force."""
        rules = sorted(engine().rules.values(), key=lambda r: r.id)
        return {"rules": [r.rendered(policy).as_dict(docs=False) for r in rules], "policy": policy.as_dict()}

    @tool("explain_rule")
    def explain_rule_tool(
        rule_id: Annotated[str, Field(description="A rule id (e.g. TEP101) or name.")],
    ) -> dict[str, Any]:
        """A rule's full documentation (by id or name): what it does, its rationale and sources, with the
        policy values in force."""
        try:
            return engine().rule(rule_id).rendered(policy).as_dict()
        except UnknownRuleError as exc:
            raise ToolError(f"{exc} (list_rules lists them)") from None

    @tool("render_prompt")
    def render_prompt_tool(profile: ProfileArg | None = None) -> str:
        """The text-encoder-picker prompt (Markdown). With a profile, the profile (its description inside a
        delimited data block) and the engine's verdicts are included as hard constraints."""
        from advisor.api import recommend
        from advisor.render import render_prompt

        rec = None
        if profile is not None:
            try:
                rec = recommend(profile_of(profile), policy=policy, engine=engine())
            except AdvisorError as exc:
                raise ToolError(str(exc)) from None
        return render_prompt(rec)

    def schema_reader(name: str):
        def read() -> str:
            return render_schema(name)

        return read

    for name in NAMES:
        server.resource(
            SCHEMA_URI.format(name=name),
            name=f"{name}-schema",
            title=f"JSON schema: {name}",
            description=f"JSON schema of the {name} contract (advisor schema {name}).",
            mime_type="application/json",
        )(schema_reader(name))
    return server


def serve(policy: Policy | None = None) -> None:
    """Run the server over stdio until the client closes it."""
    build_server(policy).run("stdio")


def tool_result_json(result) -> Any:
    """The JSON a ``CallToolResult`` carries (structured content, else its first text block parsed)."""
    if getattr(result, "structured_content", None) is not None:
        return result.structured_content
    text = result.content[0].text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
