"""The engine and the built-in picker policy: one group of tests per rule, then the plugin contract."""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import sys
import types
from pathlib import Path

import pytest

import advisor.engine
from advisor import ConstraintProfile, hookimpl, hookspecs, recommend
from advisor.candidates import CANDIDATES, TAG_ONLY, TRANSFORMERS, estimate, round_up
from advisor.engine import PHASES, Engine
from advisor.errors import NoCandidateError, PluginError, UnknownRuleError
from advisor.policy import Policy
from advisor.profile import DataSummary
from advisor.vocabulary import FINETUNING

UNLOCK = "advisor baseline plateau DATA --out evidence.json && advisor recommend --data DATA --evidence evidence.json"
RECIPE_FIELDS = ("optimizer", "learning_rate", "batch_size", "epochs", "regularization")


def rec(policy: Policy | None = None, engine: Engine | None = None, evidence=None, **profile):
    return recommend(ConstraintProfile(**profile), policy=policy, engine=engine, evidence=evidence)


def flag_rules(r) -> list[str]:
    return [f.rule for f in r.flags]


def alt(r, arch: str):
    (a,) = [a for a in r.alternatives if a.architecture == arch]
    return a


def excluded_by(r, arch: str) -> set[str]:
    a = alt(r, arch)
    assert a.status == "excluded", (arch, a.status)
    return set(re.findall(r"TEP\d{3}", a.why_not))


def trace_effects(r, rule: str) -> list[str]:
    return [t.effect for t in r.trace if t.rule == rule]


def evidence_doc(
    task: str = "classification", examples: int = 300, curve=(0.5, 0.6, 0.7, 0.7, 0.7, 0.7), **over
):
    doc = {
        "schema_version": 1,
        "kind": "advisor-plateau-evidence",
        "task": task,
        "metric": "accuracy" if task == "classification" else "entity_f1",
        "data": {
            "path": "train.jsonl",
            "fingerprint": "sha256:" + "0" * 64,
            "examples": examples,
            "label_counts": {},
        },
        "plateau": {"patience": 3, "min_delta": 0.001, "verdict": "plateaued"},
        "architectures": ["textcnn"],
        "runs": [
            {
                "arch": "textcnn",
                "seed": s,
                "config": {},
                "dev_curve": list(curve),
                "best_epoch": 3,
                "best_dev": max(curve),
                "plateaued": True,
            }
            for s in (0, 1)
        ],
        "floor": {"metric": "accuracy", "mean": max(curve), "std": 0.0, "runs": 2},
        "versions": {},
    }
    doc.update(over)
    return doc


# -- TEP001 task-fit -----------------------------------------------------------------------------------
def test_tep001_tagging_excludes_whole_text_classifiers():
    r = rec(task="tagging", examples=5000)
    assert excluded_by(r, "textcnn") == {"TEP001"}
    assert excluded_by(r, "ngram-linear") == {"TEP001"}
    assert "bilstm-crf" not in [a.architecture for a in r.alternatives if a.status == "excluded"]


def test_tep001_classification_excludes_the_crf_tagger():
    r = rec(examples=5000)
    assert excluded_by(r, "bilstm-crf") == {"TEP001"}
    assert alt(r, "textcnn").status == "ranked"


# -- TEP100 policy-override ----------------------------------------------------------------------------
def test_tep100_absent_under_the_shipped_policy():
    assert "TEP100" not in flag_rules(rec(examples=300))


def test_tep100_flags_every_overridden_value():
    r = rec(Policy(finetune_min_examples=100, static_embeddings_below=5000), examples=300)
    messages = [f.message for f in r.flags if f.rule == "TEP100"]
    assert messages == [
        "policy override: finetune_min_examples = 100 (shipped default 500)",
        "policy override: static_embeddings_below = 5000 (shipped default 10000)",
    ]
    assert r.policy["finetune_min_examples"] == 100
    # the loosened threshold takes effect, and is not silent (300 < policy setfit_below: the few-shot candidate)
    assert r.architecture == "transformer-setfit"


# -- TEP101 finetune-needs-plateau ---------------------------------------------------------------------
@pytest.mark.parametrize("examples", [1, 50, 300, 499])
def test_tep101_refuses_finetuning_below_the_threshold(examples):
    r = rec(examples=examples)
    assert r.architecture == "frozen-transformer"
    assert [(x.rule, x.architecture) for x in r.refusals] == [("TEP101", a) for a in FINETUNING]
    for refusal in r.refusals:
        assert refusal.message.startswith(f"{examples} labeled examples < 500 (policy finetune_min_examples)")
        # it names what it refuses and what the evidence would unlock at this size
        assert refusal.message.endswith(
            "; refused: transformer-finetune, transformer-setfit; evidence would unlock transformer-setfit at this "
            f"size ({examples} < 1000, policy setfit_below)"
        )
        assert refusal.unlock == UNLOCK
    for arch in FINETUNING:
        assert alt(r, arch).status == "refused"
        assert alt(r, arch).why_not.startswith(f"TEP101 {examples} labeled examples < 500")


def test_tep101_refusal_names_plain_finetuning_when_the_size_is_past_the_switch_point():
    r = rec(Policy(finetune_min_examples=2000), examples=1200)
    assert r.refusals[0].message.endswith(
        "evidence would unlock transformer-finetune at this size (1200 >= 1000, policy setfit_below)"
    )


@pytest.mark.parametrize("examples", [500, 501, 5000])
def test_tep101_allows_finetuning_at_the_threshold(examples):
    r = rec(examples=examples)
    # which fine-tuning is TEP401's (policy setfit_below, 1,000): SetFit at 500 and 501
    assert r.architecture == ("transformer-setfit" if examples < 1000 else "transformer-finetune")
    assert r.refusals == []
    assert trace_effects(r, "TEP101") == ["info"]
    (note,) = [t.reason for t in r.trace if t.rule == "TEP101"]
    assert note == f"{examples} labeled examples >= 500: fine-tuning needs no evidence"


def test_tep101_holds_for_tagging_counted_in_sentences():
    r = rec(task="tagging", examples=300)
    (refusal,) = r.refusals
    assert refusal.architecture == "transformer-finetune"
    assert refusal.message.startswith("300 labeled sentences < 500")
    assert refusal.unlock == UNLOCK
    assert r.architecture != "transformer-finetune"


def test_tep101_threshold_comes_from_the_policy():
    r = rec(Policy(finetune_min_examples=1000), examples=700)
    assert r.refusals[0].message.startswith("700 labeled examples < 1000")
    assert "TEP100" in flag_rules(r)


def test_tep101_refusal_of_an_excluded_candidate_is_trace_only():
    r = rec(examples=300, deploy="phone")
    assert r.refusals == []  # TEP201 had already excluded fine-tuning
    assert "refuse transformer-finetune (already excluded)" in trace_effects(r, "TEP101")


def test_tep101_unlock_command_names_the_data_file_quoted():
    data = DataSummary(path="my data.jsonl", fingerprint="sha256:" + "0" * 64)
    r = rec(examples=300, data=data)
    assert r.refusals[0].unlock == (
        "advisor baseline plateau 'my data.jsonl' --out evidence.json && "
        "advisor recommend --data 'my data.jsonl' --evidence evidence.json"
    )


def _with_status(status, **profile):
    """The recommendation the engine gives ``profile`` when the verifier reported ``status`` (TEP101's input)."""
    from advisor.api import build_recommendation
    from advisor.engine import default_engine
    from advisor.policy import DEFAULT_POLICY

    engine = default_engine()
    return build_recommendation(engine, engine.evaluate(ConstraintProfile(**profile), DEFAULT_POLICY, status))


def test_tep101_accepted_evidence_lifts_the_refusal():
    from advisor.evidence import EvidenceStatus

    status = EvidenceStatus(
        provided=True, accepted=True, reason="2 baseline run(s) plateaued", metric="accuracy",
        floor_mean=0.7, floor_std=0.0, runs=2, architectures=("textcnn",),
    )  # fmt: skip
    r = _with_status(status, examples=300)
    assert r.refusals == []
    assert r.architecture == "transformer-setfit"  # 300 < policy setfit_below
    assert r.evidence is not None and r.evidence.accepted and r.evidence.floor_mean == 0.7
    assert "floor is 0.700" in r.monitoring
    assert "TEP102" not in flag_rules(r)  # 300 >= 250


def test_tep101_rejected_evidence_keeps_the_refusal_with_the_reason():
    from advisor.evidence import EvidenceStatus

    r = _with_status(EvidenceStatus(provided=True, accepted=False, reason="the failed check"), examples=300)
    assert r.architecture == "frozen-transformer"
    assert [x.architecture for x in r.refusals] == list(FINETUNING)
    for refusal in r.refusals:
        assert "; evidence not accepted: the failed check; refused: " in refusal.message
    assert r.evidence is not None and not r.evidence.accepted


