"""CLI cold start: `advisor recommend --examples 300 --deploy phone` in every format against what the CLI needs
of its dependencies in use.

Usage::

    .venv/bin/python benchmarks/cold_start.py [--pairs 9] [--advisor PATH] [--formats text,json]
    .venv/bin/python benchmarks/cold_start.py --clean-venv     # build the wheel, install it into a fresh venv

The yardstick is ``python -c`` (the interpreter of the venv that holds ``advisor``) importing click, jinja2 and
pluggy, defining one pydantic model of ten ``int`` fields with ``Field(1, ge=0, description=...)`` and
validating one dict: the work any CLI built on these libraries does before its own. For each format the
command and the yardstick run once untimed (OS and bytecode caches), then in ``--pairs`` interleaved pairs in
an empty temporary folder; each pair gives a ratio (command / yardstick) of wall time and of CPU time (user +
system, which other jobs on a busy machine inflate less), and the median ratio of the pairs is the figure.
Target: <= 1.5 in every format. Installed entry-point plugins are scanned as in a user's shell (no test
switches). ``--clean-venv`` measures what a user gets from ``pip install``: the wheel in a venv of its own (a
few distributions, no editable-install finder) rather than the development venv (torch, dev tools, editable).
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
FORMATS = ("text", "markdown", "json", "prompt")
ARGS = ["recommend", "--examples", "300", "--deploy", "phone"]
YARDSTICK = "\n".join(
    [
        "import click, jinja2, pluggy",
        "from pydantic import BaseModel, Field",
        "class M(BaseModel):",
        *(f"    f{i}: int = Field(1, ge=0, description='field {i}')" for i in range(10)),
        "M.model_validate({" + ", ".join(f"'f{i}': {i}" for i in range(10)) + "})",
    ]
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
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


def measure(advisor: str, pairs: int, formats: tuple[str, ...]) -> bool:
    """Print each format's median ratios; True when every format meets the target (wall and CPU)."""
    python = str(Path(advisor).parent / "python")
    yardstick = [python, "-c", YARDSTICK]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and k != "PYTHONPATH"}
    print(f"advisor: {advisor}  ({os.cpu_count()} CPUs; median of {pairs} interleaved pairs per format)")
    print(
        "yardstick: python -c 'import click, jinja2, pluggy' + one pydantic model of ten int fields, one dict"
    )
    ok = True
    with tempfile.TemporaryDirectory() as cwd:
        for fmt in formats:
            cmd = [advisor, *ARGS, "--format", fmt]
            timed(cmd, cwd, env)  # warm the OS caches and write the bytecode caches
            timed(yardstick, cwd, env)
            wall: list[tuple[float, float]] = []
            cpu: list[tuple[float, float]] = []
            for _ in range(pairs):
                base_w, base_c = timed(yardstick, cwd, env)
                w, c = timed(cmd, cwd, env)
                wall.append((w, base_w))
                cpu.append((c, base_c))
            line = [f"  --format {fmt:<8}"]
            for label, runs in (("wall", wall), ("cpu", cpu)):
                ratio = statistics.median(a / b for a, b in runs)
                ok &= ratio <= TARGET
                line.append(
                    f"{label} {ratio:.2f}x ({statistics.median(a for a, _ in runs) * 1000:.0f} vs "
                    f"{statistics.median(b for _, b in runs) * 1000:.0f} ms)"
                )
            print("   ".join(line), f"(load average {os.getloadavg()[0]:.1f})")
    print(f"target <= {TARGET} in every format: {'ok' if ok else 'MISSED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument(
        "--advisor", default=str(Path(sys.executable).parent / "advisor"), help="the advisor script"
    )
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats to measure")
    parser.add_argument("--clean-venv", action="store_true", help="measure the built wheel in a fresh venv")
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    if args.clean_venv:
        with tempfile.TemporaryDirectory() as folder:
            ok = measure(str(clean_venv(Path(folder))), args.pairs, formats)
    else:
        ok = measure(args.advisor, args.pairs, formats)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
