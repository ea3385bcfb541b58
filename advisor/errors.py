"""The advisor's own errors. ``exit_code`` is what the CLI exits with (1: no answer could be produced)."""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class of the advisor's own errors; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class PluginError(AdvisorError):
    """A plugin failed to load or raised while evaluating: no answer is given (fail closed)."""


class NoCandidateError(AdvisorError):
    """Every candidate was excluded or refused; the message lists why and the budget that would admit one."""
