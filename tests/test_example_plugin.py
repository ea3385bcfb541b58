"""The example third-party plugin under examples/sw-ratio-plugin (TEP801, Google's S/W guidance).

The rule's logic is tested in-process (the package imported from its folder, registered as an extra
plugin); the slow test installs the advisor and the plugin into a temporary venv and finds the rule
through the ``advisor`` entry-point group, in ``advisor rules`` and in a recommendation's trace.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from advisor import hookimpl
from advisor.api import recommend
from advisor.engine import Engine
from advisor.profile import ConstraintProfile, DataSummary

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "examples" / "sw-ratio-plugin"


@pytest.fixture(scope="module")
def plugin():
    sys.path.insert(0, str(PLUGIN_DIR))
    try:
        yield importlib.import_module("advisor_sw_ratio")
    finally:
        sys.path.remove(str(PLUGIN_DIR))
        sys.modules.pop("advisor_sw_ratio", None)


@pytest.fixture
def engine(plugin):
    return Engine([plugin])


def tep801(rec) -> list[tuple[str, str]]:
    return [(t.effect, t.reason) for t in rec.trace if t.rule == "TEP801"]


def test_rule_is_registered(engine):
    rule = engine.rules["TEP801"]
    assert (rule.name, rule.severity) == ("sw-ratio", "prefer")
    assert "1,500" in rule.docs and "15,000" in rule.docs


def test_small_ratio_prefers_ngram_with_an_estimate(engine):
    rec = recommend({"examples": 300, "deploy": "phone", "latency_ms": 5}, engine=engine)
    ((effect, reason),) = tep801(rec)
    assert effect == "prefer ngram-linear +5"
    assert reason.startswith("S/W 19 < 1,500 (estimated: examples / (tokens / 2) = 300 / 16, no --data)")
    assert (
        rec.architecture == "ngram-static-linear"
    )  # the built-in policy: TF-IDF + static vector 100, 80 + 5 here
    above = recommend({"examples": 3000, "deploy": "phone"}, engine=engine)
    assert [effect for effect, _ in tep801(above)] == ["prefer ngram-linear +5"]
    assert above.architecture == "textcnn"  # a nudge, not a veto: 90 + 5 < 100


def test_ratio_measured_on_the_data_wins_over_the_estimate(engine):
    data = DataSummary(path="train.jsonl", fingerprint="sha256:" + "0" * 64, sw_ratio=1234.0)
    rec = recommend(ConstraintProfile(examples=300, data=data), engine=engine)
    ((effect, reason),) = tep801(rec)
    assert effect == "prefer ngram-linear +5"
    assert reason.startswith("S/W 1,234 < 1,500 (measured on the data (examples / median words per example))")


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            {"examples": 50_000},
            "S/W 3,125 >= 1,500 (estimated: examples / (tokens / 2) = 50000 / 16, no --data): "
            "the guide favours a sequence model with embeddings learned from the data",
        ),
        (
            {"examples": 4_000, "tokens": 4},
            "S/W 2,000 >= 1,500 (estimated: examples / (tokens / 2) = 4000 / 2, no --data): "
            "the guide favours a sequence model with pretrained embeddings (4,000 samples < 15,000)",
        ),
        (
            {"examples": 300, "task": "tagging"},
            "the S/W guidance is for classification; nothing to do for tagging",
        ),
    ],
    ids=["large-ratio", "pretrained-under-15k", "tagging"],
)
def test_info_otherwise(engine, profile, message):
    rec = recommend(profile, engine=engine)
    assert tep801(rec) == [("info", message)]


class VetoesNgram:
    """Another plugin excludes ngram-linear, whatever the estimates say (at 32 words it is both the smallest
    and the fastest candidate in the measured table, so a budget cannot exclude it alone)."""

    @hookimpl
    def register_rules(self, register):
        register(id="TEP901", name="no-ngram", severity="exclude", summary="No n-gram models.", docs="Docs.")

    @hookimpl
    def exclude_candidates(self, ctx):
        ctx.exclude("ngram-linear", rule="TEP901", reason="the team serves sequence models only")


def test_info_when_ngram_is_excluded(plugin):
    engine = Engine([plugin, VetoesNgram()])
    rec = recommend({"examples": 300, "deploy": "phone", "latency_ms": 5}, engine=engine)
    assert tep801(rec) == [
        (
            "info",
            "S/W 19 < 1,500 (estimated: examples / (tokens / 2) = 300 / 16, no --data), "
            "but ngram-linear is not available",
        )
    ]
    assert rec.architecture == "ngram-static-linear"


# -- installed from its own package, through the entry-point group ----------------------------------------
PROJECT_FILES = ("pyproject.toml", "README.md", "advisor", "rules", "baselines", "prompts")


def _sh(*cmd, env=None, cwd=None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=900)
    assert done.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


@pytest.mark.slow
def test_installed_plugin_shows_in_rules_and_trace(tmp_path):
    # Build both wheels from copies (never in the working tree, which other runs may be building in).
    src = tmp_path / "src"
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, src / name)
    plugin_src = tmp_path / "plugin"
    shutil.copytree(
        PLUGIN_DIR, plugin_src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    )
    wheels = tmp_path / "wheels"
    for folder in (src, plugin_src):  # this venv's setuptools builds them: no isolated build env to download
        _sh(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(folder),
        )

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    advisor_wheel = next(wheels.glob("text_encoder_advisor-*.whl"))
    plugin_wheel = next(wheels.glob("advisor_sw_ratio-*.whl"))
    _sh(str(py), "-m", "pip", "install", "-q", str(advisor_wheel))  # core dependencies from the package index
    _sh(str(py), "-m", "pip", "install", "-q", "--no-deps", str(plugin_wheel))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "PYTHON", "VIRTUAL_ENV"))}
    exe = str(env_dir / "bin" / "advisor")
    rules = _sh(exe, "rules", env=env, cwd=tmp_path)
    line = next(ln for ln in rules.splitlines() if ln.startswith("TEP801"))
    assert line.split()[:4] == ["TEP801", "sw-ratio", "prefer", "sw-ratio"]

    explained = _sh(
        exe,
        "recommend",
        "--examples",
        "300",
        "--deploy",
        "phone",
        "--latency-ms",
        "5",
        "--explain",
        env=env,
        cwd=tmp_path,
    )
    trace = [ln for ln in explained.splitlines() if ln.strip().startswith("TEP801")]
    assert len(trace) == 1 and "prefer ngram-linear +5" in trace[0] and "(sw-ratio)" in trace[0]
    assert "S/W 19 < 1,500 (estimated" in trace[0]

    # The operator's switches narrow entry points only: blocked, the rule is gone and the built-ins stay.
    blocked = _sh(exe, "rules", env={**env, "ADVISOR_DISABLE_PLUGINS": "sw-ratio"}, cwd=tmp_path)
    assert "TEP801" not in blocked and "TEP101" in blocked
