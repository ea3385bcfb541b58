"""Profiles from data: what ``--data FILE`` fills in (light path: standard library only, no torch/numpy)."""

from __future__ import annotations

import math
from pathlib import Path

from advisor.data import DataError, embeddings_vocab, load_dataset, summarize
from advisor.data.text import dataset_words

__all__ = ["DataError", "check_data_facts", "data_summary", "profile_values_from_data"]


def data_summary(path, *, task=None, text_column="text", label_column="label", embeddings=None) -> dict:
    """Load a data file and summarize it (see :func:`advisor.data.summarize`)."""
    dataset = load_dataset(path, task, text_column=text_column, label_column=label_column)
    vocab = None
    if embeddings is not None:
        if not Path(embeddings).exists():
            raise DataError(f"{embeddings}: embeddings file not found")
        vocab = embeddings_vocab(embeddings, dataset_words(dataset))
    summary = summarize(dataset, vocab)
    summary["notes"] = list(dataset.notes)
    return summary


def profile_values_from_data(
    path, *, task=None, text_column="text", label_column="label", embeddings=None, notes=None
) -> dict:
    """Profile fields read from a data file: task, examples, classes, tokens (p95) and the DataSummary.

    ``notes``: a list that receives what the loader noted (e.g. ``decoded as cp1252: ...``), for the caller to show.
    """
    s = data_summary(
        path, task=task, text_column=text_column, label_column=label_column, embeddings=embeddings
    )
    if notes is not None:
        notes.extend(s["notes"])
    tokens = s["tokens"]
    values = {
        "task": s["task"],
        "examples": s["examples"],
        "tokens": max(1, math.ceil(tokens["p95"])),
        "data": {
            "path": str(path),
            "fingerprint": s["fingerprint"],
            "label_counts": s["label_counts"],
            "imbalance_ratio": s.get("imbalance_ratio"),
            "tokens_median": tokens["median"],
            "tokens_p95": tokens["p95"],
            "tokens_max": tokens["max"],
            "sw_ratio": s.get("sw_ratio"),
            "oov_rate": s.get("oov_rate"),
            "embeddings": str(embeddings) if embeddings is not None else None,
        },
    }
    if s.get("classes") and s["classes"] >= 2:
        values["classes"] = s["classes"]
    return values


def check_data_facts(values: dict, given: dict, data, prefix: str = "--") -> None:
    """``DataError`` when ``given`` (profile values from flags or a file) contradicts the example count or the task
    read off ``data`` (``values``): the two facts evidence is bound to are always the data's. ``prefix`` is how
    the message names a key (``--examples`` for a flag)."""
    for key in ("examples", "task"):
        if given.get(key) is not None and given[key] != values[key]:
            raise DataError(
                f"{prefix}{key} {given[key]} contradicts --data {data}, which has {key} {values[key]}: "
                f"drop {prefix}{key} (it is read from the data)"
            )