@pytest.mark.parametrize("doc", [evidence_doc(), evidence_doc(curve=(0.5, 0.6, 0.7, 0.8))])
def test_tep101_evidence_without_the_data_keeps_the_refusal(tmp_path, doc):
    """Each check of the file itself is tested in tests/test_evidence.py; without the data none is reached."""
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = rec(examples=300, evidence=path)
    assert r.architecture == "frozen-transformer"
    assert [x.architecture for x in r.refusals] == list(FINETUNING)
    for refusal in r.refusals:
        assert "; evidence not accepted: evidence needs the data" in refusal.message


ACCEPTED = dict(
    provided=True, accepted=True, reason="2 baseline run(s) plateaued", metric="accuracy",
    floor_mean=0.7, floor_std=0.0, runs=2, architectures=("textcnn",),
)  # fmt: skip


@pytest.mark.parametrize(
    ("examples", "evidence", "expected"),
    [
        (100, False, "frozen-transformer"),
        (100, True, "transformer-setfit"),
        (250, False, "frozen-transformer"),
        (250, True, "transformer-setfit"),
        (700, False, "transformer-setfit"),
        (700, True, "transformer-setfit"),
        (1000, False, "transformer-finetune"),
        (1000, True, "transformer-finetune"),
    ],
)
def test_tep401_picks_which_fine_tuning_the_evidence_unlocks(examples, evidence, expected):
    """Issue 15 §2: SetFit under policy setfit_below (1,000), plain fine-tuning from there; refused without evidence
    under finetune_min_examples (500)."""
    from advisor.evidence import NO_EVIDENCE, EvidenceStatus

    status = EvidenceStatus(**ACCEPTED) if evidence else NO_EVIDENCE
    r = _with_status(status, examples=examples)
    assert r.architecture == expected
    if expected == "transformer-setfit":
        assert alt(r, "transformer-finetune").status == "ranked"  # the runner-up, 90 points against 100
    elif expected == "transformer-finetune":
        assert alt(r, "transformer-setfit").status == "ranked"  # third, behind frozen features
        assert alt(r, "transformer-setfit").points == 80


def test_setfit_below_is_a_policy_value():
    from advisor.evidence import EvidenceStatus

    engine_rec = _with_status(EvidenceStatus(**ACCEPTED), examples=100)
    assert engine_rec.architecture == "transformer-setfit"
    r = rec(Policy(finetune_min_examples=50, setfit_below=80), examples=100)
    assert r.architecture == "transformer-finetune"
    assert "policy override: setfit_below = 80 (shipped default 1000)" in [f.message for f in r.flags]


# -- TEP102 small-data-finetune-variance ---------------------------------------------------------------
def test_tep102_flags_seed_variance_under_250():
    r = rec(Policy(finetune_min_examples=100, setfit_below=100), examples=200)
    assert r.architecture == "transformer-finetune"
    (msg,) = [f.message for f in r.flags if f.rule == "TEP102"]
    assert msg == (
        "200 examples < 250: fine-tuned accuracy varies by several points between seeds at this size "
        "(measured: up to 8); run three seeds and compare them against frozen features"
    )


def test_tep102_states_setfits_own_measured_variance():
    r = rec(Policy(finetune_min_examples=100), examples=200)
    assert r.architecture == "transformer-setfit"
    (msg,) = [f.message for f in r.flags if f.rule == "TEP102"]
    assert msg == (
        "200 examples < 250: SetFit varied far less than plain fine-tuning between seeds at this size "
        "(measured: sample std up to 3 points at 100 examples, two seeds; plain fine-tuning up to 10); run a "
        "second seed before trusting one run"
    )


@pytest.mark.parametrize(("examples", "threshold"), [(250, 100), (300, 100), (200, 500)])
def test_tep102_silent_otherwise(examples, threshold):
    assert "TEP102" not in flag_rules(rec(Policy(finetune_min_examples=threshold), examples=examples))


# -- TEP201 edge-architecture-first --------------------------------------------------------------------
EDGE = ("phone", "edge", "browser")


@pytest.mark.parametrize("deploy", EDGE)
@pytest.mark.parametrize("budgets", [{}, {"latency_ms": 1000.0}, {"max_model_mb": 1000.0}])
def test_tep201_flags_and_excludes_transformers_unless_both_budgets_given(deploy, budgets):
    r = rec(examples=5000, deploy=deploy, **budgets)
    assert "TEP201" in flag_rules(r)
    for arch in TRANSFORMERS:
        assert "TEP201" in excluded_by(r, arch)
    assert r.architecture == "textcnn"


@pytest.mark.parametrize("deploy", EDGE)
def test_tep201_admits_transformers_when_both_budgets_admit_them(deploy):
    r = rec(examples=5000, deploy=deploy, latency_ms=1000, max_model_mb=200)
    assert "TEP201" in flag_rules(r)
    assert r.architecture == "transformer-finetune"
    assert alt(r, "frozen-transformer").status == "ranked"
    assert sum(1 for t in r.trace if t.rule == "TEP201" and t.effect == "info") == len(TRANSFORMERS)


@pytest.mark.parametrize(
    "budgets", [{"latency_ms": 1000, "max_model_mb": 50}, {"latency_ms": 5, "max_model_mb": 200}]
)
def test_tep201_excludes_transformers_over_either_budget(budgets):
    r = rec(examples=5000, deploy="phone", **budgets)
    for arch in TRANSFORMERS:
        assert "TEP201" in excluded_by(r, arch)


@pytest.mark.parametrize("deploy", ["cpu-server", "gpu-server"])
def test_tep201_silent_on_servers(deploy):
    r = rec(examples=5000, deploy=deploy)
    assert "TEP201" not in flag_rules(r)
    assert not any(t.rule == "TEP201" for t in r.trace)


def test_tep201_flag_text():
    (msg,) = [f.message for f in rec(examples=300, deploy="browser").flags if f.rule == "TEP201"]
    assert msg == (
        "deploy=browser: architecture before everything: pick the architecture for the target before tuning "
        "anything else; a transformer can still teach the small model: train frozen-transformer off the device, "
        "then `advisor baseline train DATA --arch textcnn --teacher MODEL_DIR --augment N` (knowledge "
        "distillation) and keep it only if it beats the same student on hard labels (measured at 250-1,000 "
        "examples it helped in 4 of 12 runs: benchmarks/distill.py)"
    )


def test_tep201_names_distillation_on_classification_only():
    (msg,) = [
        f.message for f in rec(examples=300, deploy="phone", task="tagging").flags if f.rule == "TEP201"
    ]
    assert "--teacher" not in msg and msg.endswith("before tuning anything else")


# -- TEP202 latency-budget / TEP203 size-budget --------------------------------------------------------
@pytest.mark.parametrize("deploy", ["cpu-server", "gpu-server", "phone"])
def test_tep202_excludes_exactly_the_candidates_over_the_latency_budget(deploy):
    latencies = [estimate(arch, 32, deploy).latency_ms for arch in CANDIDATES]
    budget = statistics.median(latencies)  # about half the candidates over it, half within
    assert min(latencies) <= budget < max(latencies)
    r = rec(examples=300, deploy=deploy, tokens=32, latency_ms=budget, max_model_mb=1000)
    for arch in CANDIDATES:
        over = estimate(arch, 32, deploy).latency_ms > budget
        if arch == r.architecture:
            assert not over
        else:
            assert ("TEP202" in excluded_by(r, arch)) if over else ("TEP202" not in alt(r, arch).why_not)


@pytest.mark.parametrize("deploy", ["cpu-server", "edge"])
def test_tep203_excludes_exactly_the_candidates_over_the_size_budget(deploy):
    r = rec(examples=300, deploy=deploy, max_model_mb=25)
    over = {a for a in CANDIDATES if estimate(a, 32, deploy).size_mb > 25}
    # the word models at 300-d: TextCNN's measured export 25.7 MB, LSTM 25.1 and GRU 24.9 (the 128-d measured
    # exports plus the 300-d embedding's bytes), BiLSTM 26.0, BiLSTM-CRF 27.8
    assert over == {"textcnn", "lstm", "bilstm", "bilstm-crf", *TRANSFORMERS}
    for arch in over:
        assert "TEP203" in excluded_by(r, arch)
    assert r.architecture == "ngram-static-linear"  # 19.6 MB: the transformers are over budget
    (reason,) = [t.reason for t in r.trace if t.rule == "TEP203" and t.effect == "exclude textcnn"]
    assert reason == "estimated 25.7 MB (fp32) exceeds the 25 MB budget"


