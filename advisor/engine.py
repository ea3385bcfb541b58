"""The rules engine: loads rule plugins with pluggy and applies them to a profile.

Built-in rules are registered from ``DEFAULT_PLUGINS`` by the engine itself, so no environment variable
or missing install can switch them off. Third-party plugins come from the ``advisor`` entry-point group,
sorted by entry-point name; ``ADVISOR_LOAD_PLUGINS`` (comma-separated entry-point names, empty = none)
narrows them and ``ADVISOR_DISABLE_PLUGINS`` blocks some; both touch entry points only. Tests set
``ADVISOR_NO_ENTRY_POINTS=1`` so an installed plugin never leaks into them.

Hook contracts: :mod:`advisor.hookspecs`. Data contracts: :mod:`advisor.recommendation`.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

from advisor import hookspecs
from advisor.candidates import CANDIDATES, EMBEDDINGS, estimate
from advisor.errors import AdvisorError, NoCandidateError, PluginError  # noqa: F401  (raised here; import them from advisor.errors)
from advisor.evidence import NO_EVIDENCE, EvidenceStatus
from advisor.policy import DEFAULT_POLICY, Policy

if TYPE_CHECKING:
    from advisor.profile import ConstraintProfile

DEFAULT_PLUGINS: tuple[str, ...] = (
    "advisor.rules.policy_override",
    "advisor.rules.task_fit",
    "advisor.rules.edge",
    "advisor.rules.budgets",
    "advisor.rules.streaming",
    "advisor.rules.finetune",
    "advisor.rules.pickers",
    "advisor.rules.embedding",
    "advisor.rules.recipe",
    "advisor.rules.monitoring",
    # after monitoring: TEP503 replaces TEP701's signal, and a later set_monitoring overrides an earlier one
    "advisor.rules.data_shape",
    # TEP009 answer-format: the rule `advisor check` reports format problems under (no effect on recommend)
    "advisor.rules.answer_format",
)
SEVERITIES: tuple[str, ...] = ("refuse", "exclude", "prefer", "flag", "info")
RECIPE_FIELDS: tuple[str, ...] = ("optimizer", "learning_rate", "batch_size", "epochs", "regularization")
PHASES: tuple[str, ...] = ("exclude_candidates", "refuse_candidates", "rank_candidates", "describe_winner")
RULE_ID = re.compile(r"^TEP\d{3}$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    summary: str
    docs: str
    plugin: str


@dataclass
class Effect:
    rule: str
    plugin: str
    effect: str
    reason: str
    architecture: str | None = None
    unlock: str | None = None
    needs: dict[str, float] | None = None


class Context:
    """What a hook sees and acts through. See :mod:`advisor.hookspecs` for which method belongs to which phase."""

    def __init__(self, engine: Engine, profile: ConstraintProfile, policy: Policy, evidence: EvidenceStatus):
        self.profile = profile
        self.policy = policy
        self.evidence = evidence
        self.candidates = CANDIDATES
        self.winner: str | None = None
        self.excluded: dict[str, list[Effect]] = {}
        self.refused: dict[str, Effect] = {}
        self.refusals: list[Effect] = []
        self.points: dict[str, float] = {}
        self.preferences: dict[str, list[Effect]] = {}
        self.flags: list[Effect] = []
        self.embedding: str | None = None
        self.recipe: dict[str, str] = {}
        self.recipe_rules: dict[str, str] = {}
        self.monitoring: str | None = None
        self.trace: list[Effect] = []
        self._engine = engine
        self._phase = ""
        self._plugin = ""
        self._estimates: dict[str, Any] = {}

    # -- queries ---------------------------------------------------------------------------
    def estimate(self, arch: str):
        """Size (MB, fp32) and p95 latency (ms) of ``arch`` at the profile's length on its target."""
        est = self._estimates.get(arch)
        if est is None:
            est = self._estimates[arch] = estimate(arch, self.profile.tokens, self.profile.deploy)
        return est

    def is_excluded(self, arch: str) -> bool:
        return arch in self.excluded

    def remaining(self) -> list[str]:
        """Candidates neither excluded nor refused, in candidate order."""
        return [c for c in self.candidates if c not in self.excluded and c not in self.refused]

    # -- effects ---------------------------------------------------------------------------
    def _record(self, rule: str, effect: str, reason: str, phases: Iterable[str] | None, **extra) -> Effect:
        if phases is not None and self._phase not in phases:
            raise PluginError(
                f"plugin {self._plugin!r}: {effect} is not allowed in {self._phase} (allowed in {', '.join(phases)})"
            )
        owner = self._engine.rule_owner.get(rule)
        if owner is None:
            raise PluginError(
                f"plugin {self._plugin!r}: {effect} names unknown rule {rule!r}; register it first"
            )
        if owner != self._plugin:
            raise PluginError(
                f"plugin {self._plugin!r}: {effect} names rule {rule}, which belongs to {owner!r}"
            )
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason:
            raise PluginError(f"plugin {self._plugin!r}: rule {rule}: a reason must be one non-empty line")
        e = Effect(rule=rule, plugin=self._plugin, effect=effect, reason=reason, **extra)
        self.trace.append(e)
        return e

    def _check_arch(self, arch: str) -> None:
        if arch not in self.candidates:
            raise PluginError(f"plugin {self._plugin!r}: unknown architecture {arch!r}")

    def exclude(self, arch: str, *, rule: str, reason: str, needs: dict[str, float] | None = None) -> None:
        self._check_arch(arch)
        e = self._record(
            rule, f"exclude {arch}", reason, ("exclude_candidates",), architecture=arch, needs=needs
        )
        self.excluded.setdefault(arch, []).append(e)

    def refuse(self, arch: str, *, rule: str, reason: str, unlock: str | None = None) -> None:
        self._check_arch(arch)
        if arch in self.excluded:
            self._record(
                rule, f"refuse {arch} (already excluded)", reason, ("refuse_candidates",), architecture=arch
            )
            return
        e = self._record(
            rule, f"refuse {arch}", reason, ("refuse_candidates",), architecture=arch, unlock=unlock
        )
        if arch not in self.refused:
            self.refused[arch] = e
            self.refusals.append(e)

    def prefer(self, arch: str, points: float, *, rule: str, reason: str) -> None:
        self._check_arch(arch)
        if arch not in self.excluded and arch not in self.refused:
            e = self._record(
                rule, f"prefer {arch} {points:+g}", reason, ("rank_candidates",), architecture=arch
            )
            self.points[arch] = self.points.get(arch, 0.0) + points
            self.preferences.setdefault(arch, []).append(e)
        else:
            self._record(
                rule, f"prefer {arch} (not available)", reason, ("rank_candidates",), architecture=arch
            )

    def flag(self, *, rule: str, message: str) -> None:
        if any(f.rule == rule and f.reason == message for f in self.flags):
            return
        self.flags.append(self._record(rule, "flag", message, None))

    def info(self, *, rule: str, message: str) -> None:
        """A trace-only note (what a rule considered and why it did nothing)."""
        self._record(rule, "info", message, None)

    def set_embedding(self, value: str, *, rule: str, reason: str) -> None:
        if value not in EMBEDDINGS:
            raise PluginError(
                f"plugin {self._plugin!r}: embedding {value!r} is not one of {', '.join(EMBEDDINGS)}"
            )
        self._record(rule, f"embedding {value}", reason, ("describe_winner",))
        self.embedding = value

    def set_recipe(self, field_name: str, value: str, *, rule: str, reason: str) -> None:
        if field_name not in RECIPE_FIELDS:
            raise PluginError(
                f"plugin {self._plugin!r}: recipe field {field_name!r} is not one of {', '.join(RECIPE_FIELDS)}"
            )
        self._record(rule, f"recipe {field_name}", reason, ("describe_winner",))
        self.recipe[field_name] = value
        self.recipe_rules[field_name] = rule

    def set_monitoring(self, text: str, *, rule: str, reason: str) -> None:
        self._record(rule, "monitoring", reason, ("describe_winner",))
        self.monitoring = text


