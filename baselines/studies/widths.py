"""The widths study (the lesson's easy exercise): TextCNN with filter widths (2, 3, 4) against (3) alone.

Two filter budgets, both reported: **equal filters per width** ((2, 3, 4) x n against (3) x n: the multi-width
model has three times the filters) and **equal total filters** ((2, 3, 4) x n against (3) x 3n). Everything else
is the TextCNN's recipe (``advisor.recipes``: Adam 1e-3, batch 50, dropout 0.5, max-norm 3, early stopping on a
dev split with patience 3) and its model defaults, with the embedding size of the settings below.

Data: a real set (``--data``, ``--test``; TREC in the committed full run) and the project's invented 3-class set
(``advisor.data.toy``: support messages, ``billing`` / ``technical`` / ``shipping``, built from templates and
word lists; its module docstring documents what it holds). The invented set was written for the advisor's demo,
not for this study: its class cues are whole template sentences over shared word lists, as recognisable from
single words as from phrases, and the generator has no setting for n-gram width, so its contents do not decide
which filter widths win. The verdict is led by the real set.

Statistics (:mod:`.stats`): test macro-F1 mean ± std over the seeds (at least 10 in the full run: a two-sided
sign test over 5 seeds can never reach p < 0.05); across seeds, the exact sign test and a paired t-test (seed s
of one model against seed s of the other); over test examples, a paired bootstrap of the seed-averaged
difference. "Beyond noise" is :func:`.stats.beyond_noise`: t-test p < 0.05 and a 95% interval that excludes 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from . import stats
from .common import (
    Request,
    Strict,
    StudyResults,
    Unit,
    invented_set,
    p_is,
    pts,
    pval,
    real_set,
    run_units,
    study_versions,
    table,
    train_and_predict,
)

MULTI = (2, 3, 4)
SINGLE = (3,)
BUDGETS = ("equal filters per width", "equal total filters")


@dataclass(frozen=True)
class Settings:
    seeds: int  # seeds per model and dataset
    filters: int  # n: filters per width of the multi-width model
    embed_dim: int  # word vector size
    max_epochs: int  # cap on the recipe's 30 (early stopping usually ends sooner)
    toy_per_class: tuple[int, int]  # invented set: training and test messages per class
    max_train: int | None  # cap on the real set's training part (stratified subset); None: all
    bootstrap: int  # bootstrap resamples


QUICK = Settings(
    seeds=3, filters=16, embed_dim=32, max_epochs=8, toy_per_class=(60, 30), max_train=600, bootstrap=300
)
FULL = Settings(
    seeds=10,
    filters=100,
    embed_dim=128,
    max_epochs=30,
    toy_per_class=(300, 100),
    max_train=None,
    bootstrap=2000,
)
TOY_SEED = 1400


def models(filters: int) -> dict[str, dict[str, Any]]:
    """The three TextCNN configs, by the name the report gives them."""
    return {
        _name(MULTI, filters): {"filter_widths": list(MULTI), "num_filters": filters},
        _name(SINGLE, filters): {"filter_widths": list(SINGLE), "num_filters": filters},
        _name(SINGLE, 3 * filters): {"filter_widths": list(SINGLE), "num_filters": 3 * filters},
    }


def comparisons(filters: int) -> list[tuple[str, str, str]]:
    """(budget, multi-width model, single-width model) for both filter budgets."""
    multi = _name(MULTI, filters)
    return [
        (BUDGETS[0], multi, _name(SINGLE, filters)),
        (BUDGETS[1], multi, _name(SINGLE, 3 * filters)),
    ]


def _name(widths: tuple[int, ...], filters: int) -> str:
    return f"({','.join(map(str, widths))}) x {filters}"


class Run(Strict):
    dataset: str
    model: str
    seed: int
    macro_f1: float
    accuracy: float
    best_epoch: int
    epochs: int
    seconds: float
    predictions: list[int] = Field(description="predicted label ids on the test set, in test order")


class DatasetTest(Strict):
    """A dataset's test labels, which the bootstrap resamples."""

    name: str
    labels: list[str] = Field(description="label names by id")
    gold: list[int] = Field(description="gold label ids, in test order")


