"""advisor check: every policy violation with its rule id; malformed answers are one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor import hookimpl
from advisor.answers import CheckInputError, check, parse_answer, render_check
from advisor.cli import cli
from advisor.engine import DEFAULT_PLUGINS, Engine
from advisor.policy import Policy

RECIPE = {
    "optimizer": "Adam",
    "learning_rate": "1e-3",
    "batch_size": "50",
    "epochs": "up to 30, early stopping",
    "regularization": "dropout 0.5",
}
MONITOR = "dev accuracy per length bucket"


def answer(architecture: str, embedding: str, **extra) -> dict:
    return {
        "architecture": architecture,
        "embedding": embedding,
        "recipe": dict(RECIPE),
        "monitoring": MONITOR,
        **extra,
    }


def rules_of(result) -> list[str]:
    return [v.rule for v in result.violations]


# -- the policy: (profile, answer, expected violation rule ids) -----------------------------------------
CASES = [
    pytest.param(
        {"examples": 300}, answer("frozen-transformer", "contextual"), [], id="engine-choice-is-clean"
    ),
    pytest.param(
        {"examples": 300},
        answer("transformer-finetune", "contextual"),
        ["TEP101"],
        id="finetune-under-threshold",
    ),
    pytest.param(
        {"examples": 300, "task": "tagging"},
        answer("transformer-finetune", "contextual"),
        ["TEP101"],
        id="tagging-finetune-under-threshold",
    ),
    pytest.param(
        {"examples": 1200}, answer("transformer-finetune", "contextual"), [], id="finetune-over-threshold"
    ),
    pytest.param(  # 800 < policy setfit_below: SetFit is the engine's choice, plain fine-tuning another allowed one
        {"examples": 800}, answer("transformer-setfit", "contextual"), [], id="setfit-over-threshold"
    ),
    pytest.param(
        {"examples": 300, "deploy": "phone", "latency_ms": 5},
        answer("frozen-transformer", "contextual"),
        ["TEP201", "TEP202"],
        id="transformer-on-phone",
    ),
    pytest.param(
        {"examples": 300, "deploy": "phone"},
        answer("transformer-finetune", "contextual"),
        ["TEP201"],
        id="finetune-on-phone-excluded-not-refused",
    ),
    pytest.param(
        {"examples": 300, "streaming": True},
        answer("bilstm", "static", rationale="r"),
        ["TEP301"],
        id="bidirectional-for-streaming",
    ),
    pytest.param(
        {"examples": 300, "max_model_mb": 30},
        answer("frozen-transformer", "contextual"),
        ["TEP203"],
        id="size-budget",
    ),
    pytest.param(
        {"examples": 300},
        answer("textcnn", "static", rationale="deploy on CPU later"),
        [],
        id="allowed-alternative-with-rationale",
    ),
    pytest.param(
        {"examples": 300}, answer("textcnn", "static"), ["TEP009"], id="alternative-without-rationale"
    ),
    pytest.param(
        {"examples": 300, "deploy": "phone", "latency_ms": 5},
        answer("ngram-static-linear", "random"),
        ["TEP601"],
        id="wrong-embedding-for-winner",
    ),
    pytest.param(
        {"examples": 300},
        answer("lstm", "contextual", rationale="r"),
        ["TEP601"],
        id="wrong-embedding-for-alternative",
    ),
    pytest.param(
        {"examples": 300}, answer("frozen-transformer", "static"), ["TEP601"], id="transformer-static"
    ),
    pytest.param(
        {"examples": 300, "task": "tagging"},
        answer("textcnn", "static", rationale="r"),
        ["TEP001"],
        id="classifier-for-tagging",
    ),
]


@pytest.mark.parametrize(("profile", "ans", "expected"), CASES)
def test_policy_violations(profile, ans, expected):
    result = check(ans, profile)
    assert rules_of(result) == expected
    assert result.ok is (not expected)


def test_refusal_carries_reason_and_unlock_command():
    result = check(answer("transformer-finetune", "contextual"), {"examples": 300})
    (v,) = result.violations
    assert v.field == "architecture"
    assert "300 labeled examples < 500" in v.message
    assert v.unlock.startswith("advisor baseline plateau")
    assert result.recommendation.architecture == "frozen-transformer"


def test_embedding_violation_names_the_rule_that_decided_it():
    (v,) = check(answer("lstm", "contextual", rationale="r"), {"examples": 300}).violations
    assert v.message.startswith("lstm takes 'static' input under the policy, not 'contextual'")


class DecidesEmbeddings:
    """A third party that registers TEP901 (the id the old what-if plugin took) and sets the embedding input."""

    @hookimpl
    def register_rules(self, register):
        register(id="TEP901", name="team-vectors", severity="info", summary="s", docs="d")

    @hookimpl
    def describe_winner(self, ctx):
        if ctx.winner == "lstm":
            ctx.set_embedding("random", rule="TEP901", reason="our LSTMs learn their own vectors")


def test_check_asks_the_same_engine_what_the_policy_gives_the_answers_choice(make_engine, cli_plugins):
    engine = make_engine(DecidesEmbeddings())
    result = check(answer("lstm", "static", rationale="r"), {"examples": 300}, engine=engine)
    assert [(v.rule, v.field) for v in result.violations] == [("TEP901", "embedding")]
    assert result.violations[0].message == (
        "lstm takes 'random' input under the policy, not 'static': our LSTMs learn their own vectors"
    )
    assert result.recommendation.plugins[-1] == "DecidesEmbeddings"
    cli_plugins(DecidesEmbeddings())  # installed: the default engine has it, and check uses no other
    assert rules_of(check(answer("lstm", "static", rationale="r"), {"examples": 300})) == ["TEP901"]


def test_check_reports_a_third_party_exclusion_under_its_rule(make_engine):
    class Vetoes:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP902", name="no-gru", severity="exclude", summary="s", docs="d")

        @hookimpl
        def exclude_candidates(self, ctx):
            ctx.exclude("gru", rule="TEP902", reason="no GRU kernels on our runtime")

    engine = make_engine(Vetoes())
    assert check(answer("lstm", "static", rationale="r"), {"examples": 300}, engine=engine).ok
    (v,) = check(answer("gru", "static", rationale="r"), {"examples": 300}, engine=engine).violations
    assert (v.rule, v.message) == ("TEP902", "gru is excluded: no GRU kernels on our runtime")


@pytest.mark.parametrize(
    ("ans", "fields"),
    [
        ({}, ["architecture", "embedding", "recipe", "monitoring"]),
        ({**answer("bert", "glove")}, ["architecture", "embedding"]),
        (
            {**answer("frozen-transformer", "contextual"), "recipe": {**RECIPE, "epochs": " "}},
            ["recipe.epochs"],
        ),
        ({**answer("frozen-transformer", "contextual"), "recipe": "AdamW"}, ["recipe"]),
        ({**answer("frozen-transformer", "contextual"), "monitoring": ""}, ["monitoring"]),
        ({**answer("frozen-transformer", "contextual"), "architecture": 7}, ["architecture"]),
    ],
    ids=["empty", "unknown-values", "empty-recipe-line", "recipe-not-object", "no-monitoring", "non-string"],
)
def test_format_violations_are_tep900(ans, fields):
    result = check(ans, {"examples": 300})
    assert [(v.rule, v.field) for v in result.violations] == [("TEP009", f) for f in fields]


def test_unknown_architecture_suggests_the_closest():
    (v, *_) = check(answer("textcn", "static"), {"examples": 300}).violations
    assert "unknown architecture 'textcn' (did you mean 'textcnn'?)" in v.message


def test_notes_carry_flags_for_the_answers_own_choice():
    # CPU compute past a (lowered) size limit: the engine prefers frozen features; fine-tuning stays allowed.
    policy = Policy(finetune_min_examples=100, cpu_finetune_max_examples=150)
    result = check(
        answer("transformer-finetune", "contextual", rationale="a GPU comes later"),
        {"examples": 200},
        policy=policy,
    )
    assert result.ok and result.recommendation.architecture == "frozen-transformer"
    assert [f.rule for f in result.notes] == ["TEP102"]  # what the policy says about the answer's own choice
    assert "note [TEP102 small-data-finetune-variance] 200 examples < 250" in render_check(result)


def test_check_is_deterministic_and_json_serializable():
    a = check(answer("transformer-finetune", "contextual"), {"examples": 300})
    b = check(answer("transformer-finetune", "contextual"), {"examples": 300})
    assert a.model_dump_json() == b.model_dump_json()
    doc = json.loads(a.model_dump_json())
    assert doc["violations"][0]["rule"] == "TEP101" and doc["recommendation"]["schema_version"] == 1


# -- parse_answer --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"architecture": "lstm"}', {"architecture": "lstm"}),
        ('Here you go:\n```json\n{"architecture": "gru"}\n```\nGood luck.', {"architecture": "gru"}),
        ('```\n{"architecture": "gru"}\n```', {"architecture": "gru"}),
        (
            'My answer is {"architecture": "textcnn", "recipe": {"epochs": "5"}} as requested.',
            {"architecture": "textcnn", "recipe": {"epochs": "5"}},
        ),
    ],
    ids=["bare", "json-fence", "plain-fence", "embedded"],
)
def test_parse_answer(text, expected):
    assert parse_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "answer is empty"),
        (
            "I recommend a transformer.",
            "answer holds no JSON object (expected bare JSON or a ```json code block)",
        ),
        ("[1, 2]", "answer must be a JSON object, got an array"),
        ('"textcnn"', "answer must be a JSON object, got a string"),
        ('{"architecture": ', "answer is not valid JSON: Expecting value at line 1, column 18"),
        (
            "```json\n{architecture: 1}\n```",
            "answer is not valid JSON inside the ``` code block: Expecting property name enclosed in double quotes "
            "at line 1, column 2",
        ),
    ],
    ids=["empty", "prose", "array", "string", "truncated", "bad-fence"],
)
def test_parse_answer_errors(text, message):
    with pytest.raises(CheckInputError) as info:
        parse_answer(text)
    assert str(info.value) == message


def test_check_rejects_a_non_object():
    with pytest.raises(CheckInputError, match="got an array"):
        check([1], {"examples": 3})  # type: ignore[arg-type]


# -- the TEP009 rule is a plugin like any other ---------------------------------------------------------
def test_answer_format_rule_is_a_builtin_rule():
    assert "advisor.rules.answer_format" in DEFAULT_PLUGINS
    rule = Engine(entry_points=False).rules["TEP009"]
    assert (rule.name, rule.severity, rule.plugin) == ("answer-format", "info", "advisor.rules.answer_format")
    assert "advisor schema answer" in rule.docs


def test_package_exports_the_check_function():
    from advisor import check as exported

    assert exported is check


# -- the CLI -------------------------------------------------------------------------------------------
def run(args, stdin=None):
    return CliRunner().invoke(cli, args, input=stdin)


@pytest.fixture
def answer_file(tmp_path):
    def write(doc, name="answer.json"):
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
        return str(path)

    return write


def test_cli_clean_answer_exits_0(answer_file):
    r = run(["check", answer_file(answer("frozen-transformer", "contextual")), "--examples", "300"])
    assert r.exit_code == 0, r.output
    assert "verdict: OK: the answer respects every rule in force" in r.stdout


def test_cli_violation_exits_1_with_rule_and_engine_choice(answer_file):
    r = run(["check", answer_file(answer("transformer-finetune", "contextual")), "--examples", "300"])
    assert r.exit_code == 1
    assert "verdict: VIOLATES THE POLICY (1 violation)" in r.stdout
    assert "[TEP101] transformer-finetune is refused: 300 labeled examples < 500" in r.stdout
    assert "use the engine's recommendation instead: frozen-transformer with contextual input" in r.stdout


def test_cli_json_and_stdin():
    r = run(
        ["check", "-", "--examples", "300", "--deploy", "phone", "--json"],
        stdin="```json\n" + json.dumps(answer("frozen-transformer", "contextual")) + "\n```",
    )
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert [v["rule"] for v in doc["violations"]] == ["TEP201"]
    assert doc["recommendation"]["architecture"] == "ngram-static-linear"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "answer holds no JSON object (expected bare JSON or a ```json code block)"),
        ("[1]", "answer must be a JSON object, got an array"),
        ('{"architecture": ', "answer is not valid JSON: Expecting value at line 1, column 18"),
    ],
    ids=["prose", "array", "truncated"],
)
def test_cli_malformed_answer_exits_2(answer_file, content, message):
    path = answer_file(content)
    r = run(["check", path, "--examples", "300"])
    assert r.exit_code == 2
    assert r.stderr == f"Error: {path}: {message}\n"
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.json", "--examples", "3"], "Error: missing.json: answer file not found\n"),
        (["check", "-", "--examples", "3"], "Error: answer is empty\n"),
        (
            ["check", "{path}"],
            "Error: missing --examples (or an 'examples' key in --profile, or --data FILE)\n",
        ),
        (
            ["check", "{path}", "--examples", "3", "--evidence", "e.json"],
            "Error: --evidence needs --data: evidence is matched to the data by fingerprint, never by a count alone\n",
        ),
    ],
    ids=["missing-file", "empty-stdin", "no-examples", "evidence-without-data"],
)
def test_cli_bad_input_exits_2(answer_file, args, message):
    path = answer_file(answer("textcnn", "static"))
    r = run([a.replace("{path}", path) for a in args], stdin="")
    assert r.exit_code == 2
    assert r.stderr == message


# fmt: off
STRICT_ANSWERS = [
    # (id, changes to a clean answer, the TEP009 violation: field and message)
    ("unknown-key", {"confidence": 0.9},
     ("confidence", "unknown key 'confidence' (known: architecture, embedding, recipe, monitoring, rationale)")),
    ("misspelled-key", {"rationle": "small data"},
     ("rationle", "unknown key 'rationle' (did you mean 'rationale'?)")),
    ("unknown-recipe-key", {"recipe": {**RECIPE, "momentum": "0.9"}},
     ("recipe.momentum",
      "unknown key 'recipe.momentum' (known: optimizer, learning_rate, batch_size, epochs, regularization)")),
    ("recipe-line-number", {"recipe": {**RECIPE, "batch_size": 32}},
     ("recipe.batch_size", "recipe.batch_size: Input should be a valid string (got 32)")),
    ("recipe-text", {"recipe": "AdamW"},
     ("recipe", "recipe: Input should be a valid dictionary or instance of AnswerRecipe (got 'AdamW')")),
    ("monitoring-list", {"monitoring": ["dev accuracy"]},
     ("monitoring", "monitoring: Input should be a valid string (got ['dev accuracy'])")),
    ("rationale-bool", {"rationale": True}, ("rationale", "rationale: Input should be a valid string (got True)")),
]
# fmt: on


@pytest.mark.parametrize(
    ("changes", "violation"), [c[1:] for c in STRICT_ANSWERS], ids=[c[0] for c in STRICT_ANSWERS]
)
def test_cli_answer_breaking_the_strict_shape_is_a_tep009_violation(answer_file, changes, violation):
    path = answer_file({**answer("frozen-transformer", "contextual"), **changes})
    r = run(["check", path, "--examples", "300", "--json"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert [(v["rule"], v["field"], v["message"]) for v in doc["violations"]] == [("TEP009", *violation)]


# fmt: off
STRICT_PROFILES = [
    ("examples-string", '{"examples": "300"}', "examples: Input should be a valid integer (got '300')"),
    ("examples-bool", '{"examples": true}', "examples: Input should be a valid integer (got True)"),
    ("examples-float", '{"examples": 300.0}', "examples: Input should be a valid integer (got 300.0)"),
    ("streaming-yes", '{"examples": 300, "streaming": "yes"}', "streaming: Input should be a valid boolean (got 'yes')"),
]
# fmt: on


@pytest.mark.parametrize(
    ("profile", "message"), [c[1:] for c in STRICT_PROFILES], ids=[c[0] for c in STRICT_PROFILES]
)
def test_cli_check_profile_file_is_strict(answer_file, tmp_path, profile, message):
    (tmp_path / "p.json").write_text(profile, encoding="utf-8")
    path = answer_file(answer("frozen-transformer", "contextual"))
    r = run(["check", path, "--profile", str(tmp_path / "p.json")])
    assert r.exit_code == 2
    assert r.stderr == f"Error: {tmp_path / 'p.json'}: {message}\n"


def test_cli_nothing_meets_the_budgets_exits_1(answer_file):
    r = run(["check", answer_file(answer("textcnn", "static")), "--examples", "300", "--latency-ms", "0.01"])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no candidate meets the constraints")


def test_render_marks_differences_and_missing_lines():
    result = check({"architecture": "transformer-finetune", "embedding": "contextual"}, {"examples": 300})
    text = render_check(result, source="model x")
    assert "architecture          transformer-finetune" in text and "frozen-transformer <>" in text
    assert "recipe epochs         (missing)" in text


def test_cli_accepted_evidence_lifts_tep101(tmp_path, answer_file):
    from adversarial.forge import policy_file, with_checkpoint_refs

    from advisor.data.from_file import profile_values_from_data
    from advisor.evidence import SCHEMA_VERSION

    data = tmp_path / "train.jsonl"
    lines = [
        json.dumps(
            {
                "text": f"message number {i} about {'billing' if i % 2 else 'login'}",
                "label": "billing" if i % 2 else "login",
            }
        )
        for i in range(300)
    ]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fingerprint = profile_values_from_data(data)["data"]["fingerprint"]
    curve = [0.55, 0.7, 0.78, 0.8, 0.8, 0.799, 0.8]  # best at epoch 4, three flat epochs after it
    evidence = {
        "schema_version": SCHEMA_VERSION,
        "kind": "advisor-plateau-evidence",
        "task": "classification",
        "metric": "accuracy",
        "data": {
            "path": str(data),
            "fingerprint": fingerprint,
            "examples": 300,
            "label_counts": {"billing": 150, "login": 150},
        },
        "plateau": {"patience": 3, "min_delta": 0.005, "verdict": "plateaued"},
        "architectures": ["textcnn"],
        "runs": [
            {
                "arch": "textcnn",
                "seed": 0,
                "config": {},
                "dev_curve": curve,
                "best_epoch": 4,
                "best_dev": 0.8,
                "plateaued": True,
            }
        ],
        "floor": {"metric": "accuracy", "mean": 0.8, "std": 0.0, "runs": 1},
        "versions": {},
    }
    ev = tmp_path / "evidence.json"
    ev.write_text(json.dumps(with_checkpoint_refs(evidence)), encoding="utf-8")
    policy = policy_file(tmp_path, evidence_check="structural")  # the file's structure only: no torch here
    finetune = answer_file(answer("transformer-finetune", "contextual", rationale="the baseline plateaued"))

    without = run(["check", finetune, "--data", str(data)])
    assert without.exit_code == 1 and "[TEP101]" in without.stdout
    with_evidence = run(
        ["check", finetune, "--data", str(data), "--evidence", str(ev), "--policy", str(policy), "--json"]
    )
    assert with_evidence.exit_code == 0, with_evidence.output
    doc = json.loads(with_evidence.stdout)
    assert doc["ok"] is True and doc["recommendation"]["evidence"]["accepted"] is True