def cheapest(deploy: str, field: str) -> tuple[str, float]:
    """The classification candidate with the smallest estimate ``field`` (size_mb or latency_ms) on ``deploy``
    at 32 words, and that estimate rounded up to the budget the advisor suggests."""
    arch = min(
        (a for a in CANDIDATES if a not in TAG_ONLY), key=lambda a: getattr(estimate(a, 32, deploy), field)
    )
    return arch, round_up(getattr(estimate(arch, 32, deploy), field))


def test_budgets_that_exclude_everything_name_the_smallest_budget():
    smallest, budget = cheapest("phone", "size_mb")
    with pytest.raises(NoCandidateError) as info:
        rec(examples=300, deploy="phone", max_model_mb=budget / 2)
    msg = str(info.value)
    assert msg.startswith("no candidate meets the constraints:\n")
    for arch in CANDIDATES:
        assert f"\n  {arch}: " in msg
    assert msg.endswith(
        f"the smallest budget that admits a candidate: --max-model-mb {budget:g} (admits {smallest})"
    )
    assert rec(examples=300, deploy="phone", max_model_mb=budget).architecture == smallest


def test_latency_budget_that_excludes_everything_names_the_smallest_latency():
    fastest, budget = cheapest("cpu-server", "latency_ms")
    with pytest.raises(NoCandidateError) as info:
        rec(examples=300, latency_ms=0.01)
    assert str(info.value).endswith(
        f"the smallest budget that admits a candidate: --latency-ms {budget:g} (admits {fastest})"
    )
    assert rec(examples=300, latency_ms=budget).architecture == fastest


def test_both_budgets_that_exclude_everything_name_both():
    with pytest.raises(NoCandidateError) as info:
        rec(examples=300, deploy="edge", latency_ms=0.01, max_model_mb=1)
    last = str(info.value).splitlines()[-1]
    m = re.fullmatch(
        r"the smallest budget that admits a candidate: --latency-ms ([\d.]+) and --max-model-mb ([\d.]+) "
        r"\(admits ([a-z-]+)\)",
        last,
    )
    assert m, last
    r = rec(examples=300, deploy="edge", latency_ms=float(m[1]), max_model_mb=float(m[2]))
    assert r.architecture == m[3]


# -- TEP301 streaming-unidirectional -------------------------------------------------------------------
@pytest.mark.parametrize("task", ["classification", "tagging"])
def test_tep301_streaming_excludes_bidirectional_and_transformers(task):
    r = rec(task=task, examples=300, streaming=True)
    for arch in ("bilstm", "bilstm-crf", *TRANSFORMERS):
        assert "TEP301" in excluded_by(r, arch)
    assert r.architecture == "lstm"
    assert alt(r, "gru").status == "ranked"


def test_tep301_prefers_gru_when_the_size_budget_is_tight():
    lstm, gru = estimate("lstm", 32, "cpu-server").size_mb, estimate("gru", 32, "cpu-server").size_mb
    budget = round_up(max(lstm, gru))  # both fit, and the LSTM uses nearly all of it
    share = Policy().tight_budget_fraction
    r = rec(examples=300, streaming=True, max_model_mb=budget)
    assert r.architecture == "gru"
    (why,) = [t.reason for t in r.trace if t.rule == "TEP301" and t.effect == "prefer gru +100"]
    assert why.startswith(
        f"streaming with a tight budget: the LSTM's {lstm:g} MB uses over {share:.0%} "
        f"of the {budget:g} MB budget"
    )


@pytest.fixture
def gru_latency(monkeypatch):
    """Set the GRU's latency estimate to ``factor`` times the LSTM's (None: the measured table), so both
    TEP301 latency branches stay tested whichever way the measured table goes."""

    def install(factor: float | None) -> None:
        if factor is None:
            return
        real = advisor.engine.estimate

        def patched(arch: str, tokens: int, deploy: str):
            est = real(arch, tokens, deploy)
            if arch == "gru":
                lstm_ms = real("lstm", tokens, deploy).latency_ms
                est = dataclasses.replace(est, latency_ms=round(lstm_ms * factor, 3))
            return est

        monkeypatch.setattr(advisor.engine, "estimate", patched)

    return install


@pytest.mark.parametrize("factor", [None, 0.8, 1.0], ids=["measured", "gru-faster", "gru-as-fast"])
def test_tep301_tight_latency_budget_prefers_gru_only_when_it_is_faster(gru_latency, factor):
    gru_latency(factor)
    lstm, gru = (advisor.engine.estimate(arch, 32, "cpu-server").latency_ms for arch in ("lstm", "gru"))
    share = Policy().tight_budget_fraction
    budget = round_up(max(lstm, gru))  # both fit, if that still leaves the budget tight for the LSTM
    if not lstm > share * budget:
        budget = round_up(lstm)
    r = rec(examples=300, streaming=True, latency_ms=budget)
    tep301 = [
        (t.effect, t.reason) for t in r.trace if t.rule == "TEP301" and not t.effect.startswith("exclude")
    ]
    if gru < lstm:
        assert r.architecture == "gru"
        (why,) = [why for effect, why in tep301 if effect == "prefer gru +100"]
        assert why.startswith(
            f"streaming with a tight budget: the LSTM's {lstm:g} ms uses over {share:.0%} "
            f"of the {budget:g} ms budget"
        )
    else:
        assert r.architecture == "lstm"
        if gru <= budget:
            assert alt(r, "gru").status == "ranked"  # the rule's ranking kept the LSTM first, not the budget
        info = (
            f"latency budget is tight but the GRU's estimate ({gru:g} ms) is not below the LSTM's "
            f"({lstm:g} ms) in the estimate table: keeping the LSTM first"
        )
        assert ("info", info) in tep301
        assert any(effect == "prefer lstm +100" for effect, _ in tep301)
        assert not any(why.startswith("streaming with a tight budget") for _, why in tep301)


def test_tep301_loose_budget_keeps_lstm():
    assert rec(examples=300, streaming=True, latency_ms=100, max_model_mb=500).architecture == "lstm"


def test_tep301_silent_without_streaming():
    r = rec(examples=300)
    assert not any(t.rule == "TEP301" for t in r.trace)


# -- TEP401 classification-picker ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("profile", "winner", "runner_up"),
    [
        ({"examples": 300}, "frozen-transformer", "ngram-static-linear"),
        ({"examples": 500}, "transformer-setfit", "transformer-finetune"),
        ({"examples": 1000}, "transformer-finetune", "frozen-transformer"),
        ({"examples": 20000, "compute": "gpu"}, "transformer-finetune", "frozen-transformer"),
        ({"examples": 50, "deploy": "phone"}, "ngram-static-linear", "textcnn"),
        ({"examples": 300, "deploy": "phone"}, "ngram-static-linear", "textcnn"),
        ({"examples": 1000, "deploy": "phone"}, "ngram-static-linear", "textcnn"),
        ({"examples": 1001, "deploy": "phone"}, "ngram-linear", "ngram-static-linear"),
        ({"examples": 2500, "deploy": "phone"}, "ngram-linear", "ngram-static-linear"),
        ({"examples": 2501, "deploy": "phone"}, "textcnn", "ngram-linear"),
        ({"examples": 20000, "deploy": "phone"}, "textcnn", "ngram-linear"),
        ({"examples": 300, "deploy": "phone", "max_model_mb": 10}, "ngram-linear", None),
        (
            {"examples": 3000, "deploy": "phone", "latency_ms": 100, "max_model_mb": 200},
            "transformer-finetune",
            "frozen-transformer",
        ),
    ],
)
def test_tep401_classification_picks(profile, winner, runner_up):
    r = rec(**profile)
    assert r.architecture == winner
    ranked = [a.architecture for a in r.alternatives if a.status == "ranked"]
    assert (ranked[0] if ranked else None) == runner_up


def test_tep401_static_linear_first_states_the_measurements():
    r = rec(examples=300, deploy="phone")
    (reason,) = [t.reason for t in r.trace if t.rule == "TEP401" and t.architecture == "ngram-static-linear"]
    assert reason == (
        "300 examples <= 1000 (policy static_linear_first_max_examples): word 1-2 gram TF-IDF + the mean model2vec "
        "vector was the best small model in 9 of 10 (set, size) cells at 250 and 1,000 examples, +1 to +7 points "
        "over TF-IDF alone (edge study)"
    )
    assert alt(r, "textcnn").why_not == (
        "ranked lower (90 vs 100 points): TEP401 runner-up: TextCNN over the distilled model2vec vectors came next "
        "(edge study: ahead of TF-IDF on MR and SST-2, behind on TREC)"
    )
    assert alt(r, "ngram-linear").why_not.startswith(
        "ranked lower (80 vs 100 points): TEP401 word 1-2 gram TF-IDF alone"
    )


