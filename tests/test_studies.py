"""`advisor study ...`: the statistics, verdicts that follow fabricated numbers, strict results, the CLI, and
each study end to end in its --quick mode."""

from __future__ import annotations

import json
import platform
import sys

import pytest
from click.testing import CliRunner

from advisor.cli import cli

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("scipy")

import numpy as np  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from advisor.baselines.metrics import macro_f1  # noqa: E402
from advisor.baselines.studies import pooling, rewrite_report, stats, vanishing_gradient, widths  # noqa: E402
from advisor.baselines.studies.common import DataRef, StudyError  # noqa: E402


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# -- statistics ------------------------------------------------------------------------------------
def test_sign_test_over_five_seeds_never_reaches_005_and_ten_can():
    assert stats.sign_test([1.0] * 5, [0.0] * 5)["p"] == pytest.approx(0.0625)
    assert stats.sign_test([1.0] * 10, [0.0] * 10)["p"] == pytest.approx(2 / 2**10)
    assert stats.sign_test([1, 2, 3], [1, 2, 3]) == {"wins": 0, "losses": 0, "ties": 3, "p": 1.0}


def test_macro_f1_rows_equals_the_metrics_macro_f1():
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 4, (5, 40))
    pred = rng.integers(0, 4, (5, 40))
    pred[0] = gold[0]
    names = "abcd"
    expected = [
        macro_f1([names[i] for i in g], [names[i] for i in p]) for g, p in zip(gold, pred, strict=True)
    ]
    assert stats.macro_f1_rows(gold, pred, 4) == pytest.approx(expected)


def test_paired_bootstrap_interval_holds_the_observed_difference():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 200)
    good = np.where(rng.random((4, 200)) < 0.9, gold, (gold + 1) % 3)
    bad = np.where(rng.random((4, 200)) < 0.6, gold, (gold + 1) % 3)
    boot = stats.paired_bootstrap(gold, good, bad, 3, samples=300)
    assert boot["low"] < boot["diff"] < boot["high"]
    assert boot["low"] > 0 and boot["p"] < 0.01
    same = stats.paired_bootstrap(gold, good, good, 3, samples=100)
    assert same["diff"] == 0 and same["p"] == 1.0


# -- widths: the verdict follows the numbers -------------------------------------------------------
def _ref(name, role):
    return DataRef(
        role=role,
        name=name,
        train=name,
        test=None,
        fingerprint="sha256:0",
        examples={"train": 1, "dev": 1, "test": 1},
    )


def _widths_results(multi_acc: float, single_acc: float) -> widths.WidthsResults:
    """Fabricated runs: on both sets the multi-width model predicts right with multi_acc, the others single_acc."""
    rng = np.random.default_rng(1)
    n, filters, seeds = 150, 4, 10
    gold = rng.integers(0, 3, n)
    runs, tests = [], []
    for name in ("TREC", "invented"):
        tests.append(widths.DatasetTest(name=name, labels=["a", "b", "c"], gold=gold.tolist()))
        for model in widths.models(filters):
            acc = multi_acc if model.startswith("(2,3,4)") else single_acc
            for seed in range(seeds):
                pred = np.where(rng.random(n) < acc, gold, (gold + 1) % 3)
                f1 = float(stats.macro_f1_rows(gold, pred, 3)[0])
                runs.append(
                    widths.Run(
                        dataset=name,
                        model=model,
                        seed=seed,
                        macro_f1=f1,
                        accuracy=float((pred == gold).mean()),
                        best_epoch=1,
                        epochs=2,
                        seconds=0.1,
                        predictions=pred.tolist(),
                    )
                )
    return widths.WidthsResults(
        quick=False,
        executor="local",
        command="advisor study widths",
        versions={},
        seeds=list(range(seeds)),
        data=[_ref("TREC", "real"), _ref("invented", "invented")],
        config={"settings": {"filters": filters, "embed_dim": 8, "max_epochs": 2, "bootstrap": 200}},
        seconds=1.0,
        tests=tests,
        runs=runs,
        comparisons=widths.analyse(runs, tests, filters, 200),
    )


def test_widths_verdict_flips_with_the_numbers():
    win = widths.verdict(_widths_results(0.9, 0.7))[0]
    lose = widths.verdict(_widths_results(0.7, 0.9))[0]
    noise = widths.verdict(_widths_results(0.8, 0.8))[0]
    assert win.startswith("**Verdict on TREC**")
    assert "equal filters per width: wins beyond noise" in win
    assert "equal total filters: wins beyond noise" in win
    assert "equal filters per width: loses beyond noise" in lose
    assert "within noise" in noise and "s beyond noise" not in noise
    report = widths.report(_widths_results(0.9, 0.7))
    assert "| TREC | equal filters per width | (2,3,4) x 4 vs (3) x 4 |" in report
    assert "| TREC | (3) x 12 | 12 |" in report


