"""advisor mcp: the MCP server, started as a subprocess and driven by the SDK's own stdio client."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("mcp")
anyio = pytest.importorskip("anyio")

from mcp import Client, StdioServerParameters  # noqa: E402

from advisor.agents.mcp_server import tool_result_json  # noqa: E402
from advisor.engine import Engine  # noqa: E402

TOOLS = {"recommend", "check", "list_rules", "explain_rule", "render_prompt"}
PHONE = {"examples": 300, "deploy": "phone", "latency_ms": 5}
FINETUNE = {
    "architecture": "transformer-finetune",
    "embedding": "contextual",
    "recipe": {
        "optimizer": "AdamW",
        "learning_rate": "2e-5",
        "batch_size": "16",
        "epochs": "3",
        "regularization": "wd 0.01",
    },
    "monitoring": "training loss",
}


def server_params(tmp_path) -> StdioServerParameters:
    # cwd: a folder without a pyproject.toml, so no [tool.advisor] table changes the policy.
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "advisor", "mcp"],
        env={"ADVISOR_NO_ENTRY_POINTS": "1"},
        cwd=str(tmp_path),
    )


def session(tmp_path, steps):
    """Run ``steps(client)`` against a fresh server subprocess and return what it returns."""

    async def main():
        with anyio.fail_after(60):
            async with Client(server_params(tmp_path)) as client:
                return await steps(client)

    return anyio.run(main)


def test_list_tools_and_resources(tmp_path):
    async def steps(client):
        return await client.list_tools(), await client.list_resources(), client.server_info

    tools, resources, info = session(tmp_path, steps)
    assert {t.name for t in tools.tools} == TOOLS
    recommend = next(t for t in tools.tools if t.name == "recommend")
    profile_schema = recommend.input_schema["properties"]["profile"]
    assert profile_schema["required"] == ["examples"]
    assert "phone" in profile_schema["properties"]["deploy"]["enum"]
    assert {str(r.uri) for r in resources.resources} == {
        f"advisor://schema/{n}" for n in ("profile", "recommendation", "answer", "evidence", "measurements")
    }
    assert info.name == "text-encoder-advisor"


def test_recommend_for_a_phone_and_check_a_violating_answer(tmp_path):
    async def steps(client):
        rec = await client.call_tool("recommend", {"profile": PHONE})
        verdict = await client.call_tool("check", {"answer": FINETUNE, "profile": {"examples": 300}})
        reply = await client.call_tool(
            "check", {"answer": "```json\n" + json.dumps(FINETUNE) + "\n```", "profile": PHONE}
        )
        return rec, verdict, reply

    rec, verdict, reply = session(tmp_path, steps)
    assert not rec.is_error
    doc = tool_result_json(rec)
    assert doc["architecture"] not in ("frozen-transformer", "transformer-finetune")
    assert doc["architecture"] == "ngram-static-linear"
    assert "TEP201" in [f["rule"] for f in doc["flags"]]
    assert (
        json.loads(rec.content[0].text)["architecture"] == "ngram-static-linear"
    )  # the text block carries the same JSON

    assert not verdict.is_error  # a violation is a result, not an error
    v = tool_result_json(verdict)
    assert v["ok"] is False
    assert [x["rule"] for x in v["violations"]] == ["TEP101"]
    assert v["recommendation"]["architecture"] == "frozen-transformer"

    r = tool_result_json(
        reply
    )  # a reply text holding the answer is parsed; on a phone the transformer is excluded
    assert [x["rule"] for x in r["violations"]] == ["TEP201", "TEP202"]


def test_rules_prompt_and_schema_resources(tmp_path):
    async def steps(client):
        rules = await client.call_tool("list_rules", {})
        explained = await client.call_tool("explain_rule", {"rule_id": "tep101"})
        prompt = await client.call_tool(
            "render_prompt", {"profile": {"examples": 300, "description": "{{ 7*7 }}"}}
        )
        generic = await client.call_tool("render_prompt", {})
        schema = await client.read_resource("advisor://schema/answer")
        return rules, explained, prompt, generic, schema

    rules, explained, prompt, generic, schema = session(tmp_path, steps)
    ids = [r["id"] for r in tool_result_json(rules)["rules"]]
    assert {"TEP101", "TEP201", "TEP301"} <= set(ids) and ids == sorted(ids)
    assert tool_result_json(rules)["policy"]["finetune_min_examples"] == 500
    assert tool_result_json(explained)["name"] == "finetune-needs-plateau"
    # the one rule lookup, with the docs showing the policy in force (the server's: the shipped one here)
    assert tool_result_json(explained) == Engine(entry_points=False).rule("TEP101").rendered().as_dict()
    assert "than 500 (policy.finetune_min_examples)" in tool_result_json(explained)["docs"]
    text = prompt.content[0].text
    assert '<user-data name="description">\n{{ 7*7 }}\n</user-data>' in text and "49" not in text
    assert "## Hard constraints from the policy engine" in text
    assert "## Hard constraints" not in generic.content[0].text
    assert json.loads(schema.contents[0].text)["title"] == "AgentAnswer"


BAD_INPUT = [
    (
        "recommend",
        {"profile": {"examples": 0}},
        "Error executing tool recommend: profile: examples: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        "recommend",
        {"profile": {"exampels": 300}},
        "Error executing tool recommend: profile: unknown key 'exampels' (did you mean 'examples'?)",
    ),
    (
        "recommend",
        {"profile": {"examples": 300, "deploy": "moon"}},
        "Error executing tool recommend: profile: deploy: Input should be 'phone', 'edge', 'browser', 'cpu-server' "
        "or 'gpu-server' (got 'moon')",
    ),
    ("recommend", {"profile": 300}, "Error executing tool recommend: profile must be an object, got int"),
    # strict: an agent's "300", true and 300.0 are no integer, "yes" is no boolean
    (
        "recommend",
        {"profile": {"examples": "300"}},
        "Error executing tool recommend: profile: examples: Input should be a valid integer (got '300')",
    ),
    (
        "recommend",
        {"profile": {"examples": True}},
        "Error executing tool recommend: profile: examples: Input should be a valid integer (got True)",
    ),
    (
        "recommend",
        {"profile": {"examples": 300.0}},
        "Error executing tool recommend: profile: examples: Input should be a valid integer (got 300.0)",
    ),
    (
        "check",
        {"answer": "{}", "profile": {"examples": 300, "streaming": "yes"}},
        "Error executing tool check: profile: streaming: Input should be a valid boolean (got 'yes')",
    ),
    (
        "recommend",
        {"profile": {"examples": 300, "latency_ms": 0.01}},
        "Error executing tool recommend: no candidate meets the constraints:",
    ),
    (
        "check",
        {"answer": "I'd fine-tune.", "profile": {"examples": 300}},
        "Error executing tool check: answer holds no JSON object (expected bare JSON or a ```json code block)",
    ),
    (
        "check",
        {"answer": "[1]", "profile": {"examples": 300}},
        "Error executing tool check: answer must be a JSON object, got an array",
    ),
    (
        "check",
        {"answer": 7, "profile": {"examples": 300}},
        "Error executing tool check: answer must be a JSON object, got a number",
    ),
    (
        "explain_rule",
        {"rule_id": "TEP10"},
        "Error executing tool explain_rule: unknown rule 'TEP10'; closest: TEP102, TEP101, TEP100",
    ),
    ("no_such_tool", {}, "Unknown tool: no_such_tool"),
]


def test_bad_input_is_a_tool_error_not_a_crash(tmp_path):
    async def steps(client):
        results = [await client.call_tool(tool, arguments) for tool, arguments, _ in BAD_INPUT]
        after = await client.call_tool("recommend", {"profile": {"examples": 300}})  # the server is still up
        return results, after

    results, after = session(tmp_path, steps)
    for (tool, arguments, message), result in zip(BAD_INPUT, results, strict=True):
        text = result.content[0].text
        assert result.is_error, (tool, arguments)
        assert text.startswith(message), (tool, arguments, text)
        assert "Traceback" not in text and "validation error" not in text
    assert not after.is_error


def test_mcp_missing_is_a_clear_error(monkeypatch):
    from click.testing import CliRunner

    from advisor.agents.mcp_server import MCP_MISSING
    from advisor.cli import cli

    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)
    r = CliRunner().invoke(cli, ["mcp"])
    assert r.exit_code == 1
    assert r.stderr == f"Error: {MCP_MISSING}\n"