def test_tep401_ngram_first_states_the_measurements():
    r = rec(examples=2000, deploy="phone")
    (reason,) = [t.reason for t in r.trace if t.rule == "TEP401" and t.architecture == "ngram-linear"]
    assert reason == (
        "2000 examples <= 2500 (policy ngram_first_max_examples): word 1-2 gram TF-IDF beat random-init TextCNN "
        "at every measured size from 250 to 2,500 examples (crossover study)"
    )
    assert alt(r, "ngram-static-linear").why_not == (
        "ranked lower (90 vs 100 points): TEP401 runner-up: TF-IDF + the mean static vector led up to 1000 examples "
        "(policy static_linear_first_max_examples), the largest size measured (edge study)"
    )


def test_tep401_ngram_runner_up_above_the_measured_range_states_its_measured_advantage():
    r = rec(examples=3000, deploy="phone")
    assert alt(r, "ngram-linear").why_not == (
        "ranked lower (90 vs 100 points): TEP401 runner-up: word 1-2 gram TF-IDF beat random-init TextCNN "
        "from 250 to 2,500 examples (crossover study)"
    )
    (reason,) = [t.reason for t in r.trace if t.rule == "TEP401" and t.architecture == "textcnn"]
    assert reason.startswith(
        "3000 examples > 2500 (policy ngram_first_max_examples): the best non-transformer"
    )


@pytest.mark.parametrize(("most", "winner"), [(1999, "textcnn"), (2000, "ngram-linear"), (0, "textcnn")])
def test_tep401_ngram_first_size_comes_from_the_policy(most, winner):
    r = rec(Policy(ngram_first_max_examples=most), examples=2000, deploy="phone")
    assert r.architecture == winner


@pytest.mark.parametrize(
    ("most", "winner"), [(299, "ngram-linear"), (300, "ngram-static-linear"), (0, "ngram-linear")]
)
def test_tep401_static_linear_first_size_comes_from_the_policy(most, winner):
    r = rec(Policy(static_linear_first_max_examples=most), examples=300, deploy="phone")
    assert r.architecture == winner


# -- TEP402 tagging-picker -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("profile", "winner"),
    [
        ({"examples": 300}, "frozen-transformer"),
        ({"examples": 999}, "frozen-transformer"),
        ({"examples": 300, "deploy": "phone"}, "bilstm-crf"),
        ({"examples": 300, "deploy": "edge"}, "bilstm-crf"),
        ({"examples": 1000}, "bilstm-crf"),
        ({"examples": 5000}, "bilstm-crf"),
        ({"examples": 10000, "compute": "gpu"}, "bilstm-crf"),
        ({"examples": 10001, "compute": "gpu"}, "transformer-finetune"),
        ({"examples": 50000, "compute": "gpu"}, "transformer-finetune"),
        ({"examples": 50000}, "bilstm-crf"),
        ({"examples": 50000, "compute": "gpu", "deploy": "phone"}, "bilstm-crf"),
        ({"examples": 300, "streaming": True}, "lstm"),
    ],
)
def test_tep402_tagging_picks(profile, winner):
    assert rec(task="tagging", **profile).architecture == winner


def test_tep402_says_why_bilstm_crf_beats_finetuning_on_cpu():
    r = rec(task="tagging", examples=50000)
    (why,) = [t.reason for t in r.trace if t.effect == "prefer bilstm-crf +100"]
    assert why == "50000 sentences > 10000 but training compute is CPU: BiLSTM-CRF (Lample et al. 2016)"


def test_tep402_small_tagging_uses_a_crf_head_on_frozen_features():
    r = rec(task="tagging", examples=300)
    assert r.architecture == "frozen-transformer"
    assert "CRF head" in r.recipe.optimizer


# -- TEP403 cpu-compute-prefers-frozen -----------------------------------------------------------------
def test_tep403_cpu_training_with_many_examples_prefers_frozen():
    r = rec(examples=100_000)
    assert r.architecture == "frozen-transformer"
    (why,) = [t.reason for t in r.trace if t.rule == "TEP403"]
    assert (
        why
        == "100000 examples > 50000 with CPU training: fine-tuning wants a GPU; frozen features are computed once"
    )
    assert alt(r, "transformer-finetune").status == "ranked"


@pytest.mark.parametrize("profile", [{"examples": 100_000, "compute": "gpu"}, {"examples": 50_000}])
def test_tep403_silent_with_gpu_or_at_the_threshold(profile):
    r = rec(**profile)
    assert r.architecture == "transformer-finetune"
    assert not any(t.rule == "TEP403" for t in r.trace)


# -- TEP501 long-text-truncation / TEP502 non-english / TEP503 class-imbalance -------------------------
@pytest.mark.parametrize(
    ("profile", "flagged"),
    [
        ({"tokens": 513}, True),
        ({"tokens": 512}, False),
        ({"tokens": 1000, "deploy": "phone"}, False),  # no transformer left to truncate for
        ({"tokens": 1000, "streaming": True}, False),
    ],
)
def test_tep501_long_texts(profile, flagged):
    r = rec(examples=300, **profile)
    assert ("TEP501" in flag_rules(r)) is flagged
    if flagged:
        (msg,) = [f.message for f in r.flags if f.rule == "TEP501"]
        assert msg == (
            f"p95 length {profile['tokens']} words > 512: transformer candidates need truncation (head or head+tail) or chunking"
        )


@pytest.mark.parametrize(("language", "code"), [("de", "de"), ("pt-BR", "pt"), ("zh_Hant", "zh")])
def test_tep502_non_english_gets_the_multilingual_recipe(language, code):
    r = rec(examples=300, language=language)
    (msg,) = [f.message for f in r.flags if f.rule == "TEP502"]
    assert "paraphrase-multilingual-MiniLM-L12-v2" in msg and f"cc.{code}.300.vec" in msg
    assert "paraphrase-multilingual-MiniLM-L12-v2" in r.recipe.optimizer
    static = rec(examples=5000, language=language, deploy="phone")
    assert static.embedding == "static"
    assert f"fastText cc.{code}.300" in [t.reason for t in static.trace if t.rule == "TEP601"][0]


@pytest.mark.parametrize("language", ["en", "EN", "en-US", "en_GB"])
def test_tep502_silent_for_english(language):
    assert "TEP502" not in flag_rules(rec(examples=300, language=language))


def test_tep503_imbalance_changes_the_monitoring_signal():
    data = DataSummary(
        path="d.jsonl",
        fingerprint="sha256:" + "0" * 64,
        label_counts={"a": 200, "b": 90, "c": 10},
        imbalance_ratio=20.0,
    )
    r = rec(examples=300, deploy="phone", data=data)
    (msg,) = [f.message for f in r.flags if f.rule == "TEP503"]
    assert msg.startswith("class imbalance 20.0:1 (smallest class 'c': 10 examples)")
    assert r.monitoring.startswith("macro-F1 with per-class recall")


# -- TEP601 embedding-input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("profile", "arch", "embedding"),
    [
        ({"examples": 300}, "frozen-transformer", "contextual"),
        ({"examples": 5000}, "transformer-finetune", "contextual"),
        ({"examples": 9999, "deploy": "phone"}, "textcnn", "static"),
        ({"examples": 10000, "deploy": "phone"}, "textcnn", "random"),
        ({"examples": 300, "deploy": "phone", "max_model_mb": 10}, "ngram-linear", "random"),
        ({"examples": 300, "streaming": True}, "lstm", "static"),
        ({"examples": 30000, "streaming": True}, "lstm", "random"),
        ({"task": "tagging", "examples": 5000}, "bilstm-crf", "static"),
        ({"task": "tagging", "examples": 20000}, "bilstm-crf", "random"),
        ({"task": "tagging", "examples": 300}, "frozen-transformer", "contextual"),
    ],
)
def test_tep601_embedding_input(profile, arch, embedding):
    r = rec(**profile)
    assert (r.architecture, r.embedding) == (arch, embedding)
    assert trace_effects(r, "TEP601") == [f"embedding {embedding}"]


def test_tep601_threshold_follows_the_policy():
    shipped = rec(examples=3000, deploy="phone")
    assert (shipped.architecture, shipped.embedding) == ("textcnn", "static")
    r = rec(Policy(static_embeddings_below=500), examples=3000, deploy="phone")
    assert (r.architecture, r.embedding) == ("textcnn", "random")


