"""`advisor study ner`: the CRF's features, the findings that follow fabricated numbers, the CLI's refusals, and
the study end to end in --quick mode with a tiny local encoder (each model in its own subprocess)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("sklearn_crfsuite")

from advisor.baselines.studies import ner, rewrite_report  # noqa: E402
from advisor.baselines.studies.common import DataRef  # noqa: E402
from tests.tiny_encoder import build_tiny_encoder  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_crf_features_are_the_tutorials_without_pos():
    f = ner.sentence_features(["EU", "rejects", "German"])
    assert f[0]["BOS"] and f[0]["word.isupper()"] and f[0]["+1:word.lower()"] == "rejects"
    assert f[1]["word[-3:]"] == "cts" and f[1]["word[-2:]"] == "ts" and f[1]["-1:word.isupper()"]
    assert f[2]["EOS"] and f[2]["word.istitle()"] and "postag" not in f[2]


def _results(f1: dict[str, float], seconds: dict[str, float] | None = None) -> ner.NerResults:
    seconds = seconds or {"crf": 10.0, "bilstm-crf": 100.0, "transformer-finetune": 1000.0}
    runs = [
        ner.Run(
            model=m,
            seed=0,
            test_f1=f,
            test_precision=f,
            test_recall=f,
            dev_f1=None,
            epochs=None,
            best_epoch=None,
            train_seconds=seconds[m],
            predict_seconds=1.0,
            peak_rss_mb=500.0,
            cuda_peak_mb=None,
            device="cpu",
            threads=1,
            host="test",
        )  # fmt: skip
        for m, f in f1.items()
    ]
    ref = DataRef(role="real", name="CoNLL", train="t", test="t", fingerprint="sha256:0",
                  examples={"train": 1, "dev": 1, "test": 1}, split={"dev": "d"})  # fmt: skip
    return ner.NerResults(quick=False, executor="local", command="advisor study ner", versions={}, seeds=[0],
                          data=[ref], config={"settings": {"max_train": None, "max_dev": None, "epochs": None},
                                              "encoder": "MiniLM"},
                          seconds=1.0, idle_rss_mb=300.0, runs=runs)  # fmt: skip


def test_findings_follow_the_numbers():
    lesson = ner.report(_results({"crf": 0.80, "bilstm-crf": 0.85, "transformer-finetune": 0.90}))
    assert (
        "**MiniLM fine-tuned (stands in for BERT) tags best**: test entity F1 90.0, 5.0 points above"
        in lesson
    )
    assert "**holds** on this run" in lesson
    flipped = ner.report(_results({"crf": 0.88, "bilstm-crf": 0.85, "transformer-finetune": 0.70}))
    assert (
        "**CRF alone (sklearn-crfsuite) tags best**: test entity F1 88.0, 3.0 points above BiLSTM-CRF"
        in flipped
    )
    assert "**does not hold** on this run: the order is crf > bilstm-crf > transformer-finetune" in flipped
    assert (
        "trains 100x longer than CRF alone" in flipped and "MiniLM stands in for the lesson's BERT" in flipped
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ner", "--data", "x.conll"], "--data needs --dev and --test"),
        (["widths", "--dev", "x.jsonl", "--quick"], "--dev: only study ner takes these"),
        (["pooling", "--epochs", "2", "--quick"], "--epochs: only study ner takes these"),
    ],
)
def test_ner_options_are_checked_in_one_line(args, message, tmp_path):
    res = run("study", *args, "--out", tmp_path / "out")
    assert res.exit_code == 2 and message in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_full_run_without_conll_names_what_to_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("study", "ner", "--out", tmp_path / "out")
    assert res.exit_code == 2 and "give --data TRAIN --dev DEV --test TEST" in res.output, res.output


def _toy_encoder(tmp_path):
    pytest.importorskip("transformers")
    from advisor.data.toy import toy_tagging_sentences

    return build_tiny_encoder(
        tmp_path / "tiny", {w for s in toy_tagging_sentences(300, 7) for w in s.tokens}, max_positions=64
    )


@pytest.mark.slow
def test_ner_quick_end_to_end(tmp_path):
    encoder = _toy_encoder(tmp_path)
    out = tmp_path / "ner"
    res = run("study", "ner", "--quick", "--encoder", encoder, "--out", out, "--json")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "ner_cost.png",
        "ner_f1.png",
        "report.md",
        "results.json",
    ]
    results = ner.NerResults.model_validate_json((out / "results.json").read_text())
    assert json.loads(res.stdout) == json.loads(results.model_dump_json())
    assert [(r.model, r.seed) for r in results.runs] == [
        ("crf", 0),
        ("bilstm-crf", 0),
        ("transformer-finetune", 0),
    ]
    assert all(r.peak_rss_mb > 0 and r.device == "cpu" for r in results.runs) and results.idle_rss_mb > 0
    assert results.data[0].role == "invented" and results.data[0].examples == {
        "train": 120,
        "dev": 40,
        "test": 60,
    }
    report = (out / "report.md").read_text()
    assert "| --: |" in report and "Reproduce: `advisor study ner" in report
    assert "Anna" not in (out / "results.json").read_text() + report  # no sentence of the data is stored
    assert rewrite_report(out) == results


def test_a_model_stopped_by_the_epoch_budget_is_named():
    results = _results({"crf": 0.8, "bilstm-crf": 0.7, "transformer-finetune": 0.9})
    assert "lower bounds" not in ner.report(results)
    results.config["settings"]["epochs"] = 3
    runs = [
        r.model_copy(update={"epochs": 3, "best_epoch": 3}) if r.model == "bilstm-crf" else r
        for r in results.runs
    ]
    capped = results.model_copy(update={"runs": runs})
    assert "BiLSTM-CRF still improved on dev at its last epoch, where the budget (--epochs 3)" in ner.report(
        capped
    )


def test_a_run_reports_its_own_peak_memory_not_its_parents(tmp_path):
    """What keeps the peak a run's own under Ray too (a reused worker's own peak carries earlier tasks'): the peak is
    read in the run's subprocess, so a parent whose peak is far higher gets the run's back."""
    from advisor.data.toy import write_toy_conll

    files = {p: str(write_toy_conll(tmp_path / f"{p}.conll", 20, seed)) for p, seed in (("train", 7), ("dev", 8), ("test", 9))}  # fmt: skip
    ballast = b"x" * (1024 * 2**20)  # 1 GiB written, so resident: this process's peak is at least that
    parent = ner._peak()
    spec = {**files, "max_train": None, "max_dev": None, "epochs": 1, "encoder": None, "device": "cpu",
            "threads": 1, "model": "idle", "seed": 0}  # fmt: skip
    run_peak = ner.in_subprocess(spec)["peak_rss_mb"]
    del ballast
    assert 0 < run_peak < parent - 512, (run_peak, parent)


@pytest.mark.slow
def test_ner_on_ray_gives_the_local_results_and_peaks(tmp_path, local_ray):
    """Under Ray each run's subprocess is still its own: the same results, and peaks within a tenth of local's
    (measured: 232/389/359/528 MiB on Ray against 232/389/363/528 locally)."""
    from advisor.baselines.studies import run_study

    encoder = _toy_encoder(tmp_path)
    local, ray_ = (
        run_study("ner", quick=True, encoder=encoder, executor=e, ray_cpus=2, out=tmp_path / e)
        for e in ("local", "ray")
    )
    assert json.dumps(ray_.without_timings()) == json.dumps(local.without_timings())
    assert (local.executor, ray_.executor) == ("local", "ray") and ray_.hosts
    peaks = [(a.peak_rss_mb, b.peak_rss_mb) for a, b in zip(local.runs, ray_.runs, strict=True)]
    for a, b in [(local.idle_rss_mb, ray_.idle_rss_mb), *peaks]:
        assert abs(a - b) < 0.1 * a, (local.idle_rss_mb, ray_.idle_rss_mb, peaks)