@dataclass
class Outcome:
    """The raw result of one evaluation (the engine's view; :func:`advisor.api.recommend` builds the model)."""

    ctx: Context
    ranking: list[str] = field(default_factory=list)


ENTRY_POINT_GROUP = "advisor"


def _entry_point_plugins() -> list[tuple[str, object]]:
    if os.environ.get("ADVISOR_NO_ENTRY_POINTS"):
        return []
    from importlib.metadata import entry_points

    load = os.environ.get("ADVISOR_LOAD_PLUGINS")
    allowed = None if load is None else {n.strip() for n in load.split(",") if n.strip()}
    blocked = {n.strip() for n in os.environ.get("ADVISOR_DISABLE_PLUGINS", "").split(",") if n.strip()}
    found = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if (allowed is not None and ep.name not in allowed) or ep.name in blocked:
            continue
        try:
            found.append((ep.name, ep.load()))
        except Exception as exc:  # a plugin that cannot even import must not be skipped silently
            raise PluginError(f"plugin {ep.name!r} (entry point {ep.value}) failed to load: {exc}") from exc
    return found


class Engine:
    """A plugin manager with the built-in rules, optional entry-point plugins, and extra plugin objects."""

    def __init__(self, extra_plugins: Iterable[object] = (), *, entry_points: bool = True):
        self.pm = pluggy.PluginManager("advisor")
        self.pm.add_hookspecs(hookspecs)
        self.rules: dict[str, Rule] = {}
        self.rule_owner: dict[str, str] = {}
        self.plugin_order: list[str] = []
        for modname in DEFAULT_PLUGINS:
            self._register(importlib.import_module(modname), modname)
        if entry_points:
            for name, plugin in _entry_point_plugins():
                self._register(plugin, name)
        for plugin in extra_plugins:
            self._register(plugin, getattr(plugin, "__name__", None) or type(plugin).__name__)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            # pluggy's error names the plugin object, not its registered name: name both plugin and hook.
            import difflib

            name = self.pm.get_name(exc.plugin) or type(exc.plugin).__name__
            unknown = [
                h
                for h, caller in vars(self.pm.hook).items()
                if not h.startswith("_")
                and not caller.has_spec()
                and any(i.plugin is exc.plugin for i in caller.get_hookimpls())
            ]
            hooks = ("register_rules", *PHASES)
            hints = [
                f"{h!r}"
                + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(h, hooks, n=1)) else "")
                for h in unknown
            ]
            raise PluginError(
                f"plugin {name!r} has a hook implementation that matches no hook: {', '.join(hints) or exc}; "
                f"the hooks are {', '.join(hooks)}"
            ) from None
        # Call order: registration order (pluggy calls LIFO, so keep our own list).
        self._impls = {
            phase: sorted(
                getattr(self.pm.hook, phase).get_hookimpls(),
                key=lambda i: self.plugin_order.index(i.plugin_name),
            )
            for phase in PHASES
        }

    def _register(self, plugin: object, name: str) -> None:
        if self.pm.get_plugin(name) is not None or self.pm.is_registered(plugin):
            raise PluginError(f"plugin {name!r} is registered twice")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} does not match the hook specifications: {exc}") from None
        self.plugin_order.append(name)
        impl = self.pm.hook.register_rules
        for hookimpl in impl.get_hookimpls():
            if hookimpl.plugin_name == name:
                try:
                    hookimpl.function(register=lambda **kw: self._add_rule(name, **kw))
                except PluginError:
                    raise
                except Exception as exc:
                    raise PluginError(
                        f"plugin {name!r} failed in register_rules: {type(exc).__name__}: {exc}"
                    ) from exc

    def _add_rule(self, plugin: str, *, id: str, name: str, severity: str, summary: str, docs: str) -> None:
        if not RULE_ID.match(str(id)):
            raise PluginError(f"plugin {plugin!r}: rule id {id!r} is not TEP followed by three digits")
        if id in self.rules:
            raise PluginError(
                f"plugin {plugin!r}: rule id {id} is already registered by {self.rules[id].plugin!r}"
            )
        if not SLUG.match(str(name)):
            raise PluginError(f"plugin {plugin!r}: rule {id} name {name!r} is not a lowercase slug")
        if severity not in SEVERITIES:
            raise PluginError(
                f"plugin {plugin!r}: rule {id} severity {severity!r} is not one of {', '.join(SEVERITIES)}"
            )
        if not summary or "\n" in summary.strip():
            raise PluginError(f"plugin {plugin!r}: rule {id} needs a one-line summary")
        self.rules[id] = Rule(
            id=id, name=name, severity=severity, summary=summary.strip(), docs=docs.strip(), plugin=plugin
        )
        self.rule_owner[id] = plugin

    def rules_of(self, plugin: str) -> list[str]:
        return [r.id for r in self.rules.values() if r.plugin == plugin]

    def evaluate(
        self, profile: ConstraintProfile, policy: Policy | None = None, evidence: EvidenceStatus = NO_EVIDENCE
    ) -> Outcome:
        ctx = Context(self, profile, policy or DEFAULT_POLICY, evidence)
        for phase in PHASES:
            ctx._phase = phase
            if phase == "describe_winner":
                self._pick_winner(ctx)
            for impl in self._impls[phase]:
                ctx._plugin = impl.plugin_name
                try:
                    impl.function(ctx=ctx)
                except Exception as exc:
                    rules = ", ".join(self.rules_of(impl.plugin_name)) or "no rules"
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} (rules {rules}) failed in {phase}: {type(exc).__name__}: {exc}; "
                        "no recommendation is given (fail closed)"
                    ) from exc
        return Outcome(ctx=ctx, ranking=self._ranking(ctx))

    def _ranking(self, ctx: Context) -> list[str]:
        remaining = ctx.remaining()
        return sorted(remaining, key=lambda c: (-ctx.points.get(c, 0.0), CANDIDATES.index(c)))

    def _pick_winner(self, ctx: Context) -> None:
        ranking = self._ranking(ctx)
        if not ranking:
            raise NoCandidateError(_nothing_left_message(ctx))
        ctx.winner = ranking[0]


