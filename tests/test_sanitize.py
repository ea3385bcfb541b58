"""advisor.sanitize: which characters never reach a terminal or a prompt raw, and how each helper shows them."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.sanitize import UNSAFE, clean, json_text, line_break, one_line, quote

BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
INVISIBLE = {0x200B, *range(0x2060, 0x2065), 0xFEFF, *range(0xE0000, 0xE0080)}


def expected_unsafe(n: int) -> bool:
    ch = chr(n)
    if ch in "\t\n":
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs", "Zl", "Zp") or n in BIDI or n in INVISIBLE


def test_unsafe_is_exactly_controls_bidi_separators_invisibles_and_surrogates():
    wrong = [hex(n) for n in range(sys.maxunicode + 1) if bool(UNSAFE.match(chr(n))) != expected_unsafe(n)]
    assert not wrong


def test_zwj_and_zwnj_stay():  # scripts and emoji need them
    assert clean("\u200c\u200d") == "\u200c\u200d"


@pytest.mark.parametrize(
    ("text", "cleaned", "single"),
    [
        ("\x1b[8mhidden", "\\x1b[8mhidden", "\\x1b[8mhidden"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07", "\\x1b]0;title\\x07"),
        ("a\u202eb", "a\\u202eb", "a\\u202eb"),
        ("a\u2028b", "a\\u2028b", "a\\u2028b"),
        ("a\nb\tc", "a\nb\tc", "a\\x0ab\\x09c"),
        ("tag\U000e0041", "tag\\U000e0041", "tag\\U000e0041"),
        ("naïve 中文", "naïve 中文", "naïve 中文"),
    ],
)
def test_clean_and_one_line(text, cleaned, single):
    assert clean(text) == cleaned
    assert one_line(text) == single
    assert clean(cleaned) == cleaned  # idempotent


def test_quote_is_closed_and_escaped():
    assert quote("ok") == "'ok'"
    assert quote("a\u2028b\x1b") == "'a\\u2028b\\x1b'"
    assert quote(5) == "'5'"


@pytest.mark.parametrize(
    "brk", ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_line_break_knows_what_splitlines_splits_on(brk):
    assert len(f"a{brk}b".splitlines()) == 2
    assert line_break(f"a{brk}b") == brk
    assert line_break("a\tb") is None


def test_json_text_is_the_same_json():
    value = {"k\u202e": ["\u2028", "\x9b", "\x7f", "\U000e0041", "é"]}
    raw = json.dumps(value, ensure_ascii=False)
    safe = json_text(raw)
    assert not UNSAFE.search(safe)
    assert json.loads(safe) == value
    assert "é" in safe  # other non-ASCII stays UTF-8


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_one_line_never_lets_a_line_break_or_an_unsafe_character_through(text):
    shown = one_line(text)
    assert not UNSAFE.search(shown) and line_break(shown) is None and "\t" not in shown
    assert len(clean(text).splitlines() or [""]) <= max(1, text.count("\n") + 1)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4),
        max_leaves=10,
    )
)
def test_json_text_keeps_every_value(value):
    raw = json.dumps(value, ensure_ascii=False)
    assert json.loads(json_text(raw)) == value
