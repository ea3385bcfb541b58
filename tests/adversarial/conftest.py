"""What every hostile-input case asserts: the exit code, one ``Error:`` line naming the problem, no
traceback, nothing on stdout (for an error), and no file left behind or destroyed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from advisor.cli import cli


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256 of its bytes): what a failed command must leave as it was."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_clean_error(result, code: int, *needles: str) -> str:
    """The one error line of a failed CliRunner result, after asserting the promises every error keeps."""
    shown = f"exit {result.exit_code}\nstdout: {result.stdout[:2000]}\nstderr: {result.stderr[:2000]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}\nexception: {result.exception!r}"
    )
    assert result.exit_code == code, shown
    assert "Traceback" not in result.output, shown
    assert result.stdout == "", shown
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, shown
    line = errors[0]
    after = result.stderr.split(line, 1)[1]
    assert not after.strip(), f"the message goes on past its line:{after[:500]}"
    assert len(line) < 1000, f"the message echoes too much ({len(line)} characters)"
    for needle in needles:
        assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    return line


@pytest.fixture
def hostile(tmp_path, monkeypatch, runner):
    """``hostile(args, files={name: text | bytes}, input=None) -> (result, before, after)``: run the CLI in a
    fresh working folder holding ``files`` (no pyproject.toml above it that matters: the folder is cwd)."""
    monkeypatch.chdir(tmp_path)

    def run(args, files=None, input=None):
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        before = tree(tmp_path)
        result = runner.invoke(cli, args, input=input, catch_exceptions=True)
        return result, before, tree(tmp_path)

    return run
