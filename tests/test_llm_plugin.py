"""The llm tool plugin: advisor functions registered through llm's ``register_tools`` hook."""

from __future__ import annotations

import json

import pytest

llm = pytest.importorskip("llm")

from advisor.agents import llm_plugin  # noqa: E402
from advisor.engine import Engine  # noqa: E402

TOOLS = ("advisor_recommend", "advisor_check", "advisor_explain_rule")
FINETUNE = {
    "architecture": "transformer-finetune",
    "embedding": "contextual",
    "recipe": {
        "optimizer": "AdamW",
        "learning_rate": "2e-5",
        "batch_size": "16",
        "epochs": "3",
        "regularization": "wd",
    },
    "monitoring": "training loss",
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-user"))


@pytest.fixture
def tools():
    """Register the plugin module with llm's plugin manager (unless its entry point already did) and list the tools."""
    llm.plugins.load_plugins()
    registered_here = not llm.plugins.pm.is_registered(llm_plugin)
    if registered_here:
        llm.plugins.pm.register(llm_plugin, name="advisor")
    yield llm.get_tools()
    if registered_here:
        llm.plugins.pm.unregister(llm_plugin)


def test_tools_are_listed_by_llm(tools):
    for name in TOOLS:
        tool = tools[name]
        assert tool.plugin == "advisor"
        assert tool.description and tool.implementation is getattr(llm_plugin, name)
    assert set(tools["advisor_check"].input_schema["properties"]) == {"answer_json", "profile_json"}
    assert tools["advisor_recommend"].input_schema["required"] == ["profile_json"]


def test_recommend_returns_json(tools):
    out = tools["advisor_recommend"].implementation(
        json.dumps({"examples": 300, "deploy": "phone", "latency_ms": 5})
    )
    doc = json.loads(out)
    assert doc["architecture"] == "ngram-static-linear"
    assert [f["rule"] for f in doc["flags"]] == ["TEP201"]


def test_check_returns_violations_and_the_engines_choice(tools):
    out = tools["advisor_check"].implementation(json.dumps(FINETUNE), json.dumps({"examples": 300}))
    doc = json.loads(out)
    assert doc["ok"] is False
    assert [v["rule"] for v in doc["violations"]] == ["TEP101"]
    assert doc["engine_choice"]["architecture"] == "frozen-transformer"


@pytest.mark.parametrize("given", ["tep201", "TEP201", "edge-architecture-first"])
def test_explain_rule_by_id_or_name(tools, given):
    doc = json.loads(tools["advisor_explain_rule"].implementation(given))
    assert doc == Engine(entry_points=False).rule("TEP201").rendered().as_dict()
    assert doc["name"] == "edge-architecture-first" and doc["plugin"] == "advisor.rules.edge"


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("advisor_recommend", ["{examples: 3}"], "profile_json is not valid JSON: Expecting property name"),
        ("advisor_recommend", ["[3]"], "profile_json must be a JSON object, got list"),
        (
            "advisor_recommend",
            ['{"examples": 0}'],
            "profile_json: examples: Input should be greater than or equal to 1",
        ),
        (
            "advisor_recommend",
            ['{"examples": "300"}'],
            "profile_json: examples: Input should be a valid integer (got '300')",
        ),
        (
            "advisor_recommend",
            ['{"examples": 300, "latency_ms": true}'],
            "profile_json: latency_ms: Input should be a valid number (got True)",
        ),
        (
            "advisor_check",
            ['{"architecture": "textcnn"}', '{"examples": 300.0}'],
            "profile_json: examples: Input should be a valid integer (got 300.0)",
        ),
        ("advisor_check", ['"textcnn"', '{"examples": 3}'], "answer_json must be a JSON object, got str"),
        ("advisor_explain_rule", ["TEP999"], "unknown rule 'TEP999'; closest: TEP009"),
    ],
)
def test_bad_arguments_raise_one_line_value_errors(tools, tool, args, message):
    with pytest.raises(ValueError) as info:
        tools[tool].implementation(*args)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_llm_hands_tool_errors_back_to_the_model(tools):
    # Through llm's own tool-call machinery: an exception becomes "Error: ..." output for the model.
    text = _ToolCallingModel().chain("which encoder?", tools=[tools["advisor_recommend"]]).text()
    assert text.startswith("done: Error: profile_json: examples: Input should be greater than or equal to 1")


class _ToolCallingModel(llm.Model):
    """Calls advisor_recommend once with a bad profile, then answers with the tool's output."""

    model_id = "advisor-test-tool-caller"
    supports_tools = True

    def execute(self, prompt, stream, response, conversation):
        if prompt.tool_results:
            yield "done: " + prompt.tool_results[0].output
            return
        response.add_tool_call(
            llm.ToolCall(name="advisor_recommend", arguments={"profile_json": '{"examples": 0}'})
        )
        yield ""