class Comparison(Strict):
    dataset: str
    budget: Literal[BUDGETS]  # type: ignore[valid-type]
    multi: str
    single: str
    multi_mean: float
    multi_std: float
    single_mean: float
    single_std: float
    sign: dict[str, float | int]
    t: dict[str, float]
    bootstrap: dict[str, float | int]
    beyond_noise: bool


class WidthsResults(StudyResults):
    study: Literal["widths"] = "widths"
    tests: list[DatasetTest]
    runs: list[Run]
    comparisons: list[Comparison]


def analyse(runs: list[Run], tests: list[DatasetTest], filters: int, samples: int) -> list[Comparison]:
    """Every (dataset, budget) comparison, from the runs alone."""
    out = []
    for test in tests:
        for budget, multi, single in comparisons(filters):
            a = sorted((r for r in runs if r.dataset == test.name and r.model == multi), key=lambda r: r.seed)
            b = sorted(
                (r for r in runs if r.dataset == test.name and r.model == single), key=lambda r: r.seed
            )
            if not a or [r.seed for r in a] != [r.seed for r in b]:
                raise ValueError(f"{test.name}: {multi} and {single} were not run on the same seeds")
            fa, fb = [r.macro_f1 for r in a], [r.macro_f1 for r in b]
            (ma, sa), (mb, sb) = stats.mean_std(fa), stats.mean_std(fb)
            t = stats.paired_t(fa, fb)
            boot = stats.paired_bootstrap(
                test.gold, [r.predictions for r in a], [r.predictions for r in b], len(test.labels), samples
            )
            out.append(
                Comparison(
                    dataset=test.name,
                    budget=budget,
                    multi=multi,
                    single=single,
                    multi_mean=ma,
                    multi_std=sa,
                    single_mean=mb,
                    single_std=sb,
                    sign=stats.sign_test(fa, fb),
                    t=t,
                    bootstrap=boot,
                    beyond_noise=stats.beyond_noise(t["p"], boot["low"], boot["high"]),
                )
            )
    return out


def outcome(c: Comparison) -> str:
    """'wins beyond noise' | 'wins within noise' | 'loses ...' | 'ties' for the multi-width model."""
    diff = c.multi_mean - c.single_mean
    if diff == 0:
        return "ties"
    return f"{'wins' if diff > 0 else 'loses'} {'beyond' if c.beyond_noise else 'within'} noise"


def sentence(c: Comparison) -> str:
    diff = c.multi_mean - c.single_mean
    n = c.sign["wins"] + c.sign["losses"] + c.sign["ties"]
    verb = "ties with" if diff == 0 else ("beats" if diff > 0 else "trails")
    noise = (
        "beyond noise"
        if c.beyond_noise
        else "within noise (the rule: paired t-test p < 0.05 and a bootstrap interval that excludes 0)"
    )
    return (
        f"On {c.dataset}, with {c.budget}, {c.multi} {verb} {c.single} by {abs(100 * diff):.1f} macro-F1 "
        f"points on average ({pts(c.multi_mean)} ± {pts(c.multi_std)} vs {pts(c.single_mean)} ± "
        f"{pts(c.single_std)}); it is better in {c.sign['wins']} of {n} seeds (sign test {p_is(c.sign['p'])}, "
        f"paired t-test {p_is(c.t['p'])}) and the paired bootstrap over test examples puts the difference "
        f"at {pts(c.bootstrap['low'], True)} to {pts(c.bootstrap['high'], True)} points (95%): {noise}."
    )


