"""The CLI's JSON fast path (advisor.fastpath): same verdicts as pydantic, byte-identical JSON, pydantic on doubt."""

from __future__ import annotations

import json
import math
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from advisor import hookimpl
from advisor.api import recommend, recommend_json, recommendation_data
from advisor.cli import cli
from advisor.engine import Engine
from advisor.errors import NoCandidateError
from advisor.evidence import NO_EVIDENCE
from advisor.fastpath import (
    COMPUTES,
    DEPLOYS,
    PROFILE_FIELDS,
    TASKS,
    LightProfile,
    check_profile,
    dump_recommendation,
    light_profile,
)
from advisor.policy import Policy
from advisor.profile import ConstraintProfile
from advisor.render import render_json

SETTINGS = settings(max_examples=300, deadline=None)
ENGINE = Engine(entry_points=False)
PHONE = {"examples": 300, "deploy": "phone", "latency_ms": 5}


def pydantic_json(values: dict, policy: Policy | None = None) -> str:
    return render_json(recommend(ConstraintProfile.model_validate(values), policy=policy, engine=ENGINE))


# -- the vocabularies and the light profile mirror the model -------------------------------------------------
def test_profile_fields_and_vocabularies_match_the_model():
    assert PROFILE_FIELDS == tuple(ConstraintProfile.model_fields)
    fields = ConstraintProfile.model_fields
    assert TASKS == typing.get_args(fields["task"].annotation)
    assert DEPLOYS == typing.get_args(fields["deploy"].annotation)
    assert COMPUTES == typing.get_args(fields["compute"].annotation)


def test_light_profile_reads_like_the_model():
    values = {"examples": 300, "deploy": "phone", "latency_ms": 5, "language": "EN_gb"}
    light, model = light_profile(values), ConstraintProfile.model_validate(values)
    assert isinstance(light, LightProfile)
    for name in PROFILE_FIELDS:
        assert getattr(light, name) == getattr(model, name) and type(getattr(light, name)) is type(
            getattr(model, name)
        )
    assert (light.edge, light.english) == (model.edge, model.english) == (True, True)
    assert light.as_dict() == model.model_dump()
    with pytest.raises(AttributeError, match="frozen"):
        light.examples = 3


@pytest.mark.parametrize(
    "values",
    [
        {"examples": 300, "data": None},  # the data summary is pydantic's business
        {"examples": 3.0},  # pydantic's lax mode turns it into 3: no guessing here
        {"examples": "300"},
        {"examples": True},
        {"examples": 3, "streaming": 1},
        {"examples": 3, "latency_ms": math.inf},
        {"examples": 3, "latency_ms": 2**60},
        {"examples": 3, "description": "lone \ud800 surrogate"},
        {
            "examples": 3,
            "language": "en\n",
        },  # Python's `$` matches before a final newline, pydantic's does not
        {"examples": 0},
        {"deploy": "phone"},
        {"examples": 3, "deploy_target": "phone"},
    ],
)
def test_anything_unusual_or_invalid_goes_to_pydantic(values):
    assert light_profile(values) is None


# -- the mini validator agrees with pydantic -----------------------------------------------------------------
def _numbers(lo: int, hi: int):
    return st.one_of(
        st.integers(lo, hi),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(lo, hi),
        st.booleans(),
        st.sampled_from(["3", "300", "-1", "abc", ""]),
        st.none(),
    )