# -- TEP602 training-recipe ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("profile", "arch", "source", "expect"),
    [
        (
            {"examples": 5000, "deploy": "phone"},
            "textcnn",
            "Kim 2014",
            {
                "batch_size": "50",
                "regularization": "dropout 0.5 before the output layer, max-norm 3 on the output weights; filters 3/4/5 x 100",
            },
        ),
        (
            {"task": "tagging", "examples": 5000},
            "bilstm-crf",
            "baselines' defaults (85.61 F1 on CoNLL-2003); Lample et al. 2016",
            {
                "optimizer": "Adam",
                "learning_rate": "2e-3",
                "batch_size": "32 sentences",
                "epochs": "up to 25, early stopping on dev entity F1 (patience 3)",
                "regularization": "dropout 0.5 on embeddings and BiLSTM output, words seen once read as <unk> with p 0.5, "
                "gradient clipping at norm 5; character CNN features",
            },
        ),
        (
            {"examples": 5000},
            "transformer-finetune",
            "crossover study; Mosbach et al. 2021; Zhang et al. 2021",
            {
                "optimizer": "AdamW with bias correction",
                "learning_rate": "5e-5, 10% linear warmup then linear decay",
                "batch_size": "16",
                "epochs": "up to 20, early stopping on dev accuracy (patience 3)",
            },
        ),
        ({"examples": 300}, "frozen-transformer", "crossover study", {}),
        (
            {"examples": 300, "streaming": True},
            "lstm",
            "baselines' defaults",
            {"optimizer": "Adam", "learning_rate": "1e-3"},
        ),
        ({"examples": 300, "deploy": "phone", "max_model_mb": 10}, "ngram-linear", "crossover study", {}),
    ],
)
def test_tep602_five_recipe_lines_citing_the_source(profile, arch, source, expect):
    r = rec(**profile)
    assert r.architecture == arch
    recipe = r.recipe.model_dump()
    assert list(recipe) == list(RECIPE_FIELDS) and all(v.strip() for v in recipe.values())
    for k, v in expect.items():
        assert recipe[k] == v
    lines = [(t.effect, t.reason) for t in r.trace if t.rule == "TEP602"]
    assert lines == [(f"recipe {f}", f"{arch}: {source}") for f in RECIPE_FIELDS]


def test_tep602_lines_are_the_recipe_table_rendered():
    from advisor.recipes import recipe_for

    for profile in (
        {"examples": 5000},
        {"task": "tagging", "examples": 300},
        {"examples": 300, "streaming": True},
    ):
        r = rec(**profile)
        assert r.recipe.model_dump() == recipe_for(r.architecture, r.profile.task).lines(r.profile.task)


def test_tep602_docs_render_the_table_values():
    import dataclasses

    from advisor.recipes import RECIPES
    from advisor.rules import recipe as tep602

    assert "learning rate 2e-3; batch size 32 sentences; epochs up to 25" in tep602.DOCS
    changed = {"bilstm-crf": dataclasses.replace(RECIPES["bilstm-crf"], learning_rate=1e-2, batch_size=1)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tep602, "RECIPES", {**RECIPES, **changed})
        assert "learning rate 0.01; batch size 1 sentences" in tep602._docs()


# -- TEP701 monitoring-signal --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("profile", "metric"),
    [
        ({"examples": 300, "deploy": "phone"}, "accuracy"),
        ({"task": "tagging", "examples": 5000}, "entity F1"),
        ({"examples": 300, "streaming": True}, "accuracy"),
        ({"examples": 300}, "accuracy"),
    ],
)
def test_tep701_length_buckets_for_everything_but_finetuning(profile, metric):
    r = rec(**profile)
    assert (
        r.monitoring
        == f"dev {metric} per length bucket (1-10, 11-20, 21-40, 41-80, 81+ words): errors concentrate on long texts"
    )


def test_tep701_finetuning_watches_loss_and_majority_class_collapse():
    r = rec(examples=5000)
    assert r.monitoring.startswith("training loss")
    assert "majority-class collapse" in r.monitoring and "baseline's score" in r.monitoring


# -- the result as a whole -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "profile",
    [
        {"examples": 300},
        {"examples": 300, "deploy": "phone", "latency_ms": 5},
        {"task": "tagging", "examples": 300, "streaming": True},
    ],
)
def test_alternatives_cover_every_candidate_with_estimates_and_why_not(profile):
    r = rec(**profile)
    assert sorted([r.architecture] + [a.architecture for a in r.alternatives]) == sorted(CANDIDATES)
    p = r.profile
    for a in r.alternatives:
        e = estimate(a.architecture, p.tokens, p.deploy)
        assert (a.estimate.size_mb, a.estimate.latency_ms, a.estimate.source) == (
            e.size_mb,
            e.latency_ms,
            e.source,
        )
        assert a.why_not.strip()
        if a.status != "ranked":
            assert re.match(r"TEP\d{3} ", a.why_not)
    e = estimate(r.architecture, p.tokens, p.deploy)
    assert (r.estimate.size_mb, r.estimate.latency_ms) == (e.size_mb, e.latency_ms)
    assert "extrapolated" in estimate("textcnn", 32, "phone").source
    assert "target cpu-server: measured" in estimate("textcnn", 32, "cpu-server").source


def test_ranked_alternatives_are_in_point_order():
    r = rec(examples=300)
    ranked = [a for a in r.alternatives if a.status == "ranked"]
    assert [a.points for a in ranked] == sorted((a.points for a in ranked), reverse=True)


def test_same_profile_same_output_and_trace_order():
    profile = {"examples": 300, "deploy": "phone", "latency_ms": 5, "language": "de", "tokens": 600}
    first = rec(**profile).model_dump_json()
    assert rec(**profile).model_dump_json() == first
    assert rec(engine=Engine(entry_points=False), **profile).model_dump_json() == first


def test_trace_follows_the_phase_order():
    r = rec(examples=300, language="de", tokens=600)
    phase_of = {"exclude": 0, "refuse": 1, "prefer": 2, "embedding": 3, "recipe": 3, "monitoring": 3}
    phases = [phase_of[t.kind] for t in r.trace if t.kind in phase_of]
    assert phases == sorted(phases)
    assert r.plugins == list(advisor.engine.DEFAULT_PLUGINS)


def test_every_effect_names_a_registered_rule_and_its_plugin():
    engine = Engine(entry_points=False)
    r = rec(engine=engine, examples=300, deploy="phone", latency_ms=5)
    for t in r.trace:
        assert engine.rules[t.rule].plugin == t.plugin
        assert t.reason and "\n" not in t.reason
    for f in r.flags:
        assert (f.name, f.severity) == (engine.rules[f.rule].name, engine.rules[f.rule].severity)


def test_builtin_rules_have_ids_names_severities_and_docs():
    engine = Engine(entry_points=False)
    ids = {
        "TEP001",
        "TEP009",
        "TEP100",
        "TEP101",
        "TEP102",
        "TEP201",
        "TEP204",
        "TEP404",
        "TEP202",
        "TEP203",
        "TEP301",
        "TEP401",
        "TEP402",
        "TEP403",
        "TEP501",
        "TEP502",
        "TEP503",
        "TEP601",
        "TEP602",
        "TEP701",
    }
    assert set(engine.rules) == ids
    for rule in engine.rules.values():
        assert rule.plugin in advisor.engine.DEFAULT_PLUGINS
        assert rule.summary and "\n" not in rule.summary


@pytest.mark.parametrize("rule_id", sorted(Engine(entry_points=False).rules))
def test_rules_explain_shows_each_builtin_rules_docs(rule_id):
    """What the docs are for: `advisor rules explain ID` prints the rule with its documentation (values in force)."""
    from click.testing import CliRunner

    from advisor.cli import cli

    rule = Engine(entry_points=False).rules[rule_id].rendered(Policy())
    result = CliRunner().invoke(cli, ["rules", "explain", rule_id])
    assert result.exit_code == 0, result.output
    assert rule.summary in result.output
    assert rule.docs.strip() in result.output


def test_builtins_cannot_be_switched_off_by_the_plugin_environment(monkeypatch):
    monkeypatch.setenv("ADVISOR_LOAD_PLUGINS", "")
    monkeypatch.setenv("ADVISOR_DISABLE_PLUGINS", ",".join(advisor.engine.DEFAULT_PLUGINS))
    monkeypatch.delenv("ADVISOR_NO_ENTRY_POINTS")
    assert Engine().plugin_order == list(advisor.engine.DEFAULT_PLUGINS)


# -- plugins: throwaway plugin classes -----------------------------------------------------------------
class AddsRule:
    @hookimpl
    def register_rules(self, register):
        register(id="TEP900", name="team-rule", severity="flag", summary="A team's own rule.", docs="Docs.")

    @hookimpl
    def exclude_candidates(self, ctx):
        ctx.flag(rule="TEP900", message=f"the team saw {ctx.profile.examples} examples")


