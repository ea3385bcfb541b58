"""No data loss (issue 9, section 3): the advisor never deletes what it did not write, never overwrites an
input, never replaces a good model with an interrupted one, and writes a model folder whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from tests.adversarial.conftest import assert_clean_error, tree

pytest.importorskip("torch")
pytestmark = pytest.mark.baselines

LINES = [("great product", "pos"), ("awful service", "neg"), ("loved it", "pos"), ("hated it", "neg")]
DATA = "".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in LINES * 10)
FAST = ["--arch", "textcnn", "--epochs", "2"]


@pytest.fixture(scope="module")
def good_model(tmp_path_factory):
    """A model folder `advisor baseline train` wrote (copied for each test that needs one)."""
    from click.testing import CliRunner

    from advisor.cli import cli

    root = tmp_path_factory.mktemp("good")
    (root / "data.jsonl").write_text(DATA)
    result = CliRunner().invoke(
        cli, ["baseline", "train", str(root / "data.jsonl"), *FAST, "--out", str(root / "m")]
    )
    assert result.exit_code == 0, result.output
    return root / "m"


def test_train_out_on_a_foreign_folder_is_an_error(hostile):
    files = {"data.jsonl": DATA, "mine/thesis.tex": "years of work", "mine/notes.txt": "more"}
    result, before, after = hostile(["baseline", "train", "data.jsonl", *FAST, "--out", "mine"], files)
    assert_clean_error(result, 2, "mine", "--force")
    assert after == before


def test_train_force_replaces_a_foreign_folder_after_success(hostile, tmp_path):
    files = {"data.jsonl": DATA, "mine/notes.txt": "more"}
    result, _, _ = hostile(["baseline", "train", "data.jsonl", *FAST, "--out", "mine", "--force"], files)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine" / "manifest.json").is_file() and not (tmp_path / "mine" / "notes.txt").exists()


def test_train_replaces_an_advisor_model_folder(hostile, tmp_path, good_model):
    shutil.copytree(good_model, tmp_path / "m")
    result, _, _ = hostile(["baseline", "train", "data.jsonl", *FAST, "--out", "m"], {"data.jsonl": DATA})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(["--out", "d"], "d", id="data-inside-out"),
        pytest.param(["--out", "d/data.jsonl"], "d/data.jsonl", id="out-is-the-data"),
        pytest.param(["--out", "d", "--force"], "d/data.jsonl", id="data-inside-out-force"),
        pytest.param(
            ["--out", "/proc/advisor-model"],
            "/proc/advisor-model",
            id="out-not-writable",
        ),
        pytest.param(["--out", "."], ".", id="out-is-cwd"),
    ],
)
def test_train_out_never_holds_an_input(hostile, tmp_path, good_model, args, needle):
    shutil.copytree(good_model, tmp_path / "d")
    result, before, after = hostile(
        ["baseline", "train", "d/data.jsonl", *FAST, *args], {"d/data.jsonl": DATA}
    )
    assert_clean_error(result, 2, needle)
    assert after == before


@pytest.mark.parametrize(
    "out",
    [
        pytest.param("data.jsonl", id="out-is-the-data"),
        pytest.param("./data.jsonl", id="out-is-the-data-spelled-otherwise"),
        pytest.param("emb.txt", id="out-is-the-embeddings"),
    ],
)
def test_plateau_out_is_never_an_input(hostile, out):
    files = {"data.jsonl": DATA, "emb.txt": "great 0.1 0.2\nawful 0.3 0.1\n"}
    args = ["baseline", "plateau", "data.jsonl", "--embeddings", "emb.txt", "--out", out]
    result, before, after = hostile(
        [*args, "--arch", "textcnn", "--seeds", "1", "--max-epochs", "3", "--fractions", "1.0"], files
    )
    assert_clean_error(result, 2, out.removeprefix("./"), "input")
    assert after == before


def _interrupt_at_epoch(monkeypatch, epoch: int, calls: list | None = None):
    import importlib

    train_mod = importlib.import_module("advisor.baselines.train")  # the attribute is the API's train()

    real = train_mod.fit

    def fit(model, batches, evaluate, config, **kw):
        def interrupted(e):
            if e >= epoch:
                raise KeyboardInterrupt
            yield from batches(e)

        return real(model, interrupted, evaluate, config, **kw)

    monkeypatch.setattr(train_mod, "fit", fit)


def test_an_interrupt_never_replaces_a_model(hostile, tmp_path, good_model, monkeypatch):
    shutil.copytree(good_model, tmp_path / "m")
    _interrupt_at_epoch(monkeypatch, 2)
    result, before, after = hostile(
        ["baseline", "train", "data.jsonl", *FAST, "--out", "m"], {"data.jsonl": DATA}
    )
    line = assert_clean_error(result, 130, "interrupted", "m.interrupted")
    assert {k: v for k, v in after.items() if k.startswith("m/")} == {
        k: v for k, v in before.items() if k.startswith("m/")
    }, line
    assert (tmp_path / "m.interrupted" / "manifest.json").is_file()


def test_the_png_is_inside_the_atomic_swap(hostile, tmp_path, good_model, monkeypatch):
    import advisor.baselines.plots as plots

    shutil.copytree(good_model, tmp_path / "m")

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "plot_length_buckets", ctrl_c)
    result, before, after = hostile(
        ["baseline", "train", "data.jsonl", *FAST, "--out", "m"], {"data.jsonl": DATA}
    )
    assert_clean_error(result, 130, "interrupted")
    assert after == before


def test_a_model_folder_holds_its_png(hostile, tmp_path):
    result, _, _ = hostile(["baseline", "train", "data.jsonl", *FAST, "--out", "new"], {"data.jsonl": DATA})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "length_buckets.png").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temp folder was left behind"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_model_folder_respects_the_umask(hostile, tmp_path, umask):
    old = os.umask(umask)
    try:
        result, _, _ = hostile(["baseline", "train", "data.jsonl", *FAST, "--out", "m"], {"data.jsonl": DATA})
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "m").stat().st_mode) == 0o777 & ~umask
    for f in (tmp_path / "m").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f.name


def test_prompt_out_keeps_the_old_file_when_the_answer_fails(hostile, tmp_path):
    result, before, after = hostile(
        ["prompt", "--examples", "0", "--out", "p.md"], {"p.md": "the previous prompt"}
    )
    assert_clean_error(result, 2, "examples")
    assert after == before and (tmp_path / "p.md").read_text() == "the previous prompt"


def test_tree_helper_sees_nested_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c").write_text("x")
    assert list(tree(tmp_path)) == ["a/b/c"]


def test_plateau_never_replaces_a_foreign_checkpoints_folder(hostile):
    """The evidence's checkpoints folder (``<out>.d``) is replaced when the evidence is written: a folder of that
    name the advisor did not write is an error before any training, and stays as it was."""
    files = {"data.jsonl": DATA, "evidence.json.d/thesis.tex": "years of work"}
    args = ["baseline", "plateau", "data.jsonl", "--out", "evidence.json"]
    result, before, after = hostile([*args, "--arch", "textcnn", "--seeds", "1", "--fractions", "1.0"], files)
    assert_clean_error(result, 2, "evidence.json.d", "not an evidence checkpoints folder")
    assert after == before
