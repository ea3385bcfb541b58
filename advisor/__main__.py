"""``python -m advisor``: the same command line as the ``advisor`` console script."""

from advisor.cli import cli

if __name__ == "__main__":
    cli(prog_name="advisor")
