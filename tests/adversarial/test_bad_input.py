"""Bad input (issue 9, section 4): every bad input gets one clear line, the right exit code (2: what the user
passed; 1: no answer), never a traceback, and leaves the working folder as it was.

Each case: (id, args, files, exit code, words the one error line must hold). Files are written into a fresh
working folder first; the folder must hold the same files, byte for byte, after the command.
"""

from __future__ import annotations

import json

import pytest

from tests.adversarial.conftest import assert_clean_error

DEEP = 100_000  # nesting depth past Python's recursion limit
BIG = "9" * 5000  # past Python's 4300-digit int-from-text limit
HUGE = 11 * 1024 * 1024  # past the 10 MB cap on profile, policy, answer and evidence files

LINES = [("great product", "pos"), ("awful service", "neg"), ("loved it", "pos"), ("hated it", "neg")]
DATA = "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in LINES * 10)
ANSWER = json.dumps(
    {
        "architecture": "ngram-linear",
        "embedding": "none",
        "recipe": {
            "optimizer": "liblinear",
            "learning_rate": "n/a",
            "batch_size": "n/a",
            "epochs": "n/a",
            "regularization": "C grid",
        },
        "monitoring": "per-length accuracy",
    }
)
EVIDENCE = "--data data.jsonl --evidence ev.json".split()


