"""Rendering through Jinja: text and Markdown for people, JSON for machines, a prompt for LLM agents.

One environment factory: sandboxed, ``StrictUndefined``, ``trim_blocks``, ``lstrip_blocks``,
``keep_trailing_newline``; templates come from the package only (``advisor.prompts``, loaded from the
resolved package folder so editable and wheel installs behave the same), never from user input.
User-supplied strings (the task description, file names, labels) are passed as *values*: Jinja never
renders a value as a template, and the prompt puts them inside delimited data blocks (see ``data_block``).

Hostile text (issue 9): every value a template prints passes the environment's ``finalize``, which applies
:func:`advisor.sanitize.one_line` (no control character, escape sequence, bidi control or line separator reaches
a terminal or a prompt, and no value can break the line it is shown in); blocks that are multi-line on purpose
(``data_block``, ``tojson_pretty``) clean their own text and come back as :class:`Safe`, which ``finalize``
passes through; the Markdown report escapes ``|`` and tag-like ``<`` in values too (:func:`markdown_text`).
The prompt's hard-constraints section holds only engine-authored text: its lines are built
here from the Recommendation's structured fields (:func:`constraint_lines`); a built-in rule's reason is the
engine's sentence, its data values quoted by the rule (:func:`advisor.quote`); a third-party rule's reason or
message is plugin text and is quoted whole; every line has its tag-like ``<`` and Jinja openers escaped
(:func:`prompt_line`), so no value can forge a ``<user-data>`` delimiter there. JSON output is
:func:`advisor.sanitize.json_text` of the model's JSON: still the same JSON, the unsafe characters as ``\\u``
escapes.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from advisor.sanitize import clean, json_text, one_line, quote
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


class Safe(str):
    """Text already made safe for the output it is printed in (multi-line on purpose): ``finalize`` keeps it."""


def _finalizer(show):
    """What a template prints for ``{{ value }}``: a string through ``show``, :class:`Safe` text as it is."""

    def finalize(value: object) -> object:
        return value if isinstance(value, Safe) or not isinstance(value, str) else show(value)

    return finalize


def data_block(text: object, name: str = "data") -> Safe:
    """User-supplied text as an inert, delimited block: the closing delimiter cannot occur inside it, and no
    unsafe character (:func:`advisor.sanitize.clean`) either; its own line breaks stay."""
    body = clean(text).replace("<", "&lt;").replace(">", "&gt;")
    return Safe(f'<user-data name="{name}">\n{body}\n</user-data>')


def _tojson_pretty(value: object) -> Safe:
    return Safe(json_text(json.dumps(value, indent=2, ensure_ascii=False)))


_TAG_OPEN = re.compile(r"<(?=[/!?A-Za-z])")
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def prompt_line(text: object) -> str:
    """One line of the prompt's hard constraints: :func:`advisor.sanitize.one_line`, and every ``<`` that
    could open a tag (``<user-data``, ``</user-data>``, ``<system>``) and every ``{`` that opens Jinja syntax
    written as an HTML entity. ``x < 5`` stays as it is."""
    return _JINJA_OPEN.sub("&#123;", _TAG_OPEN.sub("&lt;", one_line(text)))


def _reason(rule: str, text: str) -> str:
    """A reason in the hard constraints: a third-party rule's text quoted whole (it is plugin text)."""
    from advisor.engine import third_party_rule

    return quote(text) if third_party_rule(rule) else text


def constraint_lines(rec) -> list[str]:
    """The hard constraints of the prompt, one line each, from the Recommendation's structured fields.

    Each excluded candidate with the rules that excluded it (the trace's ``exclude`` effects on it), each refused
    one with its refusal, then every flag; each reason as :func:`_reason` gives it, each line :func:`prompt_line`.
    """
    lines = []
    for a in rec.alternatives:
        if a.status == "ranked":
            continue
        if a.status == "refused":
            parts = [(r.rule, r.message) for r in rec.refusals if r.architecture == a.architecture]
        else:
            parts = [
                (t.rule, t.reason)
                for t in rec.trace
                if t.kind == "exclude" and t.architecture == a.architecture
            ]
        why = "; ".join(f"{rule} {_reason(rule, text)}" for rule, text in parts)
        lines.append(f"do not recommend `{a.architecture}` ({a.status}): {why}")
    lines += [f"[{f.rule}] {_reason(f.rule, f.message)}" for f in rec.flags]
    return [prompt_line(line) for line in lines]


def markdown_text(text: object) -> str:
    """A value in a Markdown document for people: :func:`advisor.sanitize.one_line`, ``|`` escaped (a table
    cell stays one cell) and every ``<`` that could open an HTML tag written as ``&lt;`` (a rendered page
    shows the text, runs nothing)."""
    return _TAG_OPEN.sub("&lt;", one_line(text)).replace("|", "\\|")


MARKDOWN_TEMPLATES = frozenset({"recommendation.md.j2"})  # Markdown for people (the prompt is for an agent)


@lru_cache(maxsize=2)
def environment(markdown: bool = False) -> SandboxedEnvironment:
    """The environment; ``markdown``: values printed through :func:`markdown_text` instead of ``one_line``."""
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
        finalize=_finalizer(markdown_text if markdown else one_line),
    )
    env.filters["data_block"] = data_block
    env.filters["tojson_pretty"] = _tojson_pretty
    return env


def render_template(name: str, **values) -> str:
    return environment(name in MARKDOWN_TEMPLATES).get_template(name).render(**values)


def render_json(rec) -> str:
    """The Recommendation as JSON, unsafe characters as ``\\u`` escapes (:func:`advisor.sanitize.json_text`)."""
    return json_text(rec.model_dump_json(indent=2)) + "\n"


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
        constraints=constraint_lines(rec) if rec is not None else [],
        policy=rec.policy if rec is not None else DEFAULT_POLICY.as_dict(),  # the thresholds the rules state
        front=PROMPT_FRONT_MATTER,
        candidates=[(c, DESCRIPTIONS[c]) for c in CANDIDATES],
        example=example,
    )
