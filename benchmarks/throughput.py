"""In-process ``recommend()`` throughput on one core over a varied set of profiles.

Usage::

    .venv/bin/python benchmarks/throughput.py [--seconds 3]

Builds a grid of valid profiles (both tasks, every deploy target, small to large data, streaming, budgets,
long texts, another language; the ones whose budgets exclude everything are left out), pins the process to
one CPU where the OS allows it (``--cpu``), warms up, then calls ``recommend(profile)`` round-robin for ``--seconds`` and
prints profiles per second of wall time and per second of CPU time (what other jobs on a busy machine
inflate less). Target: >= 5,000 profiles/s. Profiles are built beforehand: the figure is the
engine, rules and Recommendation model, not parsing of user input.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

os.environ.setdefault("ADVISOR_NO_ENTRY_POINTS", "1")  # the built-in policy only

from advisor import ConstraintProfile, recommend  # noqa: E402
from advisor.errors import NoCandidateError  # noqa: E402

TARGET = 5_000


def profile_grid() -> list[dict]:
    """The grid's profiles as field values, budget-infeasible ones included (tests/golden/golden.py uses this
    very grid, so the golden outputs and this benchmark cover the same profiles)."""
    grid = itertools.product(
        ("classification", "tagging"),
        (80, 300, 800, 5_000, 60_000),
        ("phone", "browser", "edge", "cpu-server", "gpu-server"),
        (False, True),
        ((None, None), (5.0, None), (None, 30.0), (50.0, 200.0)),
        ((32, "en", "cpu"), (600, "de", "gpu")),
    )
    return [
        dict(task=task, examples=n, deploy=deploy, streaming=streaming, latency_ms=ms, max_model_mb=mb,
             tokens=tokens, language=lang, compute=compute)
        for task, n, deploy, streaming, (ms, mb), (tokens, lang, compute) in grid
    ]  # fmt: skip


def profiles() -> list[ConstraintProfile]:
    """The grid's profiles that some candidate meets (the ones whose budgets exclude everything are left out)."""
    out = []
    for values in profile_grid():
        p = ConstraintProfile(**values)
        try:
            recommend(p)
        except NoCandidateError:
            continue
        out.append(p)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument(
        "--cpu", type=int, default=None, help="pin to this CPU (default: the last one allowed)"
    )
    args = parser.parse_args()
    cpu = "unpinned"
    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    ps = profiles()
    for p in ps:  # warm-up
        recommend(p)
    done, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < args.seconds:
        for p in ps:
            recommend(p)
        done += len(ps)
    cpu_s = time.process_time() - cpu_start
    rate, cpu_rate = done / elapsed, done / cpu_s
    archs = len({recommend(p).architecture for p in ps})
    print(
        f"recommend(): {rate:,.0f} profiles/s wall, {cpu_rate:,.0f} per CPU second, on one core (cpu {cpu}; "
        f"{len(ps)} profiles, {archs} different winners, {done:,} calls in {elapsed:.1f} s; "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"target >= {TARGET:,}/s: {'ok' if rate >= TARGET else 'MISSED'} (wall), "
        f"{'ok' if cpu_rate >= TARGET else 'MISSED'} (per CPU second)"
    )


if __name__ == "__main__":
    main()