def _nothing_left_message(ctx: Context) -> str:
    lines = ["no candidate meets the constraints:"]
    best: tuple[float, str, dict[str, float]] | None = None
    for arch in ctx.candidates:
        why = [f"{e.rule} {e.reason}" for e in ctx.excluded.get(arch, [])]
        if arch in ctx.refused:
            why.append(f"{ctx.refused[arch].rule} {ctx.refused[arch].reason}")
        lines.append(f"  {arch}: " + "; ".join(why))
        effects = ctx.excluded.get(arch, [])
        if effects and arch not in ctx.refused and all(e.needs for e in effects):
            needs: dict[str, float] = {}
            for e in effects:
                for k, v in (e.needs or {}).items():
                    needs[k] = max(needs.get(k, 0.0), v)
            current = {"latency_ms": ctx.profile.latency_ms, "max_model_mb": ctx.profile.max_model_mb}
            cost = sum(v / (current.get(k) or v) for k, v in needs.items())
            if best is None or cost < best[0]:
                best = (cost, arch, needs)
    if best is not None:
        _, arch, needs = best
        wanted = " and ".join(f"--{k.replace('_', '-')} {_fmt(v)}" for k, v in sorted(needs.items()))
        lines.append(f"the smallest budget that admits a candidate: {wanted} (admits {arch})")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    return f"{v:.3g}" if v < 10 else f"{v:.0f}" if v == int(v) else f"{v:.1f}"


_DEFAULT: Engine | None = None


def default_engine() -> Engine:
    """The process-wide engine with built-ins and installed entry points (built once)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Engine()
    return _DEFAULT


def reset_default_engine() -> None:
    global _DEFAULT
    _DEFAULT = None
