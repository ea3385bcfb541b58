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


def error_line(err: dict) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as ``key: what is accepted (got X)``."""
    loc = ".".join(str(p) for p in err["loc"]) or "value"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown key"
    got = ""
    if "input" in err and not isinstance(err["input"], dict):
        value = err["input"]
        shown = repr(value)
        if len(shown) > 60:  # a string is cut inside its quotes, so the quoted value stays closed
            shown = repr(value[:50]) + "..." if isinstance(value, str) else shown[:57] + "..."
        got = f" (got {shown})"
    return f"{loc}: {err['msg']}{got}"


def validation_line(exc, source: str = "", *, whole: str = "value") -> str:
    """A pydantic ``ValidationError`` as one line: ``source: key: what is accepted (got X); key: ...``.

    The one flattening of validation errors: the CLI (``advisor.cli.options.validation_message``), the MCP
    server, the llm tools, ``advisor check`` and the evidence verifier all report through it (each error as
    :func:`error_line`). ``key`` is the dotted location (``runs.0.dev_curve``; ``whole`` where the error is about
    the whole object); an unknown key reads ``key: unknown key``; without ``source`` the line starts at the first
    key. The offending input is shown unless it is an object, shortened past 60 characters; a string is shown
    quoted and escaped (``repr``, cut inside its quotes), so it stays a closed, inert value in any reason.
    """
    errors = exc.errors(include_url=False)
    parts = [error_line({**e, "loc": e["loc"] or (whole,)}) for e in errors]
    return (f"{source}: " if source else "") + "; ".join(parts)
