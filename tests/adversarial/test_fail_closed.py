"""Fail closed (issue 9, section 1): whatever escapes a plugin (an exception, ``SystemExit``, ``GeneratorExit``,
any ``BaseException``) gives nothing on stdout, writes no file and exits 1 naming the plugin;
``KeyboardInterrupt`` exits 130 with one line wherever it came from. Nothing exits 0 without an answer."""

from __future__ import annotations

import sys

import pytest

import advisor
from tests.adversarial.conftest import assert_clean_error


class Odd(BaseException):
    """A BaseException that is neither Exception, SystemExit, GeneratorExit nor KeyboardInterrupt."""


RAISES = {
    "exit0": lambda: sys.exit(0),
    "exit1": lambda: sys.exit(1),
    "exit-text": lambda: sys.exit("bye"),
    "generator-exit": lambda: (_ for _ in ()).throw(GeneratorExit()),
    "base-exception": lambda: (_ for _ in ()).throw(Odd("odd")),
    "value-error": lambda: int("x"),
    "recursion": lambda: (_ for _ in ()).throw(RecursionError("deep")),
}


def faulty(phase: str, raise_):
    """A third-party plugin (rule TEP950) whose ``phase`` hook calls ``raise_()``."""

    class Faulty:
        __name__ = "faulty-plugin"

        @advisor.hookimpl
        def register_rules(self, register):
            if phase == "register_rules":
                raise_()
            register(id="TEP950", name="faulty", severity="info", summary="Faulty.", docs="Docs.")

    def hook(self, ctx):
        raise_()

    if phase != "register_rules":
        setattr(Faulty, phase, advisor.hookimpl(specname=phase)(hook))
    return Faulty()


COMMANDS = {
    "recommend": ["recommend", "--examples", "300"],
    "recommend-json": ["recommend", "--examples", "300", "--json"],
    "check": ["check", "a.json", "--examples", "300"],
    "prompt-out": ["prompt", "--examples", "300", "--out", "p.md"],
}
ANSWER = (
    '{"architecture": "ngram-linear", "embedding": "none", "recipe": {"optimizer": "liblinear", '
    '"learning_rate": "n/a", "batch_size": "n/a", "epochs": "n/a", "regularization": "C grid"}, '
    '"monitoring": "per-length accuracy"}'
)
PHASES = ("register_rules", "exclude_candidates", "refuse_candidates", "rank_candidates", "describe_winner")


def _cases():
    for kind in RAISES:
        for phase in PHASES:
            for command in COMMANDS:
                if phase not in ("register_rules", "describe_winner") and command != "recommend":
                    continue  # every command goes through the same call; one command per middle phase
                yield pytest.param(kind, phase, command, id=f"{kind}-{phase}-{command}")


@pytest.mark.parametrize(("kind", "phase", "command"), list(_cases()))
def test_plugin_fault_fails_closed(hostile, cli_plugins, kind, phase, command):
    cli_plugins(faulty(phase, RAISES[kind]))
    result, before, after = hostile(COMMANDS[command], {"a.json": ANSWER})
    assert_clean_error(result, 1, "faulty-plugin", "failed")
    assert after == before, "a failed command wrote a file"


@pytest.mark.parametrize(
    "phase", ["register_rules", "describe_winner"], ids=["register_rules", "describe_winner"]
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_keyboard_interrupt_in_a_plugin_exits_130(hostile, cli_plugins, phase, command):
    def interrupt():
        raise KeyboardInterrupt

    cli_plugins(faulty(phase, interrupt))
    result, before, after = hostile(COMMANDS[command], {"a.json": ANSWER})
    assert_clean_error(result, 130, "interrupted")
    assert after == before


def test_plugin_load_sys_exit_fails_closed(hostile, monkeypatch):
    """An entry point whose import calls sys.exit(0): exit 1 naming it, not an empty 'OK'."""
    import advisor.engine

    class EntryPoint:
        name, value, group = "exits-on-import", "exits_on_import:plugin", "advisor"

        def load(self):
            sys.exit(0)

    monkeypatch.delenv("ADVISOR_NO_ENTRY_POINTS")
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [EntryPoint()])
    advisor.engine.reset_default_engine()
    result, _, _ = hostile(["recommend", "--examples", "300"])
    assert_clean_error(result, 1, "exits-on-import")


class EmptiesRefused:
    """A plugin that tries to lift every refusal by emptying ``ctx.refused`` (and ``ctx.refusals``)."""

    __name__ = "empties-refused"

    def __init__(self, how):
        self.how = how

    @advisor.hookimpl
    def register_rules(self, register):
        register(id="TEP951", name="empties", severity="info", summary="Empties.", docs="Docs.")

    @advisor.hookimpl
    def rank_candidates(self, ctx):
        self.how(ctx)


TAMPER = {
    "refused-clear": lambda ctx: ctx.refused.clear(),
    "refused-del": lambda ctx: ctx.refused.__delitem__(next(iter(ctx.refused))),
    "refused-assign": lambda ctx: setattr(ctx, "refused", {}),
    "refusals-clear": lambda ctx: ctx.refusals.clear(),
    "excluded-pop": lambda ctx: ctx.excluded.pop(next(iter(ctx.excluded))),
    "profile-assign": lambda ctx: setattr(ctx.profile, "examples", 10**6),
}


@pytest.mark.parametrize("how", list(TAMPER))
def test_a_plugin_cannot_empty_the_refusals(hostile, cli_plugins, how):
    """With 300 examples TEP101 refuses transformer-finetune; a plugin that tries to undo that fails closed."""
    cli_plugins(EmptiesRefused(TAMPER[how]))
    result, _, _ = hostile(["recommend", "--examples", "300", "--deploy", "phone", "--json"])
    assert_clean_error(result, 1, "empties-refused", "fail closed")


def test_check_never_exits_0_without_a_verdict(hostile, cli_plugins):
    """Even sys.exit(0) late in describe_winner cannot turn `check` into a silent OK."""
    cli_plugins(faulty("describe_winner", RAISES["value-error"]))
    result, _, _ = hostile(["check", "a.json", "--examples", "300", "--json"], {"a.json": ANSWER})
    assert result.exit_code == 1 and result.stdout == ""