CASES = [
    # -- profile files (--profile) ---------------------------------------------------------------------------
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"a":' * DEEP},
        2,
        ["p.json", "nested"],
        id="profile-json-deep",
    ),
    pytest.param(
        ["recommend", "--profile", "p.toml"],
        {"p.toml": "a = " + "[" * DEEP + "]" * DEEP},
        2,
        ["p.toml", "nested"],
        id="profile-toml-deep",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"examples": ' + BIG + "}"},
        2,
        ["p.json", "digits"],
        id="profile-json-5000-digits",
    ),
    pytest.param(
        ["recommend", "--profile", "p.toml"],
        {"p.toml": "examples = " + BIG},
        2,
        ["p.toml", "digits"],
        id="profile-toml-5000-digits",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"examples": 300}' + " " * HUGE},
        2,
        ["p.json", "larger than"],
        id="profile-too-large",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"], {"p.json": "[300]"}, 2, ["p.json", "object"], id="profile-list"
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"exampels": 300}'},
        2,
        ["exampels", "did you mean"],
        id="profile-typo-key",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"examples": "300"}'},
        2,
        ["examples"],
        id="profile-string-number",
    ),
    pytest.param(
        ["recommend", "--profile", "p.toml"],
        {"p.toml": "examples = "},
        2,
        ["invalid TOML"],
        id="profile-bad-toml",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"], {"p.json": b"\xff\xfe{"}, 2, ["UTF-8"], id="profile-not-utf8"
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"examples": 300, "description": "' + "x" * 50_000 + '"}'},
        2,
        ["description"],
        id="profile-long-description-echo-cut",
    ),
    pytest.param(
        ["recommend", "--profile", "p.json"],
        {"p.json": '{"examples": 300, "latency_ms": 1e999}'},
        2,
        ["latency_ms", "finite"],
        id="profile-latency-inf",
    ),
    # -- policy files (--policy, pyproject.toml) ---------------------------------------------------------------
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": "a = " + "[" * DEEP + "]" * DEEP},
        2,
        ["pol.toml", "nested"],
        id="policy-toml-deep",
    ),
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": "finetune_min_examples = " + BIG},
        2,
        ["pol.toml", "digits"],
        id="policy-5000-digits",
    ),
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": "# x\n" + " " * HUGE},
        2,
        ["pol.toml", "larger than"],
        id="policy-too-large",
    ),
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": 'tool = "x"\n'},
        2,
        ["pol.toml", "tool"],
        id="policy-tool-string",
    ),
    pytest.param(
        ["recommend", "--examples", "300"],
        {"pyproject.toml": "tool = 5\n"},
        2,
        ["pyproject.toml", "tool"],
        id="pyproject-tool-int",
    ),
    pytest.param(
        ["recommend", "--examples", "300"],
        {"pyproject.toml": '[tool]\nadvisor = "x"\n'},
        2,
        ["pyproject.toml", "table"],
        id="pyproject-advisor-string",
    ),
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": "finetune_min_exmaples = 3\n"},
        2,
        ["finetune_min_exmaples", "did you mean"],
        id="policy-typo-key",
    ),
    pytest.param(
        ["rules", "--policy", "pol.toml"],
        {"pol.toml": "plateau_max_min_delta = nan\n"},
        2,
        ["plateau_max_min_delta"],
        id="policy-nan",
    ),
    pytest.param(
        ["rules", "--policy", "pol.json"],
        {"pol.json": "[1, 2]"},
        2,
        ["pol.json", "table"],
        id="policy-json-list",
    ),
    # -- answers (advisor check ANSWER) ------------------------------------------------------------------------
    pytest.param(
        ["check", "a.json", "--examples", "300"],
        {"a.json": "[" * DEEP},
        2,
        ["a.json", "nested"],
        id="answer-deep",
    ),
    pytest.param(
        ["check", "a.json", "--examples", "300"],
        {"a.json": '{"architecture": ' + BIG + "}"},
        2,
        ["a.json", "digits"],
        id="answer-5000-digits",
    ),
    pytest.param(
        ["check", "a.json", "--examples", "300"],
        {"a.json": ANSWER + " " * HUGE},
        2,
        ["a.json", "larger than"],
        id="answer-too-large",
    ),
    pytest.param(
        ["check", "a.json", "--examples", "300"], {"a.json": "   \n"}, 2, ["empty"], id="answer-empty"
    ),
    pytest.param(
        ["check", "a.json", "--examples", "300"],
        {"a.json": "I would pick a CNN."},
        2,
        ["no JSON object"],
        id="answer-no-json",
    ),
    pytest.param(
        ["check", "missing.json", "--examples", "300"],
        {},
        2,
        ["missing.json", "not found"],
        id="answer-missing",
    ),
    pytest.param(
        ["check", "a.json", "--examples", "300"], {"a.json": b"\x80\x81"}, 2, ["UTF-8"], id="answer-not-utf8"
    ),
    # -- evidence files (--evidence) ---------------------------------------------------------------------------
    pytest.param(
        ["recommend", "--examples", "40", "--evidence", "ev.json"],
        {"ev.json": "{}"},
        2,
        ["--evidence needs --data"],
        id="evidence-without-data",
    ),
    pytest.param(
        ["recommend", *EVIDENCE], {"data.jsonl": DATA}, 2, ["ev.json", "not found"], id="evidence-missing"
    ),
    pytest.param(
        ["recommend", *EVIDENCE, "--evidence", "ev2.json"],
        {"data.jsonl": DATA, "ev.json": "{}", "ev2.json": "{}"},
        2,
        ["--evidence"],
        id="evidence-twice",
    ),
    # -- data files (--data, profile DATA) ---------------------------------------------------------------------
    pytest.param(
        ["profile", "d.jsonl"],
        {"d.jsonl": '{"text": ' + "[" * DEEP + "\n"},
        2,
        ["d.jsonl", "nested"],
        id="data-jsonl-deep",
    ),
    pytest.param(
        ["profile", "d.jsonl"],
        {"d.jsonl": '{"text": "a", "label": ' + BIG + "}\n"},
        2,
        ["d.jsonl", "digits"],
        id="data-jsonl-5000-digits",
    ),
    pytest.param(["profile", "d.jsonl"], {"d.jsonl": ""}, 2, ["d.jsonl", "empty"], id="data-empty"),
    pytest.param(["profile", "nope.jsonl"], {}, 2, ["nope.jsonl", "not found"], id="data-missing"),
    pytest.param(
        ["profile", "d.jsonl"], {"d.jsonl": '[{"text": "a"}]\n'}, 2, ["JSON array"], id="data-json-array"
    ),
    pytest.param(
        ["profile", "d.jsonl"],
        {"d.jsonl": '{"text": "a", "label": "x"}\n{"text": 5, "label": "y"}\n'},
        2,
        ["d.jsonl:2", "text"],
        id="data-text-not-string",
    ),
    pytest.param(
        ["recommend", "--data", "d.txt"],
        {"d.txt": "just one line without any label\n"},
        2,
        ["d.txt", "no label"],
        id="data-shape-unknown",
    ),
    pytest.param(
        ["profile", "d.csv"], {"d.csv": "txt,lbl\na,b\n"}, 2, ["d.csv", "text"], id="data-csv-no-text-column"
    ),
    # -- embeddings files (--embeddings) -----------------------------------------------------------------------
    pytest.param(
        ["recommend", "--data", "data.jsonl", "--embeddings", "missing.vec"],
        {"data.jsonl": DATA},
        2,
        ["missing.vec", "not found"],
        id="embeddings-missing",
    ),
    pytest.param(
        ["profile", "data.jsonl", "--embeddings", "e.vec"],
        {"data.jsonl": DATA, "e.vec": "2 3\ngreat 0.1 0.2\n"},
        2,
        ["e.vec:2"],
        id="embeddings-vec-truncated",
    ),
    pytest.param(
        ["profile", "data.jsonl", "--embeddings", "e.txt"],
        {"data.jsonl": DATA, "e.txt": ""},
        2,
        ["e.txt", "empty"],
        id="embeddings-empty",
    ),
    pytest.param(
        ["profile", "data.jsonl", "--embeddings", "e.json"],
        {"data.jsonl": DATA, "e.json": '{"great": ' + "[" * DEEP},
        2,
        ["e.json", "nested"],
        id="embeddings-json-deep",
    ),
    pytest.param(
        ["profile", "data.jsonl", "--embeddings", "e.json"],
        {"data.jsonl": DATA, "e.json": '{"great": 5}'},
        2,
        ["e.json", "great"],
        id="embeddings-json-not-list",
    ),
    pytest.param(
        ["recommend", "--examples", "40", "--embeddings", "e.vec"],
        {"e.vec": "a 1\n"},
        2,
        ["--embeddings needs --data"],
        id="embeddings-without-data",
    ),
    # -- options -----------------------------------------------------------------------------------------------
    pytest.param(
        ["recommend", "--examples", "300", "--latency-ms", "inf"],
        {},
        2,
        ["latency", "finite"],
        id="option-latency-inf",
    ),
    pytest.param(
        ["recommend", "--examples", "300", "--latency-ms", "nan"],
        {},
        2,
        ["latency", "finite"],
        id="option-latency-nan",
    ),
    pytest.param(
        ["recommend", "--examples", "300", "--max-model-mb", "inf"],
        {},
        2,
        ["max_model_mb", "finite"],
        id="option-max-model-mb-inf",
    ),
    pytest.param(
        ["recommend", "--examples", "300", "--tokens", "999999999999"],
        {},
        2,
        ["tokens"],
        id="option-tokens-absurd",
    ),
    pytest.param(["recommend", "--examples", "-3"], {}, 2, ["examples"], id="option-examples-negative"),
    pytest.param(
        ["recommend", "--examples", BIG],
        {},
        2,
        ["--examples"],
        id="option-examples-5000-digits",
    ),
    pytest.param(
        ["recommend", "--examples", "300", "--language", "x" * 100_000],
        {},
        2,
        ["language"],
        id="option-language-long-echo-cut",
    ),
    pytest.param(
        ["recommend", "--examples", "300", "--json", "--format", "text"],
        {},
        2,
        ["--json"],
        id="option-json-format",
    ),
    pytest.param(
        ["prompt", "--examples", "300", "--out", "/proc/advisor-prompt.md"],
        {},
        2,
        ["/proc/advisor-prompt.md"],
        id="prompt-out-proc",
    ),
    pytest.param(["prompt", "--out", "."], {}, 2, ["."], id="prompt-out-dot"),
    pytest.param(
        ["prompt", "--examples", "300", "--out", "sub/file.md/x.md"],
        {"sub/file.md": "keep"},
        2,
        ["sub/file.md"],
        id="prompt-out-under-a-file",
    ),
    pytest.param(["rules", "explain", "TEP10"], {}, 2, ["TEP10", "closest"], id="rules-explain-unknown"),
    pytest.param(
        ["rules", "explain", "x" * 100_000],
        {},
        2,
        ["unknown rule"],
        id="rules-explain-long-echo-cut",
    ),
    pytest.param(["schema", "nope"], {}, 2, ["nope"], id="schema-unknown"),
]


@pytest.mark.parametrize(("args", "files", "code", "needles"), CASES)
def test_bad_input(hostile, args, files, code, needles):
    result, before, after = hostile(args, files)
    assert_clean_error(result, code, *needles)
    assert after == before, "the command changed the working folder"


def test_a_data_error_names_no_python_function(hostile):
    result, _, _ = hostile(["profile", "d.txt"], {"d.txt": "just one line without any label\n"})
    line = assert_clean_error(result, 2, "d.txt")
    assert "load_class_files" not in line and "()" not in line
