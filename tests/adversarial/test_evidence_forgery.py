"""Evidence forged or bent the way a hostile user would (issue 8), submitted through the CLI and the Python API.

Each case that the advisor accepted when the issue was filed landed first as ``xfail(strict=True)``; cases that
strict validation (issue 7) already refuses are plain tests, kept so that they stay refused.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.evidence import SCHEMA_VERSION, plateau_verdict
from advisor.vocabulary import FINETUNING

from .forge import forged, load, policy_file, recommend_doc, sha256, with_checkpoint_refs, write


def refused(doc: dict) -> str:
    """The evidence reason of a recommendation that must have refused the evidence (and fine-tuning)."""
    assert doc["evidence"]["provided"] and not doc["evidence"]["accepted"], doc["evidence"]
    assert doc["architecture"] not in FINETUNING
    refused = list(FINETUNING) if doc["profile"]["task"] == "classification" else ["transformer-finetune"]
    assert [r["architecture"] for r in doc["refusals"]] == refused  # SetFit classifies only (TEP001)
    return doc["evidence"]["reason"]


def accepted(doc: dict) -> dict:
    assert doc["evidence"]["accepted"], doc["evidence"]["reason"]
    return doc["evidence"]


# -- forged from public facts alone (no training) --------------------------------------------------------
@pytest.mark.parametrize(
    "curve", [[0.5, 0.9, 0.9, 0.9, 0.9], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]], ids=str
)
def test_public_fingerprint_and_a_made_up_curve_is_refused(toy_data, tmp_path, curve):
    ev = write(tmp_path / "e.json", forged(toy_data, curve))
    assert "checkpoint" in refused(recommend_doc(toy_data, ev))


def test_forged_checkpoint_references_are_refused(toy_data, tmp_path):
    ev = write(tmp_path / "e.json", with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])))
    reason = refused(recommend_doc(toy_data, ev))
    assert "checkpoint" in reason and "not found" in reason


def test_a_version_1_file_is_refused_as_made_by_an_older_advisor(toy_data, tmp_path):
    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["schema_version"] = 1
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))
    assert reason.endswith("made by an older advisor: rerun `advisor baseline plateau`")


@pytest.mark.parametrize("version", [True, 1.0, float(SCHEMA_VERSION), str(SCHEMA_VERSION)], ids=repr)
def test_a_version_that_is_not_the_integer_is_refused(toy_data, tmp_path, version):
    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["schema_version"] = version
    assert "schema_version" in refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))


def test_a_float_example_count_is_refused(toy_data, tmp_path):
    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["data"]["examples"] = float(doc["data"]["examples"])
    assert "data.examples" in refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))


def test_a_transformer_finetune_run_is_refused(toy_data, tmp_path):
    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["runs"][1]["arch"] = "transformer-finetune"
    assert "runs.1.arch" in refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))


def test_any_text_as_metric_is_refused_and_shown_escaped(toy_data, tmp_path):
    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["metric"] = "accuracy\n\x1b[32mACCEPTED\x1b[0m"
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))
    assert "metric" in reason and "\n" not in reason and "\x1b" not in reason


def test_a_patience_below_the_policy_is_refused(toy_data, tmp_path):
    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9]))
    doc["plateau"]["patience"] = 2
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))
    assert "patience 2" in reason and "plateau_patience" in reason


def test_the_python_api_never_accepts_evidence_without_the_data(toy_data, tmp_path):
    from advisor.api import recommend

    doc = forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])
    doc["data"]["fingerprint"] = "sha256:" + "0" * 64
    rec = recommend({"examples": doc["data"]["examples"]}, evidence=write(tmp_path / "e.json", doc))
    assert not rec.evidence.accepted and rec.architecture not in FINETUNING
    assert "needs the data" in rec.evidence.reason


def test_the_python_api_recomputes_the_fingerprint_of_a_hand_made_data_summary(toy_data, tmp_path):
    from advisor.api import recommend

    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
    other = tmp_path / "other.jsonl"
    other.write_text(toy_data.read_text().replace('"text": "', '"text": "new '), encoding="utf-8")
    profile = {
        "examples": doc["data"]["examples"],
        "data": {"path": str(other), "fingerprint": doc["data"]["fingerprint"]},
    }
    rec = recommend(profile, evidence=write(tmp_path / "e.json", doc))
    assert not rec.evidence.accepted and "fingerprint" in rec.evidence.reason


def test_the_agent_tools_take_no_evidence():
    """MCP and the llm tools have no evidence argument: evidence reaches the advisor only with the data."""
    import asyncio
    import inspect

    pytest.importorskip("mcp")
    pytest.importorskip("llm")
    from advisor.agents import llm_plugin
    from advisor.agents.mcp_server import build_server

    tools = asyncio.run(build_server().list_tools())
    assert tools and all("evidence" not in json.dumps(t.input_schema) for t in tools)
    for fn in (llm_plugin.advisor_recommend, llm_plugin.advisor_check):
        assert "evidence" not in inspect.signature(fn).parameters


# -- the rules a structurally valid file must follow ---------------------------------------------------
def test_a_bilstm_crf_run_in_classification_evidence_is_refused(toy_data, tmp_path):
    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
    doc["runs"][1]["arch"] = "bilstm-crf"
    doc["runs"][1]["checkpoint"] = doc["runs"][0].get("checkpoint")
    policy = policy_file(tmp_path, evidence_check="structural")
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc), "--policy", str(policy)))
    assert "'bilstm-crf' is not a baseline architecture for classification" in reason


def test_an_inconsistent_best_epoch_or_best_dev_is_refused(toy_data, tmp_path):
    policy = policy_file(tmp_path, evidence_check="structural")
    for key, value in (("best_epoch", 4), ("best_dev", 0.95)):
        doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
        doc["runs"][0][key] = value
        reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc), "--policy", str(policy)))
        assert f"run 1 (textcnn, seed 0): {key}" in reason


def test_a_string_from_the_file_is_shown_quoted_and_escaped(toy_data, tmp_path):
    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
    doc["runs"][0]["checkpoint"]["path"] = "evidence.json.d/x\n\x1b[32mACCEPTED"
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))
    assert "'evidence.json.d/x\\n\\x1b[32mACCEPTED'" in reason  # advisor.sanitize.quote: repr, escaped
    assert "\n" not in reason and "\x1b" not in reason


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "evidence.json.d/../../outside"])
def test_a_checkpoint_outside_the_evidence_folder_is_refused(toy_data, tmp_path, path):
    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
    doc["runs"][0]["checkpoint"]["path"] = path
    reason = refused(recommend_doc(toy_data, write(tmp_path / "e.json", doc)))
    assert "checkpoint" in reason and "relative path inside" in reason


def test_a_tagging_baseline_that_learned_nothing_is_refused(tmp_path):
    """276 CoNLL sentences: every BiLSTM-CRF seed at dev F1 0.0000 from epoch 1 unlocked fine-tuning."""
    from advisor.data.toy import write_toy_conll

    data = write_toy_conll(tmp_path / "tags.conll", n=60)
    doc = with_checkpoint_refs(forged(data, [0.0, 0.0, 0.0, 0.0], arch="bilstm-crf"))
    doc.update(task="tagging", metric="entity_f1")
    doc["data"]["examples"] = 60
    policy = policy_file(tmp_path, evidence_check="structural")
    reason = refused(recommend_doc(data, write(tmp_path / "e.json", doc), "--policy", str(policy)))
    assert "the baseline did not beat the majority class: its floor would say nothing" in reason
    assert "frozen-transformer" in reason  # what to try


def test_the_floor_is_the_best_architecture_and_a_stuck_run_is_left_out_and_named(toy_data, tmp_path):
    """TREC: a BiLSTM seed stuck at epoch 1 (0.41) pulled a TextCNN floor down. Here the stuck seed sits below
    the toy dev split's majority rate (1/3), so it is also named as not learned."""
    doc = forged(toy_data, [0.5, 0.8, 0.8, 0.8, 0.8])
    stuck = forged(toy_data, [0.3, 0.3, 0.3, 0.3], arch="bilstm", runs=2)
    stuck["runs"][1]["dev_curve"] = [0.5, 0.7, 0.7, 0.7, 0.7]
    stuck["runs"][1]["best_dev"] = 0.7
    stuck["runs"][1]["best_epoch"] = 2
    doc["runs"] += stuck["runs"]
    doc["architectures"] = ["textcnn", "bilstm"]
    policy = policy_file(tmp_path, evidence_check="structural")
    ev = accepted(
        recommend_doc(
            toy_data, write(tmp_path / "e.json", with_checkpoint_refs(doc)), "--policy", str(policy)
        )
    )
    assert (ev["floor_mean"], ev["floor_std"], ev["architectures"]) == (0.8, 0.0, ["textcnn"])
    assert "run 3 (bilstm, seed 0)" in ev["reason"] and "did not learn" in ev["reason"]


