"""advisor ask: prompt an LLM through the llm library, then check its answer. Offline: the models are
canned ones registered by a test plugin through llm's own ``register_models`` hook."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

llm = pytest.importorskip("llm")

from advisor.agents.ask import LLM_MISSING, AskError, ask  # noqa: E402
from advisor.cli import cli  # noqa: E402

RECIPE = {
    "optimizer": "L-BFGS logistic regression on frozen mean-pooled sentence embeddings",
    "learning_rate": "none (convex); C from {0.1, 1, 10, 100} on dev",
    "batch_size": "encode in batches of 64",
    "epochs": "one encoding pass; the head trains to convergence",
    "regularization": "L2 via C; the encoder stays frozen",
}
COMPLIANT = {
    "architecture": "frozen-transformer",
    "embedding": "contextual",
    "recipe": RECIPE,
    "monitoring": "dev accuracy per length bucket",
    "rationale": "300 examples is under the fine-tuning threshold; frozen features are the safe default.",
}
FINETUNE = {
    "architecture": "transformer-finetune",
    "embedding": "contextual",
    "recipe": {
        "optimizer": "AdamW",
        "learning_rate": "2e-5",
        "batch_size": "16",
        "epochs": "3",
        "regularization": "weight decay 0.01",
    },
    "monitoring": "training loss",
    "rationale": "Fine-tuning gives the best accuracy.",
}
PROFILE = ["--examples", "300"]


class CannedModel(llm.Model):
    """Replies with one fixed text and records the prompts it was sent."""

    can_stream = False

    def __init__(self, model_id: str, reply: str):
        self.model_id = model_id
        self.reply = reply
        self.prompts: list[str] = []

    def execute(self, prompt, stream, response, conversation):
        self.prompts.append(prompt.prompt)
        yield self.reply


class BrokenModel(CannedModel):
    def execute(self, prompt, stream, response, conversation):
        raise ConnectionError("the service is unreachable")


class CannedModels:
    """A test plugin for llm: four deterministic models."""

    def __init__(self):
        self.models = {
            m.model_id: m
            for m in (
                CannedModel(
                    "advisor-test-compliant", "```json\n" + json.dumps(COMPLIANT, indent=2) + "\n```"
                ),
                CannedModel("advisor-test-finetune", json.dumps(FINETUNE)),
                CannedModel("advisor-test-prose", "I would fine-tune a transformer; it is the best."),
                BrokenModel("advisor-test-broken", ""),
            )
        }

    @llm.hookimpl
    def register_models(self, register):
        for model in self.models.values():
            register(model)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-user"))  # llm never touches the real config dir
    for key in ("OPENAI_API_KEY", "LLM_OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def canned():
    plugin = CannedModels()
    llm.plugins.pm.register(plugin, name="advisor-test-models")
    yield plugin.models
    llm.plugins.pm.unregister(plugin)


def run(args):
    return CliRunner().invoke(cli, args)


def test_compliant_model_passes(canned):
    r = run(["ask", *PROFILE, "--model", "advisor-test-compliant"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("model: advisor-test-compliant\n")
    assert "verdict: OK: the answer respects every rule in force" in r.stdout


def test_prompt_carries_the_engines_verdicts(canned):
    run(["ask", *PROFILE, "--model", "advisor-test-compliant"])
    (sent,) = canned["advisor-test-compliant"].prompts
    assert "## Hard constraints from the policy engine" in sent
    assert "do not recommend `transformer-finetune` (refused): TEP101" in sent
    assert "- labeled examples: 300" in sent


def test_finetuning_model_is_flagged_with_tep101_and_the_engines_choice(canned):
    r = run(["ask", *PROFILE, "--model", "advisor-test-finetune"])
    assert r.exit_code == 1
    out = r.stdout
    assert "verdict: VIOLATES THE POLICY (1 violation)" in out
    assert "[TEP101] transformer-finetune is refused: 300 labeled examples < 500" in out
    assert "architecture          transformer-finetune" in out and "frozen-transformer <>" in out
    assert "use the engine's recommendation instead: frozen-transformer with contextual input" in out


def test_json_output(canned):
    r = run(["ask", *PROFILE, "--model", "advisor-test-finetune", "--json"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["model"] == "advisor-test-finetune"
    assert json.loads(doc["reply"]) == FINETUNE
    assert doc["ok"] is False and [v["rule"] for v in doc["violations"]] == ["TEP101"]
    assert doc["recommendation"]["architecture"] == "frozen-transformer"


def test_default_model_comes_from_llm(canned):
    llm.set_default_model("advisor-test-compliant")  # written under LLM_USER_PATH (a tmp dir)
    r = run(["ask", *PROFILE])
    assert r.exit_code == 0, r.output
    assert "model: advisor-test-compliant" in r.stdout


def test_python_api(canned):
    result = ask({"examples": 300, "deploy": "phone"}, model="advisor-test-compliant")
    assert result.model == "advisor-test-compliant"
    assert [v.rule for v in result.check.violations] == ["TEP201"]  # a transformer is excluded on a phone
    assert "<user-data" not in result.prompt  # no description: no data block


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--model", "advisor-test-prose"],
            1,
            "Error: model advisor-test-prose gave no usable answer: answer holds no JSON object "
            "(expected bare JSON or a ```json code block)\n",
        ),
        (
            ["--model", "advisor-test-broken"],
            1,
            "Error: model advisor-test-broken failed: ConnectionError: the service is unreachable\n",
        ),
        (
            ["--model", "no-such-model"],
            2,
            "Error: unknown model 'no-such-model' (Unknown model: no-such-model); `llm models` lists the installed ones\n",
        ),
    ],
    ids=["prose-reply", "model-fails", "unknown-model"],
)
def test_errors_are_one_line(canned, args, code, message):
    r = run(["ask", *PROFILE, *args])
    assert r.exit_code == code
    assert r.stderr.endswith(message)
    assert "Traceback" not in r.output


def test_prose_reply_is_shown_on_stderr(canned):
    r = run(["ask", *PROFILE, "--model", "advisor-test-prose"])
    assert r.stderr.startswith("the model's reply:\nI would fine-tune a transformer")


def test_model_needing_a_key_says_so():
    # llm's default model (OpenAI) needs a key; none is set here, and nothing reaches the network.
    r = run(["ask", *PROFILE])
    assert r.exit_code == 1
    assert "No key found" in r.stderr


def test_without_llm_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "llm", None)  # import llm -> ImportError
    r = run(["ask", *PROFILE])
    assert r.exit_code == 1
    assert r.stderr == f"Error: {LLM_MISSING}\n"
    with pytest.raises(AskError, match=r"pip install 'text-encoder-advisor\[llm\]'"):
        ask({"examples": 300})
