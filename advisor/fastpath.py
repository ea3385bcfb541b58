"""The CLI's JSON fast path: a profile and a JSON answer without building a pydantic model.

Defining the first pydantic model costs more than importing click, pydantic, pluggy and jinja2 together
(pydantic's schema machinery, and its plugin loader importing ``importlib.metadata``). For the common
``advisor recommend ... --format json`` that cost is avoidable:

- :func:`light_profile` checks the profile values against the committed JSON schema of
  :class:`advisor.profile.ConstraintProfile` (``advisor/schemas/profile.json``, kept fresh by a test) with
  a validator for the small subset of JSON schema that file uses, and returns a :class:`LightProfile`
  (same attributes as ``ConstraintProfile``, ``.edge`` and ``.english`` included) that the engine and the
  rules accept, since they only read attributes.
- :func:`dump_recommendation` writes the plain data that :func:`advisor.api.recommendation_data` builds
  as the exact bytes of ``Recommendation.model_dump_json(indent=2)``.

Both are conservative: whenever anything is unusual (a value the strict validator rejects although
pydantic's lax mode might coerce it, a ``data`` key, a keyword the validator does not know, a float that
the two serializers would print differently, a schema file that cannot be read) they return ``None`` and
the caller takes the pydantic path, so every error message and every output stays exactly as it was.
Tests check that the validator agrees with pydantic on random input and that the JSON is byte-identical.

This module also holds the profile's vocabularies (no pydantic needed to list them).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

TASKS: tuple[str, ...] = ("classification", "tagging")
DEPLOYS: tuple[str, ...] = ("phone", "edge", "browser", "cpu-server", "gpu-server")
COMPUTES: tuple[str, ...] = ("cpu", "gpu")
EDGE_TARGETS: frozenset[str] = frozenset({"phone", "edge", "browser"})
# ConstraintProfile's fields, in order (a test keeps this equal to the model's fields).
PROFILE_FIELDS: tuple[str, ...] = (
    "task", "examples", "classes", "tokens", "latency_ms", "deploy", "compute", "streaming",
    "max_model_mb", "language", "description", "data",
)  # fmt: skip
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "profile.json"


def is_english(language: str) -> bool:
    """Whether a BCP-47 code names English (``en``, ``en-US``, ``EN_gb``)."""
    return language.lower().replace("_", "-").split("-")[0] == "en"


class ProfileFacts:
    """Facts derived from a profile's fields, shared by ConstraintProfile and LightProfile."""

    __slots__ = ()  # subclasses provide .deploy and .language

    @property
    def edge(self) -> bool:
        return self.deploy in EDGE_TARGETS

    @property
    def english(self) -> bool:
        return is_english(self.language)


class LightProfile(ProfileFacts):
    """A validated constraint profile as a plain frozen object (what :func:`light_profile` returns).

    Same attribute names as :class:`advisor.profile.ConstraintProfile`; ``data`` is always ``None``.
    """

    __slots__ = PROFILE_FIELDS

    def __init__(self, values: dict) -> None:
        for name in PROFILE_FIELDS:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"LightProfile is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"LightProfile is frozen: cannot delete {name!r}")

    def __repr__(self) -> str:
        return "LightProfile(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in PROFILE_FIELDS) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LightProfile) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in PROFILE_FIELDS))

    def as_dict(self) -> dict:
        """Field → value, every field in order (what ``ConstraintProfile.model_dump()`` gives)."""
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


# -- a validator for the JSON-schema subset of profile.json ----------------------------------------------------
class _Doubt(Exception):
    """The validator cannot decide: take the pydantic path."""


# Keywords that only annotate; anything else that is not handled below is a doubt.
_ANNOTATIONS = frozenset({"title", "description", "default", "$defs", "$schema", "examples"})
_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,)}


