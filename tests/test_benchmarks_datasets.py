"""Smoke test of benchmarks/datasets.py: its --quick mode on TREC (a few hundred examples, 2 epochs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

pytestmark = [pytest.mark.datasets, pytest.mark.slow]


def test_quick_trec_writes_json_and_markdown(tmp_path, capsys, monkeypatch, load_benchmark):
    if not (DATASETS / "trec" / "train.jsonl").is_file():
        pytest.skip(f"{DATASETS / 'trec'} not present")
    torch = pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    bench = load_benchmark("datasets")
    # the script pins torch/BLAS threads (--threads 1): undo that for the rest of the session
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # records the original state (set or not), restored at teardown
    threads = torch.get_num_threads()
    try:
        _run_and_check(bench, tmp_path / "datasets.json", capsys)
    finally:
        torch.set_num_threads(threads)


def _run_and_check(bench, out, capsys):
    assert bench.main(["--quick", "--only", "trec", "--seeds", "2", "--out", str(out)]) == 0

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == bench.SCHEMA and doc["quick"] is True
    assert "--quick" in doc["rerun"]
    assert set(doc["datasets"]) == {"trec"}
    trec = doc["datasets"]["trec"]
    assert trec["sizes"]["train"] <= 320 and trec["sizes"]["test"] == 100
    assert trec["main_arch"] == "textcnn" and trec["target"]["value"] == 91.2
    assert set(trec["models"]) == {"textcnn", "bilstm", "ngram-linear"}
    runs = trec["models"]["textcnn"]["runs"]
    assert [r["seed"] for r in runs] == [0, 1]
    for r in runs:
        assert 0.0 <= r["test"]["accuracy"] <= 100.0
        assert (
            r["epochs"] == 2
            and len(r["dev_curve"]) == 2
            and all(isinstance(x, float) for x in r["dev_curve"])
        )
        assert r["fit_seconds"] >= 0 and len(r["loadavg_before"]) == 3 and r["train_examples_per_s"] > 0
    summary = trec["models"]["textcnn"]["summary"]
    assert summary["n"] == 2 and summary["mean"] == pytest.approx(sum(r["score"] for r in runs) / 2, abs=0.01)
    assert isinstance(trec["meets_target"], bool)
    assert [row["model"] for row in doc["table"]] == ["textcnn", "bilstm", "ngram-linear"]

    md = out.with_suffix(".md").read_text(encoding="utf-8")
    assert doc["rerun"] in md and "| trec | textcnn |" in md
    assert "| trec | textcnn |" in capsys.readouterr().out

    # an unknown dataset name is a usage error
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--only", "nope", "--out", str(out)])