def verdict(results: WidthsResults) -> list[str]:
    """The report's verdict, led by the real set (the first dataset whose role is 'real')."""
    roles = {d.name: d.role for d in results.data}
    real = [d.name for d in results.data if d.role == "real"]
    lines = []
    lead = real[0] if real else results.data[0].name
    by = {(c.dataset, c.budget): c for c in results.comparisons}
    parts = [
        f"{b}: {outcome(by[lead, b])} ({pts(by[lead, b].multi_mean - by[lead, b].single_mean, True)} points)"
        for b in BUDGETS
    ]
    head = f"**Verdict on {lead}** (does (2,3,4) win on average, by how much, beyond noise?): " + "; ".join(
        parts
    )
    if not real:
        head += ". No real set was given (--data): this verdict rests on invented data alone"
    lines.append(head + ".")
    for name in [lead] + [d.name for d in results.data if d.name != lead]:
        lines += [sentence(by[name, b]) for b in BUDGETS]
    for name in [d.name for d in results.data if d.name != lead]:
        same = sum(outcome(by[name, b]) == outcome(by[lead, b]) for b in BUDGETS)
        agreement = {len(BUDGETS): "on both budgets", 1: "on one of the two budgets", 0: "on neither budget"}[
            same
        ]
        lines.append(
            f"The {roles[name]} set ({name}) agrees with {lead} {agreement}: "
            + "; ".join(f"{b}: {outcome(by[name, b])}" for b in BUDGETS)
            + "."
        )
    return lines


def report(results: WidthsResults) -> str:
    s = results.config["settings"]
    rows = []
    for d in results.data:
        for m, fields in models(s["filters"]).items():
            rs = [r for r in results.runs if r.dataset == d.name and r.model == m]
            f1 = stats.mean_std([r.macro_f1 for r in rs])
            acc = stats.mean_std([r.accuracy for r in rs])
            total = fields["num_filters"] * len(fields["filter_widths"])
            rows.append(
                [
                    d.name,
                    m,
                    total,
                    f"{pts(f1[0])} ± {pts(f1[1])}",
                    f"{pts(acc[0])} ± {pts(acc[1])}",
                    f"{sum(r.epochs for r in rs) / len(rs):.1f}",
                    len(rs),
                ]
            )
    comp_rows = [
        [
            c.dataset,
            c.budget,
            f"{c.multi} vs {c.single}",
            pts(c.multi_mean - c.single_mean, True),
            f"{c.sign['wins']}-{c.sign['losses']}-{c.sign['ties']}",
            pval(c.sign["p"]),
            pval(c.t["p"]),
            f"[{pts(c.bootstrap['low'], True)}, {pts(c.bootstrap['high'], True)}]",
            "yes" if c.beyond_noise else "no",
        ]
        for c in results.comparisons
    ]
    data_lines = [
        f"- {d.name} ({d.role}): train {d.examples['train']}, dev {d.examples['dev']}, test "
        f"{d.examples['test']} examples; {d.train}" + (f", test {d.test}" if d.test else "")
        for d in results.data
    ]
    return "\n".join(
        [
            "# Study: TextCNN filter widths (2,3,4) against (3)",
            "",
            *[line + "\n" for line in verdict(results)],
            "## Test macro-F1 over seeds",
            "",
            table(
                [
                    "data",
                    "model (widths x filters per width)",
                    "filters",
                    "macro-F1",
                    "accuracy",
                    "epochs",
                    "seeds",
                ],
                rows,
            ),
            "",
            "## Paired comparisons ((2,3,4) minus (3), macro-F1 points)",
            "",
            table(
                [
                    "data",
                    "budget",
                    "models",
                    "mean diff",
                    "seeds W-L-T",
                    "sign p",
                    "t-test p",
                    "bootstrap 95%",
                    "beyond noise",
                ],
                comp_rows,
            ),
            "",
            "## How it was run",
            "",
            *data_lines,
            f"- TextCNN recipe (Adam 1e-3, batch 50, dropout 0.5, max-norm 3, early stopping on dev, patience 3), "
            f"embedding size {s['embed_dim']}, at most {s['max_epochs']} epochs; seeds {results.seeds}.",
            f"- Bootstrap: {s['bootstrap']} resamples of the test examples, every seed of both models scored on each.",
            f"- {'Quick settings (CI-sized; not a result).' if results.quick else 'Full settings.'} "
            f"Took {results.seconds:.0f} s.",
            f"- Reproduce: `{results.command}`",
            "",
            "![test macro-F1 per model and seed](widths.png)",
            "",
        ]
    )


