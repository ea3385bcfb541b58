"""The rules engine: loads rule plugins with pluggy and applies them to a profile.

Built-in rules are registered from ``DEFAULT_PLUGINS`` by the engine itself, so no environment variable
or missing install can switch them off. Third-party plugins come from the ``advisor`` entry-point group,
sorted by entry-point name; ``ADVISOR_LOAD_PLUGINS`` (comma-separated entry-point names, empty = none)
narrows them and ``ADVISOR_DISABLE_PLUGINS`` blocks some; both touch entry points only. Tests set
``ADVISOR_NO_ENTRY_POINTS=1`` so an installed plugin never leaks into them.

pluggy registers the plugins, validates every hook implementation against :mod:`advisor.hookspecs`
(``check_pending``) and lists them; the engine calls each implementation itself, in registration order, so
that every effect is attributed to the plugin that made it and a fail-closed error names that plugin. The
hookimpl options that would reorder or wrap those calls (``tryfirst``, ``trylast``, ``wrapper``,
``hookwrapper``) and ``optionalhook`` are rejected at registration (:mod:`advisor.hookspecs` says why).

Rule ids: the built-in rules own ``TEP000``-``TEP799``, third-party plugins ``TEP800``-``TEP999``. A rule's
summary and docs may name policy values as ``{policy.<field>}`` (optionally ``{policy.<field>:<format spec>}``):
:meth:`Rule.rendered` puts in the values in force. :meth:`Engine.rule` is the one lookup of a rule by id or
name (``advisor rules explain``, the MCP server and the llm tool use it).

Hook contracts: :mod:`advisor.hookspecs`. Data contracts: :mod:`advisor.recommendation`.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pluggy

from advisor import hookspecs
from advisor.candidates import estimate
from advisor.errors import (  # raised here; import them from advisor.errors
    AdvisorError,
    NoCandidateError,
    PluginError,
    UnknownRuleError,
    close_matches,
    did_you_mean,
    shorten,
)
from advisor.evidence import NO_EVIDENCE, EvidenceStatus
from advisor.measurements import NO_MEASUREMENTS, MeasuredStatus
from advisor.policy import DEFAULT_POLICY, Policy
from advisor.sanitize import clean, escape_char, line_break
from advisor.vocabulary import CANDIDATES, EMBEDDINGS, RECIPE_FIELDS, SEVERITIES, EffectKind

__all__ = [
    "AdvisorError",
    "Context",
    "Effect",
    "Engine",
    "NoCandidateError",
    "PluginError",
    "Rule",
    "UnknownRuleError",
]

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
PHASES: tuple[str, ...] = ("exclude_candidates", "refuse_candidates", "rank_candidates", "describe_winner")
HOOKS: tuple[str, ...] = ("register_rules", *PHASES)
# hookimpl options the engine does not honour (it calls every implementation itself, in registration order)
UNSUPPORTED_HOOKIMPL_OPTIONS: tuple[str, ...] = (
    "tryfirst",
    "trylast",
    "wrapper",
    "hookwrapper",
    "optionalhook",
)
# Rule id ranges (the number after TEP): built-ins, third-party plugins.
BUILTIN_IDS = range(0, 800)
THIRD_PARTY_IDS = range(800, 1000)
RULE_ID = re.compile(r"^TEP(\d{3})$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
POLICY_VALUE = re.compile(r"\{policy\.([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")


def _id_range(ids: range) -> str:
    return f"TEP{ids.start:03d}-TEP{ids.stop - 1:03d}"


def third_party_rule(rule_id: str) -> bool:
    """Whether ``rule_id`` is in the third-party range: its messages are a plugin's text, not the engine's (the
    prompt quotes them whole)."""
    match = RULE_ID.match(rule_id)
    return match is not None and int(match.group(1)) in THIRD_PARTY_IDS


def _render_policy_values(text: str, policy: Policy) -> str:
    """``text`` with each ``{policy.<field>[:spec]}`` replaced by ``format(policy.<field>, spec)``."""
    values = policy.as_dict()
    return POLICY_VALUE.sub(lambda m: format(values[m.group(1)], m.group(2) or ""), text)


@dataclass(frozen=True)
class Rule:
    """A registered rule. ``summary`` and ``docs`` are as registered: they may hold ``{policy.<field>}``
    placeholders, which :meth:`rendered` fills in with the values in force."""

    id: str
    name: str
    severity: str
    summary: str
    docs: str
    plugin: str

    def rendered(self, policy: Policy | None = None) -> Rule:
        """This rule with the policy values in force (default: the shipped policy) in its summary and docs."""
        policy = policy or DEFAULT_POLICY
        return dataclasses.replace(
            self,
            summary=_render_policy_values(self.summary, policy),
            docs=_render_policy_values(self.docs, policy),
        )

    def as_dict(self, *, docs: bool = True) -> dict[str, str]:
        """id, name, severity, plugin, summary (and docs): what ``rules --json``, MCP and the llm tool show."""
        out = {"id": self.id, "name": self.name, "severity": self.severity, "plugin": self.plugin}
        out["summary"] = self.summary
        if docs:
            out["docs"] = self.docs
        return out


@dataclass(frozen=True)
class Effect:
    """One recorded effect: the trace entry of a ``ctx`` method call.

    ``kind`` is the method that made it (``exclude``, ``refuse``, ``prefer``, ``flag``, ``info``,
    ``embedding``, ``recipe``, ``monitoring``); ``architecture`` the candidate it is about (exclude, refuse,
    prefer), else None; ``effect`` the same in words, saying where a call changed nothing (``refuse X
    (already excluded)``, ``prefer X (not available)``).
    """

    rule: str
    plugin: str
    kind: EffectKind
    effect: str
    reason: str
    architecture: str | None = None
    unlock: str | None = None
    needs: Mapping[str, float] | None = None


@dataclass
class _State:
    """What the plugins' effects built up (the engine's; plugins read it through :class:`Context`)."""

    winner: str | None = None
    excluded: dict[str, tuple[Effect, ...]] = field(default_factory=dict)
    refused: dict[str, Effect] = field(default_factory=dict)
    refusals: list[Effect] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)
    preferences: dict[str, tuple[Effect, ...]] = field(default_factory=dict)
    flags: list[Effect] = field(default_factory=list)
    embedding: str | None = None
    recipe: dict[str, str] = field(default_factory=dict)
    recipe_rules: dict[str, str] = field(default_factory=dict)
    monitoring: str | None = None
    trace: list[Effect] = field(default_factory=list)
    estimates: dict[str, Any] = field(default_factory=dict)


class Context:
    """What a hook sees and acts through: read-only views, and methods that record an effect under a rule id.

    Read-only (a plugin cannot assign them, and the containers are tuples and ``MappingProxyType`` views):

    - ``profile``: the :class:`~advisor.profile.ConstraintProfile` (a frozen model);
    - ``policy``: the :class:`~advisor.policy.Policy` in force (frozen);
    - ``evidence``: the :class:`~advisor.evidence.EvidenceStatus` of the attached plateau evidence (frozen);
    - ``measurements``: the :class:`~advisor.measurements.MeasuredStatus` of the attached ``advisor compare``
      measurements (frozen; ``provided`` False without them);
    - ``candidates``: every candidate id, in tie-break order;
    - ``phase``: the phase being run (one of ``advisor.engine.PHASES``);
    - ``winner``: the chosen candidate, set by the engine before ``describe_winner`` (None before);
    - ``excluded``: candidate -> the exclusion effects on it; ``refused``: candidate -> its refusal effect;
      ``refusals``: the refusals in order;
    - ``points``: candidate -> preference points so far; ``preferences``: candidate -> its preference effects;
    - ``flags``: the flag effects so far;
    - ``embedding``, ``recipe`` (field -> line), ``recipe_rules`` (field -> the rule that set it),
      ``monitoring``: what ``describe_winner`` has set so far;
    - ``trace``: every effect so far, in order (each an :class:`Effect`).

    Queries: :meth:`estimate`, :meth:`is_excluded`, :meth:`remaining`. Effects happen only through
    :meth:`exclude`, :meth:`refuse`, :meth:`prefer`, :meth:`flag`, :meth:`info`, :meth:`set_embedding`,
    :meth:`set_recipe` and :meth:`set_monitoring`, each naming a rule id the calling plugin registered, in the
    phase it belongs to (:mod:`advisor.hookspecs`). Attributes that start with ``_`` are the engine's.
    """

    __slots__ = ("_engine", "_evidence", "_measurements", "_phase", "_plugin", "_policy", "_profile", "_s")

    def __init__(
        self,
        engine: Engine,
        profile: ConstraintProfile,
        policy: Policy,
        evidence: EvidenceStatus,
        measurements: MeasuredStatus = NO_MEASUREMENTS,
    ):
        self._engine = engine
        self._profile = profile
        self._policy = policy
        self._evidence = evidence
        self._measurements = measurements
        self._s = _State()
        self._phase = ""
        self._plugin = ""

    # -- read-only views -------------------------------------------------------------------
    @property
    def profile(self) -> ConstraintProfile:
        return self._profile

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def evidence(self) -> EvidenceStatus:
        return self._evidence

    @property
    def measurements(self) -> MeasuredStatus:
        return self._measurements

    @property
    def candidates(self) -> tuple[str, ...]:
        return CANDIDATES

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def winner(self) -> str | None:
        return self._s.winner

    @property
    def excluded(self) -> Mapping[str, tuple[Effect, ...]]:
        return MappingProxyType(self._s.excluded)

    @property
    def refused(self) -> Mapping[str, Effect]:
        return MappingProxyType(self._s.refused)

    @property
    def refusals(self) -> tuple[Effect, ...]:
        return tuple(self._s.refusals)

    @property
    def points(self) -> Mapping[str, float]:
        return MappingProxyType(self._s.points)

    @property
    def preferences(self) -> Mapping[str, tuple[Effect, ...]]:
        return MappingProxyType(self._s.preferences)

    @property
    def flags(self) -> tuple[Effect, ...]:
        return tuple(self._s.flags)

    @property
    def embedding(self) -> str | None:
        return self._s.embedding

    @property
    def recipe(self) -> Mapping[str, str]:
        return MappingProxyType(self._s.recipe)

    @property
    def recipe_rules(self) -> Mapping[str, str]:
        return MappingProxyType(self._s.recipe_rules)

    @property
    def monitoring(self) -> str | None:
        return self._s.monitoring

    @property
    def trace(self) -> tuple[Effect, ...]:
        return tuple(self._s.trace)

    # -- queries ---------------------------------------------------------------------------
    def estimate(self, arch: str):
        """Size (MB, fp32) and p95 latency (ms) of ``arch`` at the profile's length on its target."""
        est = self._s.estimates.get(arch)
        if est is None:
            est = self._s.estimates[arch] = estimate(arch, self._profile.tokens, self._profile.deploy)
        return est

    def is_excluded(self, arch: str) -> bool:
        return arch in self._s.excluded

    def remaining(self) -> list[str]:
        """Candidates neither excluded nor refused, in candidate order."""
        s = self._s
        return [c for c in CANDIDATES if c not in s.excluded and c not in s.refused]

    # -- effects ---------------------------------------------------------------------------
    def _record(
        self, rule: str, kind: str, effect: str, reason: str, phases: Iterable[str] | None, **extra
    ) -> Effect:
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
        e = Effect(
            rule=rule,
            plugin=self._plugin,
            kind=kind,
            effect=effect,
            reason=self._reason(rule, reason),
            **extra,
        )
        self._s.trace.append(e)
        return e

    def _reason(self, rule: str, reason: object) -> str:
        """The reason as recorded: one non-empty line (no line break :meth:`str.splitlines` knows, U+2028
        included), every other unsafe character escaped (:func:`advisor.sanitize.clean`)."""
        if not isinstance(reason, str) or not reason.strip():
            raise PluginError(f"plugin {self._plugin!r}: rule {rule}: a reason must be one non-empty line")
        brk = line_break(reason)
        if brk is not None:
            raise PluginError(
                f"plugin {self._plugin!r}: rule {rule}: a reason must be one non-empty line; this one holds the "
                f"line break {escape_char(brk)} (put data values in with advisor.quote(value))"
            )
        return clean(reason)

    def _check_arch(self, arch: str) -> None:
        if arch not in CANDIDATES:
            raise PluginError(
                f"plugin {self._plugin!r}: unknown architecture {arch!r}{did_you_mean(str(arch), CANDIDATES)}"
            )

    def exclude(self, arch: str, *, rule: str, reason: str, needs: Mapping[str, float] | None = None) -> None:
        """Remove ``arch`` (phase ``exclude_candidates``); ``needs``: budget field -> the value that would admit it."""
        self._check_arch(arch)
        frozen = None if needs is None else MappingProxyType(dict(needs))
        e = self._record(
            rule,
            "exclude",
            f"exclude {arch}",
            reason,
            ("exclude_candidates",),
            architecture=arch,
            needs=frozen,
        )
        s = self._s
        s.excluded[arch] = (*s.excluded.get(arch, ()), e)

    def refuse(self, arch: str, *, rule: str, reason: str, unlock: str | None = None) -> None:
        """Refuse ``arch`` (phase ``refuse_candidates``); ``unlock``: the command that would lift the refusal."""
        self._check_arch(arch)
        s = self._s
        if arch in s.excluded:
            self._record(
                rule,
                "refuse",
                f"refuse {arch} (already excluded)",
                reason,
                ("refuse_candidates",),
                architecture=arch,
            )
            return
        e = self._record(
            rule, "refuse", f"refuse {arch}", reason, ("refuse_candidates",), architecture=arch, unlock=unlock
        )
        if arch not in s.refused:
            s.refused[arch] = e
            s.refusals.append(e)

    def prefer(self, arch: str, points: float, *, rule: str, reason: str) -> None:
        """Add ``points`` to ``arch`` (phase ``rank_candidates``); highest total wins."""
        self._check_arch(arch)
        s = self._s
        if arch not in s.excluded and arch not in s.refused:
            e = self._record(
                rule, "prefer", f"prefer {arch} {points:+g}", reason, ("rank_candidates",), architecture=arch
            )
            s.points[arch] = s.points.get(arch, 0.0) + points
            s.preferences[arch] = (*s.preferences.get(arch, ()), e)
        else:
            self._record(
                rule,
                "prefer",
                f"prefer {arch} (not available)",
                reason,
                ("rank_candidates",),
                architecture=arch,
            )

    def flag(self, *, rule: str, message: str) -> None:
        """Something to know, shown with the recommendation (any phase; the same message once)."""
        if any(f.rule == rule and f.reason == message for f in self._s.flags):
            return
        self._s.flags.append(self._record(rule, "flag", "flag", message, None))

    def info(self, *, rule: str, message: str) -> None:
        """A trace-only note (what a rule considered and why it did nothing; any phase)."""
        self._record(rule, "info", "info", message, None)

    def set_embedding(self, value: str, *, rule: str, reason: str) -> None:
        """The winner's embedding input, one of ``advisor.vocabulary.EMBEDDINGS`` (phase ``describe_winner``)."""
        if value not in EMBEDDINGS:
            raise PluginError(
                f"plugin {self._plugin!r}: embedding {value!r} is not one of {', '.join(EMBEDDINGS)}"
            )
        self._record(rule, "embedding", f"embedding {value}", reason, ("describe_winner",))
        self._s.embedding = value

    def set_recipe(self, field_name: str, value: str, *, rule: str, reason: str) -> None:
        """One recipe line, ``field_name`` one of ``advisor.vocabulary.RECIPE_FIELDS`` (phase ``describe_winner``)."""
        if field_name not in RECIPE_FIELDS:
            raise PluginError(
                f"plugin {self._plugin!r}: recipe field {field_name!r} is not one of {', '.join(RECIPE_FIELDS)}"
            )
        self._record(rule, "recipe", f"recipe {field_name}", reason, ("describe_winner",))
        self._s.recipe[field_name] = clean(value) if isinstance(value, str) else value
        self._s.recipe_rules[field_name] = rule

    def set_monitoring(self, text: str, *, rule: str, reason: str) -> None:
        """The one monitoring signal (phase ``describe_winner``)."""
        self._record(rule, "monitoring", "monitoring", reason, ("describe_winner",))
        self._s.monitoring = clean(text) if isinstance(text, str) else text