class VetoesTextCNN:
    @hookimpl
    def register_rules(self, register):
        register(id="TEP901", name="no-cnn", severity="exclude", summary="No CNNs here.", docs="Docs.")

    @hookimpl
    def exclude_candidates(self, ctx):
        ctx.exclude("textcnn", rule="TEP901", reason="the team's runtime has no conv ops")


class Crashes:
    def __init__(self, phase: str = "rank_candidates"):
        self.phase = phase

    @hookimpl
    def register_rules(self, register):
        register(id="TEP902", name="crashes", severity="refuse", summary="Crashes.", docs="Docs.")

    def _maybe_crash(self, phase):
        if phase == self.phase:
            raise RuntimeError("boom")

    @hookimpl
    def exclude_candidates(self, ctx):
        self._maybe_crash("exclude_candidates")

    @hookimpl
    def refuse_candidates(self, ctx):
        self._maybe_crash("refuse_candidates")

    @hookimpl
    def rank_candidates(self, ctx):
        self._maybe_crash("rank_candidates")

    @hookimpl
    def describe_winner(self, ctx):
        self._maybe_crash("describe_winner")


class Misspelled:
    @hookimpl
    def exclude_candidate(self, ctx):  # the hook is exclude_candidates
        pass


class UsesUnregisteredRule:
    @hookimpl
    def exclude_candidates(self, ctx):
        ctx.flag(rule="TEP999", message="never registered")


class BorrowsABuiltinRule:
    @hookimpl
    def exclude_candidates(self, ctx):
        ctx.exclude("textcnn", rule="TEP201", reason="pretending to be the edge rule")


def test_plugin_adds_a_rule(make_engine):
    engine = make_engine(AddsRule())
    assert engine.rules["TEP900"].plugin == "AddsRule"
    assert engine.plugin_order[-1] == "AddsRule"
    r = rec(engine=engine, examples=300)
    assert ("TEP900", "team-rule", "flag", "the team saw 300 examples") in [
        (f.rule, f.name, f.severity, f.message) for f in r.flags
    ]
    assert [(t.plugin, t.effect) for t in r.trace if t.rule == "TEP900"] == [("AddsRule", "flag")]
    assert r.plugins[-1] == "AddsRule"


def test_plugin_vetoes_a_candidate(make_engine):
    r = rec(engine=make_engine(VetoesTextCNN()), examples=300, deploy="phone")
    assert r.architecture == "ngram-static-linear"
    assert alt(r, "textcnn").why_not == "TEP901 the team's runtime has no conv ops"


@pytest.mark.parametrize("phase", PHASES)
def test_plugin_that_crashes_fails_closed(make_engine, phase):
    engine = make_engine(Crashes(phase))
    with pytest.raises(PluginError) as info:
        rec(engine=engine, examples=300)
    assert str(info.value) == (
        f"plugin 'Crashes' (rules TEP902) failed in {phase}: RuntimeError: boom; no recommendation is given (fail closed)"
    )


def test_plugin_with_a_misspelled_hook_is_rejected_at_load(make_engine):
    with pytest.raises(PluginError) as info:
        make_engine(Misspelled())
    assert str(info.value) == (
        "plugin 'Misspelled' has a hook implementation that matches no hook: 'exclude_candidate' "
        "(did you mean 'exclude_candidates'?); the hooks are register_rules, exclude_candidates, "
        "refuse_candidates, rank_candidates, describe_winner"
    )


def test_plugin_using_an_unregistered_rule_id_fails(make_engine):
    with pytest.raises(PluginError, match=r"flag names unknown rule 'TEP999'; register it first"):
        rec(engine=make_engine(UsesUnregisteredRule()), examples=300)


def test_plugin_using_another_plugins_rule_id_fails(make_engine):
    with pytest.raises(PluginError, match=r"names rule TEP201, which belongs to 'advisor.rules.edge'"):
        rec(engine=make_engine(BorrowsABuiltinRule()), examples=300)


def _rule_plugin(**rule):
    fields = {"id": "TEP950", "name": "x", "severity": "flag", "summary": "s", "docs": "d", **rule}

    class Bad:
        @hookimpl
        def register_rules(self, register):
            register(**fields)

    return Bad()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "TEP1"}, "rule id 'TEP1' is not TEP followed by three digits"),
        (
            {"id": "TEP101"},
            "rule id TEP101 is outside TEP800-TEP999, the range for third-party plugins "
            "(TEP000-TEP799 belongs to the built-in rules)",
        ),
        (
            {"id": "TEP799"},
            "rule id TEP799 is outside TEP800-TEP999, the range for third-party plugins "
            "(TEP000-TEP799 belongs to the built-in rules)",
        ),
        (
            {"docs": "below {policy.finetune_min_exampels} examples"},
            "rule TEP950 docs names {policy.finetune_min_exampels}, which is not a policy value "
            "(did you mean 'finetune_min_examples'?)",
        ),
        (
            {"summary": "below {policy.finetune_min_examples:q} examples"},
            "rule TEP950 summary: {policy.finetune_min_examples:q}: Unknown format code 'q' for object of type 'int'",
        ),
        ({"name": "Not A Slug"}, "rule TEP950 name 'Not A Slug' is not a lowercase slug"),
        (
            {"severity": "warn"},
            "rule TEP950 severity 'warn' is not one of refuse, exclude, prefer, flag, info",
        ),
        ({"summary": "two\nlines"}, "rule TEP950 needs a one-line summary"),
    ],
)
def test_rule_registration_is_validated(make_engine, rule, message):
    with pytest.raises(PluginError) as info:
        make_engine(_rule_plugin(**rule))
    assert str(info.value) == f"plugin 'Bad': {message}"


def test_third_party_rule_ids_are_unique_across_plugins(make_engine):
    class First:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP950", name="first", severity="flag", summary="s", docs="d")

    class Second:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP950", name="second", severity="flag", summary="s", docs="d")

    with pytest.raises(PluginError) as info:
        make_engine(First(), Second())
    assert str(info.value) == "plugin 'Second': rule id TEP950 is already registered by 'First'"


@pytest.mark.parametrize("rule_id", ["TEP800", "TEP999"])
def test_a_builtin_rule_outside_its_range_fails_to_load(monkeypatch, rule_id):
    module = types.ModuleType("advisor_test_builtin")

    @hookimpl
    def register_rules(register):
        register(id=rule_id, name="x", severity="flag", summary="s", docs="d")

    module.register_rules = register_rules
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(advisor.engine, "DEFAULT_PLUGINS", (*advisor.engine.DEFAULT_PLUGINS, module.__name__))
    with pytest.raises(PluginError) as info:
        Engine(entry_points=False)
    assert str(info.value) == (
        f"plugin 'advisor_test_builtin': rule id {rule_id} is outside TEP000-TEP799, the range for the built-in "
        "rules (TEP800-TEP999 belongs to third-party plugins)"
    )


@pytest.mark.parametrize(
    ("option", "why"),
    [
        ("tryfirst", "the engine calls plugins in registration order"),
        ("trylast", "the engine calls plugins in registration order"),
        ("wrapper", "the engine calls each implementation itself, so a wrapper would wrap nothing"),
        ("hookwrapper", "the engine calls each implementation itself, so a wrapper would wrap nothing"),
        (
            "optionalhook",
            "every advisor hook has a specification, and a misspelled hook name must fail at load",
        ),
    ],
)
def test_hookimpl_options_the_engine_does_not_honour_are_rejected_at_registration(make_engine, option, why):
    class Reorders:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP960", name="reorders", severity="prefer", summary="s", docs="d")

        if option in ("wrapper", "hookwrapper"):

            @hookimpl(**{option: True})
            def rank_candidates(self, ctx):
                yield

        else:

            @hookimpl(**{option: True})
            def rank_candidates(self, ctx):
                ctx.prefer("ngram-linear", 1_000, rule="TEP960", reason="first, whatever the others say")

    with pytest.raises(PluginError) as info:
        make_engine(Reorders())
    message = str(info.value)
    assert message.startswith(
        f"plugin 'Reorders': hookimpl option {option}=True on rank_candidates is not supported: {why}"
    )
    assert message.endswith("(see advisor.hookspecs)")


def test_specname_is_honoured(make_engine):
    class Renamed:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP961", name="renamed", severity="flag", summary="s", docs="d")

        @hookimpl(specname="exclude_candidates")
        def look(self, ctx):
            ctx.flag(rule="TEP961", message="seen")

    r = rec(engine=make_engine(Renamed()), examples=300)
    assert ("TEP961", "seen") in [(f.rule, f.message) for f in r.flags]


