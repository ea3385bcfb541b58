"""Static embedding files: their vocabulary, read without loading the vectors (standard library only)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from advisor.data.formats import DataError

_JSON_KEY_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def embeddings_vocab(path: str | os.PathLike[str]) -> set[str]:
    """The words of an embeddings file, without parsing the vectors.

    Accepts GloVe text (``word v1 v2 ...`` per line), word2vec/fastText ``.vec`` (the same after a first line
    ``count dim``) and JSON ``{word: [floats], ...}``. In text files the word is everything before the last
    ``dim`` fields (GloVe 840B has words with spaces), where ``dim`` comes from the header or the first line.
    """
    name = os.fspath(path)
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{name}: embeddings file not found")
    with p.open("rb") as f:
        head = f.read(64).lstrip()
    if head.startswith(b"{"):
        text = p.read_text("utf-8", errors="replace")
        words = set()
        for m in _JSON_KEY_RE.finditer(text):
            key = m.group(1)
            words.add(json.loads(f'"{key}"') if "\\" in key else key)
        if not words:
            raise DataError(f"{name}: no words found (expected a JSON object {{word: [floats], ...}})")
        return words
    words = set()
    dim = 0
    with p.open("rb") as f:
        for i, raw in enumerate(f, 1):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n").rstrip(" ")
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
            words.add(" ".join(parts[:-dim]) if len(parts) > dim else parts[0])
    if not words:
        raise DataError(f"{name}: empty file (expected 'word v1 v2 ...' lines)")
    return words
