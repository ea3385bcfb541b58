"""Fixtures of the hostile cases: a small real evidence file (trained once per session) and helpers to forge,
copy and submit evidence the way a user would (the CLI, the Python API)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data.toy import TRAIN_SEED, toy_examples


@pytest.fixture(scope="session")
def toy_data(tmp_path_factory) -> Path:
    """90 invented examples in 3 classes (the bundled toy dataset's generator, 30 per class)."""
    path = tmp_path_factory.mktemp("toy") / "train.jsonl"
    lines = [json.dumps(x) for x in toy_examples(30, TRAIN_SEED)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def real_evidence(toy_data) -> Path:
    """Evidence written by `advisor baseline plateau` on ``toy_data`` (TextCNN, 2 seeds; trained once)."""
    pytest.importorskip("torch")
    out = toy_data.parent / "evidence.json"
    res = CliRunner().invoke(
        cli,
        ["baseline", "plateau", str(toy_data), "--out", str(out), "--arch", "textcnn", "--seeds", "2"]
        + ["--fractions", "1.0", "--max-epochs", "30", "--json"],
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture
def evidence_copy(real_evidence, tmp_path):
    """``evidence_copy() -> Path``: the real evidence file and its checkpoint folder copied under tmp_path."""

    def copy_it() -> Path:
        out = tmp_path / "evidence.json"
        shutil.copy(real_evidence, out)
        folder = real_evidence.parent / (real_evidence.name + ".d")
        if folder.is_dir():
            shutil.copytree(folder, tmp_path / folder.name)
        return out

    return copy_it
