"""How long the studies take: each ``advisor study NAME --quick`` timed here, and the full runs' own figures.

Usage::

    python benchmarks/studies.py                 # time the quick studies (a few minutes), read the full ones
    python benchmarks/studies.py --skip-quick    # only read the full runs' figures from outputs/studies/

The quick studies run in a subprocess each (``advisor study NAME --quick --out <tmp>``: the wall time includes
the interpreter and torch import, as CI sees it). The full runs are not rerun: their ``results.json`` records
the seconds they took (``seconds``) and the settings. Writes ``benchmarks/results/studies.json`` and prints a
markdown table. Times are from a shared 2-core CPU with torch single-threaded; the 1-minute load average is
recorded beside each quick figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from advisor.vocabulary import STUDIES

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "outputs" / "studies"
OUT = ROOT / "benchmarks" / "results" / "studies.json"


def time_quick(name: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "advisor", "study", name, "--quick", "--out", str(Path(tmp) / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"advisor study {name} --quick failed:\n{proc.stderr[-2000:]}")
    return {"seconds": round(seconds, 1), "load_1min": round(os.getloadavg()[0], 2)}


def full_figures(name: str) -> dict | None:
    path = FULL / name / "results.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {"seconds": doc["seconds"], "command": doc["command"], "created": doc["created"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-quick", action="store_true", help="do not time the quick studies")
    args = parser.parse_args(argv)
    rows = {}
    for name in STUDIES:
        rows[name] = {
            "quick": None if args.skip_quick else time_quick(name),
            "full": full_figures(name),
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print("| study | --quick (s, wall) | full run (s) | full command |")
    print("| :-- | --: | --: | :-- |")
    for name, row in rows.items():
        quick = "-" if row["quick"] is None else f"{row['quick']['seconds']:.0f}"
        full = row["full"]
        seconds = "-" if full is None else f"{full['seconds']:.0f}"
        command = "not run" if full is None else f"`{full['command']}`"
        print(f"| {name} | {quick} | {seconds} | {command} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
