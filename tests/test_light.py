"""The light path stays light: the CLI and recommend() never import torch or numpy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("torch", "numpy", "sklearn", "matplotlib")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import advisor.cli
    from click.testing import CliRunner
    from advisor import ConstraintProfile, recommend

    r = recommend(ConstraintProfile(examples=300, deploy="phone", latency_ms=5))
    assert r.architecture == "ngram-static-linear", r.architecture
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


def test_recommend_json_loads_no_template_engine(tmp_path):
    """`--format json` renders no template, so jinja2 stays unimported (the cold start: benchmarks/cold_start.py)."""
    code = textwrap.dedent(
        """
        import sys
        from advisor.cli import cli
        cli(["recommend", "--examples", "300", "--deploy", "phone", "--format", "json"], standalone_mode=False)
        print(sorted({m.split(".")[0] for m in sys.modules} & {"jinja2", "torch", "numpy"}), file=sys.stderr)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["architecture"] == "ngram-static-linear"
    assert out.stderr.strip().splitlines()[-1] == "[]"
