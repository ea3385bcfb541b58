"""CLI cold start: `advisor recommend ... --format json` against importing the four core dependencies.

Usage::

    .venv/bin/python benchmarks/cold_start.py [--runs 10] [--advisor PATH]
    .venv/bin/python benchmarks/cold_start.py --clean-venv     # build the wheel, install it into a fresh venv

Runs each command ``--runs`` times (interleaved, after one untimed warm-up of each) in an empty temporary
folder, takes the median wall time (and the median CPU time, user + system, which other jobs on a busy
machine inflate less) of each and prints the medians and the ratios. Target: ratio <= 1.5.
The baseline is ``python -c "import click, pydantic, pluggy, jinja2"`` with the interpreter of the venv that
holds ``advisor``. Installed entry-point plugins are scanned as in a user's shell (no test switches).
``--clean-venv`` measures what a user gets from ``pip install``: the wheel in a venv of its own (a few
distributions, no editable-install finder) rather than the development venv (torch, dev tools, editable).
A third line shows the floor that pydantic sets: the baseline plus the definition of one trivial model. The
JSON path builds no pydantic model at all on a plain profile (``advisor.fastpath``), so it can come in under it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5
ARGS = ["recommend", "--examples", "300", "--deploy", "phone", "--latency-ms", "5", "--format", "json"]
BASELINE = "import click, pydantic, pluggy, jinja2"
ONE_MODEL = BASELINE + "\nclass M(pydantic.BaseModel):\n    x: int"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU time is what other jobs on a busy machine inflate least."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def clean_venv(folder: Path) -> Path:
    """Build the wheel from this working tree, install it into a new venv under ``folder``; its advisor script."""
    repo = Path(__file__).resolve().parent.parent
    src = folder / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    for name in ("advisor", "rules", "baselines", "prompts", "pyproject.toml", "README.md"):
        if (repo / name).is_dir():
            shutil.copytree(repo / name, src / name, ignore=ignore)
        elif (repo / name).is_file():
            shutil.copy2(repo / name, src / name)

    def quiet(*cmd) -> None:
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{' '.join(map(str, cmd))} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")

    quiet(sys.executable, "-m", "build", "--wheel", "--outdir", folder / "dist", src)
    quiet(sys.executable, "-m", "venv", folder / "venv")
    (wheel,) = (folder / "dist").glob("*.whl")
    quiet(folder / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    return folder / "venv" / "bin" / "advisor"


def measure(advisor: str, runs: int) -> None:
    python = str(Path(advisor).parent / "python")
    commands = {
        "advisor recommend --format json": [advisor, *ARGS],
        BASELINE: [python, "-c", BASELINE],
        "floor: the baseline + one pydantic model": [python, "-c", ONE_MODEL],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and k != "PYTHONPATH"}
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as cwd:
        for cmd in commands.values():  # warm the OS caches and write the bytecode caches
            timed(cmd, cwd, env)
        for _ in range(runs):
            for name, cmd in commands.items():
                w, c = timed(cmd, cwd, env)
                wall[name].append(w)
                cpu[name].append(c)
    print(
        f"advisor: {advisor}  (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs; median of {runs} runs)"
    )
    ratios = {}
    for label, times in (("wall", wall), ("cpu", cpu)):
        medians = {name: statistics.median(t) for name, t in times.items()}
        base = medians[BASELINE]
        ratios[label] = medians["advisor recommend --format json"] / base
        for name, m in medians.items():
            print(f"  {label:<4} {name:<42} {m * 1000:5.0f} ms  ({m / base:.2f} x baseline)")
    for label, ratio in ratios.items():
        print(
            f"ratio ({label} time) {ratio:.2f} (target <= {TARGET}): {'ok' if ratio <= TARGET else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--advisor", default=str(Path(sys.executable).parent / "advisor"), help="the advisor script"
    )
    parser.add_argument("--clean-venv", action="store_true", help="measure the built wheel in a fresh venv")
    args = parser.parse_args()
    if args.clean_venv:
        with tempfile.TemporaryDirectory() as folder:
            measure(str(clean_venv(Path(folder))), args.runs)
    else:
        measure(args.advisor, args.runs)


if __name__ == "__main__":
    main()
