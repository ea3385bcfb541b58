"""What a trained baseline reports: the test-report dicts and the human-readable forms of the commands' results.

``classification_report`` and ``tagging_report`` turn gold and predicted labels into the ``test`` and
``length_buckets`` parts of the ``advisor baseline train``/``evaluate`` documents (and the benchmarks' tables);
``format_train``, ``format_evaluate`` and ``format_plateau`` print those documents for a terminal.
"""

from __future__ import annotations

from advisor.data import tokenize


def classification_report(gold: list[str], pred: list[str], texts: list[str]) -> dict:
    from advisor.baselines import metrics

    return {
        "accuracy": metrics.accuracy(gold, pred),
        "macro_f1": metrics.macro_f1(gold, pred),
        "per_class": metrics.per_class_report(gold, pred),
        "length_buckets": metrics.length_bucket_accuracy(gold, pred, [len(tokenize(t)) for t in texts]),
    }


def tagging_report(gold: list[list[str]], pred: list[list[str]]) -> dict:
    from advisor.baselines import metrics

    p, r, f = metrics.entity_prf(gold, pred)
    lengths = [len(g) for g in gold]
    return {
        "f1": f,
        "precision": p,
        "recall": r,
        "length_buckets": metrics.length_bucket_entity_f1(gold, pred, lengths),
    }


# -- human-readable forms ----------------------------------------------------------------------------
def _buckets_table(buckets) -> str:
    lines = ["  length       n   score"]
    for b in buckets:
        score = b.get("accuracy", b.get("f1"))
        lines.append(f"  {b['bucket']:<10} {b['n']:>5}   " + ("   -" if score is None else f"{score:.3f}"))
    return "\n".join(lines)


def _score(t: dict) -> str:
    if "accuracy" in t:
        return f"accuracy {t['accuracy']:.4f}, macro-F1 {t['macro_f1']:.4f}"
    return f"entity F1 {t['f1']:.4f} (P {t['precision']:.4f}, R {t['recall']:.4f})"


def format_train(r: dict) -> str:
    score = f"test {_score(r['test'])}"
    dev = r["dev"]
    curve = (
        ""
        if not dev.get("curve")
        else f"\ndev curve: {', '.join(f'{x:.3f}' for x in dev['curve'])} (best epoch {dev['best_epoch']}, {dev['stopped']})"
    )
    return (
        f"{r['arch']} on {r['examples']['train']} examples: {score}{curve}\n"
        f"trained in {r['seconds']['train']} s; {r['seconds']['per_example_ms']} ms per test example\n"
        f"per-length accuracy (monitoring signal):\n{_buckets_table(r['length_buckets'])}\n"
        f"model: {r['model']}   plot: {r['plot']}"
        + (
            f"\n{format_vectors(r['vectors'])}"
            if r.get("vectors", {}).get("source", "none") != "none"
            else ""
        )
        + (f"\n{format_floor(r['floor'])}" if r.get("floor") else "")
        + (f"\n{format_distillation(r)}" if r.get("distillation") else "")
    )


def format_distillation(r: dict) -> str:
    """The student trained with distillation against its teacher on dev and test (the same run's splits)."""
    d = r["distillation"]
    t, rows = d["teacher"], d["rows"]
    aug = d["augmentation"]
    how = "" if aug is None else f" ({aug['copies']} augmented copies per text asked)"
    lines = [
        f"distilled from {t['architecture']} {t['path']}: {rows['train']} training + {rows['unlabeled']} "
        f"unlabeled + {rows['augmented']} augmented rows = {rows['total']}{how}; loss {d['loss']['kind']}",
        f"{'':8}{'student':>9}{'teacher':>9}",
        f"{'dev':8}{r['dev']['best'] or 0:9.4f}{t['dev']['accuracy']:9.4f}   accuracy",
        f"{'test':8}{r['test']['accuracy']:9.4f}{t['test']['accuracy']:9.4f}   accuracy",
        f"{'test':8}{r['test']['macro_f1']:9.4f}{t['test']['macro_f1']:9.4f}   macro-F1",
    ]
    sel = d.get("selection") or {}
    if sel.get("held_out_mse_curve"):
        held = sel["held_out"]
        agree, mse = sel["held_out_agreement_curve"], sel["held_out_mse_curve"]
        what = "agreement with the teacher" if sel["rule"] == "held-out-agreement" else "distillation MSE"
        lines.insert(1, f"epoch picked by the held-out {what} ({held['dev_texts']} dev texts + "
                        f"{held['augmented']} augmented copies, teacher-scored; epoch {sel['best_epoch']}, "
                        f"patience {sel['patience']}): agreement {', '.join(f'{x:.3f}' for x in agree)}; "
                        f"MSE {', '.join(f'{x:.3f}' for x in mse)}")  # fmt: skip
    return "\n".join(lines)


def format_vectors(v: dict) -> str:
    """Which static vectors a trained model read (``advisor.baselines.runner._static_vectors``), and what it kept."""
    if v["source"] == "random-init":
        return f"vectors: random-init embeddings ({v['reason']})"
    what = (
        f"distilled from {v['from']} ({v['tokens']:,} tokens x {v['dim']}, the default where the recipe says static)"
        if v["source"] == "distilled"
        else "--embeddings"
    )
    kept = (
        f"; the model keeps {v['kept_words']:,} words' vectors, {v['kept_mb']:g} MB"
        if "kept_words" in v
        else ""
    )
    return f"vectors: {v['path']}: {what}{kept}"


def format_floor(f: dict) -> str:
    """The two verdicts of the fine-tuning floor check (``advisor.baselines.runner.floor_check``)."""
    against = (
        f"floor {f['floor_mean']:.4f} ± {f['floor_std']:.4f} (plateau evidence)"
        if f["source"] == "evidence"
        else f"the majority-class rate {f['floor_mean']:.4f} (no evidence)"
    )
    beats = "beats the floor" if f["beats_floor"] else "does NOT beat the floor"
    collapse = "collapsed" if f["collapsed"] else "no collapse"
    return (
        f"floor check on {f['dev_examples']} dev examples: {beats}: {f['metric']} {f['score']:.4f} vs {against}\n"
        f"collapse check: {collapse}: predicts {f['top_class']!r} for {f['predicted_share']:.2%} of dev "
        f"(true share {f['true_share']:.2%}, margin {f['collapse_margin']})"
    )


def format_evaluate(r: dict) -> str:
    return (
        f"{r['arch']} on {r['examples']} examples of {r['data']}: {_score(r['test'])}\n"
        f"{_buckets_table(r['length_buckets'])}"
    )


def format_plateau(r: dict) -> str:
    f = r["floor"]
    lc = ", ".join(f"{p['examples']}: {p['dev']:.3f}" for p in r["learning_curve"])
    return (
        f"verdict: {r['verdict']} ({r['runs']} runs on {r['examples']} examples)\n"
        f"floor: dev {f['metric']} {f['mean']:.4f} ± {f['std']:.4f}\n"
        f"learning curve: {lc}\n{r['learning_curve_note']}\n"
        f"evidence: {r['evidence']}   plots: {r['plots']['curves']}, {r['plots']['learning_curve']}\n"
        f"next: advisor recommend --data DATA --evidence {r['evidence']}"
    )