def test_structural_checking_is_a_policy_override_reported_in_the_recommendation(toy_data, tmp_path):
    doc = with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9]))
    policy = policy_file(tmp_path, evidence_check="structural")
    rec = recommend_doc(toy_data, write(tmp_path / "e.json", doc), "--policy", str(policy))
    assert "structural" in accepted(rec)["reason"]
    assert any(f["rule"] == "TEP100" and "evidence_check" in f["message"] for f in rec["flags"])


# -- a real file, bent -------------------------------------------------------------------------------------


@pytest.mark.baselines
def test_a_real_file_is_accepted(toy_data, evidence_copy):
    ev = accepted(recommend_doc(toy_data, evidence_copy()))
    assert ev["runs"] == 2


@pytest.mark.baselines
def test_a_real_file_keeps_its_checkpoints_beside_it_with_their_sha256(evidence_copy):
    ev = evidence_copy()
    for run in load(ev)["runs"]:
        folder = ev.parent / run["checkpoint"]["path"]
        assert folder.parent.name == "evidence.json.d"
        for name, digest in run["checkpoint"]["files"].items():
            assert sha256(folder / name) == digest


@pytest.mark.baselines
def test_every_curve_raised_by_a_fifth_is_refused_by_re_evaluation(toy_data, evidence_copy):
    ev = evidence_copy()
    doc = load(ev)
    for run in doc["runs"]:
        run["dev_curve"] = [round(min(1.0, x + 0.2), 6) for x in run["dev_curve"]]
        _, best = plateau_verdict(run["dev_curve"], doc["plateau"]["patience"], doc["plateau"]["min_delta"])
        run["best_epoch"], run["best_dev"] = best, run["dev_curve"][best - 1]
    reason = refused(recommend_doc(toy_data, write(ev, doc)))
    assert "re-evaluated" in reason


