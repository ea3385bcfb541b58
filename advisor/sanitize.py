"""Text that came from outside, made safe to show: the one place that says which characters a terminal or a prompt
never receives raw from input.

Input-derived text (data labels and texts, file names, evidence strings, the profile's description, a plugin's
messages, summaries and docs, an agent's answer, a model's reply) can carry characters that act instead of being
read: C0 controls (but newline and tab), DEL and C1 controls (``\\x1b[8m`` conceals the rest of a line on a TTY,
``\\x1b]0;...\\x07`` retitles the window even when piped, ``\\x9b`` is a one-byte CSI), bidi controls (U+202E
shows a line reversed), the line and paragraph separators U+2028/U+2029 (a line break to some readers, not to
others), invisible characters (zero-width space, word joiner, BOM, the tag characters U+E0000-U+E007F that
smuggle ASCII past a reader) and lone surrogates (which no UTF-8 stream can carry). :data:`UNSAFE` matches them.

- :func:`clean`: each unsafe character as a visible escape (``\\x1b``, ``\\u202e``, ``\\U000e0041``); newline
  and tab stay. For multi-line text: a rule's docs, a data block, a model's reply.
- :func:`one_line`: :func:`clean`, and newline and tab escaped too: a value shown inside a line of the advisor's
  own (a label, a recipe line, a rationale), which then cannot forge a line such as ``verdict: OK``.
- :func:`quote`: a data value inside an engine-authored sentence, quoted and escaped (``repr``: every
  non-printable character escaped, the quotes balanced), so the reader sees where the data starts and ends.
  Rules put every value that came from data, evidence or the user into a reason through it.
- :func:`line_break`: the first line break :meth:`str.splitlines` knows (``\\n \\r \\v \\f \\x1c-\\x1e \\x85
  U+2028 U+2029``): what the engine's one-line check looks for.
- :func:`json_text`: a JSON document with each unsafe character inside its strings written as a ``\\u``
  escape. The document stays valid JSON and every value parses back unchanged; ``json.dumps`` with its default
  ``ensure_ascii=True`` already escapes them, pydantic's ``model_dump_json`` and ``ensure_ascii=False`` do not
  (they escape only C0), so every JSON the CLI prints goes through this.

Every text renderer and every CLI echo of input-derived text uses these (``advisor.render`` applies
:func:`one_line` to each value a template prints). The escapes are for display: they are not meant to be parsed
back (a literal backslash in the input is shown as it is).
"""

from __future__ import annotations

import re

# C0 but tab and newline; DEL and C1; ALM, LRM, RLM, the bidi embeddings/overrides/isolates; LS, PS; zero-width
# space, word joiner and the invisible operators, BOM; lone surrogates; the tag characters.
_UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u2060-\u2064\ufeff"
    "\ud800-\udfff"
    "\U000e0000-\U000e007f"
)
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_UNSAFE_CLASS}\t\n]")
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")


def escape_char(ch: str) -> str:
    """``ch`` as a visible escape: ``\\x1b``, ``\\u202e``, ``\\U000e0041``."""
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def _escape(match: re.Match) -> str:
    return escape_char(match.group())


def clean(text: object) -> str:
    """``text`` with every :data:`UNSAFE` character as a visible escape; newline and tab kept."""
    return UNSAFE.sub(_escape, str(text))


def one_line(text: object) -> str:
    """``text`` as :func:`clean`, with newline and tab escaped too: it stays inside the line it is shown in."""
    return _UNSAFE_ONE_LINE.sub(_escape, str(text))


def quote(value: object) -> str:
    """A data value for a sentence of the engine's (a reason, a message): ``repr`` of its text, so quoted, with
    every non-printable character escaped (line breaks, controls, bidi, U+2028 included)."""
    return repr(value if isinstance(value, str) else str(value))


def line_break(text: str) -> str | None:
    """The first line break in ``text`` (any that :meth:`str.splitlines` splits on), else None."""
    match = _LINE_BREAK.search(text)
    return match.group() if match else None


def _json_escape(match: re.Match) -> str:
    n = ord(match.group())
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000
    return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"


def json_text(document: str) -> str:
    """A JSON document with each :data:`UNSAFE` character written as a ``\\u`` escape (still the same JSON).

    Such a character can only occur inside a JSON string (the structure is ASCII), where a ``\\u`` escape means
    the same character, so ``json.loads`` gives back the same values.
    """
    return UNSAFE.sub(_json_escape, document)
