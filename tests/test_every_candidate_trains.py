"""Every candidate the engine can recommend (``advisor.vocabulary.CANDIDATES``) trains, for every task it applies
to (TEP001: ``advisor.candidates.CLASSIFY_ONLY`` / ``TAG_ONLY``), through ``advisor baseline train`` for one epoch on
tiny data (a tiny local BERT for the transformers), and its model folder reloads for ``evaluate`` and ``predict``.

The walk is derived from the vocabulary: a candidate added there is walked too, and one that cannot be trained
fails here, named."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.candidates import CLASSIFY_ONLY, TAG_ONLY, TRANSFORMERS
from advisor.cli import cli
from advisor.data.toy import toy_tagging_sentences, write_toy_conll
from advisor.vocabulary import CANDIDATES, TASKS

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.test_evidence import DATA  # noqa: E402
from tests.tiny_encoder import build_tiny_encoder  # noqa: E402

TAGGING_SENTENCES = 60


def applies(arch: str, task: str) -> bool:
    return not (task == "tagging" and arch in CLASSIFY_ONLY) and not (
        task == "classification" and arch in TAG_ONLY
    )


WALK = [(arch, task) for arch in CANDIDATES for task in TASKS if applies(arch, task)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("walk")
    (folder / "train.jsonl").write_text(DATA, encoding="utf-8")
    write_toy_conll(folder / "train.conll", TAGGING_SENTENCES, 7)
    words = {w for line in DATA.splitlines() for w in json.loads(line)["text"].split()}
    words |= {w for s in toy_tagging_sentences(TAGGING_SENTENCES, 7) for w in s.tokens}
    encoder = build_tiny_encoder(folder / "tiny-bert", words, max_positions=64)
    policy = folder / "policy.toml"
    policy.write_text("finetune_min_examples = 10\n", encoding="utf-8")  # no plateau evidence needed here
    return {
        "classification": folder / "train.jsonl",
        "tagging": folder / "train.conll",
        "encoder": encoder,
        "policy": policy,
    }


def test_the_walk_covers_both_tasks():
    assert {t for _, t in WALK} == set(TASKS) and len(WALK) > len(CANDIDATES)


@pytest.mark.parametrize(("arch", "task"), WALK, ids=[f"{a}-{t}" for a, t in WALK])
def test_candidate_trains_reloads_and_predicts(arch, task, files, tmp_path):
    runner = CliRunner()
    data, out = files[task], tmp_path / "model"
    args = ["baseline", "train", str(data), "--arch", arch, "--epochs", "1", "--policy", str(files["policy"]),
            "--out", str(out), "--json"]  # fmt: skip
    if arch in TRANSFORMERS:
        args += ["--encoder", str(files["encoder"])]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, f"candidate {arch!r} cannot be trained on {task} data: {res.output}"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["architecture"], manifest["task"]) == (arch, task)
    res = runner.invoke(cli, ["baseline", "evaluate", str(out), str(data), "--json"])
    assert res.exit_code == 0, f"candidate {arch!r} ({task}) does not reload for evaluate: {res.output}"
    res = runner.invoke(cli, ["baseline", "predict", str(out), "Anna flew to Oslo"])
    assert res.exit_code == 0, f"candidate {arch!r} ({task}) does not reload for predict: {res.output}"
    if task == "tagging":
        assert len(res.output.split("\t")[0].split()) == 4