@pytest.mark.baselines
def test_five_copies_of_the_same_runs_are_refused(toy_data, evidence_copy):
    ev = evidence_copy()
    doc = load(ev)
    doc["runs"] = doc["runs"] * 5
    assert "duplicate run (textcnn, seed 0)" in refused(recommend_doc(toy_data, write(ev, doc)))


@pytest.mark.baselines
def test_one_checkpoint_copied_under_another_seed_is_refused(toy_data, evidence_copy):
    import shutil

    ev = evidence_copy()
    doc = load(ev)
    copy = json.loads(json.dumps(doc["runs"][0]))
    copy["seed"] = 7
    copy["checkpoint"]["path"] = "evidence.json.d/textcnn-seed7"
    shutil.copytree(ev.parent / doc["runs"][0]["checkpoint"]["path"], ev.parent / copy["checkpoint"]["path"])
    doc["runs"].append(copy)
    assert "is another run's (same folder or weights)" in refused(recommend_doc(toy_data, write(ev, doc)))


@pytest.mark.baselines
def test_one_edited_weight_tensor_with_its_sha256_updated_is_refused_by_the_score(toy_data, evidence_copy):
    import torch

    ev = evidence_copy()
    doc = load(ev)
    run = doc["runs"][0]
    weights = ev.parent / run["checkpoint"]["path"] / "model.pt"
    state = torch.load(weights, weights_only=True)
    last = [k for k, v in state.items() if v.dim() == 2][-1]  # the output layer
    state[last] = -state[last]
    torch.save(state, weights)
    run["checkpoint"]["files"]["model.pt"] = sha256(weights)
    reason = refused(recommend_doc(toy_data, write(ev, doc)))
    assert "run 1 (textcnn, seed 0)" in reason and "re-evaluated" in reason


@pytest.mark.baselines
def test_an_altered_or_missing_checkpoint_is_refused(toy_data, evidence_copy):
    import shutil

    ev = evidence_copy()
    folder = ev.parent / load(ev)["runs"][1]["checkpoint"]["path"]
    with (folder / "model.pt").open("ab") as fh:
        fh.write(b"\0")
    assert "sha256" in refused(recommend_doc(toy_data, ev))
    shutil.rmtree(folder)
    assert "not found" in refused(recommend_doc(toy_data, ev))