# -- pooling: the hypothesis follows the per-length numbers ----------------------------------------
def _pooling_results(last_by_bucket: list[float]) -> pooling.PoolingResults:
    rng = np.random.default_rng(2)
    runs = []
    for p in pooling.POOLINGS:
        for seed in range(5):
            buckets = [0.85 + rng.normal(0, 0.005) for _ in last_by_bucket]
            if p == "last":
                buckets = [b + rng.normal(0, 0.005) for b in last_by_bucket]
            runs.append(
                pooling.Run(
                    pooling=p,
                    seed=seed,
                    accuracy=float(np.mean(buckets)),
                    macro_f1=float(np.mean(buckets)),
                    buckets=buckets,
                    best_epoch=1,
                    epochs=2,
                    seconds=0.1,
                )
            )
    return pooling.PoolingResults(
        quick=False,
        executor="local",
        command="advisor study pooling",
        versions={},
        seeds=list(range(5)),
        data=[_ref("SST-2", "real")],
        config={"settings": {"embed_dim": 8, "hidden_size": 8, "max_epochs": 2}},
        seconds=1.0,
        buckets=[
            pooling.Bucket(name=n, low=lo, high=hi, n=100)
            for n, lo, hi in [("1-10", 1, 10), ("11-20", 11, 20), ("21+", 21, None)]
        ],
        runs=runs,
    )


def test_pooling_hypothesis_supported_or_refuted_by_the_per_length_numbers():
    supported = pooling.hypothesis(_pooling_results([0.85, 0.8, 0.6]))[1]
    refuted = pooling.hypothesis(_pooling_results([0.6, 0.8, 0.85]))[1]
    assert supported.startswith("**Supported**")
    assert "the difference of the two gaps is +25.0 points" in supported
    assert refuted.startswith("**Refuted on this data**")
    assert "| last |" in pooling.report(_pooling_results([0.85, 0.8, 0.6]))


def test_pooling_quartile_edges_split_the_lengths_in_quarters():
    assert pooling.quartile_edges(list(range(1, 101))) == [25, 50, 75]
    assert pooling.quartile_edges([5] * 10 + [6]) == [5]


# -- vanishing-gradient ----------------------------------------------------------------------------
def _gradient_results(forget1_keeps_more: bool, sigma: float) -> vanishing_gradient.GradientResults:
    runs = []
    factor = {"rnn": 0.5, "lstm": 0.8, "lstm-forget1": 0.95 if forget1_keeps_more else 0.6, "gru": 0.85}
    for cell in vanishing_gradient.CELLS:
        for length in (10, 100):
            g = factor[cell] ** length
            runs.append(
                vanishing_gradient.Run(
                    cell=cell,
                    length=length,
                    grad_init=[g, g],
                    grad_trained=g,
                    accuracy=0.9 if length == 10 else 0.5,
                    ms_per_step=float(length),
                    train_loss=0.5,
                )
            )
    return vanishing_gradient.GradientResults(
        quick=True,
        executor="local",
        command="advisor study vanishing-gradient",
        versions={},
        seeds=[0, 1],
        data=[_ref("does token A appear", "synthetic")],
        config={"settings": {"train_steps": 10, "hidden_size": 8, "batch_size": 4}},
        seconds=1.0,
        runs=runs,
        rnn_spectrum=[vanishing_gradient.Spectrum(seed=0, sigma_max=sigma, spectral_radius=0.6)],
        inverse_gamma=1.0,
    )


def test_vanishing_gradient_findings_follow_the_numbers():
    keeps = " ".join(vanishing_gradient.findings(_gradient_results(True, 1.2)))
    loses = " ".join(vanishing_gradient.findings(_gradient_results(False, 0.9)))
    assert "Forget bias 1 keeps more gradient" in keeps
    assert "Forget bias 1 does not keep more gradient" in loses
    assert "about 0.500 per step" in keeps
    assert (
        "Faster than the lesson's 0.9 per step: tanh RNN, LSTM (default init), GRU; more slowly: LSTM (forget"
        in keeps
    )
    assert "condition for vanishing does not hold" in keeps and "sufficient, not necessary" in keeps
    assert "condition for vanishing holds" in loses


