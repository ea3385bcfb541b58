"""The hooks a rule plugin implements. Built-in rules (``rules/``) use exactly these hooks.

A plugin is a module (or any object) with functions marked ``@advisor.hookimpl`` whose names are the
hooks below. The engine registers the built-in rules itself and third-party plugins from the
``advisor`` entry-point group; a function whose name is not one of these hooks is rejected at load
(``check_pending``), so a misspelled hook never silently does nothing.

Evaluation order, fixed: every plugin's ``exclude_candidates``, then every ``refuse_candidates``, then
every ``rank_candidates``; the engine picks the winner (highest points, ties broken by the candidate
order in ``advisor.vocabulary.CANDIDATES``), then every ``describe_winner``. Within a phase, plugins run
in registration order: built-ins in ``advisor.engine.DEFAULT_PLUGINS`` order, then entry points sorted by
name, then extra plugins passed to ``Engine(...)``. A later ``set_recipe``/``set_embedding``/
``set_monitoring`` overrides an earlier one, so a third-party plugin can override a built-in's line.

How the hooks are called: pluggy registers the plugins, checks every implementation against these specs
and lists them, but the engine calls each implementation itself (not ``pm.hook.<name>(...)``). pluggy calls
implementations last-registered-first and reorders them by ``tryfirst``/``trylast``, and its wrappers run
around the whole call; the engine instead needs the order above, each effect attributed to the plugin that
made it, and a fail-closed error that names the failing plugin. So the hookimpl options it does not
honour, ``tryfirst``, ``trylast``, ``wrapper`` and ``hookwrapper`` (and ``optionalhook``, which would hide
a misspelled hook name), are rejected when the plugin is registered, with a message naming the plugin,
the hook and the option. ``specname`` works.

Every phase hook receives ``ctx``, an :class:`advisor.engine.Context` (its docstring lists every
attribute), and returns nothing. ``ctx`` exposes read-only views (the profile, policy and evidence are
frozen; the effects so far are tuples and ``MappingProxyType`` mappings): effects happen only through
``ctx`` methods, each naming a rule id the plugin registered, so that every effect carries its rule id,
its plugin and a one-line reason into the trace. Calling a method outside its phase, with a rule id the
plugin did not register, or trying to change a view raises; any exception in a hook makes the engine fail
closed: no recommendation is returned, and the :class:`advisor.errors.PluginError` names the plugin and
its rules.

Reasons and messages (every ``reason=`` and ``message=``) are read by people, terminals and LLM agents, so
the engine holds them to one contract, checked where the effect is recorded (``Context._reason``): one
non-empty line (no line break :meth:`str.splitlines` knows, U+2028/U+2029 included; else the plugin fails
closed), and every other unsafe character (:data:`advisor.sanitize.UNSAFE`: C0/C1 controls, escape sequences,
bidi controls, invisible characters) written as a visible escape. Recipe lines and the monitoring signal are
escaped the same way, and a rule's summary (one line) and docs at registration. A value that came from the
data, the evidence or the user goes into a reason through ``advisor.quote(value)`` (quoted, every
non-printable character escaped), so readers see where data starts and ends. Renderers do the rest, so that a
plugin that forgets cannot hurt: the prompt's hard constraints quote a third-party rule's (TEP800-TEP999)
reasons and messages whole, as plugin text, and escape tag-like ``<`` and Jinja openers in every line
(:func:`advisor.render.constraint_lines`); text, Markdown and ``check`` output print every value through
:func:`advisor.sanitize.one_line`; JSON writes unsafe characters as ``\\u`` escapes.

Rule ids: built-in rules own ``TEP000``-``TEP799``; third-party plugins register ``TEP800``-``TEP999``. A
plugin that registers an id outside its range fails to load, and the message names the range.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from advisor.engine import Context

hookspec = pluggy.HookspecMarker("advisor")
hookimpl = pluggy.HookimplMarker("advisor")


@hookspec
def register_rules(register: Callable[..., None]) -> None:
    """Declare this plugin's rules (called once, when the plugin is registered).

    :param register: call ``register(id=..., name=..., severity=..., summary=..., docs=...)`` once per rule.
        ``id`` is ``TEP`` plus three digits, unique across plugins and in the plugin's range (built-ins
        ``TEP000``-``TEP799``, third parties ``TEP800``-``TEP999``); ``name`` a slug; ``severity`` one of
        ``advisor.vocabulary.SEVERITIES``; ``summary`` one line; ``docs`` the rule's full documentation with
        its rationale and sources. ``summary`` and ``docs`` may name policy values as ``{policy.<field>}``
        or ``{policy.<field>:<format spec>}`` (e.g. ``{policy.finetune_min_examples:,}``): they are shown
        with the values in force, and an unknown field fails at load.
    """


@hookspec
def exclude_candidates(ctx: Context) -> None:
    """Phase 1: remove candidates the deployment cannot take (targets, budgets, streaming, task fit).

    :param ctx: call ``ctx.exclude(architecture, rule=..., reason=..., needs=None)``; ``needs`` optionally
        maps a budget field (``latency_ms``, ``max_model_mb``) to the value that would admit the candidate.
        ``ctx.flag(rule=..., message=...)`` and ``ctx.info(rule=..., message=...)`` may be called in any phase.
    """


@hookspec
def refuse_candidates(ctx: Context) -> None:
    """Phase 2: refuse candidates the exclusions left in that the policy will not recommend yet.

    :param ctx: call ``ctx.refuse(architecture, rule=..., reason=..., unlock=...)``; ``unlock`` is the exact
        command that would lift the refusal. A refusal of an already excluded candidate goes to the trace only.
    """


@hookspec
def rank_candidates(ctx: Context) -> None:
    """Phase 3: express preferences among ``ctx.remaining()``.

    :param ctx: call ``ctx.prefer(architecture, points, rule=..., reason=...)``. The built-in pickers give
        their first choice 100 points, the next 90, and so on; other rules add or subtract points (e.g. +15
        to overturn a first choice). Highest total wins.
    """


@hookspec
def describe_winner(ctx: Context) -> None:
    """Phase 4: fill in what to build for ``ctx.winner``.

    :param ctx: call ``ctx.set_embedding(value, rule=..., reason=...)`` (one of
        ``advisor.vocabulary.EMBEDDINGS``), ``ctx.set_recipe(field, value, rule=..., reason=...)`` for each of
        ``advisor.vocabulary.RECIPE_FIELDS``, ``ctx.set_monitoring(text, rule=..., reason=...)`` and
        ``ctx.flag(...)``. A later call for the same field overrides an earlier one; both stay in the trace.
    """