def test_within_each_phase_plugins_run_in_registration_order(make_engine):
    class Last:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP962", name="last", severity="info", summary="s", docs="d")

        @hookimpl
        def exclude_candidates(self, ctx):
            ctx.info(rule="TEP962", message="exclude phase")

        @hookimpl
        def describe_winner(self, ctx):
            ctx.info(rule="TEP962", message="describe phase")

    engine = make_engine(Last())
    r = rec(engine=engine, examples=300, deploy="phone", language="de", tokens=600)
    order = engine.plugin_order
    assert order == [*advisor.engine.DEFAULT_PLUGINS, "Last"]
    phase_of = {"exclude phase": 0, "describe phase": 3}
    kinds = {"exclude": 0, "refuse": 1, "prefer": 2, "embedding": 3, "recipe": 3, "monitoring": 3}
    phases = [kinds.get(t.kind, phase_of.get(t.reason)) for t in r.trace]
    for phase in (0, 3):
        plugins = [t.plugin for t, p in zip(r.trace, phases, strict=True) if p == phase]
        assert plugins == sorted(plugins, key=order.index), phase
        assert plugins[-1] == "Last"


def test_effects_outside_their_phase_are_rejected(make_engine):
    class LateExclusion:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP903", name="late", severity="exclude", summary="Late.", docs="Docs.")

        @hookimpl
        def rank_candidates(self, ctx):
            ctx.exclude("textcnn", rule="TEP903", reason="too late")

    with pytest.raises(PluginError, match=r"exclude textcnn is not allowed in rank_candidates"):
        rec(engine=make_engine(LateExclusion()), examples=300)


def test_hook_with_a_wrong_signature_is_rejected(make_engine):
    class WrongArgs:
        @hookimpl
        def exclude_candidates(self, context):
            pass

    with pytest.raises(PluginError, match=r"plugin 'WrongArgs' does not match the hook specifications"):
        make_engine(WrongArgs())


def test_plugin_that_crashes_while_registering_rules(make_engine):
    class BadRegister:
        @hookimpl
        def register_rules(self, register):
            raise ValueError("no")

    with pytest.raises(
        PluginError,
        match=r"^plugin 'BadRegister' failed in register_rules: ValueError: no; no recommendation is given \(fail closed\)$",
    ):
        make_engine(BadRegister())


def test_a_later_recipe_line_overrides_and_both_stay_in_the_trace(make_engine, team_recipe):
    r = rec(engine=make_engine(team_recipe), examples=300, deploy="phone")
    assert r.recipe.batch_size == "64"
    assert [t.rule for t in r.trace if t.effect == "recipe batch_size"] == ["TEP602", "TEP904"]


# -- entry points (faked importlib.metadata; the real thing is in test_packaging.py) -------------------
class _FakeEntryPoint:
    def __init__(self, name, plugin=None, error=None):
        self.name, self.value, self._plugin, self._error = name, f"fake_{name}:plugin", plugin, error

    def load(self):
        if self._error:
            raise self._error
        return self._plugin


@pytest.fixture
def fake_entry_points(monkeypatch):
    import importlib.metadata

    def install(*eps):
        monkeypatch.delenv("ADVISOR_NO_ENTRY_POINTS", raising=False)
        monkeypatch.delenv("ADVISOR_LOAD_PLUGINS", raising=False)
        monkeypatch.delenv("ADVISOR_DISABLE_PLUGINS", raising=False)
        monkeypatch.setattr(
            importlib.metadata, "entry_points", lambda group: list(eps) if group == "advisor" else []
        )

    return install


def test_entry_points_load_sorted_by_name_after_the_builtins(fake_entry_points):
    fake_entry_points(_FakeEntryPoint("zeta", VetoesTextCNN()), _FakeEntryPoint("alpha", AddsRule()))
    engine = Engine()
    assert engine.plugin_order[-2:] == ["alpha", "zeta"]
    assert engine.rules["TEP900"].plugin == "alpha"


def test_tests_never_load_entry_points_by_accident(fake_entry_points, monkeypatch):
    fake_entry_points(_FakeEntryPoint("alpha", AddsRule()))
    monkeypatch.setenv("ADVISOR_NO_ENTRY_POINTS", "1")
    assert "alpha" not in Engine().plugin_order


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({"ADVISOR_LOAD_PLUGINS": "alpha"}, ["alpha"]),
        ({"ADVISOR_LOAD_PLUGINS": ""}, []),
        ({"ADVISOR_DISABLE_PLUGINS": "zeta"}, ["alpha"]),
        ({"ADVISOR_DISABLE_PLUGINS": "alpha, zeta"}, []),
    ],
)
def test_entry_points_narrowed_and_blocked_by_environment(fake_entry_points, monkeypatch, env, loaded):
    fake_entry_points(_FakeEntryPoint("zeta", VetoesTextCNN()), _FakeEntryPoint("alpha", AddsRule()))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    order = Engine().plugin_order
    assert order[: len(advisor.engine.DEFAULT_PLUGINS)] == list(advisor.engine.DEFAULT_PLUGINS)
    assert order[len(advisor.engine.DEFAULT_PLUGINS) :] == loaded


def test_entry_point_that_fails_to_import_is_an_error(fake_entry_points):
    fake_entry_points(_FakeEntryPoint("broken", error=ImportError("No module named 'nope'")))
    with pytest.raises(
        PluginError, match=r"^plugin 'broken' \(entry point fake_broken:plugin\) failed to load: "
    ):
        Engine()


# -- hooks: every hook is documented and tested (datasette style) --------------------------------------
HOOKS = ("register_rules", *PHASES)


def test_every_hookspec_documents_what_a_plugin_can_call():
    """Each phase hook's docstring names the ``ctx`` methods that phase allows, and they exist on the Context;
    ``register_rules`` names every keyword the engine's ``register`` takes."""
    import inspect

    specs = [n for n in dir(hookspecs) if getattr(getattr(hookspecs, n), "advisor_spec", None) is not None]
    assert sorted(specs) == sorted(HOOKS)
    for name in PHASES:
        named = set(re.findall(r"ctx\.(\w+)\(", getattr(hookspecs, name).__doc__ or ""))
        assert named, f"{name}: its docstring names no ctx method"
        assert all(callable(getattr(advisor.engine.Context, m, None)) for m in named), (name, named)
    keywords = [
        p.name for p in inspect.signature(Engine._add_rule).parameters.values() if p.kind is p.KEYWORD_ONLY
    ]
    doc = hookspecs.register_rules.__doc__ or ""
    assert [k for k in keywords if f"{k}=..." not in doc] == []


def test_every_hook_has_a_plugin_test():
    source = Path(__file__).read_text(encoding="utf-8")
    for hook in HOOKS:
        assert f"def {hook}(self" in source, f"no throwaway plugin in this file implements {hook}"


def test_every_context_attribute_is_documented():
    public = [n for n in dir(advisor.engine.Context) if not n.startswith("_")]
    doc = advisor.engine.Context.__doc__
    assert [n for n in public if f"``{n}``" not in doc and f":meth:`{n}`" not in doc] == []


def test_hookspecs_are_typed_with_the_context():
    for name in PHASES:
        assert getattr(hookspecs, name).__annotations__ == {"ctx": "Context", "return": "None"}


# -- ctx is read-only: effects only through the methods that record a rule id --------------------------
class EmptiesRefusals:
    """Today's loophole: empty ctx.refused (and ctx.refusals) so that a refused fine-tuning answer checks OK."""

    @hookimpl
    def register_rules(self, register):
        register(id="TEP970", name="empties-refusals", severity="info", summary="s", docs="d")

    @hookimpl
    def rank_candidates(self, ctx):
        ctx.refused.clear()
        ctx.refusals.clear()


def test_a_plugin_cannot_empty_the_refusals(make_engine):
    from advisor.answers import check

    engine = make_engine(EmptiesRefusals())
    message = (
        "plugin 'EmptiesRefusals' (rules TEP970) failed in rank_candidates: AttributeError: 'mappingproxy' "
        "object has no attribute 'clear'; no recommendation is given (fail closed)"
    )
    with pytest.raises(PluginError) as info:
        rec(engine=engine, examples=300)
    assert str(info.value) == message
    answer = {
        "architecture": "transformer-finetune",
        "embedding": "contextual",
        "recipe": dict.fromkeys(RECIPE_FIELDS, "x"),
        "monitoring": "loss",
    }
    with pytest.raises(PluginError) as info:
        check(answer, {"examples": 300}, engine=engine)
    assert str(info.value) == message
    assert [v.rule for v in check(answer, {"examples": 300}).violations] == ["TEP101"]