@pytest.mark.parametrize(
    ("module", "results"),
    [
        (widths, lambda: _widths_results(0.9, 0.7)),
        (pooling, lambda: _pooling_results([0.85, 0.8, 0.6])),
        (vanishing_gradient, lambda: _gradient_results(True, 1.2)),
    ],
)
def test_plots_draw_from_the_results_alone(module, results, tmp_path):
    for name, draw in module.plots(results()).items():
        draw(tmp_path / name)
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_forget_bias_one_sets_the_forget_slice_of_b_ih_and_zeroes_b_hh():
    s = vanishing_gradient.QUICK
    m = vanishing_gradient.make_model("lstm-forget1", s, 0)
    h = s.hidden_size
    assert m.rnn.bias_ih_l0[h : 2 * h].tolist() == [1.0] * h
    assert m.rnn.bias_hh_l0[h : 2 * h].tolist() == [0.0] * h
    assert m.rnn.bias_ih_l0[:h].abs().max() <= 1 / h**0.5


def test_first_state_gradient_shrinks_with_length_for_the_tanh_rnn():
    import torch

    s = vanishing_gradient.QUICK
    model = vanishing_gradient.make_model("rnn", s, 0)
    grads = []
    for length in (5, 50):
        batch = vanishing_gradient.make_batch(s.batch_size, length, s, torch.Generator().manual_seed(0))
        grads.append(vanishing_gradient.first_state_grad(model, *batch))
    assert grads[1] < grads[0] * 1e-3


# -- results.json is strict -----------------------------------------------------------------------
def test_results_model_refuses_lax_values():
    doc = json.loads(_widths_results(0.9, 0.7).model_dump_json())
    widths.WidthsResults.model_validate_json(json.dumps(doc))
    for key, bad in (("seeds", ["0"]), ("quick", "yes"), ("format_version", 2), ("executor", "dask")):
        with pytest.raises(ValidationError):
            widths.WidthsResults.model_validate_json(json.dumps({**doc, key: bad}))
    with pytest.raises(ValidationError):
        widths.WidthsResults.model_validate_json(json.dumps({**doc, "extra": 1}))


# -- the CLI --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vanishing-gradient", "--data", "x.jsonl"], "vanishing-gradient generates its own sequences"),
        (["pooling", "--test", "x.jsonl"], "--test needs --data"),
        (["widths", "--data", "missing.jsonl", "--quick"], "missing.jsonl"),
    ],
)
def test_study_refuses_bad_input_in_one_line(args, message, tmp_path):
    res = run("study", *args, "--out", tmp_path / "out")
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_study_executor_ray_without_the_extra_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    res = run("study", "widths", "--quick", "--executor", "ray", "--out", tmp_path / "out")
    assert res.exit_code == 1, res.output
    assert res.output.strip() == (
        "Error: --executor ray needs the 'ray' extra: pip install 'text-encoder-advisor[ray]'"
    )
    assert not (tmp_path / "out").exists()


def test_study_is_a_listed_command():
    assert "study" in run("--help").output


def _check_folder(out, model, pngs):
    assert sorted(p.name for p in out.iterdir()) == sorted(["report.md", "results.json", *pngs])
    results = model.model_validate_json((out / "results.json").read_text())
    for png in pngs:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "| --: |" in report and "Reproduce: `advisor study" in report
    assert not out.with_name(out.name + ".partial").exists()
    return results, report


