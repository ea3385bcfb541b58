"""Properties of the policy over random valid profiles (and random valid policies)."""

from __future__ import annotations

import json
import re

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import ConstraintProfile, recommend
from advisor.candidates import BIDIRECTIONAL, TRANSFORMERS
from advisor.contracts import schema_for
from advisor.engine import Engine
from advisor.errors import NoCandidateError
from advisor.policy import Policy
from advisor.vocabulary import COMPUTES, DEPLOYS, EDGE_TARGETS, FINETUNING, TASKS

SETTINGS = settings(max_examples=200, deadline=None)
VALIDATOR = jsonschema.Draft202012Validator(schema_for("recommendation"))
ENGINE = Engine(entry_points=False)

# examples near every threshold the policy uses, and anywhere
examples = st.one_of(
    st.integers(1, 2_000),
    st.integers(1, 200_000),
    st.sampled_from([1, 99, 100, 249, 250, 499, 500, 501, 999, 1000, 9999, 10000, 10001, 50000, 50001]),
)
budget_ms = st.one_of(
    st.none(), st.floats(0.05, 300, allow_nan=False), st.sampled_from([0.5, 1.0, 5.0, 20.0])
)
budget_mb = st.one_of(
    st.none(), st.floats(0.5, 500, allow_nan=False), st.sampled_from([8.0, 25.0, 50.0, 100.0])
)

profiles = st.builds(
    ConstraintProfile,
    task=st.sampled_from(TASKS),
    examples=examples,
    classes=st.one_of(st.none(), st.integers(2, 50)),
    tokens=st.one_of(st.integers(1, 2_000), st.sampled_from([16, 32, 128, 512, 513])),
    latency_ms=budget_ms,
    deploy=st.sampled_from(DEPLOYS),
    compute=st.sampled_from(COMPUTES),
    streaming=st.booleans(),
    max_model_mb=budget_mb,
    language=st.sampled_from(["en", "en-US", "de", "pt-BR", "zh_Hant", "sw"]),
    description=st.one_of(st.none(), st.text(max_size=200)),
)
policies = st.one_of(
    st.just(Policy()),
    st.builds(
        Policy,
        finetune_min_examples=st.integers(1, 5_000),
        finetune_variance_below=st.integers(1, 1_000),
        static_embeddings_below=st.integers(1, 50_000),
        tight_budget_fraction=st.floats(0.05, 1.0),
    ),
)


def _run(profile: ConstraintProfile, policy: Policy):
    """The recommendation, or None where the budgets exclude everything (only allowed when budgets are set)."""
    try:
        return recommend(profile, policy=policy, engine=ENGINE)
    except NoCandidateError:
        assert profile.latency_ms is not None or profile.max_model_mb is not None, profile
        return None


@SETTINGS
@given(profiles, policies)
def test_tep101_never_lets_finetuning_through_under_the_threshold(profile, policy):
    r = _run(profile, policy)
    if r is None or profile.examples >= policy.finetune_min_examples:
        return
    assert r.architecture not in FINETUNING
    for arch in FINETUNING:
        (finetune,) = [a for a in r.alternatives if a.architecture == arch]
        assert finetune.status in ("refused", "excluded")
    assert {x.rule for x in r.refusals} <= {"TEP101"}
    assert all(x.unlock for x in r.refusals)


@SETTINGS
@given(profiles, policies)
def test_edge_targets_always_carry_tep201(profile, policy):
    r = _run(profile, policy)
    if r is None:
        return
    flagged = "TEP201" in [f.rule for f in r.flags]
    assert flagged is (profile.deploy in EDGE_TARGETS)
    if profile.deploy in EDGE_TARGETS and r.architecture in TRANSFORMERS:
        assert profile.latency_ms is not None and profile.max_model_mb is not None
        assert r.estimate.latency_ms <= profile.latency_ms and r.estimate.size_mb <= profile.max_model_mb


@SETTINGS
@given(profiles, policies)
def test_streaming_never_gets_a_bidirectional_encoder_or_a_transformer(profile, policy):
    r = _run(profile, policy)
    if r is None or not profile.streaming:
        return
    assert r.architecture not in BIDIRECTIONAL | TRANSFORMERS
    ranked = {a.architecture for a in r.alternatives if a.status == "ranked"}
    assert not ranked & (BIDIRECTIONAL | TRANSFORMERS)


@SETTINGS
@given(profiles, policies)
def test_every_output_validates_against_the_schema(profile, policy):
    r = _run(profile, policy)
    if r is None:
        return
    VALIDATOR.validate(json.loads(r.model_dump_json()))
    assert r.estimate.size_mb > 0 and r.estimate.latency_ms > 0
    for a in r.alternatives:
        assert a.why_not


@SETTINGS
@given(profiles, policies)
def test_same_profile_identical_json(profile, policy):
    try:
        first = recommend(profile, policy=policy, engine=ENGINE).model_dump_json()
    except NoCandidateError as exc:
        again = Engine(entry_points=False)
        try:
            recommend(profile, policy=policy, engine=again)
        except NoCandidateError as exc2:
            assert str(exc2) == str(exc)
            return
        raise AssertionError("the second engine found a candidate the first did not") from None
    assert recommend(profile, policy=policy, engine=ENGINE).model_dump_json() == first
    assert (
        recommend(profile.model_copy(), policy=policy, engine=Engine(entry_points=False)).model_dump_json()
        == first
    )


@SETTINGS
@given(profiles)
def test_the_named_smallest_budget_admits_a_candidate(profile):
    try:
        recommend(profile, engine=ENGINE)
        return
    except NoCandidateError as exc:
        message = str(exc)
    assert profile.latency_ms is not None or profile.max_model_mb is not None
    m = re.search(r"the smallest budget that admits a candidate: (.*) \(admits ([a-z-]+)\)$", message)
    if m is None:  # every remaining exclusion is one no budget can lift (task fit, streaming, ...)
        return
    budgets = {k.replace("-", "_"): float(v) for k, v in re.findall(r"--([a-z-]+) ([\d.]+)", m[1])}
    assert budgets, message
    fixed = profile.model_copy(update=budgets)
    r = recommend(fixed, engine=ENGINE)
    assert r.architecture == m[2] or m[2] in [a.architecture for a in r.alternatives if a.status == "ranked"]
