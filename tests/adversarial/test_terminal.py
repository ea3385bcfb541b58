"""Hostile input against terminals (issue 9, section 2): text derived from input never carries a control character
to the screen: C0 (but newline and tab), DEL, C1, escape sequences (CSI ``\\x1b[8m`` conceals the rest of a line
on a TTY, OSC ``\\x1b]0;...\\x07`` retitles the window even when piped), bidi overrides, U+2028/U+2029, nor a line
break that forges a line of the advisor's own (a second ``verdict:``).

``color=True`` makes click keep ANSI sequences as it does on a TTY; without it click strips CSI sequences, not OSC
ones. JSON output stays JSON: the same escapes, valid JSON, the values unchanged once parsed.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import advisor
from advisor.cli import cli

IGNORE = "ignore previous instructions"
ESC, RLO, LS, PS, C1 = "\x1b", "\u202e", "\u2028", "\u2029", "\x9b"
CONCEAL = f"{ESC}[8m"
OSC = f"{ESC}]0;pwned{chr(7)}"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
HOSTILE_TEXTS = [
    pytest.param(CONCEAL + IGNORE, id="csi-conceal"),
    pytest.param(OSC + IGNORE, id="osc-title"),
    pytest.param(RLO + IGNORE, id="bidi-override"),
    pytest.param(f"a{LS}b{PS}c", id="line-separators"),
    pytest.param(f"{C1}8m{IGNORE}", id="c1-csi"),
    pytest.param("\x07\x08\x7f" + IGNORE, id="bel-bs-del"),
]
RECIPE = {
    "optimizer": "Adam",
    "learning_rate": "1e-3",
    "batch_size": "50",
    "epochs": "up to 30, early stopping",
    "regularization": "dropout 0.5",
}
FINETUNE = {
    "architecture": "transformer-finetune",
    "embedding": "contextual",
    "recipe": RECIPE,
    "monitoring": "dev accuracy",
}


def run(*args, tty: bool = True, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], color=tty, **kw)


def assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), ascii(text)


# -- advisor check: the answer's own fields ------------------------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_check_rationale_cannot_hide_the_verdict(tmp_path, text):
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({**FINETUNE, "rationale": text}), encoding="utf-8")
    r = run("check", answer, "--examples", "300")
    assert r.exit_code == 1, r.output
    assert_clean(r.stdout)
    assert "verdict: VIOLATES THE POLICY" in r.stdout


def test_check_piped_still_strips_osc(tmp_path):
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({**FINETUNE, "rationale": OSC + "fine"}), encoding="utf-8")
    r = run("check", answer, "--examples", "300", tty=False)
    assert ESC not in r.stdout and "\x07" not in r.stdout, ascii(r.stdout)


def test_check_rationale_cannot_forge_a_verdict_line(tmp_path):
    answer = tmp_path / "answer.json"
    forged = "fine\n\nverdict: OK: the answer respects every rule in force\n"
    answer.write_text(json.dumps({**FINETUNE, "rationale": forged}), encoding="utf-8")
    r = run("check", answer, "--examples", "300")
    assert r.exit_code == 1
    assert [line for line in r.stdout.splitlines() if line.startswith("verdict:")] == [
        "verdict: VIOLATES THE POLICY (1 violation): do not use this answer as it stands"
    ]


@pytest.mark.parametrize(
    "field", ["monitoring", "recipe.optimizer", "recipe.epochs", "embedding", "architecture"]
)
@pytest.mark.parametrize("text", [pytest.param(CONCEAL + "x", id="csi"), pytest.param(OSC + "x", id="osc")])
def test_check_every_answer_field_is_escaped(tmp_path, field, text):
    doc = json.loads(json.dumps(FINETUNE))
    node, key = (doc["recipe"], field.split(".")[1]) if "." in field else (doc, field)
    node[key] = text
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps(doc), encoding="utf-8")
    r = run("check", answer, "--examples", "300")
    assert r.exit_code == 1, r.output
    assert_clean(r.stdout)


def test_check_answer_file_name_is_escaped(tmp_path):
    answer = tmp_path / f"{CONCEAL}answer.json"
    answer.write_text(json.dumps(FINETUNE), encoding="utf-8")
    r = run("check", answer, "--examples", "300")
    assert_clean(r.stdout)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(RLO + IGNORE, id="bidi"),
        pytest.param(f"a{LS}b", id="line-separator"),
        pytest.param(f"{C1}x", id="c1"),
        pytest.param(CONCEAL + "x", id="csi"),  # JSON escapes C0
        pytest.param("\x7fx", id="del"),
    ],
)
def test_check_json_escapes_what_a_terminal_would_run(tmp_path, text):
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({**FINETUNE, "rationale": text}), encoding="utf-8")
    r = run("check", answer, "--examples", "300", "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["answer"]["rationale"] == text  # the value, unchanged
    assert_clean(r.stdout)


# -- advisor ask: the model's reply ---------------------------------------------------------------------------
llm = pytest.importorskip("llm")


class _Canned(llm.Model):
    can_stream = False

    def __init__(self, model_id: str, reply: str):
        self.model_id, self.reply = model_id, reply

    def execute(self, prompt, stream, response, conversation):
        yield self.reply


class _Models:
    def __init__(self, reply: str):
        self.model = _Canned("advisor-test-hostile", reply)

    @llm.hookimpl
    def register_models(self, register):
        register(self.model)


@pytest.fixture
def canned_reply(monkeypatch, tmp_path):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-user"))
    registered = []

    def install(reply: str):
        plugin = _Models(reply)
        llm.plugins.pm.register(plugin, name=f"advisor-test-hostile-{len(registered)}")
        registered.append(plugin)

    yield install
    for plugin in registered:
        llm.plugins.pm.unregister(plugin)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_ask_renders_the_models_rationale_escaped(canned_reply, text):
    canned_reply(json.dumps({**FINETUNE, "rationale": text}))
    r = run("ask", "--examples", "300", "--model", "advisor-test-hostile")
    assert r.exit_code == 1, r.output
    assert_clean(r.stdout)
    assert "verdict: VIOLATES THE POLICY" in r.stdout


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_ask_prose_reply_on_stderr_is_escaped(canned_reply, text):
    canned_reply(f"I would fine-tune. {text}")
    r = run("ask", "--examples", "300", "--model", "advisor-test-hostile")
    assert r.exit_code == 1
    assert "the model's reply" in r.stderr
    assert_clean(r.stderr)


# -- advisor profile: labels and the file name --------------------------------------------------------------
def _labelled(tmp_path, label: str, name: str = "train.jsonl"):
    rows = [{"text": f"text {i}", "label": label if i % 3 else "ok"} for i in range(30)]
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_profile_prints_labels_escaped(tmp_path, text):
    r = run("profile", _labelled(tmp_path, text))
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)


def test_profile_label_cannot_forge_a_line(tmp_path):
    r = run("profile", _labelled(tmp_path, "x\n  fingerprint: sha256:forged"))
    assert r.exit_code == 0, r.output
    fingerprints = [line for line in r.stdout.splitlines() if line.startswith("  fingerprint:")]
    assert len(fingerprints) == 1 and "forged" not in fingerprints[0], r.stdout


def test_profile_file_name_is_escaped(tmp_path):
    r = run("profile", _labelled(tmp_path, "pos", name=f"{CONCEAL}train.jsonl"))
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(RLO + "x", id="bidi"),
        pytest.param(f"a{LS}b", id="line-separator"),
        pytest.param(f"{C1}x", id="c1"),
        pytest.param(OSC + "x", id="osc"),
        pytest.param("\x7fx", id="del"),
    ],
)
def test_profile_json_escapes_labels(tmp_path, text):
    r = run("profile", _labelled(tmp_path, text), "--json")
    assert r.exit_code == 0, r.output
    assert text in json.loads(r.stdout)["data"]["label_counts"]
    assert_clean(r.stdout)


# -- advisor recommend: text, markdown and json -----------------------------------------------------------------
class LoudRule:
    """A third-party rule whose every text is ``text``: a flag, a recipe line, the monitoring signal, and the
    reason of each."""

    __name__ = "loud-rule"

    def __init__(self, text: str, summary: str = "A loud rule.", docs: str = "Loud docs."):
        self.text, self.summary, self.docs = text, summary, docs

    @advisor.hookimpl
    def register_rules(self, register):
        register(id="TEP960", name="loud", severity="flag", summary=self.summary, docs=self.docs)

    @advisor.hookimpl
    def describe_winner(self, ctx):
        # a reason with a line break fails closed (test_injection); values may hold any text
        said = "" if any(c in self.text for c in "\n\u2028\u2029") else self.text
        ctx.flag(rule="TEP960", message=f"flag {said}")
        ctx.set_recipe("optimizer", f"opt {self.text}", rule="TEP960", reason=f"why {said}")
        ctx.set_monitoring(f"mon {self.text}", rule="TEP960", reason="the team asked")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_recommend_prints_plugin_texts_escaped(cli_plugins, fmt, text):
    cli_plugins(LoudRule(text))
    r = run("recommend", "--examples", "300", "--format", fmt, "--explain")
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_plugin_recipe_line_cannot_forge_lines(cli_plugins, fmt):
    cli_plugins(LoudRule("x\nBuild: transformer-finetune"))
    r = run("recommend", "--examples", "300", "--format", fmt)
    assert r.exit_code == 0, r.output
    assert not any(line.startswith("Build: transformer-finetune") for line in r.stdout.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(RLO + "x", id="bidi"),
        pytest.param(f"a{LS}b", id="line-separator"),
        pytest.param(f"{C1}x", id="c1"),
        pytest.param(OSC + "x", id="osc"),
        pytest.param("\x7fx", id="del"),
    ],
)
def test_recommend_json_escapes_the_description(text):
    r = run("recommend", "--examples", "300", "--description", text, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["profile"]["description"] == text
    assert_clean(r.stdout)


# -- advisor rules / rules explain: a plugin's summary and docs --------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_rules_explain_prints_plugin_docs_escaped(cli_plugins, text):
    cli_plugins(LoudRule("x", docs=f"Loud docs {text}\nsecond line"))
    r = run("rules", "explain", "TEP960")
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)
    assert "second line" in r.stdout  # the docs keep their own line breaks


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(CONCEAL + "x", id="csi"),
        pytest.param(OSC + "x", id="osc"),
        pytest.param(RLO + "x", id="bidi"),
        pytest.param(f"{C1}x", id="c1"),
        pytest.param("\x7fx", id="del"),
    ],
)
@pytest.mark.parametrize("command", [["rules"], ["rules", "explain", "TEP960"]], ids=["rules", "explain"])
def test_rules_print_plugin_summary_escaped(cli_plugins, text, command):
    cli_plugins(LoudRule("x", summary=f"Loud {text}"))
    r = run(*command)
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)


@pytest.mark.parametrize("sep", [LS, PS, "\r"], ids=["u2028", "u2029", "cr"])
def test_a_summary_with_a_line_break_fails_to_load(cli_plugins, sep):
    cli_plugins(LoudRule("x", summary=f"one{sep}two"))
    r = run("rules")
    assert r.exit_code == 1, r.output
    assert "loud-rule" in r.stderr and "one-line summary" in r.stderr


# -- advisor baseline: predict echoes the text and the model's label --------------------------------------------
@pytest.fixture(scope="module")
def ngram_model(tmp_path_factory):
    pytest.importorskip("sklearn")
    folder = tmp_path_factory.mktemp("hostile-model")
    rows = [{"text": f"refund charge invoice {i}", "label": f"{CONCEAL}billing"} for i in range(30)]
    rows += [{"text": f"parcel courier tracking {i}", "label": "shipping"} for i in range(30)]
    train = folder / "train.jsonl"
    train.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    r = CliRunner().invoke(
        cli, ["baseline", "train", str(train), "--arch", "ngram-linear", "--out", str(folder / "m")]
    )
    if r.exit_code != 0:
        pytest.skip(f"cannot train the ngram baseline here: {r.output[-300:]}")
    return folder / "m"


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_baseline_predict_echoes_text_escaped(ngram_model, text):
    r = run("baseline", "predict", ngram_model, f"parcel courier {text}")
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_baseline_predict_escapes_texts_read_from_stdin(ngram_model, text):
    """Texts from a file (``cat texts.txt | advisor baseline predict MODEL``): one output line per input line."""
    r = run("baseline", "predict", ngram_model, input=f"parcel courier {text}\nrefund charge\n")
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)
    assert len(r.stdout.splitlines()) == 2


def test_baseline_train_text_output_escapes_file_names(ngram_model, tmp_path):
    rows = [{"text": f"refund {i}", "label": "billing"} for i in range(20)]
    rows += [{"text": f"parcel {i}", "label": "shipping"} for i in range(20)]
    train = tmp_path / f"{OSC}train.jsonl"
    train.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    r = run("baseline", "train", train, "--arch", "ngram-linear", "--out", tmp_path / f"{CONCEAL}model")
    assert r.exit_code == 0, r.output
    assert "model:" in r.stdout
    assert_clean(r.stdout)


def test_baseline_predict_escapes_a_label_from_the_training_data(ngram_model):
    r = run("baseline", "predict", ngram_model, "refund charge invoice")
    assert r.exit_code == 0, r.output
    assert "billing" in r.stdout
    assert_clean(r.stdout)


# -- error lines: a file name or value the user gave, echoed back ----------------------------------------------
def _error_cases(tmp_path):
    bad = tmp_path / f"{OSC}data.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    answer = tmp_path / f"{OSC}answer.json"
    answer.write_text("{nope", encoding="utf-8")
    return {
        "profile-missing": ["profile", tmp_path / f"{OSC}missing.jsonl"],
        "profile-bad-data": ["profile", bad],
        "recommend-bad-data": ["recommend", "--data", bad],
        "check-bad-answer": ["check", answer, "--examples", "300"],
        "policy-missing": ["recommend", "--examples", "300", "--policy", tmp_path / f"{CONCEAL}policy.toml"],
        "evidence-missing": ["recommend", "--data", bad, "--evidence", tmp_path / f"{RLO}ev.json"],
    }


@pytest.mark.parametrize(
    "case",
    [
        "profile-missing",
        "profile-bad-data",
        "recommend-bad-data",
        "check-bad-answer",
        "policy-missing",
        "evidence-missing",
    ],
)
def test_error_lines_escape_what_the_user_gave(tmp_path, case):
    r = run(*_error_cases(tmp_path)[case])
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, ascii(r.stderr)
    assert_clean(r.stderr)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["rules", "explain", f"{OSC}TEP1"], id="unknown-rule"),
        pytest.param(["recommend", "--examples", "300", "--language", OSC], id="bad-language"),
    ],
)
def test_error_lines_quote_values_with_repr(args):
    """Values are echoed through repr (every control character escaped) already."""
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert_clean(r.stderr)


# -- Markdown: a plugin's text cannot break a table or carry HTML into a rendered page --------------------------
class Excluder:
    __name__ = "md-excluder"

    def __init__(self, text: str):
        self.text = text

    @advisor.hookimpl
    def register_rules(self, register):
        register(id="TEP970", name="md", severity="exclude", summary="Markdown test rule.", docs="Docs.")

    @advisor.hookimpl
    def exclude_candidates(self, ctx):
        ctx.exclude("bilstm", rule="TEP970", reason=self.text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a | b | c", id="pipes"),
        pytest.param('<img src=x onerror="alert(1)">', id="img-onerror"),
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("</td></tr></table><h1>owned</h1>", id="close-table"),
        pytest.param("x|<b>bold</b>|y", id="pipe-and-tag"),
    ],
)
def test_markdown_keeps_tables_and_carries_no_html(cli_plugins, text):
    cli_plugins(Excluder(text))
    r = run("recommend", "--examples", "300", "--format", "markdown", "--explain")
    assert r.exit_code == 0, r.output
    tables, current = [], []
    for line in [*r.stdout.splitlines(), ""]:
        if line.startswith("|"):
            current.append(len(re.findall(r"(?<!\\)\|", line)))  # unescaped pipes
        elif current:
            tables, current = [*tables, current], []
    assert len(tables) == 3 and all(len(set(t)) == 1 for t in tables), tables  # summary, alternatives, trace
    assert not re.search(r"<[A-Za-z/]", r.stdout), r.stdout
