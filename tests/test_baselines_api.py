"""The Python API for training (``advisor.baselines``): train, plateau, evaluate, predict and TrainResult.

The CLI is a thin layer over it (tests/test_baseline_cli.py, tests/test_finetune.py); here the functions are
called directly: the typed result, the errors (AdvisorError subclasses with the CLI's exit codes), the gate.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.errors import AdvisorError

REPO = Path(__file__).resolve().parent.parent


def test_importing_the_api_loads_no_torch_and_train_stays_the_function():
    code = (
        "import sys, advisor\n"
        "assert callable(advisor.baselines.train)\n"  # served in the advisor namespace, like advisor.recommend
        "import advisor.baselines as b\n"
        "from advisor.baselines import train, plateau, evaluate, predict, TrainResult\n"
        "import advisor.baselines.api\n"
        "assert not any(m in sys.modules for m in ('torch', 'numpy', 'click')), 'heavy'\n"
        "import importlib; importlib.import_module('advisor.baselines.train')\n"  # the training-loop module
        "importlib.import_module('advisor.baselines.plateau')\n"
        "assert callable(b.train) and b.train.__module__ == 'advisor.baselines.api', b.train\n"
        "assert b.plateau.__module__ == 'advisor.baselines.api'\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_the_api_is_served_in_the_advisor_namespace():
    import advisor.baselines
    from advisor.baselines import api

    assert advisor.baselines.train is api.train and advisor.baselines.TrainResult is api.TrainResult
    for name in ("BaselineInputError", "TrainingRefused", "ExtraMissing"):
        assert issubclass(getattr(api, name), AdvisorError)
    assert api.BaselineInputError.exit_code == 2 and api.TrainingRefused.exit_code == 1


@pytest.fixture
def toy(tmp_path):
    from advisor.data.toy import write_toy_dataset

    write_toy_dataset(tmp_path)
    return tmp_path / "train.jsonl", tmp_path / "test.jsonl"


@pytest.mark.baselines
def test_train_returns_a_typed_result_that_is_the_cli_document(toy, tmp_path):
    pytest.importorskip("torch")
    from advisor.baselines import TrainResult, evaluate, predict, train

    data, test = toy
    result = train(data, arch="ngram-linear", test=test, out=tmp_path / "m", profile={"deploy": "phone"})
    assert isinstance(result, TrainResult)
    assert result.model == tmp_path / "m" and result.manifest.architecture == "ngram-linear"
    assert result.metrics["accuracy"] > 0.5 and result.floor is None
    assert result.advice["architecture"] == "ngram-linear" and result.advice["recipe"]["optimizer"]
    assert result.manifest.run["advice"] == result.advice  # the advice it trained with is saved
    args = ["baseline", "train", data, "--arch", "ngram-linear", "--test", test, "--deploy", "phone"]
    res = CliRunner().invoke(cli, [str(a) for a in args] + ["--out", str(tmp_path / "cli"), "--json"])
    assert res.exit_code == 0, res.output
    doc, mine = json.loads(res.stdout), result.document()
    assert list(doc) == list(mine)  # the same document, key for key
    for key in ("test", "per_class", "examples", "split", "data_fingerprint", "oov", "dev"):
        assert doc[key] == mine[key], key
    assert evaluate(result.model, test)["test"]["accuracy"] == result.test["accuracy"]
    (text, label), *_ = predict(result.model, ["my invoice was charged twice"])
    assert label in {"billing", "technical", "shipping"}


@pytest.mark.baselines
def test_errors_are_advisor_errors_with_the_cli_exit_codes(toy, tmp_path):
    pytest.importorskip("torch")
    from advisor.baselines import api

    data, _ = toy
    with pytest.raises(api.BaselineInputError, match="did you mean 'textcnn'"):
        api.train(data, arch="textcn")
    with pytest.raises(
        api.BaselineInputError,
        match="--encoder applies to --arch frozen-transformer, transformer-finetune and transformer-setfit only",
    ):
        api.train(data, arch="textcnn", encoder=tmp_path)
    with pytest.raises(api.BaselineInputError, match="not found|No such file|does not exist"):
        api.train(tmp_path / "missing.jsonl", arch="ngram-linear", out=tmp_path / "m")
    with pytest.raises(api.BaselineInputError, match="contradicts"):
        api.train(data, arch="ngram-linear", profile={"examples": 7}, out=tmp_path / "m")
    with pytest.raises(api.TrainingRefused, match="TEP101 refuses training transformer-finetune") as info:
        api.train(data, arch="transformer-finetune", out=tmp_path / "ft")
    assert "advisor baseline plateau" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "ft").exists()  # refused before any work
    with pytest.raises(api.BaselineInputError, match="not a saved model folder"):
        api.predict(tmp_path, ["text"])
    with pytest.raises(api.BaselineInputError, match="a list of texts"):
        api.predict(tmp_path, "one string")