@pytest.mark.baselines
def test_a_file_recording_another_split_is_refused(toy_data, evidence_copy):
    ev = evidence_copy()
    doc = load(ev)
    doc["data"]["split"]["seed"] += 1
    assert "split" in refused(recommend_doc(toy_data, write(ev, doc)))


@pytest.mark.baselines
def test_a_checkpoint_of_another_architecture_is_refused(toy_data, evidence_copy):
    ev = evidence_copy()
    doc = load(ev)
    doc["runs"][0]["arch"] = "bilstm"
    doc["architectures"] = ["textcnn", "bilstm"]
    assert "holds a 'textcnn' model" in refused(recommend_doc(toy_data, write(ev, doc)))


@pytest.mark.baselines
def test_a_real_baseline_below_the_learned_margin_is_refused(toy_data, evidence_copy, tmp_path):
    policy = policy_file(tmp_path, min_learned_margin=0.9)
    reason = refused(recommend_doc(toy_data, evidence_copy(), "--policy", str(policy)))
    assert "the baseline did not beat the majority class: its floor would say nothing" in reason


@pytest.mark.baselines
def test_reproduce_accepts_the_real_file_and_refuses_a_bent_tail(toy_data, evidence_copy, tmp_path):
    ev = evidence_copy()
    policy = policy_file(tmp_path, evidence_check="reproduce")  # the policy's way to ask for --reproduce
    assert "reproduced on CPU" in accepted(recommend_doc(toy_data, ev, "--policy", str(policy)))["reason"]
    doc = load(ev)
    for run in doc["runs"]:  # the epochs after the best, lowered: re-evaluation cannot see it, retraining can
        b = run["best_epoch"]
        run["dev_curve"] = run["dev_curve"][:b] + [max(0.0, x - 0.1) for x in run["dev_curve"][b:]]
    write(ev, doc)
    accepted(recommend_doc(toy_data, ev))
    assert "does not reproduce" in refused(recommend_doc(toy_data, ev, "--reproduce"))


@pytest.mark.baselines
def test_a_cuda_trained_run_says_it_cannot_be_reproduced_on_cpu(toy_data, evidence_copy):
    ev = evidence_copy()
    doc = load(ev)
    for run in doc["runs"]:
        run["device"] = "cuda"
    write(ev, doc)
    accepted(recommend_doc(toy_data, ev))  # re-evaluated on CPU
    assert "cannot be reproduced on CPU" in refused(recommend_doc(toy_data, ev, "--reproduce"))


def evidence_in_a_fresh_process(args: list[str], *, block_torch: bool = False) -> tuple[dict | None, bool]:
    """`advisor ARGS` (a recommend --json) in a new interpreter: (its evidence report, whether torch got loaded).
    ``block_torch`` makes ``import torch`` fail there, as on a light install."""
    code = (
        "import sys, json\n"
        + ("sys.modules['torch'] = None\n" if block_torch else "")
        + "from click.testing import CliRunner\nfrom advisor.cli import cli\n"
        f"r = CliRunner().invoke(cli, {args!r})\nassert r.exit_code == 0, r.output\n"
        "print(json.dumps([json.loads(r.output)['evidence'], sys.modules.get('torch') is not None]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    evidence, torch_loaded = json.loads(out.stdout)
    return evidence, torch_loaded


@pytest.mark.baselines
def test_without_torch_evidence_is_not_accepted(toy_data, evidence_copy):
    args = ["recommend", "--data", str(toy_data), "--evidence", str(evidence_copy()), "--json"]
    ev, _ = evidence_in_a_fresh_process(args, block_torch=True)
    assert not ev["accepted"] and ev["reason"].startswith("cannot re-evaluate: pip install")


@pytest.mark.parametrize("structural_evidence", [False, True], ids=["data", "data+structural-evidence"])
def test_only_evidence_loads_torch(toy_data, tmp_path, structural_evidence):
    """`recommend --data` stays torch-free; so does evidence checked structurally (nothing to re-evaluate)."""
    args = ["recommend", "--data", str(toy_data), "--json"]
    if structural_evidence:
        ev = write(tmp_path / "e.json", with_checkpoint_refs(forged(toy_data, [0.5, 0.9, 0.9, 0.9, 0.9])))
        args += ["--evidence", str(ev), "--policy", str(policy_file(tmp_path, evidence_check="structural"))]
    evidence, torch_loaded = evidence_in_a_fresh_process(args)
    assert not torch_loaded
    assert (evidence is not None and evidence["accepted"]) == structural_evidence
