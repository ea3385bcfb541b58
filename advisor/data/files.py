"""Reading user files with one-line errors, and writing files and folders atomically (standard library only)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# The most the advisor reads of a profile, policy, answer or evidence file (or an answer on stdin): such a file
# is a few kilobytes, and `--profile /dev/zero` must end with a message, not fill the memory.
MAX_INPUT_BYTES = 10 * 1024 * 1024


def read_capped(fh: BinaryIO, source: str | Path, what: str, error: type[Exception]) -> bytes:
    """At most :data:`MAX_INPUT_BYTES` of ``fh``; ``error`` (one line) when there is more."""
    data = fh.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise error(
            f"{source}: {what} file is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB "
            "(the advisor reads no more of it)"
        )
    return data


def read_text_file(path: str | Path, what: str, error: type[Exception]) -> str:
    """A UTF-8 text file of at most :data:`MAX_INPUT_BYTES`, or ``error("<path>: <what> file not found")`` and
    the like (one line)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return read_capped(fh, path, what, error).decode("utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} file is not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} file: {exc.strerror}") from None


@contextmanager
def parse_limits(source: str | Path, error: type[Exception], kind: str = "JSON") -> Iterator[None]:
    """Turn what Python's JSON and TOML parsers raise past their limits into ``error`` (one line): nesting
    deeper than the recursion limit (``RecursionError``) and an integer longer than
    ``sys.get_int_max_str_digits()`` (a plain ``ValueError``). Decode errors pass through untouched."""
    try:
        yield
    except RecursionError:
        raise error(f"{source}: {kind} nested too deeply (past Python's recursion limit)") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        raise error(
            f"{source}: a number with more than {sys.get_int_max_str_digits()} digits (not a sensible value)"
        ) from None


def parse_json_or_toml(text: str, path: str | Path, error: type[Exception], default: str = "json") -> object:
    """JSON for ``*.json``, TOML for ``*.toml``, ``default`` for any other suffix; errors name file and line."""
    import tomllib

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if (suffix if suffix in ("json", "toml") else default) == "json":
        with parse_limits(path, error, "JSON"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    with parse_limits(path, error, "TOML"):
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise error(f"{path}: invalid TOML: {exc}") from None


def _umask() -> int:
    """The process umask: from /proc on Linux, else by setting it and putting it straight back (the only
    portable way to read it, racy only against another thread creating files at that instant)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` through ``write(binary_file)`` into a temp file in the same folder, then ``os.replace``:
    readers see the old file or the new one, never half of one; on failure the old file stays.

    The file gets the mode a plain ``open(path, "w")`` would give a new file (``0o666`` less the umask), not
    ``mkstemp``'s ``0o600``. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def write_json_atomic(path: str | Path, doc: object) -> None:
    write_text_atomic(path, json.dumps(doc, indent=2) + "\n")


def replace_dir_atomic(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Fill a temp folder beside ``out_dir``, then swap it in: never a half-written folder; on failure the
    previous folder (if any) stays. The folder gets the mode a plain ``mkdir`` gives (``0o777`` less the umask)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    tmp.chmod(0o777 & ~_umask())  # as a plain mkdir would make it, not mkdtemp's 0o700
    old = None
    try:
        fill(tmp)
        if out_dir.exists():
            # rename() cannot replace a non-empty folder: move the old one aside first, drop it after
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "model")
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out_dir.exists():
            os.replace(old / "model", out_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out_dir
