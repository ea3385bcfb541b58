"""The advisor's own errors. ``exit_code`` is what the CLI exits with (1: no answer could be produced)."""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class of the advisor's own errors; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class PluginError(AdvisorError):
    """A plugin failed to load or raised while evaluating: no answer is given (fail closed)."""


class NoCandidateError(AdvisorError):
    """Every candidate was excluded or refused; the message lists why and the budget that would admit one."""


class UnknownRuleError(AdvisorError, LookupError):
    """No rule has that id or name (``Engine.rule``); the message names the closest ids."""


def close_matches(word: str, choices, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The ``n`` choices closest to ``word`` (difflib), best first: the one "did you mean" lookup."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def did_you_mean(word: str, choices, *, otherwise: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest choice, else ``otherwise`` (e.g. `` (valid keys: a, b)``)."""
    match = close_matches(word, choices)
    return f" (did you mean {match[0]!r}?)" if match else otherwise
