"""Static embedding files: the one reader of their words and vectors (standard library only).

:func:`read_vectors` is the only code that parses an embeddings file: the profile's OOV rate
(:func:`embeddings_vocab`) and the baselines' ``load_embeddings`` (``embeddings_found``) both go through it,
so the words one counts are the words the other finds. Formats:

- GloVe text: ``word v1 v2 ... vdim`` per line, fields separated by single spaces. The vector is the last
  ``dim`` fields and the word everything before them, spaces included (GloVe 840B has words with spaces).
- word2vec/fastText ``.vec``: the same after a first line ``count dim``.
- JSON: ``{word: [floats], ...}`` (a file whose first non-blank character is ``{``).

Text files are UTF-8 (undecodable bytes become U+FFFD; a leading byte-order mark is dropped); line ends
(``\\n``, ``\\r\\n``) and trailing spaces are ignored, blank lines skipped. ``dim`` comes from the header, else
from the first line. A line with fewer than ``dim + 1`` fields (a truncated download, a line without its
vector) is a ``DataError`` naming the file and line, for the profile and for training alike. Words are kept
as written (case, duplicates): where a file lists a word twice, the first vector is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from advisor.data.files import parse_limits
from advisor.data.formats import DataError


def read_vectors(path: str | os.PathLike[str]) -> Iterator[tuple[str, Sequence[str] | Sequence[float]]]:
    """``(word, vector)`` for each entry of an embeddings file, in file order (the formats are in the module
    docstring). Text vectors are the ``dim`` fields as strings, unparsed (the profile never needs the numbers);
    JSON vectors are as the file has them. ``DataError`` (one line) for a missing, empty or malformed file."""
    name = os.fspath(path)
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{name}: embeddings file not found")
    with p.open("rb") as f:
        head = f.read(64).lstrip()
    if head.startswith(b"{"):
        yield from _read_json(p, name)
        return
    dim = 0
    empty = True
    with p.open("rb") as f:
        for i, raw in enumerate(f, 1):
            line = raw.decode("utf-8-sig" if i == 1 else "utf-8", errors="replace").rstrip("\r\n").rstrip(" ")
            if not line:
                continue
            parts = line.split(" ")
            if i == 1 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                dim = int(parts[1])
                continue
            if not dim:
                dim = len(parts) - 1
                if dim < 1:
                    raise DataError(
                        f"{name}:{i}: one field (expected 'word v1 v2 ...' or a 'count dim' header)"
                    )
            if len(parts) <= dim:
                raise DataError(
                    f"{name}:{i}: {len(parts)} fields, expected a word and {dim} numbers (a truncated file?)"
                )
            empty = False
            yield " ".join(parts[:-dim]), parts[-dim:]
    if empty:
        raise DataError(f"{name}: empty file (expected 'word v1 v2 ...' lines)")


def _read_json(p: Path, name: str) -> Iterator[tuple[str, Sequence[float]]]:
    try:  # pairs, not a dict: a word listed twice keeps its first vector, as in text files
        with parse_limits(name, DataError):
            pairs = json.loads(p.read_text("utf-8-sig", errors="replace"), object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not pairs:
        raise DataError(f"{name}: no words found (expected a JSON object {{word: [floats], ...}})")
    for word, vector in pairs:
        if not isinstance(vector, list):
            raise DataError(f"{name}: the value of {word!r} is not a list of numbers")
        yield word, vector


def embeddings_vocab(path: str | os.PathLike[str]) -> set[str]:
    """The words of an embeddings file (see :func:`read_vectors`), as written."""
    return {word for word, _ in read_vectors(path)}
