"""advisor compare and recommend --measurements: the plan, the measured rules (TEP204, TEP404), the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data import fingerprint, load_dataset
from advisor.measurements import KIND, SCHEMA_VERSION, Measurements


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def candidate(arch, mean, std, seeds=3, mb=1.0, ms=1.0, status="measured"):
    trials = [
        {
            "seed": s,
            "dev": mean,
            "test": None,
            "best_epoch": None,
            "epochs": None,
            "train_seconds": 1.0,
            "model": f"models/{arch}-seed{s}",
        }
        for s in range(seeds)
    ]
    return {
        "architecture": arch,
        "status": status,
        "reason": None,
        "config": {},
        "planned_seconds": 1.0,
        "trials": trials,
        "dev_mean": mean,
        "dev_std": std if seeds > 1 else None,
        "test_mean": None,
        "test_std": None,
        "model_mb": mb,
        "latency_ms": ms,
    }


def fabricate(path, data, cands, deploy="cpu-server", dev=60):
    ds = load_dataset(data)
    doc = {
        "version": SCHEMA_VERSION,
        "kind": KIND,
        "data": str(data),
        "data_fingerprint": fingerprint(ds),
        "task": "classification",
        "examples": {"train": 300 - dev, "dev": dev},
        "split": {},
        "metric": "accuracy",
        "metric_reason": "accuracy",
        "tokens": 33,
        "deploy": deploy,
        "policy_pick": "frozen-transformer",
        "best": None,
        "seeds": [0, 1, 2],
        "plan": {
            "time_budget_min": None,
            "halvings": 0,
            "planned_seconds": 1.0,
            "order": [c["architecture"] for c in cands],
        },
        "candidates": cands,
        "versions": {},
        "run": {"executor": "local", "seconds": 1.0, "latency_runs": 50},
    }
    Measurements.model_validate(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def recommend(train, *args):
    res = run("recommend", "--data", train, "--json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_without_measurements_frozen_transformer_wins(toy):
    assert recommend(toy[1])["architecture"] == "frozen-transformer"


def test_a_lead_beyond_the_noise_flips_the_decision(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("frozen-transformer", 0.71, 0.02), candidate("ngram-linear", 0.84, 0.01)],
    )
    rec = recommend(train, "--measurements", f)
    assert rec["architecture"] == "ngram-linear"
    flag = next(x for x in rec["flags"] if x["rule"] == "TEP404")
    assert flag["message"].startswith(
        "measured on your data: ngram-linear 0.84 ± 0.01 vs frozen-transformer 0.71 ± 0.02 dev accuracy (3 seeds)"
    )


@pytest.mark.parametrize(("dev", "flips"), [(50, False), (2000, True)])
def test_a_lead_within_the_dev_sets_sampling_error_keeps_the_policy_order(toy, tmp_path, dev, flips):
    """Seeds do not vary a logistic regression (std 0), and a 6-point lead on 50 dev examples is still within
    the sampling error of the difference (about 9 points); on 2,000 dev examples (about 1.5) it is not."""
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("frozen-transformer", 0.64, 0.0), candidate("ngram-linear", 0.70, 0.0)],
        dev=dev,
    )
    rec = recommend(train, "--measurements", f)
    assert rec["architecture"] == ("ngram-linear" if flips else "frozen-transformer")
    message = next(x for x in rec["flags"] if x["rule"] == "TEP404")["message"]
    assert ("leads beyond the noise" in message) is flips
    if not flips:
        assert f"the sampling error of the difference on {dev} dev examples" in message


def test_a_lead_within_noise_keeps_the_policy_order(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("frozen-transformer", 0.80, 0.02), candidate("ngram-linear", 0.82, 0.01)],
    )
    rec = recommend(train, "--measurements", f)
    assert rec["architecture"] == "frozen-transformer"
    assert "within noise" in next(x for x in rec["flags"] if x["rule"] == "TEP404")["message"]


def test_one_seed_is_no_measurement(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("frozen-transformer", 0.5, 0.0, seeds=1), candidate("ngram-linear", 0.9, 0.0, seeds=1)],
    )
    assert recommend(train, "--measurements", f)["architecture"] == "frozen-transformer"


def test_a_forged_fast_transformer_stays_excluded_on_a_phone(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [
            candidate("frozen-transformer", 0.99, 0.0, mb=0.1, ms=0.001),
            candidate("transformer-finetune", 0.99, 0.0, mb=0.1, ms=0.001),
            candidate("ngram-linear", 0.5, 0.01),
        ],
        deploy="phone",
    )
    for extra in ((), ("--latency-ms", "100", "--max-model-mb", "50")):
        rec = recommend(train, "--deploy", "phone", *extra, "--measurements", f)
        assert rec["architecture"] not in ("frozen-transformer", "transformer-finetune")
        status = {a["architecture"]: a["status"] for a in rec["alternatives"]}
        assert status["frozen-transformer"] == "excluded" and status["transformer-finetune"] == "excluded"


def test_measurements_never_lift_a_refusal(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("transformer-finetune", 0.99, 0.0), candidate("frozen-transformer", 0.5, 0.01)],
    )
    rec = recommend(train, "--measurements", f)
    assert rec["architecture"] == "frozen-transformer"
    assert any(r["rule"] == "TEP101" for r in rec["refusals"])


def test_measured_latency_excludes_what_the_estimates_admitted(toy, tmp_path):
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("textcnn", 0.9, 0.01, ms=6.48), candidate("ngram-linear", 0.8, 0.01, ms=0.4)],
    )
    rec = recommend(train, "--latency-ms", "5", "--measurements", f)
    textcnn = next(a for a in rec["alternatives"] if a["architecture"] == "textcnn")
    assert textcnn["status"] == "excluded"
    assert textcnn["why_not"] == "TEP204 measured p95 6.48 ms = 6.48 ms at 33 words exceeds the 5 ms budget"
    # the prompt and check carry the measured facts
    prompt = run("prompt", "--data", train, "--latency-ms", "5", "--measurements", f)
    assert prompt.exit_code == 0 and "TEP204 measured p95 6.48 ms" in prompt.output
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"architecture": "textcnn"}), encoding="utf-8")
    checked = run("check", answer, "--data", train, "--latency-ms", "5", "--measurements", f)
    assert checked.exit_code == 1 and "TEP204" in checked.output


def test_measurements_of_other_data_are_refused(toy, tmp_path):
    _, train, test = toy
    f = fabricate(tmp_path / "m.json", test, [candidate("ngram-linear", 0.9, 0.01)])
    res = run("recommend", "--data", train, "--measurements", f)
    assert res.exit_code == 2
    assert "measured on other data" in res.output and "rerun `advisor compare` on this data" in res.output
    res = run("recommend", "--examples", "300", "--measurements", f)
    assert res.exit_code == 2 and "--measurements needs --data" in res.output


def test_plan_orders_cheap_first_and_halves_to_fit_the_budget():
    from advisor.baselines.compare import plan, plan_cost, rounds

    costs = {"b": 10.0, "a": 1.0, "c": 100.0}
    assert plan(costs, 3, None) == (["a", "b", "c"], 0, [])
    assert plan(costs, 3, 333) == (["a", "b", "c"], 0, [])
    assert plan(costs, 3, 331) == (["a", "b", "c"], 1, [])  # 111 + 2 x 110: the dearest two survive
    assert plan(costs, 3, 325) == (["a", "b", "c"], 2, [])  # 111 + 110 + 100
    assert plan(costs, 3, 250) == (["a", "b"], 0, ["c"])
    assert plan_cost([1, 10, 100], 3, 1) == 111 + 2 * 110
    assert rounds(3, 1) == [[0], [1, 2]] and rounds(2, 0) == [[0, 1]]
    assert plan(costs, 2, 50) == (["a", "b"], 0, ["c"])


@pytest.mark.baselines
def test_compare_api_writes_the_folder_and_recommend_reads_it(toy, tmp_path):
    pytest.importorskip("torch")
    from advisor import compare

    _, train, test = toy
    out = tmp_path / "cmp"
    m = compare(train, test=test, candidates=["ngram-linear"], seeds=2, out=out, progress=False)
    assert {p.name for p in out.iterdir()} >= {
        "measurements.json",
        "measurements.md",
        "measurements.png",
        "models",
        "split",
    }
    again = Measurements.model_validate_json((out / "measurements.json").read_text())
    assert again == m and m.best == "ngram-linear" and m.metric == "accuracy"
    c = m.candidate("ngram-linear")
    assert (
        c.status == "measured"
        and [t.seed for t in c.trials] == [0, 1]
        and c.latency_ms > 0
        and c.model_mb > 0
    )
    assert c.test_mean is not None
    rec = recommend(train, "--measurements", out / "measurements.json")
    assert any(f["rule"] == "TEP404" for f in rec["flags"])
    # a foreign folder is never replaced
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "keep.txt").write_text("x")
    res = run("compare", train, "--candidates", "ngram-linear", "--out", tmp_path / "foreign")
    assert res.exit_code == 2 and "not an `advisor compare` folder" in res.output


@pytest.mark.baselines
def test_a_candidate_the_budget_skips_is_reported_not_trained(toy, tmp_path):
    pytest.importorskip("torch")
    from advisor import compare

    _, train, test = toy
    m = compare(
        train,
        test=test,
        candidates=["ngram-linear", "textcnn"],
        seeds=2,
        time_budget_min=0.01,
        out=tmp_path / "cmp",
        progress=False,
    )
    assert [c.architecture for c in m.candidates] == [
        "ngram-linear",
        "textcnn",
    ]  # cheapest first, skipped last
    skipped = m.candidate("textcnn")
    assert skipped.status == "skipped" and not skipped.trials and "--time-budget-min 0.01" in skipped.reason
    assert m.best == "ngram-linear" and m.plan.order == ["ngram-linear"]


def test_compare_refuses_inadmissible_candidates(toy, tmp_path):
    pytest.importorskip("torch")
    _, train, _ = toy
    res = run("compare", train, "--candidates", "transformer-finetune", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "transformer-finetune is refused" in res.output
    res = run("compare", train, "--candidates", "textcn", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "did you mean 'textcnn'" in res.output
    res = run(
        "compare", train, "--deploy", "phone", "--candidates", "frozen-transformer", "--out", tmp_path / "o"
    )
    assert res.exit_code == 2 and "frozen-transformer is excluded" in res.output


@pytest.mark.slow
def test_ray_and_local_executors_measure_the_same(toy, tmp_path, local_ray):
    """measurements.json minus timings is byte-identical between executors (a local two-CPU Ray instance)."""
    from advisor import compare

    _, train, test = toy
    kw = {"test": test, "candidates": ["ngram-linear", "textcnn"], "seeds": 2, "progress": False}
    local = compare(train, out=tmp_path / "local", **kw)
    ray_ = compare(train, out=tmp_path / "ray", executor="ray", ray_cpus=2, **kw)
    assert ray_.run.executor == "ray" and local.run.executor == "local"
    dump = lambda m: json.dumps(m.without_timings(), indent=2, sort_keys=True)  # noqa: E731
    assert dump(ray_) == dump(local)


@pytest.mark.slow
def test_readme_demo(toy, tmp_path, monkeypatch):
    """The README's demo, run as shown: compare on the bundled example, then recommend citing the result."""
    from tests.conftest import REPO

    _, train, test = toy
    monkeypatch.chdir(train.parent)
    out = tmp_path / "compare"
    res = run(
        "compare",
        "train.jsonl",
        "--test",
        "test.jsonl",
        "--candidates",
        "ngram-linear,textcnn,frozen-transformer",
        "--seeds",
        "3",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for row in res.stdout.splitlines():
        if (
            row.startswith("| ") and " measured " in row
        ):  # the scores (not the timings) as the README shows them
            assert " | ".join(row.split(" | ")[:5]) in readme
    rec = run("recommend", "--data", "train.jsonl", "--measurements", out / "measurements.json")
    assert rec.exit_code == 0, rec.output
    flag = next(line for line in rec.stdout.splitlines() if "[TEP404 measured-best]" in line)
    assert flag in readme


def test_the_plan_counts_setfits_pairs_as_its_examples():
    """transformer-setfit trains on 40 pairs per example (80 texts): its plan is dearer than plain fine-tuning's
    (benchmarks/results/setfit.jsonl measured 1,046 s for 3,200 pairs, finetune.jsonl 72-80 s an epoch at 400
    examples), so a budget skips it first instead of planning it at a few seconds."""
    from advisor.baselines.compare import planned_seconds
    from advisor.profile import ConstraintProfile

    profile = ConstraintProfile(task="classification", examples=1000, classes=2, tokens=20)
    setfit, finetune = (
        planned_seconds(a, profile, 800) for a in ("transformer-setfit", "transformer-finetune")
    )
    assert setfit > finetune > planned_seconds("frozen-transformer", profile, 800)


def test_a_dev_tie_with_the_policys_choice_names_the_policys_choice_best(toy, tmp_path):
    """Found by hand in the issue-12 chain: ngram-linear and ngram-static-linear tied on dev, and TEP404 called
    the one earlier in the candidate list 'best' and compared it with the policy's choice; a tie is no lead, so
    the policy's first choice is the measured best."""
    _, train, _ = toy
    f = fabricate(
        tmp_path / "m.json",
        train,
        [candidate("frozen-transformer", 0.90, 0.0), candidate("ngram-linear", 0.90, 0.0)],
    )
    rec = recommend(train, "--measurements", f)
    message = next(x for x in rec["flags"] if x["rule"] == "TEP404")["message"]
    assert rec["architecture"] == "frozen-transformer"
    assert message.startswith(
        "measured on your data: frozen-transformer 0.90 ± 0.00 dev accuracy (3 seeds), the best"
    )


# -- distilled students (compare --teacher) ---------------------------------------------------------------------
def distilled(arch, mean, std, teacher="runs/teacher", augment=2, **kw):
    row = candidate(arch, mean, std, **kw)
    row["distillation"] = {
        "teacher": {
            "path": teacher,
            "architecture": "frozen-transformer",
            "head": "lr",
            "encoder": "all-MiniLM-L6-v2",
            "data_fingerprint": "sha256:0",
        },
        "augment": augment,
    }
    return row


def tep404(train, tmp_path, rows, *args, dev=60, deploy="cpu-server"):
    """The recommendation and TEP404's message for the fabricated ``rows``."""
    f = fabricate(tmp_path / "m.json", train, rows, deploy=deploy, dev=dev)
    rec = recommend(train, "--deploy", deploy, *args, "--measurements", f)
    return rec, next(x for x in rec["flags"] if x["rule"] == "TEP404")["message"]


def test_a_file_without_distilled_rows_still_reads(toy, tmp_path):
    """The distillation field is optional: a measurements file written before it existed validates, every row
    plain."""
    _, train, _ = toy
    f = fabricate(tmp_path / "m.json", train, [candidate("ngram-linear", 0.9, 0.01)])
    m = Measurements.model_validate_json(f.read_text())
    assert m.candidates[0].distillation is None and m.candidate("ngram-linear").name == "ngram-linear"


def test_a_distilled_student_leading_beyond_the_noise_is_recommended_as_distilled(toy, tmp_path):
    _, train, _ = toy
    rows = [
        candidate("frozen-transformer", 0.70, 0.01),
        candidate("textcnn", 0.72, 0.01),
        distilled("textcnn", 0.86, 0.01),
    ]
    rec, message = tep404(train, tmp_path, rows, dev=2000)
    f = tmp_path / "m.json"
    assert Measurements.model_validate_json(f.read_text()).candidate("textcnn (distilled)").dev_mean == 0.86
    assert rec["architecture"] == "textcnn"  # no new candidate id: the student's
    assert message.startswith(
        "measured on your data: textcnn (distilled) 0.86 ± 0.01 vs frozen-transformer 0.70 ± 0.01 dev accuracy "
        "(3 seeds): textcnn (distilled) leads beyond the noise; build the distilled student (it leads the plain "
        "textcnn 0.72 ± 0.01 beyond the noise (0.020)), taught by the frozen-transformer 'runs/teacher': "
        f"`advisor baseline train {train} --arch textcnn --teacher runs/teacher --augment 2`"
    )
    assert rec["recipe"]["epochs"].endswith(
        "; distilled: on the logits of the frozen-transformer teacher 'runs/teacher' over the training texts and "
        "up to 2 augmented copies of each (TEP404)"
    )
    text = run("recommend", "--data", train, "--measurements", f)
    assert text.exit_code == 0 and "distilled: on the logits of the frozen-transformer teacher" in text.output


def test_a_distilled_student_tied_with_its_plain_self_is_the_plain_recipe(toy, tmp_path):
    """A distilled row within the noise of its plain row is no reason to train a teacher: the plain recipe, the
    cheaper one, stands for the architecture (here it still leads the policy's choice beyond the noise)."""
    _, train, _ = toy
    rows = [
        candidate("frozen-transformer", 0.70, 0.01),
        candidate("textcnn", 0.85, 0.01),
        distilled("textcnn", 0.86, 0.01),
    ]
    rec, message = tep404(train, tmp_path, rows, dev=2000)
    assert rec["architecture"] == "textcnn"
    assert message.startswith("measured on your data: textcnn 0.85 ± 0.01 vs frozen-transformer 0.70")
    assert "distilled" not in message and "distilled" not in rec["recipe"]["epochs"]


def test_a_distilled_lead_within_the_noise_of_the_policys_choice_keeps_the_policy_order(toy, tmp_path):
    _, train, _ = toy
    rows = [
        candidate("frozen-transformer", 0.80, 0.02),
        candidate("textcnn", 0.70, 0.01),
        distilled("textcnn", 0.82, 0.01),
    ]
    rec, message = tep404(train, tmp_path, rows)
    assert rec["architecture"] == "frozen-transformer"
    assert (
        "textcnn (distilled) 0.82 ± 0.01 vs frozen-transformer 0.80" in message and "within noise" in message
    )
    assert "distilled" not in rec["recipe"]["epochs"]


def test_the_policys_choice_distilled_keeps_its_id_and_says_so(toy, tmp_path):
    """On a phone the policy's first choice is itself a student: its distilled row leading the plain one beyond
    the noise is the recommendation, the same id, said to be distilled."""
    _, train, _ = toy
    leader = recommend(train, "--deploy", "phone")["architecture"]
    rows = [candidate(leader, 0.70, 0.0), distilled(leader, 0.90, 0.0, augment=0)]
    rec, message = tep404(train, tmp_path, rows, dev=2000, deploy="phone")
    assert rec["architecture"] == leader
    assert message.startswith(
        f"measured on your data: {leader} (distilled) 0.90 ± 0.00 dev accuracy (3 seeds)"
    )
    assert message.endswith(f"--arch {leader} --teacher runs/teacher`")  # no --augment 0
    assert "distilled" in rec["recipe"]["epochs"]


def test_the_plan_counts_the_teachers_scoring_and_the_students_epochs_over_the_transfer_set():
    from advisor.baselines.compare import plan, planned_distilled_seconds, planned_seconds
    from advisor.baselines.distill import MAX_ROWS
    from advisor.profile import ConstraintProfile

    profile = ConstraintProfile(task="classification", examples=1000, classes=2, tokens=20)
    plain = planned_seconds("textcnn", profile, 800)
    none, four = (
        planned_distilled_seconds("textcnn", "frozen-transformer", profile, 800, n, 200) for n in (0, 4)
    )
    assert plain < none < four
    # the student's share is its own plan over the transfer set's rows; the teacher's grows with them too
    assert four - planned_seconds("textcnn", profile, 800 * 5) > none - plain
    capped = planned_distilled_seconds("textcnn", "frozen-transformer", profile, 800, 1000, 200)
    assert capped == planned_distilled_seconds("textcnn", "frozen-transformer", profile, 800, 10_000, 200)
    assert capped > planned_seconds("textcnn", profile, MAX_ROWS)
    costs = {"ngram-linear": 2.0, "textcnn": plain, "textcnn (distilled)": four}
    assert plan(costs, 2, None)[0] == ["ngram-linear", "textcnn", "textcnn (distilled)"]
    assert plan(costs, 2, 2 * (2 + plain) + 1)[2] == ["textcnn (distilled)"]  # the budget skips it first


@pytest.fixture(scope="module")
def teacher(toy, tiny_encoder, tmp_path_factory):
    pytest.importorskip("torch")
    from advisor.baselines import train

    _, data, test = toy
    out = tmp_path_factory.mktemp("teacher") / "model"
    train(data, arch="frozen-transformer", test=test, encoder=tiny_encoder, out=out)
    return out


@pytest.fixture(scope="module")
def distilled_compare(toy, teacher, tmp_path_factory):
    from advisor import compare

    _, train, test = toy
    out = tmp_path_factory.mktemp("cmp") / "out"
    m = compare(train, test=test, candidates=["ngram-linear", "ngram-static-linear"], seeds=2, out=out,
                teacher=teacher, augment=1, progress=False)  # fmt: skip
    return m, out


@pytest.mark.baselines
def test_compare_trains_the_distilled_students_as_their_own_rows(toy, teacher, distilled_compare):
    m, out = distilled_compare
    _, train, _ = toy
    assert [c.name for c in m.candidates if c.distillation] == ["ngram-static-linear (distilled)"]
    row = m.candidate("ngram-static-linear (distilled)")
    assert row.architecture == "ngram-static-linear" and row.status == "measured"
    assert [t.seed for t in row.trials] == [0, 1] and [t.model for t in row.trials] == [
        "models/ngram-static-linear-distilled-seed0",
        "models/ngram-static-linear-distilled-seed1",
    ]
    assert row.dev_mean is not None and row.test_mean is not None and row.model_mb > 0 and row.latency_ms > 0
    t = row.distillation.teacher
    assert t.path == str(teacher.resolve()) and t.architecture == "frozen-transformer" and t.head == "lr"
    assert t.data_fingerprint == fingerprint(load_dataset(train))
    assert set(t.dev) == set(t.test) == {"accuracy", "macro_f1"}
    assert row.distillation.augment == 1 and row.distillation.rows["augmented"] > 0
    # the seed-0 model is the one `baseline train --teacher` records
    manifest = json.loads((out / row.trials[0].model / "manifest.json").read_text())
    assert manifest["run"]["distillation"]["teacher"]["path"] == t.path
    # planned, measured and shown like every candidate
    assert "ngram-static-linear (distilled)" in m.plan.order
    assert row.planned_seconds > m.candidate("ngram-static-linear").planned_seconds
    table = (out / "measurements.md").read_text()
    assert "| ngram-static-linear (distilled)" in table and f"frozen-transformer teacher {t.path}" in table
    assert "The teacher was trained on this data file (its own split)" in table  # it saw dev, maybe
    assert Measurements.model_validate_json((out / "measurements.json").read_text()) == m
    rec = recommend(train, "--measurements", out / "measurements.json")
    assert any(f["rule"] == "TEP404" for f in rec["flags"])


@pytest.mark.baselines
def test_a_wrong_teacher_is_one_line_and_exit_2(toy, teacher, distilled_compare, tmp_path):
    m, out = distilled_compare
    folder, train, _ = toy
    not_a_teacher = out / "models" / "ngram-linear-seed0"
    res = run("compare", train, "--candidates", "ngram-static-linear", "--teacher", not_a_teacher,
              "--out", tmp_path / "o")  # fmt: skip
    assert res.exit_code == 2 and res.output == (
        f"Error: --teacher {not_a_teacher}: a ngram-linear model; the teacher must be a trained "
        "frozen-transformer or transformer-finetune classifier\n"
    )
    other = tmp_path / "other.jsonl"
    lines = train.read_text(encoding="utf-8").splitlines()
    other.write_text(
        "".join(json.dumps({**json.loads(x), "label": f"c{i % 2}"}) + "\n" for i, x in enumerate(lines)),
        "utf-8",
    )
    res = run(
        "compare", other, "--candidates", "ngram-static-linear", "--teacher", teacher, "--out", tmp_path / "o"
    )
    assert res.exit_code == 2 and len(res.output.splitlines()) == 1
    assert "its labels (billing, shipping, technical) differ from the data's (c0, c1)" in res.output
    res = run("compare", train, "--candidates", "ngram-linear", "--teacher", teacher, "--out", tmp_path / "o")
    assert res.exit_code == 2 and "--teacher: no distillation student among the candidates" in res.output
    res = run("compare", train, "--candidates", "ngram-linear", "--augment", "2", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "--augment applies with --teacher MODEL_DIR only" in res.output
    assert not (tmp_path / "o").exists()
    # a teacher inside --out would be replaced with it
    res = run(
        "compare", train, "--candidates", "ngram-static-linear", "--teacher", not_a_teacher, "--out", out
    )
    assert res.exit_code == 2 and "would overwrite the input" in res.output
    assert (out / "measurements.json").is_file() and not_a_teacher.is_dir()


@pytest.mark.baselines
def test_a_budget_skips_the_distilled_students_first(toy, teacher, tmp_path):
    pytest.importorskip("torch")
    from advisor import compare

    _, train, test = toy
    m = compare(train, candidates=["ngram-linear", "ngram-static-linear"], seeds=2, time_budget_min=0.15,
                out=tmp_path / "cmp", teacher=teacher, augment=50, progress=False)  # fmt: skip
    row = m.candidate("ngram-static-linear (distilled)")
    assert row.status == "skipped" and not row.trials and "--time-budget-min 0.15" in row.reason
    assert row.distillation.teacher.architecture == "frozen-transformer" and row.distillation.rows is None
    assert sorted(m.plan.order) == ["ngram-linear", "ngram-static-linear"]  # what the plan had room for


def test_teacher_auto_plans_the_teacher_round_last():
    """--teacher auto: the distilled rows are no part of the halving (their teacher is only known after the
    rounds); their seeds are reserved from the budget first, and the round is skipped before any candidate."""
    from advisor.baselines.compare import _plan

    costs = {"a": 1.0, "b": 10.0, "b (distilled)": 20.0}
    assert _plan(costs, 2, None, ["b (distilled)"]) == (["a", "b", "b (distilled)"], 0, [], ["b (distilled)"])
    assert _plan(costs, 2, 62, ["b (distilled)"]) == (["a", "b", "b (distilled)"], 0, [], ["b (distilled)"])
    assert _plan(costs, 2, 30, ["b (distilled)"]) == (["a", "b"], 0, ["b (distilled)"], [])
    assert _plan(costs, 2, 30, []) == (["a", "b"], 0, ["b (distilled)"], [])  # an explicit teacher: plan()


@pytest.mark.baselines
def test_teacher_auto_needs_a_teacher_among_the_candidates(toy, tmp_path):
    pytest.importorskip("torch")
    _, train, _ = toy
    res = run(
        "compare", train, "--candidates", "ngram-static-linear", "--teacher", "auto", "--out", tmp_path / "o"
    )
    assert res.exit_code == 2 and len(res.output.splitlines()) == 1
    assert "--teacher auto: no teacher among the candidates (ngram-static-linear)" in res.output


@pytest.mark.slow
def test_teacher_auto_distils_from_compares_own_best_teacher(toy, tmp_path):
    """The shipped MiniLM as compare's frozen-transformer candidate; its seed-0 model teaches in a last round."""
    from advisor import compare

    _, train, test = toy
    out = tmp_path / "cmp"
    m = compare(train, test=test, candidates=["ngram-static-linear", "frozen-transformer"], seeds=2, out=out,
                teacher="auto", progress=False)  # fmt: skip
    row = m.candidate("ngram-static-linear (distilled)")
    assert row.status == "measured" and len(row.trials) == 2 and row.distillation.auto
    t = row.distillation.teacher
    assert t.architecture == "frozen-transformer" and t.path == str(
        (out / "models/frozen-transformer-seed0").resolve()
    )
    assert (out / "models/frozen-transformer-seed0/manifest.json").is_file() and t.dev is not None
    assert m.plan.order[-1] == "ngram-static-linear (distilled)"
    assert "--teacher auto" in (out / "measurements.md").read_text()


@pytest.mark.slow
def test_ray_and_local_executors_distil_the_same(toy, teacher, tmp_path, local_ray):
    """A distilled row's trials run as Ray tasks too (the teacher's folder by its absolute path)."""
    from advisor import compare

    _, train, test = toy
    kw = {
        "test": test,
        "candidates": ["ngram-static-linear"],
        "seeds": 2,
        "progress": False,
        "teacher": teacher,
    }
    local = compare(train, out=tmp_path / "local", **kw)
    ray_ = compare(train, out=tmp_path / "ray", executor="ray", ray_cpus=2, **kw)
    assert ray_.candidate("ngram-static-linear (distilled)").status == "measured"
    dump = lambda m: json.dumps(m.without_timings(), indent=2, sort_keys=True)  # noqa: E731
    assert dump(ray_) == dump(local)
