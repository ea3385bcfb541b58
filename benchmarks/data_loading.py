"""Load + summarize a 10,000-line JSONL file (what ``advisor recommend --data`` does before the engine runs).

Usage::

    .venv/bin/python benchmarks/data_loading.py [--lines 10000] [--repeat 5]

Prints the median wall time of ``summarize(load_dataset(path))`` over ``--repeat`` runs and the target (<= 2 s
for 10k lines on the development machine; about 0.15 s when it is idle).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from advisor.data import load_dataset, summarize

TARGET_S = 2.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    words = "the quick brown fox jumps over a lazy dog , again and again !".split()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {
                        "text": " ".join(words[(i + k) % len(words)] for k in range(5 + i % 30)),
                        "label": f"c{i % 4}",
                    }
                )
                + "\n"
                for i in range(args.lines)
            ),
            encoding="utf-8",
        )
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            summarize(load_dataset(path))
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"load + summarize of {args.lines:,} lines: median {median:.3f} s over {args.repeat} runs "
        f"(min {min(times):.3f}, max {max(times):.3f}; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"target <= {TARGET_S} s: {'ok' if median <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