@lru_cache(maxsize=1)
def profile_schema() -> dict:
    """The committed JSON schema of the profile (read once)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern:
    # pydantic matches with Rust's regex, where `$` matches only at the very end; Python's `$` also matches
    # before a final newline. Only a trailing `$` is translated; any other `$` is a doubt.
    body = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    if "$" in body.replace("\\$", ""):
        raise _Doubt(f"pattern {pattern!r}")
    return re.compile(body)


def _same(a: object, b: object) -> bool:
    """JSON equality for enum/const: a boolean never equals a number, 1 never equals "1"."""
    return type(a) is type(b) and a == b


def is_valid(instance: object, schema: dict) -> bool:
    """Whether ``instance`` is valid against ``schema``; raises _Doubt where the answer is not certain.

    Strict on types: only exact ``str``/``int``/``float``/``bool``/``dict``/``None``, no booleans as
    numbers, no floats as integers (JSON schema would take 3.0 as an integer; pydantic turns it into 3:
    a doubt either way), no infinities or NaN, no integers a float cannot hold, no strings with lone
    surrogates.
    """
    for key, rule in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "type":
            if rule == "null":
                ok = instance is None
            elif rule in _TYPES:
                ok = type(instance) in _TYPES[rule]
            else:
                raise _Doubt(f"type {rule!r}")
            if not ok:
                return False
            if type(instance) is float and not math.isfinite(instance):
                raise _Doubt("non-finite number")
            if rule == "number" and type(instance) is int and abs(instance) > 2**53:
                raise _Doubt("an integer beyond float precision")
            if type(instance) is str:
                try:
                    instance.encode("utf-8")
                except UnicodeEncodeError:
                    raise _Doubt("a lone surrogate") from None
        elif key == "anyOf":
            if not any(is_valid(instance, branch) for branch in rule):
                return False
        elif key == "enum":
            if not any(_same(instance, v) for v in rule):
                return False
        elif key == "const":
            if not _same(instance, rule):
                return False
        elif key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            if type(instance) not in (int, float):
                continue  # the keyword applies to numbers only
            if type(instance) is float and not math.isfinite(instance):
                raise _Doubt("non-finite number")
            ok = {
                "minimum": instance >= rule,
                "exclusiveMinimum": instance > rule,
                "maximum": instance <= rule,
                "exclusiveMaximum": instance < rule,
            }[key]
            if not ok:
                return False
        elif key in ("minLength", "maxLength", "pattern"):
            if type(instance) is not str:
                continue
            if key == "minLength" and len(instance) < rule:
                return False
            if key == "maxLength" and len(instance) > rule:
                return False
            if key == "pattern" and _regex(rule).search(instance) is None:
                return False
        elif key == "required":
            if type(instance) is dict and any(name not in instance for name in rule):
                return False
        elif key == "properties":
            if type(instance) is dict:
                for name, sub in rule.items():
                    if name in instance and not is_valid(instance[name], sub):
                        return False
        elif key == "additionalProperties":
            if type(instance) is not dict:
                continue
            if rule is not False:
                raise _Doubt("additionalProperties other than false")
            known = schema.get("properties", {})
            if any(type(name) is not str or name not in known for name in instance):
                return False
        else:  # $ref and every keyword not listed above
            raise _Doubt(f"keyword {key!r}")
    return True


def check_profile(values: object) -> bool | None:
    """True/False: valid/invalid against the committed profile schema; None: not certain (ask pydantic)."""
    try:
        return is_valid(values, profile_schema())
    except Exception:  # a doubt, an unreadable schema file, a pattern Python cannot compile: not certain
        return None


def _is_number(prop: dict) -> bool:
    return prop.get("type") == "number" or any(b.get("type") == "number" for b in prop.get("anyOf", ()))


def light_profile(values: dict) -> LightProfile | None:
    """The profile as a :class:`LightProfile`, or None: invalid, unusual or uncertain (use ConstraintProfile).

    Invalid input returns None too: pydantic then reports the error in its own words.
    """
    if type(values) is not dict or "data" in values or check_profile(values) is not True:
        return None
    props = profile_schema().get("properties")
    if type(props) is not dict or tuple(props) != PROFILE_FIELDS:
        return None
    out: dict = {}
    for name, prop in props.items():
        if name in values:
            value = values[name]
        elif "default" in prop:
            value = prop["default"]
        else:
            return None
        if value is not None and _is_number(prop):
            value = float(value)  # pydantic's float fields hold floats (5 -> 5.0 in the JSON)
        out[name] = value
    return LightProfile(out)


# -- the Recommendation's JSON without pydantic ---------------------------------------------------------------
RECIPE_FIELDS: tuple[str, ...] = ("optimizer", "learning_rate", "batch_size", "epochs", "regularization")
SEVERITIES = frozenset({"refuse", "exclude", "prefer", "flag", "info"})
STATUSES = frozenset({"ranked", "refused", "excluded"})
EMBEDDINGS = frozenset({"random", "static", "contextual"})
from advisor.vocabulary import EFFECT_KINDS  # noqa: E402  (this module is deleted by the fast-path removal)


def _s(value: object) -> str:
    if type(value) is not str:
        raise _Doubt("not a str")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Doubt("a lone surrogate") from None
    return value


def _opt_s(value: object) -> str | None:
    return None if value is None else _s(value)


def _f(value: object) -> float:
    """A float field: ints become floats; only floats that Python and pydantic print alike pass."""
    if type(value) not in (int, float) or (type(value) is int and abs(value) > 2**53):
        raise _Doubt("not a number")
    value = float(value)
    if not math.isfinite(value) or "e" in repr(value):  # 1e-05 (Python) vs 0.00001 (pydantic)
        raise _Doubt("float formatting")
    return value


def _i(value: object) -> int:
    if type(value) is not int:
        raise _Doubt("not an int")
    return value


def _one_of(value: object, allowed: frozenset[str]) -> str:
    if _s(value) not in allowed:
        raise _Doubt("not an allowed value")
    return value


def _keys(d: object, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if type(d) is not dict or not set(required) <= d.keys() <= {*required, *optional}:
        raise _Doubt("unexpected keys")
    return d


def _strings(
    d: object, names: tuple[str, ...], optional: tuple[str, ...] = (), **allowed: frozenset[str]
) -> dict:
    """A record of str fields ``names`` (in that order); ``allowed`` limits some to a set of values."""
    d = _keys(d, names, optional)
    return {n: _one_of(d[n], allowed[n]) if n in allowed else _s(d[n]) for n in names}


def _estimate(e: object) -> dict:
    e = _keys(e, ("size_mb", "latency_ms", "source"))
    return {"size_mb": _f(e["size_mb"]), "latency_ms": _f(e["latency_ms"]), "source": _s(e["source"])}


def _profile(p: object) -> dict:
    if type(p) is not LightProfile or p.data is not None:
        raise _Doubt("not a light profile")
    out = {}
    for name, value in p.as_dict().items():
        if value is None:
            out[name] = None
        elif name in ("examples", "classes", "tokens"):
            out[name] = _i(value)
        elif name in ("latency_ms", "max_model_mb"):
            out[name] = _f(value)
        elif name == "streaming":
            if type(value) is not bool:
                raise _Doubt("streaming")
            out[name] = value
        else:
            out[name] = _s(value)
    return out


def _normalized(data: dict) -> dict:
    """``data`` in the field order and types of ``Recommendation.model_dump()``; _Doubt where unsure."""
    data = _keys(
        data,
        ("profile", "architecture", "description", "embedding", "recipe", "monitoring", "estimate", "flags",
         "refusals", "alternatives", "evidence", "policy", "trace", "plugins", "advisor_version"),
        ("schema_version",),
    )  # fmt: skip
    if data.get("schema_version", 1) != 1 or type(data.get("schema_version", 1)) is not int:
        raise _Doubt("schema_version")
    if data["evidence"] is not None:
        raise _Doubt("evidence")
    recipe = _keys(data["recipe"], RECIPE_FIELDS)
    policy = data["policy"]
    if type(policy) is not dict or any(
        type(k) is not str or type(v) not in (int, float) for k, v in policy.items()
    ):
        raise _Doubt("policy")
    alternatives = []
    for a in data["alternatives"]:
        a = _keys(a, ("architecture", "status", "why_not", "estimate"), ("points",))
        alternatives.append(
            {
                "architecture": _s(a["architecture"]),
                "status": _one_of(a["status"], STATUSES),
                "why_not": _s(a["why_not"]),
                "points": _f(a.get("points", 0.0)),
                "estimate": _estimate(a["estimate"]),
            }
        )
    return {
        "schema_version": 1,
        "profile": _profile(data["profile"]),
        "architecture": _s(data["architecture"]),
        "description": _s(data["description"]),
        "embedding": _one_of(data["embedding"], EMBEDDINGS),
        "recipe": {name: _s(recipe[name]) for name in RECIPE_FIELDS},
        "monitoring": _s(data["monitoring"]),
        "estimate": _estimate(data["estimate"]),
        "flags": [
            _strings(f, ("rule", "name", "severity", "message"), severity=SEVERITIES) for f in data["flags"]
        ],
        "refusals": [
            {
                **_strings(r, ("rule", "architecture", "message"), optional=("unlock",)),
                "unlock": _opt_s(r.get("unlock")),
            }
            for r in data["refusals"]
        ],
        "alternatives": alternatives,
        "evidence": None,
        "policy": {k: (_f(v) if type(v) is float else v) for k, v in policy.items()},
        "trace": [
            {
                **_strings(
                    t, ("rule", "plugin", "effect", "reason", "kind"), ("architecture",), kind=EFFECT_KINDS
                ),
                "architecture": _opt_s(t.get("architecture")),
            }
            for t in data["trace"]
        ],
        "plugins": [_s(p) for p in data["plugins"]],
        "advisor_version": _s(data["advisor_version"]),
    }


def dump_recommendation(data: dict) -> str | None:
    """The bytes of ``Recommendation.model_validate(data).model_dump_json(indent=2) + "\\n"``, or None
    where this cannot be sure of them (then validate with pydantic)."""
    try:
        normalized = _normalized(data)
    except (_Doubt, TypeError, KeyError, AttributeError):
        return None
    return json.dumps(normalized, indent=2, ensure_ascii=False) + "\n"