def plot(results: WidthsResults, path: Path) -> None:
    from ..plots import figure, save_figure

    names = [d.name for d in results.data]
    model_names = list(models(results.config["settings"]["filters"]))
    fig = figure(4.2 * len(names), 4.2)
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        for j, m in enumerate(model_names):
            scores = [100 * r.macro_f1 for r in results.runs if r.dataset == name and r.model == m]
            mean, std = stats.mean_std(scores)
            ax.errorbar([j], [mean], yerr=[std], fmt="o", color="black", capsize=6, zorder=3)
            ax.scatter([j + 0.12] * len(scores), scores, s=12, alpha=0.6)
        ax.set_xticks(range(len(model_names)), model_names, fontsize=8)
        ax.set_xlim(-0.5, len(model_names) - 0.5)
        ax.set_ylabel("test macro-F1 (points)")
        ax.set_title(
            f"TextCNN filter widths on {name}: test macro-F1\n(mean ± std; dots: {len(results.seeds)} seeds)",
            fontsize=9,
        )
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_figure(fig, path)


def train_one(spec: dict[str, Any]) -> dict[str, Any]:
    """One unit: train the TextCNN ``spec["model"]`` with ``spec["seed"]`` and score it on the test items."""
    from ..metrics import accuracy, macro_f1

    labels, te = spec["labels"], spec["test"]
    model = spec["model"]
    config = {**model, "filter_widths": tuple(model["filter_widths"]), "embed_dim": spec["embed_dim"]}
    b, pred_names = train_and_predict("textcnn", spec, config)
    gold_names = [x.label for x in te]
    return {
        "macro_f1": macro_f1(gold_names, pred_names),
        "accuracy": accuracy(gold_names, pred_names),
        "best_epoch": b.fit.best_epoch,
        "epochs": len(b.fit.dev_curve),
        "seconds": round(b.fit.seconds, 2),
        "predictions": [labels.index(name) for name in pred_names],
    }


def run(req: Request) -> tuple[WidthsResults, str, dict[str, Callable[[Path], object]]]:
    """Train every (dataset, model, seed) (a unit each, :func:`train_one`), analyse, and return the results, the
    report and the plots to draw."""
    t0 = time.perf_counter()
    s, seed_list = req.pick(QUICK, FULL)
    n_seeds = len(seed_list)
    sets = [] if req.data is None else [real_set(req.data, req.test, s.max_train)]
    sets.append(invented_set(s.toy_per_class, TOY_SEED))
    tests: list[DatasetTest] = []
    configs = models(s.filters)
    units: list[Unit] = []
    keys: list[tuple[str, str, int]] = []  # (dataset, model, seed) of each unit
    for ref, tr, dev, te in sets:
        labels = sorted({x.label for x in tr})
        tests.append(DatasetTest(name=ref.name, labels=labels, gold=[labels.index(x.label) for x in te]))
        for model_name, fields in configs.items():
            for seed in seed_list:
                settings = {
                    "study": "widths",
                    "data": ref.fingerprint,
                    "test": ref.test_fingerprint,
                    "split": ref.split,
                    "model": fields,
                    "embed_dim": s.embed_dim,
                    "max_epochs": s.max_epochs,
                    "seed": seed,
                }
                spec = {"train": tr, "dev": dev, "test": te, "labels": labels, "model": fields, "seed": seed,
                        "embed_dim": s.embed_dim, "max_epochs": s.max_epochs}  # fmt: skip
                units.append(Unit(settings, spec, f"{ref.name}, {model_name}, seed {seed}"))
                keys.append((ref.name, model_name, seed))
    done, hosts = run_units(req, train_one, units)
    runs = [
        Run(dataset=d, model=m, seed=seed, **result) for (d, m, seed), result in zip(keys, done, strict=True)
    ]
    results = WidthsResults(
        quick=req.quick,
        executor=req.executor,
        hosts=hosts,
        command=req.command,
        versions=study_versions(),
        seeds=seed_list,
        data=[ref for ref, *_ in sets],
        config={"settings": asdict(s) | {"seeds": n_seeds}, "models": configs, "arch": "textcnn"},
        seconds=round(time.perf_counter() - t0, 1),
        tests=tests,
        runs=runs,
        comparisons=analyse(runs, tests, s.filters, s.bootstrap),
    )
    return results, report(results), plots(results)


def plots(results: WidthsResults) -> dict[str, Callable[[Path], object]]:
    return {"widths.png": lambda p: plot(results, p)}


RESULTS = WidthsResults