def test_widths_quick_end_to_end(tmp_path):
    out = tmp_path / "widths"
    res = run("study", "widths", "--quick", "--seeds", "2", "--out", out, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    results, report = _check_folder(out, widths.WidthsResults, ["widths.png"])
    assert doc == json.loads(results.model_dump_json())
    assert results.seeds == [0, 1] and len(results.runs) == 3 * 2
    assert results.data[0].role == "invented" and results.data[0].fingerprint.startswith("sha256:")
    assert "No real set was given" in report
    assert results.versions["torch"]
    assert rewrite_report(out) == results
    assert (out / "report.md").read_text() == report


def test_widths_is_deterministic_and_one_seed_round_trips(tmp_path):
    runs = []
    for name in ("a", "b"):
        res = run("study", "widths", "--quick", "--seeds", "1", "--out", tmp_path / name)
        assert res.exit_code == 0, res.output
        results = rewrite_report(tmp_path / name)  # results.json reads back (no NaN from a one-seed t-test)
        runs.append([(r.model, r.macro_f1, r.predictions) for r in results.runs])
    assert runs[0] == runs[1]


@pytest.mark.slow
def test_pooling_quick_end_to_end(tmp_path):
    out = tmp_path / "pooling"
    res = run("study", "pooling", "--quick", "--out", out)
    assert res.exit_code == 0, res.output
    results, report = _check_folder(out, pooling.PoolingResults, ["pooling.png"])
    assert {r.pooling for r in results.runs} == set(pooling.POOLINGS)
    assert "Hypothesis: last-state pooling loses most on long inputs" in report


@pytest.mark.slow
def test_vanishing_gradient_quick_end_to_end_and_resume(tmp_path):
    out = tmp_path / "vg"
    res = run("study", "vanishing-gradient", "--quick", "--out", out)
    assert res.exit_code == 0, res.output
    results, report = _check_folder(
        out, vanishing_gradient.GradientResults, ["gradient_norm.png", "step_time.png", "toy_accuracy.png"]
    )
    assert "0.9^100 = 2.7e-05" in report
    assert {r.length for r in results.runs} == set(vanishing_gradient.QUICK.lengths)


def _request(tmp_path, executor="local"):
    from advisor.baselines.studies.common import Request, RunCache

    return Request(None, None, None, True, RunCache(tmp_path / "out"), "advisor study x", executor, "x")


def _double(spec):
    if spec["n"] < 0:
        raise StudyError(f"x: unit {spec['n']} failed")
    return {"n": 2 * spec["n"]}


def test_an_interrupted_study_resumes_from_its_finished_runs(tmp_path):
    from advisor.baselines.studies.common import Unit, run_units

    req = _request(tmp_path)
    units = [Unit({"seed": n}, {"n": n}, f"seed {n}") for n in (0, 1, -1)]
    with pytest.raises(StudyError, match="unit -1 failed"):
        run_units(req, _double, units)
    assert len(list(req.cache.folder.iterdir())) == 2  # the two finished units are kept
    calls = []
    units[2] = Unit({"seed": 2}, {"n": 2}, "seed 2")
    results, hosts = run_units(req, lambda spec: calls.append(spec) or _double(spec), units)
    assert results == [{"n": 0}, {"n": 2}, {"n": 4}] and calls == [{"n": 2}]
    assert hosts == [platform.node()]
    req.cache.clear()
    assert not req.cache.folder.exists()


def _out_of_order(monkeypatch):
    """Every executor, faked: run the units, then yield them last first."""
    from advisor.baselines import executors

    def runner(name, fn, **kwargs):
        return lambda specs: reversed(list(enumerate(fn(spec) for spec in specs)))

    monkeypatch.setattr(executors, "runner", runner)


def test_results_are_gathered_in_plan_order_whatever_the_executor_yields(tmp_path, monkeypatch):
    from advisor import study as run_study
    from advisor.baselines.studies.common import Unit, run_units

    units = [Unit({"seed": n}, {"n": n}, f"seed {n}") for n in range(4)]
    in_order, _ = run_units(_request(tmp_path / "a"), _double, units)
    kw = {"quick": True, "seeds": 1}
    local = run_study("widths", out=tmp_path / "local", **kw)
    _out_of_order(monkeypatch)
    assert (
        run_units(_request(tmp_path / "b"), _double, units)[0] == in_order == [{"n": 2 * n} for n in range(4)]
    )
    shuffled = run_study("widths", out=tmp_path / "shuffled", **kw)
    dump = lambda r: json.dumps(r.without_timings(), indent=1)  # noqa: E731
    assert dump(shuffled) == dump(local)
    assert local.executor == "local" and local.hosts == [platform.node()]


@pytest.mark.slow
def test_ray_and_local_executors_give_the_same_results(tmp_path, local_ray):
    """`advisor study widths --quick --executor ray` on a local two-CPU Ray instance: results.json minus the
    timings and hosts is byte-identical to a local run's."""
    from advisor.baselines.executors import ray_session

    for executor in ("local", "ray"):
        with ray_session(executor, ray_cpus=2):  # the study joins this instance; it shuts down here
            res = run("study", "widths", "--quick", "--executor", executor, "--out", tmp_path / executor)
        assert res.exit_code == 0, res.output
    local, ray_ = (
        widths.WidthsResults.model_validate_json((tmp_path / e / "results.json").read_text())
        for e in ("local", "ray")
    )
    assert (local.executor, ray_.executor) == ("local", "ray") and ray_.hosts == [platform.node()]
    assert "--executor ray" in ray_.command
    dump = lambda r: json.dumps(r.without_timings(), indent=1)  # noqa: E731
    assert dump(ray_) == dump(local)


def test_study_never_replaces_a_folder_it_did_not_write(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import cli

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(cli, ["study", "widths", "--quick", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "not a study folder" in result.output and len(result.output.strip().splitlines()) == 1
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
