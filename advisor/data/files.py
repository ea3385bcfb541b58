"""Reading user files with one-line errors, and writing files and folders atomically (standard library only)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_text_file(path: str | Path, what: str, error: type[Exception]) -> str:
    """A UTF-8 text file, or ``error("<path>: <what> file not found")`` and the like (one line)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} file is not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} file: {exc.strerror}") from None


def parse_json_or_toml(text: str, path: str | Path, error: type[Exception], default: str = "json") -> object:
    """JSON for ``*.json``, TOML for ``*.toml``, ``default`` for any other suffix; errors name file and line."""
    import tomllib

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if (suffix if suffix in ("json", "toml") else default) == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, doc: object) -> None:
    write_text_atomic(path, json.dumps(doc, indent=2) + "\n")


def replace_dir_atomic(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Fill a temp folder beside ``out_dir``, then swap it in: never a half-written folder; on failure the
    previous folder (if any) stays."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
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
