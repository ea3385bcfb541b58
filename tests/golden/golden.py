"""Golden outputs of the advisor's answers: the recommendation JSON for the 720 profiles of
``benchmarks/throughput.py``, every fifteenth also as text, markdown and prompt, plus ``--data``, ``--evidence`` and
``check`` cases, each run through the CLI in-process exactly as a user would run it.

Usage::

    .venv/bin/python tests/golden/golden.py --write      # regenerate tests/golden/outputs.jsonl.gz
    .venv/bin/python tests/golden/golden.py              # compare; prints every case that differs, field by field

``tests/test_golden.py`` runs the comparison. A change in the outputs that is meant (a policy fix, a new field) is
committed together with the regenerated file and named in the commit message.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "outputs.jsonl.gz"


def profile_grid() -> list[dict]:
    """The grid of benchmarks/throughput.py (the budget-infeasible ones stay: their error is golden too)."""
    sys.path.insert(0, str(HERE.parent.parent / "benchmarks"))
    try:
        import throughput
    finally:
        sys.path.pop(0)
    return throughput.profile_grid()


def flags(p: dict) -> list[str]:
    args = []
    for key, value in p.items():
        if value is None:
            continue
        if key == "streaming":
            args.append("--streaming" if value else "--no-streaming")
            continue
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


EVIDENCE_RUN_CURVE = [0.5, 0.7, 0.8, 0.8, 0.79, 0.8]


def write_inputs(folder: Path) -> None:
    """The data, evidence and answer files the cases read (relative names: outputs name them)."""
    from advisor.data import fingerprint, load_dataset
    from advisor.data.toy import write_toy_conll, write_toy_dataset
    from advisor.evidence import SCHEMA_VERSION

    write_toy_dataset(folder / "toy")
    write_toy_conll(folder / "toy" / "tags.conll")
    ds = load_dataset(folder / "toy" / "train.jsonl")

    def evidence(curve, verdict="plateaued", arch="textcnn"):
        """A file in the current format, as forged from the public fingerprint: its checkpoints do not exist."""
        n = len(ds)
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": "advisor-plateau-evidence",
            "task": "classification",
            "metric": "accuracy",
            "data": {
                "path": "toy/train.jsonl",
                "fingerprint": fingerprint(ds),
                "examples": len(ds),
                "label_counts": {},
                "split": {
                    "seed": 12345,
                    "fractions": [0.8, 0.2],
                    "sizes": [n - n // 5, n // 5],
                    "stratified": True,
                    "note": "",
                },
            },
            "plateau": {"patience": 3, "min_delta": 0.001, "verdict": verdict},
            "architectures": [arch],
            "runs": [
                {
                    "arch": arch,
                    "seed": s,
                    "config": {},
                    "dev_curve": curve,
                    "best_epoch": 3,
                    "best_dev": max(curve),
                    "plateaued": True,
                    "checkpoint": {"path": f"ev.json.d/{arch}-seed{s}", "files": {"model.pt": f"{s:064x}"}},
                    "device": "cpu",
                }
                for s in range(2)
            ],
            "floor": {"metric": "accuracy", "mean": 0.8, "std": 0.0, "runs": 2},
        }

    (folder / "ev-ok.json").write_text(json.dumps(evidence(EVIDENCE_RUN_CURVE)), encoding="utf-8")
    (folder / "ev-rising.json").write_text(json.dumps(evidence([0.5, 0.6, 0.7, 0.8])), encoding="utf-8")
    (folder / "ev-other.json").write_text(
        json.dumps({**evidence(EVIDENCE_RUN_CURVE), "task": "tagging"}), encoding="utf-8"
    )
    recipe = {
        "optimizer": "Adam",
        "learning_rate": "1e-3",
        "batch_size": "50",
        "epochs": "up to 30, early stopping",
        "regularization": "dropout 0.5",
    }
    answers = {
        "ans-frozen.json": {
            "architecture": "frozen-transformer",
            "embedding": "contextual",
            "recipe": recipe,
            "monitoring": "dev accuracy per length bucket",
        },
        "ans-finetune.json": {
            "architecture": "transformer-finetune",
            "embedding": "contextual",
            "recipe": recipe,
            "monitoring": "dev accuracy",
        },
        "ans-textcnn.json": {
            "architecture": "textcnn",
            "embedding": "static",
            "recipe": recipe,
            "monitoring": "dev accuracy",
            "rationale": "deploy on CPU later",
        },
        "ans-bilstm.json": {
            "architecture": "bilstm",
            "embedding": "static",
            "recipe": recipe,
            "monitoring": "x",
        },
    }
    for name, doc in answers.items():
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")


def cases() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for i, p in enumerate(profile_grid()):
        out.append((f"grid-{i:03d}-json", ["recommend", *flags(p), "--format", "json"]))
        if i % 15 == 0:
            for fmt in ("text", "markdown", "prompt"):
                out.append((f"grid-{i:03d}-{fmt}", ["recommend", *flags(p), "--format", fmt]))
    data = ["--data", "toy/train.jsonl"]
    out += [
        ("data-json", ["recommend", *data, "--format", "json"]),
        ("data-text-explain", ["recommend", *data, "--explain"]),
        ("data-phone-json", ["recommend", *data, "--deploy", "phone", "--latency-ms", "5", "--json"]),
        ("data-tagging-json", ["recommend", "--data", "toy/tags.conll", "--json"]),
        ("data-tagging-text", ["recommend", "--data", "toy/tags.conll"]),
        ("evidence-ok-json", ["recommend", *data, "--evidence", "ev-ok.json", "--json"]),
        ("evidence-ok-text", ["recommend", *data, "--evidence", "ev-ok.json"]),
        ("evidence-rising-json", ["recommend", *data, "--evidence", "ev-rising.json", "--json"]),
        ("evidence-task-json", ["recommend", *data, "--evidence", "ev-other.json", "--json"]),
        ("profile-json", ["profile", "toy/train.jsonl", "--json"]),
    ]
    for ans, profile in itertools.product(
        ("ans-frozen.json", "ans-finetune.json", "ans-textcnn.json", "ans-bilstm.json"),
        (
            ["--examples", "300"],
            ["--examples", "800"],
            ["--examples", "300", "--deploy", "phone", "--latency-ms", "5"],
            ["--examples", "300", "--streaming"],
            ["--examples", "300", "--max-model-mb", "30"],
            data,
        ),
    ):
        for fmt in (["--json"], []):
            out.append(
                (
                    f"check-{ans[4:-5]}-{'-'.join(profile).strip('-')}{'-json' if fmt else ''}",
                    ["check", ans, *profile, *fmt],
                )
            )
    out.append(
        ("check-evidence-json", ["check", "ans-finetune.json", *data, "--evidence", "ev-ok.json", "--json"])
    )
    return out


@contextmanager
def _inside(folder: Path):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def run_all() -> list[dict]:
    os.environ["ADVISOR_NO_ENTRY_POINTS"] = "1"
    from click.testing import CliRunner

    from advisor.cli import cli

    results = []
    with tempfile.TemporaryDirectory() as tmp, _inside(Path(tmp)):
        Path("pyproject.toml").write_text(
            "[project]\nname = 'x'\n", encoding="utf-8"
        )  # no [tool.advisor] above tmp
        write_inputs(Path("."))
        runner = CliRunner()
        for case, args in cases():
            r = runner.invoke(cli, args, catch_exceptions=False)
            results.append({"case": case, "args": args, "exit": r.exit_code, "stdout": r.stdout})
    return results


def _json_diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in dict.fromkeys([*a, *b]):
            if k not in a:
                out.append(f"{path}.{k}: added")
            elif k not in b:
                out.append(f"{path}.{k}: removed")
            else:
                out += _json_diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _json_diff(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {json.dumps(a)[:200]} -> {json.dumps(b)[:200]}"]


def compare(results: list[dict], golden: list[dict]) -> list[str]:
    """One line per difference (case, what differs); empty when byte-identical."""
    old = {g["case"]: g for g in golden}
    new = {r["case"]: r for r in results}
    out = [f"{c}: missing from the new outputs" for c in old if c not in new]
    out += [f"{c}: new case" for c in new if c not in old]
    for c, r in new.items():
        g = old.get(c)
        if g is None or (g["exit"], g["stdout"]) == (r["exit"], r["stdout"]):
            continue
        if g["exit"] != r["exit"]:
            out.append(f"{c}: exit {g['exit']} -> {r['exit']}")
        try:
            diffs = _json_diff(json.loads(g["stdout"]), json.loads(r["stdout"]))
        except ValueError:
            diffs = ["text differs"]
        out += [f"{c}: {d}" for d in diffs] or [f"{c}: bytes differ (same JSON)"]
    return out


def load_golden() -> list[dict]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="regenerate the golden file")
    args = ap.parse_args(argv)
    results = run_all()
    if args.write:
        with gzip.GzipFile(GOLDEN, "wb", mtime=0) as raw:
            raw.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results).encode("utf-8"))
        print(f"wrote {GOLDEN} ({len(results)} cases)")
        return 0
    diffs = compare(results, load_golden())
    for d in diffs:
        print(d)
    print(f"{len(results)} cases, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
