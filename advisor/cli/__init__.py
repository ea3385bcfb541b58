"""The ``advisor`` command line (click).

Exit codes: 0 an answer (a refusal is an answer); 1 no answer could be produced (a plugin failed,
nothing meets the budgets, an answer that ``check`` found in violation); 2 anything wrong in what the
user passed (option values, profile, policy, data and evidence arguments); 130 interrupted (Ctrl-C). Errors are one clear message
on stderr, never a traceback. With ``--json`` stdout holds only the JSON document.

Whatever goes wrong keeps those promises (:meth:`LazyGroup.invoke`): ``KeyboardInterrupt`` exits 130 with one
line, an error that escapes a command (a bug) exits 1 with one line naming its type (``ADVISOR_DEBUG=1`` shows
the traceback), and what a message echoes of the user's input is cut (:func:`advisor.errors.shorten`).

Imports stay light: torch, numpy and the rules engine are imported inside the commands that need them, and
jinja2 only by the formats that render a template. Every format takes the one validation path: the profile and
the answer are pydantic models (advisor.profile, advisor.recommendation).
"""

from __future__ import annotations

import sys

import click

from advisor.cli.options import CONTEXT_SETTINGS, BadInput, Interrupted, NoAnswer
from advisor.cli.recommend import prompt, recommend, rules, schema

# -- commands ------------------------------------------------------------------------------------
# Commands that live in their own modules, imported only when invoked or listed (keeps cold start light
# and avoids import cycles: those modules import this one).
LAZY_COMMANDS = {
    "baseline": "advisor.cli.baseline:baseline",
    "check": "advisor.cli.agent:check_command",
    "compare": "advisor.cli.compare:compare",
    "embeddings": "advisor.cli.embeddings:embeddings",
    "ask": "advisor.cli.agent:ask_command",
    "mcp": "advisor.cli.agent:mcp_command",
    "profile": "advisor.cli.agent:profile_command",
    "study": "advisor.cli.study:study",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attr = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attr, None)
            if command is None:
                return None
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        """Run the command; every way out is an answer, one error line with its exit code, or exit 130."""
        import os

        from advisor.errors import AdvisorError, message_line, shorten

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.UsageError as exc:  # click's (a missing choice lists the choices below): one line
            text = " ".join(part.strip() for part in exc.format_message().splitlines() if part.strip())
            flat = click.UsageError(shorten(text, 600), ctx=exc.ctx)
            flat.exit_code = exc.exit_code
            raise flat from None
        except click.ClickException as exc:
            exc.message = "\n".join(shorten(line, 600) for line in str(exc.message).splitlines())
            raise
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except AdvisorError as exc:  # exit_code 2 is bad input (advisor.baselines.api.BaselineInputError)
            raise (BadInput if exc.exit_code == 2 else NoAnswer)(str(exc)) from None
        except Exception as exc:
            if os.environ.get("ADVISOR_DEBUG"):
                raise
            raise NoAnswer(
                f"internal error: {type(exc).__name__}: {message_line(str(exc))} "
                "(ADVISOR_DEBUG=1 shows the traceback; please report it)"
            ) from None


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="text-encoder-advisor", prog_name="advisor")
def cli():
    """Which text encoder to build under your constraints, and proof for the risky step.

    \b
    Example:
        advisor recommend --examples 300 --deploy phone --latency-ms 5
    """


for _command in (recommend, rules, schema, prompt):
    cli.add_command(_command)


def main() -> None:  # pragma: no cover - console entry
    cli(prog_name="advisor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
