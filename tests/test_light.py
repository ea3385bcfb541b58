"""The light path stays light: the CLI and recommend() never import torch or numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("torch", "numpy", "sklearn", "matplotlib")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import advisor.cli
    from click.testing import CliRunner
    from advisor import ConstraintProfile, recommend

    r = recommend(ConstraintProfile(examples=300, deploy="phone", latency_ms=5))
    assert r.architecture == "ngram-linear", r.architecture
    for args in (["recommend", "--examples", "300", "--deploy", "phone", "--latency-ms", "5", "--format", "json"],
                 ["recommend", "--examples", "300", "--explain"],
                 ["recommend", "--examples", "300", "--format", "markdown"],
                 ["prompt", "--examples", "300"], ["rules"], ["rules", "explain", "TEP101"], ["schema", "evidence"]):
        result = CliRunner().invoke(advisor.cli.cli, args)
        assert result.exit_code == 0, (args, result.output)
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})))
    """
)


def test_cli_and_recommend_never_import_heavy_modules():
    code = SCRIPT.replace("{heavy!r}", repr(set(HEAVY)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_import_advisor_is_cheap():
    code = "import sys, advisor; print(sorted(m for m in sys.modules if m.startswith(('advisor.', 'jinja2', 'pluggy'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    # the package root exposes ConstraintProfile and hookimpl; the engine and templates load on first use
    assert "advisor.engine" not in out.stdout and "jinja2" not in out.stdout


JSON_PATH = textwrap.dedent(
    """
    import json, sys
    from advisor.cli import cli
    from advisor.engine import _entry_points_possible
    cli(["recommend", "--examples", "300", "--deploy", "phone", "--latency-ms", "5", "--format", "json"],
        standalone_mode=False)
    modules = sorted({m.split(".")[0] for m in sys.modules} & {"pydantic", "pydantic_core", "jinja2"})
    print(json.dumps([modules, "importlib.metadata" in sys.modules, _entry_points_possible()]), file=sys.stderr)
    """
)


@pytest.mark.parametrize("entry_points", [False, True], ids=["no-entry-points", "entry-points-scanned"])
def test_recommend_json_builds_no_pydantic_model_and_loads_no_template(tmp_path, entry_points):
    """The cold-start path (benchmarks/cold_start.py): `recommend --format json` on a plain profile imports
    neither pydantic nor jinja2 (unless a third-party plugin is loaded: plugins always get a ConstraintProfile),
    and importlib.metadata only when an installed distribution may declare an advisor entry point."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    if not entry_points:
        env["ADVISOR_NO_ENTRY_POINTS"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", JSON_PATH],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["architecture"] == "ngram-linear"
    heavy, metadata_imported, plugins_possible = json.loads(out.stderr.strip().splitlines()[-1])
    from advisor.engine import DEFAULT_PLUGINS

    if doc["plugins"] == list(DEFAULT_PLUGINS):  # no third-party plugin installed (or none loaded)
        assert heavy == []
    assert metadata_imported is (entry_points and plugins_possible)


def _scan(tmp_path, monkeypatch, entry_points: str | None, *, meta_path=None, extra_path=()):
    site = tmp_path / "site"
    (site / "some_dist-1.0.dist-info").mkdir(parents=True, exist_ok=True)
    (site / "other-2.0.egg-info").write_text("Name: other\n")  # an egg-info file: no entry points
    if entry_points is not None:
        (site / "some_dist-1.0.dist-info" / "entry_points.txt").write_text(entry_points)
    monkeypatch.setattr(sys, "path", [str(site), str(tmp_path / "missing"), *extra_path])
    if meta_path is not None:
        monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, meta_path])
    from advisor.engine import _entry_points_possible

    return _entry_points_possible()


@pytest.mark.parametrize(
    ("text", "possible"),
    [
        (None, False),
        (
            "[console_scripts]\nadvisor = advisor.cli:cli\n\n[llm]\nadvisor = advisor.agents.llm_plugin\n",
            False,
        ),
        ("[advisor]\nteam-rule = team_rule\n", True),
        ("  [ advisor ]  \nx = y\n", True),  # not the group importlib.metadata reads, but no guessing
        ("[Advisor.extra]\nx = y\n", True),
    ],
)
def test_entry_point_prescan(tmp_path, monkeypatch, text, possible):
    assert _scan(tmp_path, monkeypatch, text) is possible


def test_entry_point_prescan_defers_to_importlib_metadata_where_unsure(tmp_path, monkeypatch):
    (tmp_path / "plugins.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    assert _scan(tmp_path, monkeypatch, None, extra_path=[str(tmp_path / "plugins.zip")]) is True
    monkeypatch.undo()
    assert _scan(tmp_path, monkeypatch, None, extra_path=[str(tmp_path / "x.egg")]) is True
    monkeypatch.undo()

    class Finder:
        @staticmethod
        def find_distributions(context=None):
            return []

    assert _scan(tmp_path, monkeypatch, None, meta_path=Finder) is True
