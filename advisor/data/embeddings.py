"""Static embedding files: the one reader of their words and vectors (standard library only).

:func:`read_vectors` is the only code that parses an embeddings file: the profile's OOV rate
(:func:`embeddings_vocab`) and the baselines' ``load_embeddings`` (``embeddings_found``) both go through it,
so the words one counts are the words the other finds. Formats:

- GloVe text: ``word v1 v2 ... vdim`` per line, fields separated by single spaces. The vector is the last
  ``dim`` fields and the word everything before them, spaces included (GloVe 840B has words with spaces).
- word2vec/fastText ``.vec``: the same after a first line ``count dim``.
- JSON: ``{word: [floats], ...}`` (a file whose first non-blank character is ``{``).
- a model2vec folder (``advisor embeddings distill`` makes one from the shipped all-MiniLM-L6-v2: ``config.json``
  with ``"model_type": "model2vec"``, ``model.safetensors``, ``tokenizer.json``). It has sub-word tokens, not
  words: given ``words`` (the words a model or a profile needs), each word's vector is model2vec's encoding of
  the word (the mean of its sub-word vectors, L2-normalised), so no word is out of vocabulary unless none of its
  pieces is known (``[UNK]`` only); without ``words`` it lists its own tokens and their vectors. Reading one
  needs the ``transformer`` extra (model2vec, numpy): ``ImportError`` naming the pip command otherwise.

Text files are UTF-8 (undecodable bytes become U+FFFD; a leading byte-order mark is dropped); line ends
(``\\n``, ``\\r\\n``) and trailing spaces are ignored, blank lines skipped. ``dim`` comes from the header, else
from the first line. A line with fewer than ``dim + 1`` fields (a truncated download, a line without its
vector) is a ``DataError`` naming the file and line, for the profile and for training alike. Words are kept
as written (case, duplicates): where a file lists a word twice, the first vector is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from advisor.data.files import parse_limits
from advisor.data.formats import DataError

INSTALL_HINT = "pip install 'text-encoder-advisor[transformer]'"
STATIC_MODEL_TYPE = "model2vec"  # config.json's model_type in a model2vec folder


def is_static_model(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a model2vec folder (its ``config.json`` says ``"model_type": "model2vec"``)."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text("utf-8")).get("model_type") == STATIC_MODEL_TYPE
    except (OSError, ValueError, AttributeError):
        return False


def read_vectors(
    path: str | os.PathLike[str], words: Iterable[str] | None = None
) -> Iterator[tuple[str, Sequence[str] | Sequence[float]]]:
    """``(word, vector)`` for each entry of an embeddings file, in file order (the formats are in the module
    docstring). Text vectors are the ``dim`` fields as strings, unparsed (the profile never needs the numbers);
    JSON vectors are as the file has them. ``DataError`` (one line) for a missing, empty or malformed file.

    ``words`` matters for a model2vec folder only (files list their own words): the words to encode, each once,
    in the order given; words made only of unknown pieces are left out (as a file leaves out a word it lacks)."""
    name = os.fspath(path)
    p = Path(path)
    if p.is_dir():
        yield from _read_static_model(p, name, words)
        return
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


def _read_static_model(
    p: Path, name: str, words: Iterable[str] | None
) -> Iterator[tuple[str, Sequence[float]]]:
    if not is_static_model(p):
        raise DataError(
            f"{name}: a folder, but not a model2vec folder (no config.json with model_type model2vec): "
            "`advisor embeddings distill` makes one"
        )
    model = load_static_model(p)
    if words is None:
        yield from zip(model.tokens, model.embedding, strict=True)
        return
    words = [w for w in dict.fromkeys(words) if w]
    ids = model.tokenize(words)  # [UNK] removed: an empty list is a word none of whose pieces is known
    known = [w for w, pieces in zip(words, ids, strict=True) if pieces]
    if known:
        vectors = model.encode(known, use_multiprocessing=False, max_length=None)
        yield from zip(known, vectors, strict=True)


def load_static_model(path: str | os.PathLike[str]):
    """The ``model2vec.StaticModel`` of a model2vec folder, loaded from disk only (never a hub: the folder must
    exist); ``ImportError`` with the pip command without the ``transformer`` extra, ``DataError`` for a broken
    folder."""
    try:
        from model2vec import StaticModel
    except ImportError as exc:
        raise ImportError(
            f"reading the model2vec folder {os.fspath(path)} needs model2vec ({exc.name or exc}): {INSTALL_HINT}"
        ) from None
    if not Path(path).is_dir():  # model2vec would try the hub for a name that is no folder
        raise DataError(f"{os.fspath(path)}: model2vec folder not found")
    try:
        return StaticModel.from_pretrained(Path(path), force_download=False)
    except Exception as exc:  # a missing or truncated file of the folder
        from advisor.errors import message_line

        raise DataError(
            f"{os.fspath(path)}: a broken model2vec folder ({type(exc).__name__}: {message_line(str(exc), 300)}): "
            "distill it again with `advisor embeddings distill`"
        ) from None


def embeddings_vocab(path: str | os.PathLike[str], words: Iterable[str] | None = None) -> set[str]:
    """The words of an embeddings file (see :func:`read_vectors`), as written; for a model2vec folder, those of
    ``words`` it has a vector for."""
    return {word for word, _ in read_vectors(path, words)}
