"""Rendering through Jinja: text and Markdown for people, JSON for machines, a prompt for LLM agents.

One environment factory: sandboxed, ``StrictUndefined``, ``trim_blocks``, ``lstrip_blocks``,
``keep_trailing_newline``; templates come from the package only (``advisor.prompts``, loaded from the
resolved package folder so editable and wheel installs behave the same), never from user input.
User-supplied strings (the task description, file names, labels) are passed as *values*: Jinja never
renders a value as a template, and the prompt puts them inside delimited data blocks (see ``data_block``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

from advisor.vocabulary import CANDIDATES, RECIPE_FIELDS

if TYPE_CHECKING:  # jinja2 is imported on first render: `--format json` never pays for it
    from jinja2.sandbox import SandboxedEnvironment

PROMPT_FRONT_MATTER = {
    "name": "text-encoder-picker",
    "description": "Pick a text encoder (architecture, embedding input, five-line recipe, one monitoring signal) "
    "under a team's constraints; refuse small-data fine-tuning without a plateaued baseline.",
    "phase": 5,
    "lesson": "08",
}


def data_block(text: object, name: str = "data") -> str:
    """User-supplied text as an inert, delimited block: the closing delimiter cannot occur inside it."""
    body = str(text).replace("<", "&lt;").replace(">", "&gt;")
    return f'<user-data name="{name}">\n{body}\n</user-data>'


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    from importlib.resources import files

    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    folder = str(files("advisor.prompts"))
    env = SandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["data_block"] = data_block
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    return env


def render_template(name: str, **values) -> str:
    return environment().get_template(name).render(**values)


def render_json(rec) -> str:
    return rec.model_dump_json(indent=2) + "\n"


def render_recommendation(rec, fmt: str = "text", *, explain: bool = False) -> str:
    """Render a Recommendation as ``text``, ``markdown``, ``json`` or ``prompt``."""
    if fmt == "json":
        return render_json(rec)
    if fmt == "prompt":
        return render_prompt(rec)
    template = {"text": "recommendation.txt.j2", "markdown": "recommendation.md.j2"}[fmt]
    return render_template(template, rec=rec, explain=explain)


def render_prompt(rec=None) -> str:
    """The text-encoder-picker prompt; with a Recommendation, its profile and verdicts become hard constraints."""
    from advisor.candidates import DESCRIPTIONS

    example = {
        "architecture": "frozen-transformer",
        "embedding": "contextual",
        "recipe": dict.fromkeys(RECIPE_FIELDS, "..."),
        "monitoring": "...",
        "rationale": "...",
    }
    from advisor.policy import DEFAULT_POLICY

    return render_template(
        "prompt.md.j2",
        rec=rec,
        policy=rec.policy if rec is not None else DEFAULT_POLICY.as_dict(),  # the thresholds the rules state
        front=PROMPT_FRONT_MATTER,
        candidates=[(c, DESCRIPTIONS[c]) for c in CANDIDATES],
        example=example,
    )
