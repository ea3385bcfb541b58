"""The vanishing-gradient study (the lesson's step 3): the lesson's ``0.9 ** 100 ≈ 2.7e-5`` beside measured
gradients.

Cells: a plain tanh RNN, an LSTM with PyTorch's default initialisation (every weight and both bias vectors drawn
from U(±1/√hidden), so the forget bias averages 0), the same LSTM with forget bias 1 (Jozefowicz et al. 2015:
the forget slice of ``b_ih`` set to 1 and that of ``b_hh`` to 0; PyTorch orders the gates i, f, g, o), and a GRU;
one layer each, reading token embeddings, classifying from the state after the last token.

The task (the lesson's toy): does token A appear anywhere in the sequence? Tokens are drawn uniformly from a
small vocabulary without A; a positive sequence (half of them) has A at a random position among the first
``A_WITHIN`` steps. The answer has to be carried from the start to the last state, across the whole length.

Measured, for each cell and length L from 10 to 1,000:
- ‖∂L/∂h_1‖: the cross-entropy at the last step, differentiated with respect to the first hidden state
  (the state after token 1; for the LSTM its h, the cell state c_1 held as a separate input), per example
  (each example's loss depends only on its own h_1), median over a batch; in float64 so that small values do
  not underflow (a value below float64's range is stored as 0 and reported as "< 1e-323"). At initialisation (median over the seeds)
  and after training at that length (the first seed).
- Test accuracy on fresh sequences after at most ``train_steps`` Adam steps at that length (stopping early once the mean loss of the last 25 steps is below 0.01).
- Training time per step (median over the steps), the recurrence's sequential cost.
- For the RNN at initialisation: the largest singular value of W_hh against 1/γ (Pascanu et al. 2013: with
  γ bounding |tanh'|, γ = 1, σ_max(W_hh) < 1/γ is sufficient for the gradient to vanish) and the spectral
  radius of W_hh.
The lesson's line 0.9^L is drawn beside the measurements; each cell's per-step factor is fitted from its
init measurements (the slope of log ‖∂L/∂h_1‖ against L).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from .common import DataRef, Request, Strict, StudyResults, Unit, run_units, study_versions, table

CELLS = ("rnn", "lstm", "lstm-forget1", "gru")
LABELS = {
    "rnn": "tanh RNN",
    "lstm": "LSTM (default init)",
    "lstm-forget1": "LSTM (forget bias 1)",
    "gru": "GRU",
}
A_TOKEN = 1  # token A; the other tokens are 2 .. vocab-1 (0 is unused, as <pad> elsewhere)
A_WITHIN = 5  # A sits among the first A_WITHIN steps
LESSON_FACTOR = 0.9
SOLVED = 0.9  # the toy task counts as solved at a length from this test accuracy
SOLVED_WINDOW, SOLVED_LOSS = 25, 0.01  # training stops early once the last 25 steps' mean loss is below 0.01


@dataclass(frozen=True)
class Settings:
    lengths: tuple[int, ...]  # sequence lengths
    seeds: int  # initialisations measured per cell and length (training uses the first)
    vocab: int  # token ids 0..vocab-1
    embed_dim: int  # token vector size
    hidden_size: int  # recurrent state size
    batch_size: int  # sequences per training step and per gradient measurement
    train_steps: int  # Adam steps at each length (at most: training stops once the task is solved)
    lr: float  # Adam learning rate
    grad_clip: float  # max global gradient norm while training
    test_size: int  # fresh sequences for the accuracy


QUICK = Settings(
    lengths=(10, 30, 100),
    seeds=2,
    vocab=10,
    embed_dim=8,
    hidden_size=16,
    batch_size=16,
    train_steps=40,
    lr=1e-2,
    grad_clip=1.0,
    test_size=128,
)
FULL = Settings(
    lengths=(10, 30, 100, 300, 1000),
    seeds=3,
    vocab=10,
    embed_dim=16,
    hidden_size=32,
    batch_size=32,
    train_steps=1500,
    lr=1e-2,
    grad_clip=1.0,
    test_size=512,
)


class Run(Strict):
    cell: Literal[CELLS]  # type: ignore[valid-type]
    length: int
    grad_init: list[float] = Field(description="median ‖∂L/∂h_1‖ at initialisation, one per seed")
    grad_trained: float = Field(description="median ‖∂L/∂h_1‖ after training at this length (first seed)")
    accuracy: float = Field(description="test accuracy after training")
    ms_per_step: float = Field(description="median training step time, milliseconds")
    train_loss: float = Field(description="mean loss over the last tenth of the steps")


class Spectrum(Strict):
    seed: int
    sigma_max: float = Field(description="largest singular value of W_hh")
    spectral_radius: float = Field(description="largest |eigenvalue| of W_hh")


class GradientResults(StudyResults):
    study: Literal["vanishing-gradient"] = "vanishing-gradient"
    runs: list[Run]
    rnn_spectrum: list[Spectrum]
    inverse_gamma: float = Field(description="1/γ for tanh: γ = max |tanh'| = 1")


# -- the model and the task ------------------------------------------------------------------------
def make_model(cell: str, s: Settings, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "lstm-forget1": nn.LSTM, "gru": nn.GRU}[cell]

    class SeqClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(s.vocab, s.embed_dim)
            self.rnn = kind(s.embed_dim, s.hidden_size, batch_first=True)
            self.out = nn.Linear(s.hidden_size, 2)

        def forward(self, tokens):
            # tokens: (batch_size, seq_len) -> logits (batch_size, 2), from the state after the last token
            out, _ = self.rnn(self.embedding(tokens))
            return self.out(out[:, -1])

    model = SeqClassifier()
    if cell == "lstm-forget1":
        h = s.hidden_size
        with torch.no_grad():
            model.rnn.bias_ih_l0[h : 2 * h] = 1.0  # gate order i, f, g, o
            model.rnn.bias_hh_l0[h : 2 * h] = 0.0
    return model


def make_batch(n: int, length: int, s: Settings, generator):
    """``n`` sequences of ``length`` tokens and their labels (1: A appears), half of each, shuffled."""
    import torch

    tokens = torch.randint(2, s.vocab, (n, length), generator=generator)
    labels = torch.randperm(n, generator=generator) % 2
    where = torch.randint(0, min(A_WITHIN, length), (n,), generator=generator)
    pos = labels.nonzero().squeeze(1)
    tokens[pos, where[pos]] = A_TOKEN
    return tokens, labels


def first_state_grad(model, tokens, labels) -> float:
    """Median over the batch of ‖∂loss/∂h_1‖ (float64), loss the cross-entropy from the last state."""
    import copy

    import torch
    import torch.nn.functional as F

    m = copy.deepcopy(model).double()
    x = m.embedding(tokens)
    _, state1 = m.rnn(x[:, :1])  # the state after token 1: h (num_layers, batch, hidden), LSTM (h, c)
    if isinstance(state1, tuple):
        h1 = state1[0].detach().requires_grad_(True)
        init = (h1, state1[1].detach())
    else:
        h1 = state1.detach().requires_grad_(True)
        init = h1
    out, _ = m.rnn(x[:, 1:], init) if tokens.shape[1] > 1 else (h1.transpose(0, 1), None)
    loss = F.cross_entropy(m.out(out[:, -1]), labels, reduction="sum")
    (grad,) = torch.autograd.grad(loss, h1)
    return float(grad[0].norm(dim=1).median())


def spectrum(model) -> tuple[float, float]:
    import torch

    w = model.rnn.weight_hh_l0.detach().double()
    return float(torch.linalg.matrix_norm(w, 2)), float(torch.linalg.eigvals(w).abs().max())


def train_at(model, length: int, s: Settings, seed: int) -> dict:
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed * 7919 + length)
    opt = torch.optim.Adam(model.parameters(), lr=s.lr)
    times, losses = [], []
    model.train()
    for _ in range(s.train_steps):
        if len(losses) >= SOLVED_WINDOW and np.mean(losses[-SOLVED_WINDOW:]) < SOLVED_LOSS:
            break  # solved: the rest of the budget would only time more steps
        tokens, labels = make_batch(s.batch_size, length, s, gen)
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s.grad_clip)
        opt.step()
        times.append(time.perf_counter() - t)
        losses.append(loss.item())
    model.eval()
    tokens, labels = make_batch(s.test_size, length, s, torch.Generator().manual_seed(10**6 + length))
    with torch.no_grad():
        acc = float((model(tokens).argmax(1) == labels).float().mean())
    tail = losses[-max(1, len(losses) // 10) :]
    return {
        "accuracy": acc,
        "ms_per_step": 1000 * float(np.median(times)),
        "train_loss": float(np.mean(tail)),
    }


# -- analysis --------------------------------------------------------------------------------------
def _runs(results: GradientResults, cell: str) -> list[Run]:
    return sorted((r for r in results.runs if r.cell == cell), key=lambda r: r.length)


def init_median(r: Run) -> float:
    return float(np.median(r.grad_init))


def per_step_factor(points: list[tuple[int, float]]) -> float | None:
    """exp(slope) of log ‖∂L/∂h_1‖ against L, over the positive points; None with fewer than two."""
    pos = [(length, g) for length, g in points if g > 0]
    if len(pos) < 2:
        return None
    slope = np.polyfit([p[0] for p in pos], [math.log(p[1]) for p in pos], 1)[0]
    return float(math.exp(slope))


def _g(x: float) -> str:
    return "< 1e-323" if x == 0 else f"{x:.2g}"  # 0 in float64: below its smallest subnormal


def findings(results: GradientResults) -> list[str]:
    lengths = sorted({r.length for r in results.runs})
    short, long_ = lengths[0], lengths[-1]
    lines = [
        f"The lesson's arithmetic: 0.9^100 = {LESSON_FACTOR**100:.2g}"
        + (f"; over {long_} steps 0.9^{long_} = {LESSON_FACTOR**long_:.2g}." if long_ != 100 else ".")
    ]
    factors = {}
    for cell in CELLS:
        rs = _runs(results, cell)
        factors[cell] = per_step_factor([(r.length, init_median(r)) for r in rs])
    described = []
    for cell in CELLS:
        rs = _runs(results, cell)
        g0, g1 = init_median(rs[0]), init_median(rs[-1])
        ratio = _g(g1)
        f = factors[cell]
        rate = "" if f is None else f", about {f:.3f} per step"
        described.append(f"{LABELS[cell]} from {g0:.2g} at L={short} to {ratio} at L={long_}{rate}")
    lines.append("At initialisation ‖∂L/∂h_1‖ falls: " + "; ".join(described) + ".")
    order = sorted((c for c in CELLS if factors[c] is not None), key=lambda c: factors[c])
    slower = [LABELS[c] for c in order if factors[c] > LESSON_FACTOR]
    faster = [LABELS[c] for c in order if factors[c] <= LESSON_FACTOR]
    if faster and not slower:
        lines.append(f"Every cell loses gradient faster than the lesson's 0.9 per step: {', '.join(faster)}.")
    elif slower and not faster:
        lines.append(f"Every cell keeps more gradient than the lesson's 0.9 per step: {', '.join(slower)}.")
    elif order:
        lines.append(
            f"Faster than the lesson's 0.9 per step: {', '.join(faster)}; more slowly: {', '.join(slower)}."
        )
    fb, dflt = factors.get("lstm-forget1"), factors.get("lstm")
    if fb is not None and dflt is not None:
        g_fb, g_d = init_median(_runs(results, "lstm-forget1")[-1]), init_median(_runs(results, "lstm")[-1])
        better = g_fb > g_d
        ratio = "" if g_d == 0 or g_fb == 0 else f", a ratio of {g_fb / g_d:.2g}"
        lines.append(
            f"Forget bias 1 {'keeps more' if better else 'does not keep more'} gradient than the default init at "
            f"L={long_} ({_g(g_fb)} against {_g(g_d)}{ratio}; fitted per step {fb:.3f} against {dflt:.3f})."
        )
    sig = np.mean([sp.sigma_max for sp in results.rnn_spectrum])
    rho = np.mean([sp.spectral_radius for sp in results.rnn_spectrum])
    holds = sig < results.inverse_gamma
    lines.append(
        f"The tanh RNN at initialisation: σ_max(W_hh) = {sig:.3f} "
        f"{'<' if holds else '≥'} 1/γ = {results.inverse_gamma:g}, so Pascanu's sufficient condition for vanishing "
        f"{'holds' if holds else 'does not hold'}; the spectral radius is {rho:.3f}"
        + (
            ", below 1, and the measured gradient vanishes anyway (the condition is sufficient, not necessary)."
            if not holds and rho < 1
            else "."
        )
    )
    solved = []
    for cell in CELLS:
        ok = [r.length for r in _runs(results, cell) if r.accuracy >= SOLVED]
        solved.append(f"{LABELS[cell]} {'up to L=' + str(max(ok)) if ok else 'at no length'}")
    lines.append(
        f"The toy task (is A, placed in the first {A_WITHIN} steps, anywhere in the sequence; chance 50%), after "
        f"at most {results.config['settings']['train_steps']} training steps, is solved (test accuracy ≥ {SOLVED:.0%}) by "
        + "; ".join(solved)
        + "."
    )
    trained = []
    for cell in CELLS:
        rs = _runs(results, cell)
        trained.append(f"{LABELS[cell]} {_g(rs[-1].grad_trained)} (init {_g(init_median(rs[-1]))})")
    lines.append(f"After training, ‖∂L/∂h_1‖ at L={long_}: " + "; ".join(trained) + ".")
    costs = []
    for cell in CELLS:
        rs = _runs(results, cell)
        costs.append(
            f"{LABELS[cell]} {rs[0].ms_per_step:.1f} ms at L={short}, {rs[-1].ms_per_step:.0f} ms at L={long_}"
        )
    per = np.mean([_runs(results, c)[-1].ms_per_step / _runs(results, c)[0].ms_per_step for c in CELLS])
    lines.append(
        "The sequential cost: a training step takes "
        + "; ".join(costs)
        + f", {per:.0f} times as long for {long_ // short} times the length on average: the steps run one after "
        "another, whatever the hardware."
    )
    return lines


def report(results: GradientResults) -> str:
    s = results.config["settings"]
    lengths = sorted({r.length for r in results.runs})
    head = ["cell"] + [f"L={n}" for n in lengths]

    def rows(value: Callable[[Run], str]) -> list[list[str]]:
        return [[LABELS[c]] + [value(r) for r in _runs(results, c)] for c in CELLS]

    lesson = [["0.9^L (the lesson)"] + [f"{LESSON_FACTOR**n:.2g}" for n in lengths]]
    spec_rows = [
        [sp.seed, f"{sp.sigma_max:.3f}", f"{results.inverse_gamma:g}", f"{sp.spectral_radius:.3f}"]
        for sp in results.rnn_spectrum
    ]
    return "\n".join(
        [
            "# Study: vanishing gradients in recurrent cells",
            "",
            *[line + "\n" for line in findings(results)],
            "## ‖∂L/∂h_1‖ at initialisation (median over seeds and a batch)",
            "",
            table(head, rows(lambda r: _g(init_median(r))) + lesson),
            "",
            "## ‖∂L/∂h_1‖ after training at that length",
            "",
            table(head, rows(lambda r: _g(r.grad_trained))),
            "",
            "## Toy task accuracy after training (does token A appear?)",
            "",
            table(head, rows(lambda r: f"{100 * r.accuracy:.0f}%")),
            "",
            "## Training time per step (ms, median)",
            "",
            table(head, rows(lambda r: f"{r.ms_per_step:.1f}")),
            "",
            "## The tanh RNN's W_hh at initialisation",
            "",
            table(["seed", "σ_max(W_hh)", "1/γ", "spectral radius"], spec_rows),
            "",
            "## How it was run",
            "",
            f"- One layer, embedding {s['embed_dim']}, hidden {s['hidden_size']}, vocabulary {s['vocab']} (A and "
            f"{s['vocab'] - 2} others); at most {s['train_steps']} Adam steps, stopping once solved (lr {s['lr']:g}, batch {s['batch_size']}, "
            f"clipping {s['grad_clip']:g}) at each length; accuracy on {s['test_size']} fresh sequences; gradients "
            f"in float64; seeds {results.seeds} (training: seed {results.seeds[0]}). torch single-threaded; step "
            "times were measured on a shared CPU.",
            f"- {'Quick settings (CI-sized; not a result).' if results.quick else 'Full settings.'} "
            f"Took {results.seconds:.0f} s.",
            f"- Reproduce: `{results.command}`",
            "",
            "![gradient norm against length](gradient_norm.png)",
            "",
            "![toy task accuracy against length](toy_accuracy.png)",
            "",
            "![training time per step against length](step_time.png)",
            "",
        ]
    )


def plot_gradients(results: GradientResults, path: Path) -> None:
    from ..plots import figure, save_figure

    fig = figure(7, 4.6)
    ax = fig.add_subplot()
    lengths = sorted({r.length for r in results.runs})
    for cell in CELLS:
        rs = _runs(results, cell)
        (line,) = ax.plot(
            [r.length for r in rs if init_median(r) > 0],
            [init_median(r) for r in rs if init_median(r) > 0],
            marker="o",
            label=f"{LABELS[cell]}, init",
        )
        ax.plot(
            [r.length for r in rs if r.grad_trained > 0],
            [r.grad_trained for r in rs if r.grad_trained > 0],
            marker="x",
            linestyle="--",
            color=line.get_color(),
            label=f"{LABELS[cell]}, trained",
        )
    xs = np.geomspace(lengths[0], lengths[-1], 50)
    ax.plot(xs, LESSON_FACTOR**xs, color="black", linestyle=":", label="0.9^L (the lesson)")
    _length_axis(ax, lengths)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length L")
    ax.set_ylabel("‖∂L/∂h_1‖ (median)")
    ax.set_title(
        "tanh RNN, LSTM, GRU: gradient reaching the first hidden state vs length\n"
        f"(toy task 'does A appear', hidden {results.config['settings']['hidden_size']}; init and trained)",
        fontsize=10,
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_figure(fig, path)


def _length_axis(ax, lengths: list[int]) -> None:
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(lengths, [str(n) for n in lengths])


def _plot_per_length(
    results: GradientResults, path: Path, value, ylabel: str, title: str, log_y: bool
) -> None:
    from ..plots import figure, save_figure

    fig = figure(6.5, 4.2)
    ax = fig.add_subplot()
    for cell in CELLS:
        rs = _runs(results, cell)
        ax.plot([r.length for r in rs], [value(r) for r in rs], marker="o", label=LABELS[cell])
    _length_axis(ax, sorted({r.length for r in results.runs}))
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("sequence length L")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """One unit, a (cell, length): the gradient at init for every seed, then train (first seed) and measure."""
    import torch

    cell, length, seed_list, s = spec["cell"], spec["length"], spec["seeds"], spec["settings"]
    grads = []
    for seed in seed_list:
        model = make_model(cell, s, seed)
        gen = torch.Generator().manual_seed(2**20 + seed * 1000 + length)
        grads.append(first_state_grad(model, *make_batch(s.batch_size, length, s, gen)))
    model = make_model(cell, s, seed_list[0])
    trained = train_at(model, length, s, seed_list[0])
    gen = torch.Generator().manual_seed(2**21 + length)
    after = first_state_grad(model, *make_batch(s.batch_size, length, s, gen))
    return {"grad_init": grads, "grad_trained": after, **trained}


def run(req: Request) -> tuple[GradientResults, str, dict[str, Callable[[Path], object]]]:
    """Measure every (cell, length) (a unit each, :func:`measure`); the RNN's spectrum at init; report."""
    t0 = time.perf_counter()
    s, seed_list = req.pick(QUICK, FULL)
    n_seeds = len(seed_list)
    units = []
    for cell in CELLS:
        for length in s.lengths:
            settings = {"study": "vanishing-gradient", "cell": cell, "length": length, "seeds": seed_list}
            settings |= {k: v for k, v in asdict(s).items() if k != "lengths" and k != "seeds"}
            spec = {"cell": cell, "length": length, "seeds": seed_list, "settings": s}
            units.append(Unit(settings, spec, f"{cell}, L={length}"))
    done, hosts = run_units(req, measure, units)
    runs = [
        Run(cell=u.spec["cell"], length=u.spec["length"], **result)
        for u, result in zip(units, done, strict=True)
    ]
    spectra = []
    for seed in seed_list:
        sigma, rho = spectrum(make_model("rnn", s, seed))
        spectra.append(Spectrum(seed=seed, sigma_max=sigma, spectral_radius=rho))
    ref = DataRef(
        role="synthetic",
        name="does token A appear",
        train=f"{__name__}.make_batch (vocabulary {s.vocab}, A within the first {A_WITHIN} steps)",
        test=None,
        fingerprint="generated: seeded by (seed, length)",
        examples={"train": s.train_steps * s.batch_size, "dev": 0, "test": s.test_size},
    )
    results = GradientResults(
        quick=req.quick,
        executor=req.executor,
        hosts=hosts,
        command=req.command,
        versions=study_versions(),
        seeds=seed_list,
        data=[ref],
        config={"settings": asdict(s) | {"seeds": n_seeds}, "cells": {c: LABELS[c] for c in CELLS}},
        seconds=round(time.perf_counter() - t0, 1),
        runs=runs,
        rnn_spectrum=spectra,
        inverse_gamma=1.0,
    )
    return results, report(results), plots(results)


def plots(results: GradientResults) -> dict[str, Callable[[Path], object]]:
    s = results.config["settings"]
    return {
        "gradient_norm.png": lambda p: plot_gradients(results, p),
        "toy_accuracy.png": lambda p: _plot_per_length(
            results,
            p,
            lambda r: 100 * r.accuracy,
            "test accuracy (%)",
            "tanh RNN, LSTM, GRU: test accuracy vs length on the toy task\n"
            f"'does token A appear' (A in the first {A_WITHIN} steps; at most {s['train_steps']} training steps)",
            False,
        ),
        "step_time.png": lambda p: _plot_per_length(
            results,
            p,
            lambda r: r.ms_per_step,
            "ms per training step (median)",
            f"tanh RNN, LSTM, GRU: training time per step vs length\n(batch {s['batch_size']}, hidden {s['hidden_size']}, "
            "1 CPU thread)",
            True,
        ),
    }


RESULTS = GradientResults