@dataclass
class Outcome:
    """The raw result of one evaluation (the engine's view; :func:`advisor.api.recommend` builds the model).

    ``ranking`` starts with the winner (with ``force_winner``, the forced one), then the other remaining
    candidates by points.
    """

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
        except KeyboardInterrupt:
            raise
        except (
            BaseException
        ) as exc:  # a plugin that cannot even import (or exits) must not be skipped silently
            raise PluginError(
                f"plugin {ep.name!r} (entry point {ep.value}) failed to load: {_fault(exc)}; "
                "no recommendation is given (fail closed)"
            ) from exc
    return found


_UNSUPPORTED_WHY = {
    "tryfirst": "the engine calls plugins in registration order (built-ins, then entry points sorted by name, "
    "then extra plugins)",
    "trylast": "the engine calls plugins in registration order (built-ins, then entry points sorted by name, "
    "then extra plugins)",
    "wrapper": "the engine calls each implementation itself, so a wrapper would wrap nothing",
    "hookwrapper": "the engine calls each implementation itself, so a wrapper would wrap nothing",
    "optionalhook": "every advisor hook has a specification, and a misspelled hook name must fail at load",
}


class Engine:
    """A plugin manager with the built-in rules, optional entry-point plugins, and extra plugin objects.

    ``rules`` maps rule id -> :class:`Rule`; ``plugin_order`` lists the plugin names in call order.
    """

    def __init__(self, extra_plugins: Iterable[object] = (), *, entry_points: bool = True):
        self.pm = pluggy.PluginManager("advisor")
        self.pm.add_hookspecs(hookspecs)
        self.rules: dict[str, Rule] = {}
        self.rule_owner: dict[str, str] = {}
        self.plugin_order: list[str] = []
        for modname in DEFAULT_PLUGINS:
            self._register(importlib.import_module(modname), modname, builtin=True)
        if entry_points:
            for name, plugin in _entry_point_plugins():
                self._register(plugin, name)
        for plugin in extra_plugins:
            self._register(plugin, getattr(plugin, "__name__", None) or type(plugin).__name__)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            # pluggy's error names the plugin object, not its registered name: name both plugin and hook.
            name = self.pm.get_name(exc.plugin) or type(exc.plugin).__name__
            unknown = [
                h
                for h, caller in vars(self.pm.hook).items()
                if not h.startswith("_")
                and not caller.has_spec()
                and any(i.plugin is exc.plugin for i in caller.get_hookimpls())
            ]
            hints = [f"{h!r}{did_you_mean(h, HOOKS)}" for h in unknown]
            raise PluginError(
                f"plugin {name!r} has a hook implementation that matches no hook: {', '.join(hints) or exc}; "
                f"the hooks are {', '.join(HOOKS)}"
            ) from None
        # Call order: registration order (pluggy would call LIFO; see advisor.hookspecs).
        self._impls = {
            phase: sorted(
                getattr(self.pm.hook, phase).get_hookimpls(),
                key=lambda i: self.plugin_order.index(i.plugin_name),
            )
            for phase in PHASES
        }

    def _register(self, plugin: object, name: str, *, builtin: bool = False) -> None:
        if self.pm.get_plugin(name) is not None or self.pm.is_registered(plugin):
            raise PluginError(f"plugin {name!r} is registered twice")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} does not match the hook specifications: {exc}") from None
        impls = [
            impl
            for caller in self.pm.get_hookcallers(plugin) or ()
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin
        ]
        for impl in impls:
            for option in UNSUPPORTED_HOOKIMPL_OPTIONS:
                if getattr(impl, option):
                    self.pm.unregister(plugin)
                    hook = impl.opts.get("specname") or impl.function.__name__
                    raise PluginError(
                        f"plugin {name!r}: hookimpl option {option}=True on {hook} is not supported: "
                        f"{_UNSUPPORTED_WHY[option]} (see advisor.hookspecs)"
                    )
        self.plugin_order.append(name)
        for impl in self.pm.hook.register_rules.get_hookimpls():
            if impl.plugin_name == name:
                try:
                    impl.function(register=lambda **kw: self._add_rule(name, builtin, **kw))
                except (PluginError, KeyboardInterrupt):
                    raise
                except BaseException as exc:
                    raise PluginError(
                        f"plugin {name!r} failed in register_rules: {_fault(exc)}; "
                        "no recommendation is given (fail closed)"
                    ) from exc

    def _add_rule(
        self, plugin: str, builtin: bool, *, id: str, name: str, severity: str, summary: str, docs: str
    ) -> None:
        match = RULE_ID.match(str(id))
        if not match:
            raise PluginError(f"plugin {plugin!r}: rule id {id!r} is not TEP followed by three digits")
        ids = BUILTIN_IDS if builtin else THIRD_PARTY_IDS
        if int(match.group(1)) not in ids:
            whose = "the built-in rules" if builtin else "third-party plugins"
            other = "third-party plugins" if builtin else "the built-in rules"
            raise PluginError(
                f"plugin {plugin!r}: rule id {id} is outside {_id_range(ids)}, the range for {whose} "
                f"({_id_range(THIRD_PARTY_IDS if builtin else BUILTIN_IDS)} belongs to {other})"
            )
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
        if not isinstance(summary, str) or not summary.strip() or line_break(summary.strip()):
            raise PluginError(f"plugin {plugin!r}: rule {id} needs a one-line summary")
        if not isinstance(docs, str):
            raise PluginError(f"plugin {plugin!r}: rule {id} docs must be text")
        values = DEFAULT_POLICY.as_dict()
        for part, text in (("summary", summary), ("docs", docs)):
            for m in POLICY_VALUE.finditer(text):
                if m.group(1) not in values:
                    raise PluginError(
                        f"plugin {plugin!r}: rule {id} {part} names {m.group(0)}, which is not a policy value"
                        f"{did_you_mean(m.group(1), values)}"
                    )
                try:
                    format(values[m.group(1)], m.group(2) or "")
                except ValueError as exc:
                    raise PluginError(f"plugin {plugin!r}: rule {id} {part}: {m.group(0)}: {exc}") from None
        self.rules[id] = Rule(
            id=id,
            name=name,
            severity=severity,
            summary=clean(summary.strip()),
            docs=clean(docs.strip()),
            plugin=plugin,
        )
        self.rule_owner[id] = plugin

    def rules_of(self, plugin: str) -> list[str]:
        return [r.id for r in self.rules.values() if r.plugin == plugin]

    def rule(self, query: str) -> Rule:
        """The rule with id ``query`` (any case) or name ``query``: the one lookup behind ``advisor rules
        explain``, the MCP ``explain_rule`` tool and the llm ``advisor_explain_rule`` tool.

        :raises UnknownRuleError: no such rule; the message names the closest ids (``unknown rule 'TEP10';
            closest: TEP102, TEP101, TEP100``).
        """
        key = str(query).strip()
        by_name = {r.name: r for r in self.rules.values()}
        found = self.rules.get(key.upper()) or by_name.get(key.lower())
        if found is not None:
            return found
        close = close_matches(key.upper(), self.rules, n=3, cutoff=0.5)
        close += [by_name[n].id for n in close_matches(key.lower(), by_name, n=2)]
        hint = f"; closest: {', '.join(dict.fromkeys(close))}" if close else ""
        raise UnknownRuleError(f"unknown rule {shorten(repr(query), 80)}{hint}")

    def evaluate(
        self,
        profile: ConstraintProfile,
        policy: Policy | None = None,
        evidence: EvidenceStatus = NO_EVIDENCE,
        *,
        force_winner: str | None = None,
        measurements: MeasuredStatus = NO_MEASUREMENTS,
    ) -> Outcome:
        """Run every phase on ``profile`` (fail closed: any plugin error stops the evaluation).

        :param force_winner: make this candidate the winner instead of the highest-ranked one, so that
            ``describe_winner`` says what the policy gives it (``advisor check`` asks this of the answer's
            architecture). It must be neither excluded nor refused.
        :raises PluginError: a plugin failed; the message names it and its rules.
        :raises NoCandidateError: every candidate was excluded or refused, or ``force_winner`` was.
        """
        if force_winner is not None and force_winner not in CANDIDATES:
            raise ValueError(f"force_winner: unknown architecture {force_winner!r}")
        ctx = Context(self, profile, policy or DEFAULT_POLICY, evidence, measurements)
        for phase in PHASES:
            ctx._phase = phase
            if phase == "describe_winner":
                self._pick_winner(ctx, force_winner)
            for impl in self._impls[phase]:
                ctx._plugin = impl.plugin_name
                try:
                    impl.function(ctx=ctx)
                except KeyboardInterrupt:
                    raise
                except (
                    BaseException
                ) as exc:  # SystemExit and GeneratorExit included: no exit 0 without an answer
                    rules = ", ".join(self.rules_of(impl.plugin_name)) or "no rules"
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} (rules {rules}) failed in {phase}: {_fault(exc)}; "
                        "no recommendation is given (fail closed)"
                    ) from exc
        ctx._phase = ctx._plugin = ""  # a context kept after the evaluation can record nothing
        ranking = self._ranking(ctx)
        winner = ctx.winner
        return Outcome(ctx=ctx, ranking=[winner, *(c for c in ranking if c != winner)])

    def _ranking(self, ctx: Context) -> list[str]:
        points = ctx._s.points
        return sorted(ctx.remaining(), key=lambda c: (-points.get(c, 0.0), CANDIDATES.index(c)))

    def _pick_winner(self, ctx: Context, force_winner: str | None) -> None:
        ranking = self._ranking(ctx)
        if not ranking:
            raise NoCandidateError(_nothing_left_message(ctx))
        if force_winner is not None and force_winner not in ranking:
            raise NoCandidateError(
                f"force_winner {force_winner!r} is excluded or refused; remaining: {', '.join(ranking)}"
            )
        ctx._s.winner = force_winner or ranking[0]


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


def _fault(exc: BaseException) -> str:
    """What escaped a plugin, as one short line: ``Type: first line of the message`` (``SystemExit(0)`` and
    the like say what they are)."""
    from advisor.errors import message_line

    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}) (a plugin must not exit the process)"
    text = message_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
