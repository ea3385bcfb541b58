"""benchmarks/setfit.py: the resume key and the README table it renders (its runs themselves are hours of CPU)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def row(dataset, n, seed, acc, seconds, threads=1, cpu=100.0):
    return {"dataset": dataset, "examples": n, "seed": seed, "test_accuracy": acc, "seconds": seconds,
            "cpu_seconds": cpu, "threads": threads}  # fmt: skip


def test_render_puts_the_runs_beside_the_reference_figures(load_benchmark):
    bench = load_benchmark("setfit")
    here = [
        {"phase": "finetune", "dataset": "mr", "examples": 500, "seed": 0, "test_accuracy": 0.692, "train_seconds": 399},
        {"phase": "finetune", "dataset": "mr", "examples": 500, "seed": 1, "test_accuracy": 0.718, "train_seconds": 804},
        {"phase": "heads", "dataset": "mr", "examples": 500, "head": "lr", "test_accuracy": 0.661, "train_seconds": 21.3},
        {"phase": "heads", "dataset": "mr", "examples": 500, "head": "cnn", "test_accuracy": 0.712, "train_seconds": 34},
    ]  # fmt: skip
    table = bench.render(
        [
            row("trec", 50, 0, 76.2, 1978.2, threads=2),
            row("mr", 100, 0, 70.0, 400.4),
            row("mr", 100, 1, 72.0, 380),
        ],
        here,
    )
    lines = table.splitlines()
    assert lines[0].startswith(
        "| dataset | n | SetFit here | wall s per run | CPU s per run | SetFit (setfit.md)"
    )
    assert (
        "| trec | 50 | 76.2±0.0 (1) | 1978 with 2 threads | 100 | - | 62.6±7.2 (3) | 54.5±5.9 (3) | - | - |"
        in lines
    )
    assert (
        "| mr | 100 | 71.0±1.4 (2) | 380-400 | 100 | 70.4±3.0 (2) | 64.6±6.0 (3) | 62.7±4.6 (3) | - | - |"
        in lines
    )
    # this machine's MiniLM (finetune.jsonl): fine-tuning over its seeds, the frozen encoder's logistic head only
    assert (
        "| mr | 500 | - | - | - | - | 73.0±2.6 (3) | 70.7±1.7 (3) | 70.5±1.8 (2); 399-804 s | 66.1; 21 s |"
        in lines
    )
    assert len(lines) == 2 + 12  # three datasets x four sizes


def test_the_plan_starts_with_one_seed_of_every_size(load_benchmark):
    bench = load_benchmark("setfit")
    assert bench.PLAN[:4] == ((50, 0), (100, 0), (250, 0), (500, 0))
    assert {n for n, _ in bench.PLAN} == {50, 100, 250, 500} and len(set(bench.PLAN)) == len(bench.PLAN) == 12
