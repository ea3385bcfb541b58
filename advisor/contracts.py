"""The data contracts' shared strictness, and their JSON schemas (``advisor schema ...``).

Every model that reads a file or an agent's input (the profile, the policy, plateau evidence, an agent's
answer) derives from :class:`StrictModel`: ``strict=True`` (no lax coercion: ``"300"`` is not an integer, ``true``
is not 1, ``"yes"`` is not a boolean, ``1.0`` is not an integer; an integer is still a number) and
``extra="forbid"`` (a misspelled key is an error). Versions are exact :func:`exact_literal` values: pydantic's
own ``Literal[1]`` accepts ``True`` and ``1.0`` even in strict mode. Validation errors reach users as one line
(:func:`advisor.errors.validation_line`).

The JSON schemas are generated from the models; committed copies live in advisor/schemas/. Regenerate them with
``make schemas`` (``python -m advisor.contracts``); a test fails when they are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """Base of every model that reads a file or an agent's input: strict types, unknown keys rejected."""

    model_config = ConfigDict(strict=True, extra="forbid")


def exact_literal(*values: Any) -> Any:
    """``Literal[values]`` that also requires the value's exact type (``1`` only: not ``True``, not ``1.0``)."""
    expected = " or ".join(repr(v) for v in values)

    def exact(value: Any) -> Any:
        if not any(type(value) is type(v) and value == v for v in values):
            raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})
        return value

    return Annotated[Literal[values], BeforeValidator(exact)]


NAMES = ("profile", "recommendation", "answer", "evidence", "measurements")
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_for(name: str) -> dict:
    if name == "profile":
        from advisor.profile import ConstraintProfile

        return ConstraintProfile.model_json_schema()
    if name == "recommendation":
        from advisor.recommendation import Recommendation

        return Recommendation.model_json_schema()
    if name == "answer":
        from advisor.answers import answer_schema

        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "AgentAnswer",
            **answer_schema(),
        }
    if name == "evidence":
        from advisor.evidence import PlateauEvidence

        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **PlateauEvidence.model_json_schema(),
        }
    if name == "measurements":
        from advisor.measurements import Measurements

        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **Measurements.model_json_schema(),
        }
    raise ValueError(f"unknown schema {name!r} (known: {', '.join(NAMES)})")


def render_schema(name: str) -> str:
    return json.dumps(schema_for(name), indent=2, sort_keys=False) + "\n"


def write_all(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in NAMES:
        path = folder / f"{name}.json"
        path.write_text(render_schema(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(f"wrote {p}")
