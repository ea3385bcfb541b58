"""text-encoder-advisor: which text encoder to build under your constraints.

Users import one namespace::

    from advisor import ConstraintProfile, recommend      # the answer
    from advisor import hookimpl, quote                   # writing a rule plugin

A rule plugin imports only the plugin interface: ``advisor`` (``hookimpl``, ``quote``), ``advisor.hookspecs`` (the hook
contracts and ``Context``), ``advisor.candidates`` (candidate properties and the size/latency estimates),
``advisor.vocabulary`` (every fixed vocabulary) and ``advisor.recipes`` (the recipe table). The built-in rules
follow the same rule (tests/test_import_boundary.py).

Heavy parts (``advisor.baselines``: PyTorch) are imported only by the commands that need them (``advisor.baselines.train``
and the rest of the training API load torch when they train), and even
pydantic loads on first use of a model (``ConstraintProfile`` is resolved lazily).
"""

__version__ = "0.1.0"

from advisor.hookspecs import hookimpl  # noqa: E402
from advisor.sanitize import quote  # noqa: E402  (rules put data values into their reasons through it)


def __getattr__(name):  # lazy: keep `import advisor` cheap
    if name == "ConstraintProfile":
        from advisor.profile import ConstraintProfile

        return ConstraintProfile
    if name == "recommend":
        from advisor.api import recommend

        return recommend
    if name == "Recommendation":
        from advisor.recommendation import Recommendation

        return Recommendation
    if name == "Policy":
        from advisor.policy import Policy

        return Policy
    if name == "render_prompt":
        from advisor.render import render_prompt

        return render_prompt
    if name == "compare":
        from advisor.baselines.compare import compare

        return compare
    if name == "study":  # advisor.baselines.studies.run_study
        from advisor.baselines.studies import run_study

        return run_study
    if name == "check":
        from advisor.answers import check

        return check
    if name == "baselines":  # the training API (advisor.baselines.train, ...); torch loads when it trains
        import importlib

        return importlib.import_module("advisor.baselines")
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")


__all__ = [
    "ConstraintProfile",
    "Policy",
    "Recommendation",
    "check",
    "compare",
    "hookimpl",
    "quote",
    "recommend",
    "render_prompt",
    "study",
]
