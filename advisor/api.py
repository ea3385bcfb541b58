"""The Python API: ``recommend(profile) -> Recommendation``.

>>> from advisor import ConstraintProfile, recommend
>>> rec = recommend(ConstraintProfile(examples=300, deploy="phone", latency_ms=5))
>>> rec.architecture
'ngram-linear'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from advisor import __version__
from advisor.candidates import DESCRIPTIONS
from advisor.engine import Engine, Outcome, default_engine
from advisor.evidence import NO_EVIDENCE, EvidenceStatus, verify
from advisor.measurements import NO_MEASUREMENTS, measured_status
from advisor.policy import DEFAULT_POLICY, Policy
from advisor.profile import ConstraintProfile
from advisor.vocabulary import RECIPE_FIELDS

if TYPE_CHECKING:  # the Recommendation model is built on the first answer
    from advisor.recommendation import Recommendation


def verify_evidence(
    path: str | Path, profile: ConstraintProfile, policy: Policy, *, reproduce: bool = False
) -> EvidenceStatus:
    """Verify an evidence file against the profile, the data it was read from (reloaded: a profile without
    ``data`` never gets evidence accepted) and the policy (:func:`advisor.evidence.verify`)."""
    return verify(path, profile, policy, reproduce=reproduce)


def recommend(
    profile: ConstraintProfile | dict,
    *,
    policy: Policy | None = None,
    evidence: str | Path | None = None,
    engine: Engine | None = None,
    force_winner: str | None = None,
    reproduce: bool = False,
    measurements: str | Path | None = None,
) -> Recommendation:
    """Apply the picker policy (built-in rules + installed plugins) to ``profile``.

    :param profile: a :class:`ConstraintProfile` or a mapping of its fields (validated strictly).
    :param policy: thresholds in force (default: the shipped :class:`Policy`).
    :param evidence: a plateau evidence file; it is verified against the profile and the data the profile was
        read from (``profile.data``; without it evidence is never accepted), its checkpoints re-evaluated.
    :param reproduce: also retrain one recorded run on CPU and compare its curve (``--reproduce``).
    :param measurements: an ``advisor compare`` measurements.json for the data the profile was read from (its
        fingerprint must match ``profile.data``'s, else :class:`advisor.measurements.MeasurementsError`, exit 2):
        TEP204 and TEP404 read it; it can exclude and reorder, never admit or lift a refusal.
    :param force_winner: what the policy gives this candidate if it wins (``advisor check``): see
        :meth:`advisor.engine.Engine.evaluate`.
    :raises advisor.engine.PluginError: a plugin failed (fail closed: no answer).
    :raises advisor.engine.NoCandidateError: every candidate was excluded.
    """
    if not isinstance(profile, ConstraintProfile):
        profile = ConstraintProfile.model_validate(profile)
    policy = policy or DEFAULT_POLICY
    status = (
        NO_EVIDENCE if evidence is None else verify_evidence(evidence, profile, policy, reproduce=reproduce)
    )
    measured = NO_MEASUREMENTS if measurements is None else measured_status(measurements, profile)
    engine = engine or default_engine()
    outcome = engine.evaluate(profile, policy, status, force_winner=force_winner, measurements=measured)
    return build_recommendation(engine, outcome)


def _estimate(ctx, arch: str) -> dict:
    e = ctx.estimate(arch)
    return {"size_mb": e.size_mb, "latency_ms": e.latency_ms, "source": e.source}


def build_recommendation(engine: Engine, outcome: Outcome) -> Recommendation:
    """The Recommendation for an evaluated profile.

    The whole answer is assembled as plain data (:func:`recommendation_data`) and validated in one
    ``model_validate`` call: one pass through pydantic-core instead of ~40 nested model constructors (this
    halves the cost of ``recommend()``).
    """
    return _validate(recommendation_data(engine, outcome))


def _validate(data: dict) -> Recommendation:
    from advisor.recommendation import Recommendation

    return Recommendation.model_validate(data)


def recommendation_data(engine: Engine, outcome: Outcome) -> dict:
    """The answer as plain data, in the Recommendation's field order (``profile`` is the profile object).

    Raises :class:`advisor.engine.PluginError` when the loaded rules left the answer incomplete.
    """
    ctx = outcome.ctx
    rules = engine.rules
    winner = ctx.winner
    missing = [f for f in RECIPE_FIELDS if f not in ctx.recipe]
    if ctx.embedding is None or missing or ctx.monitoring is None:
        from advisor.errors import PluginError

        what = ", ".join(
            ["embedding"] * (ctx.embedding is None) + missing + ["monitoring"] * (ctx.monitoring is None)
        )
        raise PluginError(
            f"no rule set {what} for {winner}: the loaded rules cannot produce a complete answer"
        )
    alternatives: list[dict] = []
    top = ctx.points.get(winner, 0.0)
    for arch in outcome.ranking[1:]:
        points = ctx.points.get(arch, 0.0)
        why = (
            "; ".join(f"{e.rule} {e.reason}" for e in ctx.preferences.get(arch, [])) or "no rule preferred it"
        )
        alternatives.append(
            {
                "architecture": arch,
                "status": "ranked",
                "why_not": f"ranked lower ({points:g} vs {top:g} points): {why}",
                "points": points,
                "estimate": _estimate(ctx, arch),
            }
        )
    for arch, e in ctx.refused.items():
        alternatives.append(
            {
                "architecture": arch,
                "status": "refused",
                "why_not": f"{e.rule} {e.reason}",
                "estimate": _estimate(ctx, arch),
            }
        )
    for arch in ctx.candidates:
        if arch in ctx.excluded:
            why = "; ".join(f"{e.rule} {e.reason}" for e in ctx.excluded[arch])
            alternatives.append(
                {"architecture": arch, "status": "excluded", "why_not": why, "estimate": _estimate(ctx, arch)}
            )
    ev = ctx.evidence
    return {
        "profile": ctx.profile,
        "architecture": winner,
        "description": DESCRIPTIONS.get(winner, winner),
        "embedding": ctx.embedding,
        "recipe": dict(ctx.recipe),
        "monitoring": ctx.monitoring,
        "estimate": _estimate(ctx, winner),
        "flags": [
            {
                "rule": f.rule,
                "name": rules[f.rule].name,
                "severity": rules[f.rule].severity,
                "message": f.reason,
            }
            for f in ctx.flags
        ],
        "refusals": [
            {"rule": r.rule, "architecture": r.architecture, "message": r.reason, "unlock": r.unlock}
            for r in ctx.refusals
        ],
        "alternatives": alternatives,
        "evidence": ev.as_dict() if ev.provided else None,
        "policy": ctx.policy.as_dict(),
        "trace": [
            {
                "rule": t.rule,
                "plugin": t.plugin,
                "effect": t.effect,
                "reason": t.reason,
                "kind": t.kind,
                "architecture": t.architecture,
            }
            for t in ctx.trace
        ],
        "plugins": list(engine.plugin_order),
        "advisor_version": __version__,
    }
