"""Fixtures of the hostile cases: a small real evidence file (trained once per session) and helpers to forge,
copy and submit evidence the way a user would (the CLI, the Python API); and what every hostile-input case
asserts (:func:`assert_clean_error`): the exit code, one ``Error:`` line naming the problem, no traceback,
nothing on stdout, and (with :func:`tree`) no file left behind or destroyed."""

from __future__ import annotations

import hashlib
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


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256 of its bytes): what a failed command must leave as it was."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_clean_error(result, code: int, *needles: str) -> str:
    """The one error line of a failed CliRunner result, after asserting the promises every error keeps."""
    shown = f"exit {result.exit_code}\nstdout: {result.stdout[:2000]}\nstderr: {result.stderr[:2000]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}\nexception: {result.exception!r}"
    )
    assert result.exit_code == code, shown
    assert "Traceback" not in result.output, shown
    assert result.stdout == "", shown
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, shown
    line = errors[0]
    after = result.stderr.split(line, 1)[1]
    assert not after.strip(), f"the message goes on past its line:{after[:500]}"
    assert len(line) < 1000, f"the message echoes too much ({len(line)} characters)"
    for needle in needles:
        assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    return line


@pytest.fixture
def hostile(tmp_path, monkeypatch, runner):
    """``hostile(args, files={name: text | bytes}, input=None) -> (result, before, after)``: run the CLI in a
    fresh working folder holding ``files`` (no pyproject.toml above it that matters: the folder is cwd)."""
    monkeypatch.chdir(tmp_path)

    def run(args, files=None, input=None):
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        before = tree(tmp_path)
        result = runner.invoke(cli, args, input=input, catch_exceptions=True)
        return result, before, tree(tmp_path)

    return run
