"""The advisor's answers equal the committed golden outputs (tests/golden/golden.py says how to regenerate)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))

import golden  # noqa: E402


def test_outputs_match_golden():
    diffs = golden.compare(golden.run_all(), golden.load_golden())
    assert not diffs, (
        f"{len(diffs)} differences from tests/golden/outputs.jsonl.gz (first 20 below). If they are meant, run "
        "`.venv/bin/python tests/golden/golden.py --write` and name them in the commit:\n"
        + "\n".join(diffs[:20])
    )


def test_compare_sees_a_changed_field():
    g = golden.load_golden()
    changed = [dict(r) for r in g]
    first_json = next(r for r in changed if r["case"].endswith("-json") and r["exit"] == 0)
    first_json["stdout"] = first_json["stdout"].replace('"schema_version": 1', '"schema_version": 2', 1)
    diffs = golden.compare(changed, g)
    assert diffs == [f"{first_json['case']}: .schema_version: 1 -> 2"]