LANGUAGES = st.one_of(
    st.sampled_from(["en", "en-US", "de", "pt-BR", "zh_Hant", "sw", "EN", "en\n", "e", "english", "x" * 17]),
    st.from_regex(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,2}", fullmatch=True),
    st.text(max_size=20),
    st.integers(),
)
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=2),
)
FIELDS = {
    "task": st.one_of(st.sampled_from(TASKS), st.sampled_from(["ner", "Tagging", ""]), ODD),
    "examples": _numbers(-3, 100_000),
    "classes": _numbers(-1, 60),
    "tokens": _numbers(-1, 3_000),
    "latency_ms": _numbers(-1, 300),
    "deploy": st.one_of(st.sampled_from(DEPLOYS), st.sampled_from(["moon", "Phone"]), ODD),
    "compute": st.one_of(st.sampled_from(COMPUTES), st.just("tpu"), ODD),
    "streaming": st.one_of(st.booleans(), st.sampled_from([0, 1, "true", "yes", None])),
    "max_model_mb": _numbers(-1, 500),
    "language": LANGUAGES,
    "description": st.one_of(
        st.none(), st.text(max_size=60), st.text("ab", min_size=3995, max_size=4005), st.integers()
    ),
    "data": st.one_of(st.none(), st.just({})),
}
random_dicts = st.one_of(
    st.fixed_dictionaries(
        {"examples": st.integers(1, 100_000)}, optional={k: v for k, v in FIELDS.items() if k != "examples"}
    ),
    st.fixed_dictionaries({}, optional=FIELDS),
    st.builds(
        lambda d, extra: {**d, **extra},
        st.fixed_dictionaries({"examples": st.integers(1, 1_000)}),
        st.dictionaries(st.text(max_size=8), ODD, max_size=2),
    ),
)


def _pydantic(values: dict, strict: bool) -> ConstraintProfile | None:
    try:
        return ConstraintProfile.model_validate(values, strict=strict)
    except ValidationError:
        return None


@SETTINGS
@given(random_dicts)
def test_the_mini_validator_agrees_with_pydantic(values):
    verdict = check_profile(values)
    lax, strict = _pydantic(values, strict=False), _pydantic(values, strict=True)
    if verdict is True:  # valid here: pydantic takes it as it is, in both modes
        assert lax is not None and strict is not None
    elif verdict is False:  # invalid here: pydantic rejects it too, unless its lax mode coerces the value
        assert strict is None
    light = light_profile(values)
    if light is not None:
        assert verdict is True and "data" not in values
        dumped = lax.model_dump()
        assert light.as_dict() == dumped
        assert [type(v) for v in light.as_dict().values()] == [type(v) for v in dumped.values()]
        assert (light.edge, light.english) == (lax.edge, lax.english)


# -- byte-identical JSON -------------------------------------------------------------------------------------
valid_dicts = st.fixed_dictionaries(
    {
        "examples": st.one_of(
            st.integers(1, 200_000), st.sampled_from([99, 249, 250, 499, 500, 999, 1000, 10000, 50001])
        )
    },
    optional={
        "task": st.sampled_from(TASKS),
        "classes": st.one_of(st.none(), st.integers(2, 50)),
        "tokens": st.one_of(st.integers(1, 2_000), st.sampled_from([16, 32, 512, 513])),
        "latency_ms": st.one_of(
            st.none(), st.floats(0.05, 300), st.integers(1, 300), st.sampled_from([0.5, 5.0])
        ),
        "deploy": st.sampled_from(DEPLOYS),
        "compute": st.sampled_from(COMPUTES),
        "streaming": st.booleans(),
        "max_model_mb": st.one_of(
            st.none(), st.floats(0.5, 500), st.integers(1, 500), st.sampled_from([8.0, 25.0])
        ),
        "language": st.sampled_from(["en", "en-US", "de", "pt-BR", "zh_Hant", "sw"]),
        "description": st.one_of(st.none(), st.text(max_size=200)),
    },
)
policies = st.one_of(
    st.just(Policy()),
    st.builds(
        Policy,
        finetune_min_examples=st.integers(1, 5_000),
        finetune_variance_below=st.integers(1, 1_000),
        static_embeddings_below=st.integers(1, 50_000),
        imbalance_flag_ratio=st.one_of(st.integers(2, 50), st.floats(1.5, 50)),
        tight_budget_fraction=st.floats(0.05, 1.0),
    ),
)


@SETTINGS
@given(valid_dicts, policies)
def test_fast_json_is_byte_identical_to_the_pydantic_json(values, policy):
    light = light_profile(values)
    assert light is not None, values
    try:
        expected = pydantic_json(values, policy)
    except NoCandidateError as exc:
        with pytest.raises(NoCandidateError) as fast_exc:
            recommend_json(light, policy=policy, engine=ENGINE)
        assert str(fast_exc.value) == str(exc)
        return
    fast = dump_recommendation(recommendation_data(ENGINE, ENGINE.evaluate(light, policy, NO_EVIDENCE)))
    assert fast is not None  # plain floats, no evidence: nothing to doubt
    assert fast == expected
    assert recommend_json(light, policy=policy, engine=ENGINE) == expected


