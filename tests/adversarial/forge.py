"""Helpers of the hostile cases: submit evidence as a user would, forge it from public facts."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from advisor.cli import cli
from advisor.evidence import KIND, SCHEMA_VERSION


def recommend_doc(data: Path, evidence: Path | None = None, *args: str) -> dict:
    """`advisor recommend --data DATA [--evidence E] ARGS --json` as a document (exit code 0 asserted)."""
    argv = ["recommend", "--data", str(data), "--json", *args]
    if evidence is not None:
        argv += ["--evidence", str(evidence)]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def public_facts(data: Path) -> dict:
    """What anyone who has seen one recommendation knows: the profile's data summary."""
    return recommend_doc(data)["profile"]["data"]


def forged(data: Path, curve: list[float], *, runs: int = 2, arch: str = "textcnn") -> dict:
    """An evidence document made from public facts alone and one made-up curve (the current format)."""
    facts = public_facts(data)
    best_i = max(range(len(curve)), key=lambda i: (curve[i], -i))
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "task": "classification",
        "metric": "accuracy",
        "data": {
            "path": facts["path"],
            "fingerprint": facts["fingerprint"],
            "examples": sum(facts["label_counts"].values()),
            "label_counts": facts["label_counts"],
        },
        "plateau": {"patience": 3, "min_delta": 0.001, "verdict": "plateaued"},
        "architectures": [arch],
        "runs": [
            {
                "arch": arch,
                "seed": s,
                "config": {},
                "dev_curve": list(curve),
                "best_epoch": best_i + 1,
                "best_dev": curve[best_i],
                "plateaued": True,
            }
            for s in range(runs)
        ],
        "floor": {"metric": "accuracy", "mean": curve[best_i], "std": 0.0, "runs": runs},
    }


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def load(path: Path) -> dict:
    return copy.deepcopy(json.loads(path.read_text(encoding="utf-8")))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_checkpoint_refs(doc: dict) -> dict:
    """Give every run of a forged document made-up checkpoint references, where the format has them."""
    from advisor.evidence import Run

    if "checkpoint" in Run.model_fields:
        n = doc["data"]["examples"]
        doc["data"]["split"] = {  # the shipped policy's evidence split: public too
            "seed": 12345,
            "fractions": [0.8, 0.2],
            "sizes": [n - n // 5, n // 5],
            "stratified": True,
            "note": "stratified",
        }
        for run in doc["runs"]:
            name = f"evidence.json.d/{run['arch']}-seed{run['seed']}"
            run["checkpoint"] = {
                "path": name,
                "files": {f: sha256_of(name + f) for f in ("manifest.json", "model.pt")},
            }
            run["device"] = "cpu"
    return doc


def policy_file(folder: Path, **values) -> Path:
    """A policy TOML file with ``values``."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = folder / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sha256_of(text: str) -> str:
    """A made-up digest (distinct per text)."""
    return hashlib.sha256(text.encode()).hexdigest()
