"""The lesson's experiments as reproducible studies: ``advisor study widths | pooling | vanishing-gradient | ner``.

One module per study (:mod:`.widths`, :mod:`.pooling`, :mod:`.vanishing_gradient`, :mod:`.ner`), each with ``QUICK`` and
``FULL`` settings, a strict pydantic results model, a ``report(results)`` whose sentences are computed from the
numbers, and its plots; :mod:`.stats` holds the statistics and :mod:`.common` the shared envelope, resumable
runs and the atomic output folder. :func:`run_study` is the Python API beside the CLI (``advisor.cli.study``).
"""

from __future__ import annotations

import os
from pathlib import Path

from .common import Request, RunCache, StudyError, StudyResults, check_common, write_study

__all__ = ["StudyError", "StudyResults", "default_out", "rewrite_report", "run_study"]


def default_out(name: str, quick: bool) -> Path:
    """``outputs/studies/NAME`` for a full run (what the README links); ``runs/studies/NAME-quick`` for quick."""
    return Path("runs", "studies", f"{name}-quick") if quick else Path("outputs", "studies", name)


def _module(name: str):
    import importlib

    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def run_study(
    name: str,
    *,
    data: str | os.PathLike[str] | None = None,
    test: str | os.PathLike[str] | None = None,
    seeds: int | None = None,
    quick: bool = False,
    executor: str = "local",
    out: str | os.PathLike[str] | None = None,
    threads: int = 1,
    command: str | None = None,
    dev: str | os.PathLike[str] | None = None,
    ray_cpus: int | None = None,
    **options,
) -> StudyResults:
    """Run study ``name`` and write ``report.md``, ``results.json`` and its PNGs into ``out`` (atomically).

    ``data`` / ``test``: a classification file and its test file (widths, pooling; without ``test`` a split
    of ``data``); ner: CoNLL files, with ``dev``, and its own ``options`` (``encoder``, ``max_train_sentences``,
    ``max_dev_sentences``, ``epochs``, ``device``; None: the study's). ``seeds``: None for the study's own count.
    ``executor``: ``local`` runs the study's units (seed x configuration) one after another in this process;
    ``ray`` runs each as a Ray task (:mod:`advisor.baselines.executors`: joins ``RAY_ADDRESS`` when set, else
    starts a local instance of ``ray_cpus`` CPUs, default all), with the same results but for the timings.
    Finished runs are kept in ``<out>.partial/`` until the folder is written, so calling again after an
    interruption resumes. Torch runs with ``threads`` CPU threads (1: fastest for these small models on a shared
    CPU; under Ray, each task's CPUs). Returns the results model. Errors: ``advisor.data.DataError`` (bad input),
    :class:`StudyError` (a run failed), :class:`advisor.baselines.api.ExtraMissing` (``ray`` without the extra).
    """
    import torch

    from .. import executors
    from ..runner import BaselineError, set_threads

    check_common(name, executor, seeds)
    executors.require(executor)
    if name == "vanishing-gradient" and (data is not None or test is not None):
        from advisor.data import DataError

        raise DataError("vanishing-gradient generates its own sequences: it takes no --data or --test")
    options = {k: v for k, v in options.items() if v is not None}
    if name != "ner" and (dev is not None or options):
        from advisor.data import DataError

        given = ["--dev"] * (dev is not None) + [f"--{k.replace('_', '-')}" for k in options]
        raise DataError(f"{', '.join(given)}: only study ner takes these")
    if dev is not None:
        options["dev"] = str(dev)
    if test is not None and data is None:
        from advisor.data import DataError

        raise DataError("--test needs --data (the training file it is the test set of)")
    out = Path(out) if out is not None else default_out(name, quick)
    command = command or _command(name, data, test, seeds, quick, out, options, executor)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "results.json").is_file())):
        from advisor.data import DataError

        # never replace what the advisor did not write (a study folder holds results.json)
        raise DataError(
            f"--out {out}: exists and is not a study folder (no results.json): nothing there is replaced; "
            "choose a new or empty folder"
        )
    set_threads(threads)
    cache = RunCache(out)
    request = Request(
        data=None if data is None else str(data),
        test=None if test is None else str(test),
        seeds=seeds,
        quick=quick,
        cache=cache,
        command=command,
        executor=executor,
        name=name,
        threads=threads,
        options=options,
    )
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        with executors.ray_session(executor, ray_cpus):
            results, report, plots = _module(name).run(request)
    except BaselineError as exc:  # training failed (e.g. a non-finite loss): finished runs stay for a rerun
        raise StudyError(f"{name}: {exc}") from None
    finally:
        torch.use_deterministic_algorithms(deterministic)
    write_study(out, results, report, plots)
    cache.clear()
    return results


def rewrite_report(out: str | os.PathLike[str]) -> StudyResults:
    """Re-render ``report.md`` and the PNGs of a study folder from its ``results.json`` (no training), e.g.
    after the report's wording changed. The folder is replaced atomically. Returns the results model."""
    import json

    out = Path(out)
    name = json.loads((out / "results.json").read_text(encoding="utf-8"))["study"]
    module = _module(name)
    results = module.RESULTS.model_validate_json((out / "results.json").read_text(encoding="utf-8"))
    write_study(out, results, module.report(results), module.plots(results))
    return results


def _command(name, data, test, seeds, quick, out, options=None, executor="local") -> str:
    parts = ["advisor", "study", name]
    if data is not None:
        parts += ["--data", str(data)]
    for key, value in (options or {}).items():
        parts += [f"--{key.replace('_', '-')}", str(value)]
    if test is not None:
        parts += ["--test", str(test)]
    if seeds is not None:
        parts += ["--seeds", str(seeds)]
    if quick:
        parts.append("--quick")
    if executor != "local":
        parts += ["--executor", executor]
    parts += ["--out", str(out)]
    return " ".join(parts)