@pytest.mark.parametrize(
    "values",
    [
        {"examples": 300, "max_model_mb": 1e16},  # Python and pydantic print this float alike ...
        {"examples": 300, "latency_ms": 1e20, "max_model_mb": 5e-05},  # ... but not 5e-05 (0.00005)
        {"examples": 300, "description": 'tab\tnewline\n quote" backslash\\ nul\x00 del\x7f \u2028 é 😀'},
    ],
)
def test_unusual_floats_and_strings_give_the_same_json(values):
    light = light_profile(values)
    assert light is not None
    try:
        expected = pydantic_json(values)
    except NoCandidateError:
        with pytest.raises(NoCandidateError):
            recommend_json(light, engine=ENGINE)
        return
    assert recommend_json(light, engine=ENGINE) == expected


def test_a_float_printed_differently_falls_back_to_pydantic():
    data = recommendation_data(ENGINE, ENGINE.evaluate(light_profile(PHONE), Policy(), NO_EVIDENCE))
    assert dump_recommendation(data) == pydantic_json(PHONE)
    data["estimate"] = {**data["estimate"], "latency_ms": 1e-05}
    assert dump_recommendation(data) is None
    data["estimate"]["latency_ms"] = 0.5
    data["recipe"] = {**data["recipe"], "epochs": 3}  # not a str: pydantic would reject it
    assert dump_recommendation(data) is None


# -- the CLI -------------------------------------------------------------------------------------------------
@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "values"),
    [
        (["--examples", "300", "--deploy", "phone", "--latency-ms", "5"], PHONE),
        (["--examples", "800", "--task", "tagging", "--compute", "gpu", "--language", "de", "--streaming",
          "--description", "Tag <names> in \"tickets\"\n"],
         {"examples": 800, "task": "tagging", "compute": "gpu", "language": "de", "streaming": True,
          "description": "Tag <names> in \"tickets\"\n"}),
    ],
)  # fmt: skip
def test_cli_json_is_the_pydantic_json(runner, in_tmp, args, values):
    for flag in (["--format", "json"], ["--json"]):
        result = runner.invoke(cli, ["recommend", *args, *flag])
        assert result.exit_code == 0, result.output
        assert result.stdout == pydantic_json(values)


def test_cli_json_from_a_profile_file_with_integer_budgets(runner, in_tmp):
    (in_tmp / "p.toml").write_text('examples = 300\ndeploy = "phone"\nlatency_ms = 5\nmax_model_mb = 30\n')
    result = runner.invoke(cli, ["recommend", "--profile", "p.toml", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout == pydantic_json({**PHONE, "max_model_mb": 30})
    assert json.loads(result.stdout)["profile"]["latency_ms"] == 5.0 and '"latency_ms": 5.0' in result.stdout


class SeesTheProfile:
    """A third-party rule that records the type of profile it was given."""

    seen: list[str] = []

    @hookimpl
    def register_rules(self, register):
        register(
            id="TEP950",
            name="sees-profile",
            severity="info",
            summary="Records the profile type.",
            docs="Docs.",
        )

    @hookimpl
    def exclude_candidates(self, ctx):
        self.seen.append(type(ctx.profile).__name__)
        ctx.info(rule="TEP950", message=f"saw {ctx.profile.examples} examples")


def test_third_party_plugins_always_see_a_constraint_profile(runner, in_tmp, cli_plugins):
    plugin = SeesTheProfile()
    plugin.seen = []
    cli_plugins(plugin)
    result = runner.invoke(cli, ["recommend", "--examples", "300", "--json"])
    assert result.exit_code == 0, result.output
    assert plugin.seen == ["ConstraintProfile"]
    doc = json.loads(result.stdout)
    assert doc["plugins"][-1] == "SeesTheProfile"
    assert {
        "rule": "TEP950",
        "plugin": "SeesTheProfile",
        "effect": "info",
        "reason": "saw 300 examples",
        "kind": "info",
        "architecture": None,
    } in doc["trace"]
