"""The built wheel, installed into a clean venv, runs `advisor` (slow: builds a wheel and a venv once per module).

The venv gets the wheel (its dependencies from the package index) and the tiny entry-point plugin under
``tests/plugin_pkg``; the source trees are copied to a temporary folder first so that building never writes
into the working tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from advisor.render import render_prompt

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PLUGIN_PKG = Path(__file__).resolve().parent / "plugin_pkg"
SOURCES = ("advisor", "rules", "baselines", "prompts", "pyproject.toml", "README.md", "LICENSE")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
PHONE = ["recommend", "--examples", "300", "--deploy", "phone", "--latency-ms", "5", "--format", "json"]


def _run(cmd, *, cwd, env=None, timeout=600):
    out = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, (
        f"{cmd} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    )
    return out


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no test switches, no plugin narrowing, nothing on PYTHONPATH."""
    drop = {
        "ADVISOR_NO_ENTRY_POINTS",
        "ADVISOR_LOAD_PLUGINS",
        "ADVISOR_DISABLE_PLUGINS",
        "PYTHONPATH",
        "VIRTUAL_ENV",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=IGNORE)
        elif path.is_file():
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, src], cwd=src, env=_clean_env())
    (built,) = dist.glob("text_encoder_advisor-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A clean venv with the wheel and the entry-point plugin installed; returns its bin folder."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", root / "v"], cwd=root)
    bin_ = root / "v" / "bin"
    plugin_src = root / "plugin_pkg"
    shutil.copytree(PLUGIN_PKG, plugin_src, ignore=IGNORE)
    env = _clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1")
    _run([bin_ / "python", "-m", "pip", "install", "-q", wheel], cwd=root, env=env)
    _run([bin_ / "python", "-m", "pip", "install", "-q", "--no-deps", plugin_src], cwd=root, env=env)
    return bin_


def advisor(venv: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    # cwd: an empty folder, so neither the working tree nor its pyproject.toml is in reach
    cwd = venv.parent.parent
    return _run([venv / "advisor", *args], cwd=cwd, env=_clean_env(**env), timeout=120)


def test_wheel_has_one_namespace_and_ships_templates_and_rules(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert not {"rules", "baselines", "prompts"} & tops, sorted(tops)
    assert {t for t in tops if not t.endswith(".dist-info")} == {"advisor"}
    templates = {p.name for p in (REPO / "prompts").glob("*.j2")}
    assert templates and {f"advisor/prompts/{t}" for t in templates} <= set(names)
    rules = {p.name for p in (REPO / "rules").glob("*.py")}
    assert {f"advisor/rules/{r}" for r in rules} <= set(names)
    assert {f"advisor/schemas/{s}.json" for s in ("profile", "recommendation", "answer", "evidence")} <= set(
        names
    )
    top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    for path in top_level:
        assert zipfile.ZipFile(wheel).read(path).decode().split() == ["advisor"]


def test_installed_wheel_recommends(venv):
    doc = json.loads(advisor(venv, *PHONE).stdout)
    assert doc["architecture"] == "ngram-static-linear"
    assert doc["schema_version"] == 1
    assert "TEP201" in [f["rule"] for f in doc["flags"]]


def test_installed_wheel_renders_the_prompt(venv):
    assert advisor(venv, "prompt").stdout == render_prompt()


def test_installed_wheel_has_no_torch(venv):
    out = _run([venv / "python", "-c", "import importlib.util as u; print(u.find_spec('torch'))"], cwd=venv)
    assert out.stdout.strip() == "None"


def test_entry_point_plugin_is_loaded(venv):
    rules = advisor(venv, "rules").stdout
    assert "TEP900  team-rule" in rules and " team-rule " in rules
    explained = advisor(venv, "recommend", "--examples", "300", "--explain").stdout
    assert "[TEP900 team-rule] team rule saw 300 examples" in explained
    assert "TEP900  flag" in explained and "(team-rule)" in explained
    doc = json.loads(advisor(venv, *PHONE).stdout)
    assert doc["plugins"][-1] == "team-rule"
    assert {
        "rule": "TEP900",
        "name": "team-rule",
        "severity": "flag",
        "message": "team rule saw 300 examples",
    } in doc["flags"]


@pytest.mark.parametrize(
    "env",
    [
        {"ADVISOR_DISABLE_PLUGINS": "team-rule"},
        {"ADVISOR_LOAD_PLUGINS": ""},
        {"ADVISOR_LOAD_PLUGINS": "someone-else"},
    ],
)
def test_entry_point_plugin_can_be_blocked(venv, env):
    assert "TEP900" not in advisor(venv, "rules", **env).stdout
    doc = json.loads(advisor(venv, *PHONE, **env).stdout)
    assert "team-rule" not in doc["plugins"]
    assert not [t for t in doc["trace"] if t["rule"] == "TEP900"]
    # the built-in rules are never switched off
    assert "TEP201" in [f["rule"] for f in doc["flags"]]


def test_load_plugins_names_the_plugin(venv):
    doc = json.loads(advisor(venv, *PHONE, ADVISOR_LOAD_PLUGINS="team-rule").stdout)
    assert doc["plugins"][-1] == "team-rule"
