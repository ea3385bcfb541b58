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


ECHO_LIMIT = 300  # characters of user input an error message echoes; the rest is cut (see message_line)


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to about ``limit`` characters, keeping its start and end: what an error message echoes of a
    user's input (a 50 MB line is never printed back)."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}...[{len(text) - 2 * keep} characters cut]...{text[-keep:]}"


def message_line(text: str, limit: int = 4 * ECHO_LIMIT) -> str:
    """An exception's message as one line of an error (the first line of a multi-line message, e.g. pydantic's ``N validation errors
    for X``, with the next non-empty line after a colon), cut to ``limit`` (:func:`shorten`). Layout only: showing input-derived text safely is
    :mod:`advisor.sanitize`'s (``one_line``, ``quote``)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    joined = "; ".join(lines[:2]) if len(lines) > 1 else (lines[0] if lines else "")
    return shorten(joined, limit)


def close_matches(word: str, choices, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The ``n`` choices closest to ``word`` (difflib), best first: the one "did you mean" lookup."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def did_you_mean(word: str, choices, *, otherwise: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest choice, else ``otherwise`` (e.g. `` (valid keys: a, b)``)."""
    match = close_matches(word, choices)
    return f" (did you mean {match[0]!r}?)" if match else otherwise


def _key(part: object) -> str:
    """One part of an error's location as shown: as is when it is a plain printable key, else quoted and cut
    (a key that came from the user's file may hold a newline or be 50 MB long)."""
    text = str(part)
    return (
        text
        if text and text.isprintable() and text.strip() == text and len(text) <= 60
        else shorten(repr(text), 60)
    )


def error_line(err: dict) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as ``key: what is accepted (got X)``."""
    loc = ".".join(_key(p) for p in err["loc"]) or "value"
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


# A validation error lists at most this many keys (then "and N more"): one line stays readable.
MAX_LISTED_ERRORS = 5


def validation_line(exc, source: str = "", *, whole: str = "value") -> str:
    """A pydantic ``ValidationError`` as one line: ``source: key: what is accepted (got X); key: ...``.

    The one flattening of validation errors: the CLI (``advisor.cli.options.validation_message``), the MCP
    server, the llm tools, ``advisor check`` and the evidence verifier all report through it (each error as
    :func:`error_line`). ``key`` is the dotted location (``runs.0.dev_curve``; ``whole`` where the error is about
    the whole object); an unknown key reads ``key: unknown key``; without ``source`` the line starts at the first
    key. The offending input is shown unless it is an object, shortened past 60 characters; a string is shown
    quoted and escaped (``repr``, cut inside its quotes), so it stays a closed, inert value in any reason. At most
    :data:`MAX_LISTED_ERRORS` keys are listed, then ``and N more``.
    """
    errors = exc.errors(include_url=False)
    parts = [error_line({**e, "loc": e["loc"] or (whole,)}) for e in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        parts.append(f"and {len(errors) - MAX_LISTED_ERRORS} more")
    return (f"{source}: " if source else "") + "; ".join(parts)
