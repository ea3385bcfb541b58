"""The hooks a rule plugin implements. Built-in rules (``rules/``) use exactly these hooks.

A plugin is a module (or any object) with functions marked ``@advisor.hookimpl`` whose names are the
hooks below. The engine registers the built-in rules itself and third-party plugins from the
``advisor`` entry-point group; a function whose name is not one of these hooks is rejected at load
(``check_pending``), so a misspelled hook never silently does nothing.

Evaluation order, fixed: every plugin's ``exclude_candidates``, then every ``refuse_candidates``, then
every ``rank_candidates``; the engine picks the winner (highest points, ties broken by the candidate
order in ``advisor.candidates.CANDIDATES``), then every ``describe_winner``. Within a phase, plugins run
in registration order: built-ins in ``DEFAULT_PLUGINS`` order, then entry points sorted by name.

Every hook receives ``ctx`` (an :class:`advisor.engine.Context`) and returns nothing; effects are
recorded through ``ctx`` methods, each naming a rule id the plugin registered, so that every effect
carries its rule id and a one-line reason into the trace. Calling a method outside its phase, or with a
rule id the plugin did not register, raises :class:`advisor.engine.PluginError`. If any hook raises,
the engine fails closed: no recommendation is returned, and the error names the plugin and its rules.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("advisor")
hookimpl = pluggy.HookimplMarker("advisor")


@hookspec
def register_rules(register):
    """Declare this plugin's rules.

    :param register: call ``register(id=..., name=..., severity=..., summary=..., docs=...)`` once per rule.
        ``id`` is ``TEP`` plus three digits and must be unique across plugins; ``name`` a slug;
        ``severity`` one of ``refuse``, ``exclude``, ``prefer``, ``flag``, ``info``; ``summary`` one line;
        ``docs`` the rule's full documentation with its rationale and sources.
    """


@hookspec
def exclude_candidates(ctx):
    """Phase 1: remove candidates the deployment cannot take (targets, budgets, streaming, task fit).

    Call ``ctx.exclude(architecture, rule=..., reason=..., needs=None)``; ``needs`` optionally maps a
    budget field (``latency_ms``, ``max_model_mb``) to the value that would admit the candidate.
    ``ctx.flag(...)`` may be called in any phase.
    """


@hookspec
def refuse_candidates(ctx):
    """Phase 2: refuse candidates the exclusions left in that the policy will not recommend yet.

    Call ``ctx.refuse(architecture, rule=..., reason=..., unlock=...)``; ``unlock`` is the exact command
    that would lift the refusal. A refusal of an already excluded candidate goes to the trace only.
    """


@hookspec
def rank_candidates(ctx):
    """Phase 3: express preferences among ``ctx.remaining()``.

    Call ``ctx.prefer(architecture, points, rule=..., reason=...)``. The built-in pickers give their first
    choice 100 points, the next 90, and so on; other rules add or subtract points (e.g. +15 to overturn a
    first choice). Highest total wins.
    """


@hookspec
def describe_winner(ctx):
    """Phase 4: fill in what to build for ``ctx.winner``.

    Call ``ctx.set_embedding(value, rule=..., reason=...)`` (``random``/``static``/``contextual``),
    ``ctx.set_recipe(field, value, rule=..., reason=...)`` for ``optimizer``, ``learning_rate``,
    ``batch_size``, ``epochs``, ``regularization``, ``ctx.set_monitoring(text, rule=..., reason=...)``
    and ``ctx.flag(...)``. A later call for the same field overrides an earlier one; both stay in the trace.
    """
