"""Import boundaries that show the architecture (checked on the code, not on a list kept by hand elsewhere):

- the core (the contracts, the engine, the API) and ``advisor/data`` import none of click, jinja2, llm, mcp,
  torch, numpy, and neither does answering a profile with the built-in rules;
- rules import only what ``advisor`` exports for plugins (:data:`PLUGIN_API`, the plugin guide in the README),
  never each other;
- the mechanism (``advisor/``) and the baselines never import a rule module (the engine loads rules by name).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = ("click", "jinja2", "llm", "mcp", "torch", "numpy")
CORE = (
    "advisor",
    "advisor.vocabulary",
    "advisor.errors",
    "advisor.profile",
    "advisor.policy",
    "advisor.candidates",
    "advisor.recipes",
    "advisor.hookspecs",
    "advisor.engine",
    "advisor.evidence",
    "advisor.recommendation",
    "advisor.answers",
    "advisor.api",
    "advisor.contracts",
    "advisor.data",
    "advisor.data.formats",
    "advisor.data.text",
    "advisor.data.split",
    "advisor.data.embeddings",
    "advisor.data.from_file",
    "advisor.data.files",
    "advisor.data.toy",
    "advisor.runtime",  # the torch-free runtime: numpy and onnxruntime only once it runs a graph
)
# What a rule plugin may import from the advisor: the hook marker and the facts rules reason with.
PLUGIN_API = ("advisor", "advisor.hookspecs", "advisor.candidates", "advisor.vocabulary", "advisor.recipes")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_heavy_or_frontend_library(module):
    assert _loaded_after(f"import {module}") == []


def test_answering_a_profile_imports_no_heavy_or_frontend_library():
    code = (
        "import os; os.environ['ADVISOR_NO_ENTRY_POINTS'] = '1'\n"
        "from advisor import ConstraintProfile, recommend\n"
        "rec = recommend(ConstraintProfile(examples=300, deploy='phone', latency_ms=5))\n"
        "rec.model_dump_json()"
    )
    assert _loaded_after(code) == []


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.append("." * node.level + (node.module or ""))
    return out


RULE_FILES = sorted((REPO / "rules").glob("*.py"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_import_only_the_plugin_api(path):
    advisor_imports = [m for m in _imports(path) if m.startswith(("advisor", "."))]
    bad = [m for m in advisor_imports if m not in PLUGIN_API]
    assert not bad, f"rules/{path.name} imports {bad}; a rule may import only {', '.join(PLUGIN_API)}"


@pytest.mark.parametrize(
    "path",
    sorted([*(REPO / "advisor").rglob("*.py"), *(REPO / "baselines").glob("*.py")]),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_mechanism_and_baselines_import_no_rule_module(path):
    bad = [m for m in _imports(path) if m.startswith("advisor.rules") or m == "rules"]
    assert not bad, (
        f"{path.relative_to(REPO)} imports {bad}: the engine loads rules by name, nothing else imports them"
    )