TAMPERING = {
    "assign refused": lambda ctx: setattr(ctx, "refused", {}),
    "assign winner": lambda ctx: setattr(ctx, "winner", "textcnn"),
    "assign profile": lambda ctx: setattr(ctx, "profile", ConstraintProfile(examples=9)),
    "new attribute": lambda ctx: setattr(ctx, "notes", []),
    "points": lambda ctx: ctx.points.__setitem__("ngram-linear", 1e6),
    "excluded": lambda ctx: ctx.excluded.pop("bilstm-crf"),
    "an exclusion": lambda ctx: ctx.excluded["bilstm-crf"].append(None),
    "preferences": lambda ctx: ctx.preferences.clear(),
    "trace": lambda ctx: ctx.trace.clear(),
    "flags": lambda ctx: ctx.flags.append(None),
    "recipe": lambda ctx: ctx.recipe.update(epochs="1"),
    "recipe rules": lambda ctx: ctx.recipe_rules.clear(),
    "an effect": lambda ctx: setattr(ctx.trace[0], "rule", "TEP001"),
    "the profile": lambda ctx: setattr(ctx.profile, "examples", 10_000),
    "the data summary": lambda ctx: setattr(ctx.profile.data, "imbalance_ratio", 1.0),
    "the policy": lambda ctx: setattr(ctx.policy, "finetune_min_examples", 1),
    "the evidence": lambda ctx: setattr(ctx.evidence, "accepted", True),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING)
def test_a_plugin_cannot_change_what_ctx_shows(make_engine, tamper):
    class Tampers:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP971", name="tampers", severity="info", summary="s", docs="d")

        @hookimpl
        def describe_winner(self, ctx):
            tamper(ctx)

    data = DataSummary(path="d.jsonl", fingerprint="sha256:" + "0" * 64, imbalance_ratio=20.0)
    with pytest.raises(PluginError, match=r"^plugin 'Tampers' \(rules TEP971\) failed in describe_winner: "):
        rec(engine=make_engine(Tampers()), examples=300, task="tagging", data=data)


def test_a_context_kept_after_the_evaluation_records_nothing(make_engine):
    kept = []

    class Keeps:
        @hookimpl
        def register_rules(self, register):
            register(id="TEP972", name="keeps", severity="flag", summary="s", docs="d")

        @hookimpl
        def exclude_candidates(self, ctx):
            kept.append(ctx)

    engine = make_engine(Keeps())
    rec(engine=engine, examples=300)
    with pytest.raises(PluginError, match=r"names rule TEP972, which belongs to 'Keeps'"):
        kept[0].flag(rule="TEP972", message="late")


# -- force_winner: what the policy gives a candidate if it wins (advisor check) ------------------------
def test_force_winner_describes_that_candidate():
    engine = Engine(entry_points=False)
    profile = ConstraintProfile(examples=300)
    assert engine.evaluate(profile).ctx.winner == "frozen-transformer"
    outcome = engine.evaluate(profile, force_winner="textcnn")
    assert outcome.ctx.winner == "textcnn" and outcome.ranking[0] == "textcnn"
    assert outcome.ctx.embedding == "static" and outcome.ctx.recipe_rules["optimizer"] == "TEP602"
    r = recommend(profile, engine=engine, force_winner="textcnn")
    assert r.architecture == "textcnn"
    assert "textcnn" not in [a.architecture for a in r.alternatives]
    assert not any(t.rule.startswith("TEP9") for t in r.trace)


def test_force_winner_must_be_available():
    engine = Engine(entry_points=False)
    with pytest.raises(
        NoCandidateError, match=r"^force_winner 'transformer-finetune' is excluded or refused"
    ):
        engine.evaluate(ConstraintProfile(examples=300), force_winner="transformer-finetune")
    with pytest.raises(ValueError, match=r"unknown architecture 'cnn'"):
        engine.evaluate(ConstraintProfile(examples=300), force_winner="cnn")


# -- the trace's structured fields ---------------------------------------------------------------------
def test_trace_entries_carry_kind_and_architecture():
    r = rec(examples=300, deploy="phone", language="de")
    by_kind = {}
    for t in (*r.trace, *rec(examples=800).trace):
        by_kind.setdefault(t.kind, []).append(t)
        assert t.effect.split()[0] == t.kind
        assert (t.architecture is not None) == (t.kind in ("exclude", "refuse", "prefer"))
        if t.architecture is not None:
            assert t.effect.split()[1] == t.architecture
    assert set(by_kind) == {
        "exclude",
        "refuse",
        "prefer",
        "flag",
        "info",
        "embedding",
        "recipe",
        "monitoring",
    }
    assert ("TEP201", "frozen-transformer") in [(t.rule, t.architecture) for t in by_kind["exclude"]]


# -- the one rule lookup -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query", ["TEP101", "tep101", " TEP101 ", "finetune-needs-plateau", "Finetune-Needs-Plateau"]
)
def test_rule_lookup_by_id_or_name(query):
    assert Engine(entry_points=False).rule(query).id == "TEP101"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("TEP10", "unknown rule 'TEP10'; closest: TEP102, TEP101, TEP100"),
        ("edge-architecture", "unknown rule 'edge-architecture'; closest: TEP201"),
        ("nothing", "unknown rule 'nothing'"),
    ],
)
def test_rule_lookup_names_the_closest(query, message):
    with pytest.raises(UnknownRuleError) as info:
        Engine(entry_points=False).rule(query)
    assert str(info.value) == message


def test_rule_docs_render_the_policy_values_in_force(make_engine):
    class Documented:
        @hookimpl
        def register_rules(self, register):
            register(
                id="TEP973",
                name="documented",
                severity="info",
                summary="Under {policy.finetune_min_examples} examples.",
                docs="Static vectors below {policy.static_embeddings_below:,} examples; {not a placeholder}.",
            )

    rule = make_engine(Documented()).rule("TEP973")
    assert rule.rendered().summary == "Under 500 examples."
    assert rule.rendered(Policy(finetune_min_examples=300)).summary == "Under 300 examples."
    assert rule.rendered().docs == "Static vectors below 10,000 examples; {not a placeholder}."
    assert rule.summary == "Under {policy.finetune_min_examples} examples."


CHANGED_POLICY = Policy(
    **{name: value + 7 for name, value in Policy().as_dict().items() if type(value) is int},
    imbalance_flag_ratio=12.5,
    tight_budget_fraction=0.7,
)


def _shown(value) -> set[str]:
    if isinstance(value, str):  # a choice (policy.evidence_check)
        return {value}
    return {f"{value:,}", f"{value}"} | ({f"{value:.0%}"} if type(value) is float else set())


def test_builtin_rule_texts_show_the_policy_values_in_force():
    """Every policy value a built-in rule's summary or docs names is shown with the value in force."""
    values = CHANGED_POLICY.as_dict()
    for rule in Engine(entry_points=False).rules.values():
        shown = rule.rendered(CHANGED_POLICY)
        for name in re.findall(r"policy\.([a-z][a-z0-9_]*)", rule.summary + rule.docs):
            assert any(v in shown.summary + shown.docs for v in _shown(values[name])), (rule.id, name)


# The sizes crossover.md measured plain fine-tuning at (shared/research/crossover.md, 2-3 seeds each).
CROSSOVER_SIZES = (50, 100, 250, 500, 1000, 2500)


def _setfit_leads() -> dict[int, float]:
    """Per size where all three sets have a SetFit row (benchmarks/results/setfit.jsonl, mean over seeds): SetFit's
    mean lead over crossover.md's fine-tuned MiniLM (benchmarks/setfit.py's REFERENCE), in points."""
    import importlib.util
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("_setfit_bench", repo / "benchmarks" / "setfit.py")
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
    finally:
        sys.path[:] = saved
    rows = [
        json.loads(line)
        for line in (repo / "benchmarks/results/setfit.jsonl").read_text().splitlines()
        if line
    ]
    leads = {}
    for n in CROSSOVER_SIZES:
        diffs = []
        for name in ("trec", "mr", "sst2"):
            ours = [r["test_accuracy"] for r in rows if (r["dataset"], r["examples"]) == (name, n)]
            ft = bench.REFERENCE.get((name, n), {}).get("ft")
            if ours and ft:
                diffs.append(statistics.mean(ours) - float(ft.split("±")[0]))
        if len(diffs) == 3:
            leads[n] = statistics.mean(diffs)
    return leads


def test_setfit_below_is_the_next_measured_size_past_setfits_last_lead():
    """Issue 15 §3: the switch point comes from the rows. It is the first size crossover.md measured past the last size
    where SetFit's mean lead over plain fine-tuning (TREC, MR, SST-2) was positive: SetFit first wherever it led."""
    leads = _setfit_leads()
    assert leads, "benchmarks/results/setfit.jsonl has no size with all three sets"
    last_lead = max(n for n, lead in leads.items() if lead > 0)
    assert Policy().setfit_below == min(n for n in CROSSOVER_SIZES if n > last_lead), leads
