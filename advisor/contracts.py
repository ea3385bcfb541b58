"""JSON schemas of the data contracts (``advisor schema ...``); committed copies live in advisor/schemas/.

Regenerate the committed copies with ``make schemas`` (``python -m advisor.contracts``); a test fails
when they are stale. ``profile.json`` is also read at run time: :mod:`advisor.fastpath` checks the CLI's
profiles against it without building the pydantic model.
"""

from __future__ import annotations

import json
from pathlib import Path

NAMES = ("profile", "recommendation", "answer", "evidence")
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def evidence_schema() -> dict:
    number01 = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "PlateauEvidence",
        "description": "Written by `advisor baseline plateau`; verified by TEP101 (see advisor.evidence).",
        "type": "object",
        "required": [
            "schema_version",
            "kind",
            "task",
            "metric",
            "data",
            "plateau",
            "architectures",
            "runs",
            "floor",
            "versions",
        ],
        "properties": {
            "schema_version": {"const": 1},
            "kind": {"const": "advisor-plateau-evidence"},
            "task": {"enum": ["classification", "tagging"]},
            "metric": {"enum": ["accuracy", "entity_f1"]},
            "data": {
                "type": "object",
                "required": ["fingerprint", "examples", "label_counts"],
                "properties": {
                    "path": {"type": "string"},
                    "fingerprint": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                    "examples": {"type": "integer", "minimum": 1},
                    "label_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "split": {"type": "object"},
                },
            },
            "plateau": {
                "type": "object",
                "required": ["patience", "min_delta", "verdict"],
                "properties": {
                    "patience": {"type": "integer", "minimum": 2},
                    "min_delta": {"type": "number", "minimum": 0},
                    "verdict": {"enum": ["plateaued", "not-plateaued"]},
                },
            },
            "architectures": {"type": "array", "items": {"type": "string"}},
            "runs": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": [
                        "arch",
                        "seed",
                        "config",
                        "dev_curve",
                        "best_epoch",
                        "best_dev",
                        "plateaued",
                    ],
                    "properties": {
                        "arch": {"type": "string"},
                        "seed": {"type": "integer"},
                        "config": {"type": "object"},
                        "dev_curve": {"type": "array", "minItems": 1, "items": number01},
                        "best_epoch": {"type": "integer", "minimum": 1},
                        "best_dev": number01,
                        "plateaued": {"type": "boolean"},
                        "seconds": {"type": "number"},
                    },
                },
            },
            "floor": {
                "type": "object",
                "required": ["metric", "mean", "std", "runs"],
                "properties": {
                    "metric": {"type": "string"},
                    "mean": number01,
                    "std": {"type": "number"},
                    "runs": {"type": "integer"},
                },
            },
            "learning_curve": {"type": "array", "items": {"type": "object"}},
            "versions": {"type": "object"},
        },
    }


def schema_for(name: str) -> dict:
    if name == "profile":
        from advisor.profile import ConstraintProfile

        return ConstraintProfile.model_json_schema()
    if name == "recommendation":
        from advisor.recommendation import Recommendation

        return Recommendation.model_json_schema()
    if name == "answer":
        from advisor.render import answer_schema

        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "AgentAnswer",
            **answer_schema(),
        }
    if name == "evidence":
        return evidence_schema()
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
