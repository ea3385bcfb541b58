"""Registers the commands that live in their own modules; each imports its heavy parts only when run."""

from __future__ import annotations


def register(cli) -> None:
    from advisor.cli_baseline import baseline

    cli.add_command(baseline)
