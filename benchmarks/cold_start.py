"""CLI cold start: `advisor recommend ... --format json` against importing the four core dependencies.

Usage::

    .venv/bin/python benchmarks/cold_start.py [--runs 10] [--advisor PATH]
    .venv/bin/python benchmarks/cold_start.py --clean-venv     # build the wheel, install it into a fresh venv

Runs each command ``--runs`` times (interleaved, after one untimed warm-up of each) in an empty temporary
folder, takes the median wall time of each and prints both medians and their ratio. Target: ratio <= 1.5.
The baseline is ``python -c "import click, pydantic, pluggy, jinja2"`` with the interpreter of the venv that
holds ``advisor``. Installed entry-point plugins are scanned as in a user's shell (no test switches).
``--clean-venv`` measures what a user gets from ``pip install``: the wheel in a venv of its own (a few
distributions, no editable-install finder) rather than the development venv (torch, dev tools, editable).
A third line shows the floor that pydantic sets: the baseline plus the definition of one trivial model.
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", folder / "dist", src], **quiet)
    subprocess.run([sys.executable, "-m", "venv", folder / "venv"], **quiet)
    (wheel,) = (folder / "dist").glob("*.whl")
    subprocess.run([folder / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel], **quiet)
    return folder / "venv" / "bin" / "advisor"


def measure(advisor: str, runs: int) -> None:
    python = str(Path(advisor).parent / "python")
    commands = {
        "advisor recommend --format json": [advisor, *ARGS],
        BASELINE: [python, "-c", BASELINE],
        "floor: the baseline + one pydantic model": [python, "-c", ONE_MODEL],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and k != "PYTHONPATH"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as cwd:
        for cmd in commands.values():  # warm the OS caches and write the bytecode caches
            timed(cmd, cwd, env)
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, cwd, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[BASELINE]
    print(f"advisor: {advisor}  (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
    for name, m in medians.items():
        print(f"  {name:<42} median {m * 1000:5.0f} ms over {runs} runs  ({m / base:.2f} x baseline)")
    ratio = medians["advisor recommend --format json"] / base
    print(f"ratio {ratio:.2f} (target <= {TARGET}): {'ok' if ratio <= TARGET else 'MISSED'}")


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
