"""Data files: the formats, how they are told apart, and the checks on load (standard library only).

This module is on the light path (``advisor recommend --data``): it must never import numpy or torch.

Formats, and how ``load_dataset`` tells them apart
---------------------------------------------------
The file is decoded first (UTF-8, a byte-order mark removed; if that fails, cp1252 with a note; if that fails
too, a ``DataError``). Lines are split on ``"\\n"`` only, never ``str.splitlines`` (which also breaks on U+0085,
the character cp1252-as-latin-1 puts where MR has its 0x85 ellipsis), and a trailing ``"\\r"`` is dropped.
Then the first rule that matches picks the format:

1. ``task="tagging"``: **CoNLL** columns.
2. The first non-blank character is ``{``: **JSONL**, one object per line with ``text_column`` and
   ``label_column`` keys (default ``"text"``, ``"label"``); the label may be a string or an integer.
3. ``task`` is not ``"classification"`` and the file looks like CoNLL: the first non-blank line starts with
   ``-DOCSTART-``, or the extension is ``.conll``/``.iob``/``.iob1``/``.iob2``/``.bio``, or each of the first 50
   non-blank lines has at least 2 whitespace-separated fields and a last field that looks like a tag (``O``,
   or ``B-``/``I-``/``E-``/``S-`` plus a type): **CoNLL** columns, and the task is tagging.
4. Extension ``.csv``: **CSV with a header** row naming the columns.
5. Extension ``.tsv``: **TSV with a header** when the first line has a field equal to ``text_column`` or
   ``label_column``; otherwise ``label<TAB>text`` lines.
6. Anything else: ``label<TAB>text`` lines when the first non-blank line has a tab; else ``label text`` lines
   (the label is the first space-separated field, as in Kim's ``stsa.binary.*`` and the TREC files) when every
   first field looks like a label code -- an integer (``0``, ``-1``), a fastText ``__label__pos``, or an upper-case
   code with an optional ``:fine`` part (``DESC:manner``) -- and there are at most 100 distinct ones. Lower-case
   word labels therefore need a tab, a header or JSONL. A file of bare sentences (one text per line, no label,
   like MR's ``rt-polarity.pos``) is not guessed at: load one such file per class with ``load_class_files``.

Blank lines are skipped in classification files. Text and labels are stripped of surrounding whitespace.
``coarse_labels=True`` cuts every label at its first ``:`` (TREC-50 ``DESC:manner`` -> TREC-6 ``DESC``).

CoNLL: whitespace-separated columns, the token in ``token_column`` (default first) and the tag in ``tag_column``
(default last); every token line must have as many columns as the first one. Blank lines and ``-DOCSTART-``
lines end a sentence. Tags are converted from IOB1 to IOB2 on load: an ``I-X`` at sentence start, after ``O``, or
after a tag of another type becomes ``B-X`` (a no-op on IOB2 files; ``E-``/``S-`` and bare tags are kept).
Tokens are kept as they are: lowercasing is the model's business.

Every error is a ``DataError`` with a one-line message that names the file, the 1-based line where there is one,
and what would be accepted, for example ``data.csv:14: empty text (every example needs non-empty text)``.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from advisor.data.files import parse_limits
from advisor.vocabulary import TASKS, Task

__all__ = [
    "DataError",
    "Dataset",
    "Example",
    "TaggedSentence",
    "check_labels_seen",
    "entity_type",
    "load_class_files",
    "load_dataset",
    "to_iob2",
]


MAX_LABEL_CODES = 100  # rule 6: at most this many distinct first fields make a "label text" file
CONLL_SNIFF_LINES = 50  # rule 3: token lines looked at when sniffing CoNLL
CONLL_EXTENSIONS = frozenset({".conll", ".iob", ".iob1", ".iob2", ".bio"})
ACCEPTED = (
    "accepted: JSONL, CSV/TSV with a header, label<TAB>text lines, 'label text' lines with label codes "
    "like 1, __label__pos or DESC:manner, CoNLL columns for tagging"
)

_LABEL_CODE_RE = re.compile(r"__label__\S+|[+-]?\d+|[A-Z][A-Z0-9_]*(?::\S+)?")
_TAG_RE = re.compile(r"O|[BIES]-\S+")


class DataError(ValueError):
    """A data file cannot be used; the message is one line naming the file, the line and what is accepted."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class TaggedSentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass
class Dataset:
    task: Task  # "classification" (items are Example) or "tagging" (items are TaggedSentence)
    path: str  # the file as given (load_class_files: the files joined by ", ")
    items: list[Example] | list[TaggedSentence]
    encoding: str  # "utf-8" or "cp1252" (the fallback)
    notes: list[str]  # things the user should know: encoding fallback, IOB1 conversion, ...
    format: str = ""  # jsonl | csv | tsv | label-tab | label-space | conll | lines-per-class
    where: list[str] = field(
        default_factory=list
    )  # "file:line" each item came from (tagging: its first token)

    def __len__(self) -> int:
        return len(self.items)

    def labels(self) -> list[str]:
        """The label of each example (classification only)."""
        if self.task != "classification":
            raise ValueError(
                "labels() is for classification; a tagging dataset has tags per token (items[i].tags)"
            )
        return [x.label for x in self.items]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- reading


def _read_text(path: str | os.PathLike[str]) -> tuple[str, str, list[str]]:
    """(text, encoding, notes): UTF-8 (BOM removed), else cp1252 with a note, else DataError."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{path}: file not found")
    if p.is_dir():
        raise DataError(f"{path}: is a directory (expected a data file)")
    data = p.read_bytes()
    notes: list[str] = []
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc2:
            line2 = data.count(b"\n", 0, exc2.start) + 1
            raise DataError(
                f"{path}:{line2}: cannot decode byte 0x{data[exc2.start]:02X}: neither UTF-8 nor cp1252 "
                "(save the file as UTF-8)"
            ) from None
        notes.append(f"decoded as cp1252: not valid UTF-8 (line {line}: byte 0x{byte:02X})")
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append("removed a UTF-8 byte-order mark")
    if not text.strip():
        raise DataError(f"{path}: empty file (expected one example per line, or CoNLL columns for tagging)")
    return text, encoding, notes


def _lines(text: str) -> list[str]:
    """Split on "\\n" only (never str.splitlines: U+0085 is text here) and drop a trailing "\\r"."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _first_nonblank(lines: Sequence[str]) -> str:
    return next((line for line in lines if line.strip()), "")


def _looks_like_conll(path: str, lines: Sequence[str]) -> bool:
    first = _first_nonblank(lines).lstrip()
    if first.startswith("-DOCSTART-") or Path(path).suffix.lower() in CONLL_EXTENSIONS:
        return True
    seen = 0
    for line in lines:
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or not _TAG_RE.fullmatch(fields[-1]):
            return False
        seen += 1
        if seen >= CONLL_SNIFF_LINES:
            break
    return seen > 0


def load_dataset(
    path: str | os.PathLike[str],
    task: Task | None = None,
    *,
    text_column: str = "text",
    label_column: str = "label",
    token_column: int = 0,
    tag_column: int = -1,
    coarse_labels: bool = False,
    training: bool = True,
) -> Dataset:
    """Load a classification or tagging data file; the format is sniffed as the module docstring says.

    :param task: ``"classification"``, ``"tagging"`` or None (sniffed: CoNLL-looking files are tagging).
    :param text_column: JSONL key or CSV/TSV header column holding the text.
    :param label_column: JSONL key or CSV/TSV header column holding the label.
    :param token_column: CoNLL column index of the token (default the first).
    :param tag_column: CoNLL column index of the tag (default the last).
    :param coarse_labels: cut labels at the first ``:`` (TREC-50 -> TREC-6).
    :param training: training data must hold at least two classes; a test or dev file (False) need not.
    :raises DataError: with a one-line message naming the file and line.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)} or None, got {task!r}")
    name = os.fspath(path)
    text, encoding, notes = _read_text(path)
    lines = _lines(text)
    first = _first_nonblank(lines).lstrip()
    suffix = Path(name).suffix.lower()

    if task == "tagging" or (
        task is None
        and not first.startswith(("{", "["))
        and suffix not in (".csv", ".tsv", ".jsonl", ".json")
        and _looks_like_conll(name, lines)
    ):
        items, where, conll_notes = _parse_conll(name, lines, token_column, tag_column)
        ds = Dataset("tagging", name, items, encoding, notes + conll_notes, "conll", where)
        _check_tags(ds)
        return ds

    if first.startswith("["):
        raise DataError(f"{name}:1: a JSON array (write one JSON object per line: JSONL)")
    if first.startswith("{"):
        fmt, rows = "jsonl", _parse_jsonl(name, lines, text_column, label_column)
    elif suffix == ".csv":
        fmt, rows = "csv", _parse_table(name, lines, ",", text_column, label_column)
    elif suffix == ".tsv" and {text_column, label_column} & {f.strip() for f in first.split("\t")}:
        fmt, rows = "tsv", _parse_table(name, lines, "\t", text_column, label_column)
    elif suffix == ".tsv" or "\t" in first:
        fmt, rows = "label-tab", _parse_label_tab(name, lines)
    else:
        fmt, rows = "label-space", _parse_label_space(name, lines)

    items: list[Example] = []
    where: list[str] = []
    for line_no, label, txt in rows:
        txt = txt.strip()
        label = label.strip()
        if not txt:
            raise DataError(f"{name}:{line_no}: empty text (every example needs non-empty text)")
        if not label:
            raise DataError(f"{name}:{line_no}: empty label (every example needs a label)")
        if coarse_labels:
            label = label.split(":", 1)[0]
        items.append(Example(txt, label))
        where.append(f"{name}:{line_no}")
    ds = Dataset("classification", name, items, encoding, notes, fmt, where)
    if training:
        _check_classes(ds)
    return ds


def load_class_files(files: Mapping[str, str | os.PathLike[str]]) -> Dataset:
    """Load one file per class, one text per line (MR's ``rt-polarity.pos``/``.neg``): ``{label: path}``.

    Blank lines are skipped; the decoding rules are those of ``load_dataset``, with each note prefixed by its file.
    """
    if not files:
        raise ValueError("load_class_files needs at least one {label: path} entry")
    items: list[Example] = []
    where: list[str] = []
    notes: list[str] = []
    encodings: list[str] = []
    for label, path in files.items():
        name = os.fspath(path)
        text, encoding, file_notes = _read_text(path)
        encodings.append(encoding)
        notes.extend(f"{name}: {note}" for note in file_notes)
        for i, line in enumerate(_lines(text), 1):
            if line.strip():
                items.append(Example(line.strip(), label))
                where.append(f"{name}:{i}")
    encoding = "cp1252" if "cp1252" in encodings else "utf-8"
    ds = Dataset(
        "classification",
        ", ".join(os.fspath(p) for p in files.values()),
        items,
        encoding,
        notes,
        "lines-per-class",
        where,
    )
    _check_classes(ds)
    return ds


def _check_classes(ds: Dataset) -> None:
    if not ds.items:
        raise DataError(f"{ds.path}: no examples (expected at least one example per class)")
    counts = Counter(ds.labels())
    if len(counts) < 2:
        ((label, n),) = counts.items()
        raise DataError(
            f"{ds.path}: one class only ({label!r} in all {n} examples; classification needs at least 2 classes)"
        )


def _check_tags(ds: Dataset) -> None:
    if not ds.items:
        raise DataError(f"{ds.path}: no sentences (CoNLL: one token per line, blank lines between sentences)")
    tags = {t for s in ds.items for t in s.tags}  # type: ignore[union-attr]
    if len(tags) < 2:
        raise DataError(f"{ds.path}: one tag only ({next(iter(tags))!r}; tagging needs at least 2 tags)")


def _parse_jsonl(
    name: str, lines: Sequence[str], text_key: str, label_key: str
) -> Iterator[tuple[int, str, str]]:
    hint = f'JSONL: one object per line like {{"{text_key}": "...", "{label_key}": "..."}}'
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            with parse_limits(f"{name}:{i}", DataError):
                obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name}:{i}: not valid JSON: {exc.msg} ({hint})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{name}:{i}: a JSON {type(obj).__name__}, not an object ({hint})")
        for key in (text_key, label_key):
            if key not in obj:
                raise DataError(
                    f"{name}:{i}: no {key!r} key (keys present: {', '.join(obj) or 'none'}; {hint})"
                )
        txt, label = obj[text_key], obj[label_key]
        if not isinstance(txt, str):
            raise DataError(f"{name}:{i}: text must be a string, got {_json_type(txt)}")
        if isinstance(label, bool) or not isinstance(label, str | int):
            raise DataError(f"{name}:{i}: label must be a string or an integer, got {_json_type(label)}")
        yield i, str(label), txt


def _json_type(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _parse_table(
    name: str, lines: Sequence[str], delimiter: str, text_col: str, label_col: str
) -> Iterator[tuple[int, str, str]]:
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter, quoting=quoting, strict=True)
    kind = "CSV" if delimiter == "," else "TSV"
    try:
        header = [h.strip() for h in next(reader)]
        for key, what in ((text_col, "text"), (label_col, "label")):
            if key not in header:
                present = ", ".join(h if len(h) <= 30 else h[:29] + "\u2026" for h in header)
                raise DataError(
                    f"{name}:1: no column {key!r} (columns present: {present}; "
                    f"pass the {what} column's name as {what}_column)"
                )
        ti, li = header.index(text_col), header.index(label_col)
        start = reader.line_num + 1
        for row in reader:
            row_line, start = start, reader.line_num + 1
            if not row or row == [""]:
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{name}:{row_line}: {len(row)} fields, expected {len(header)} like the header ({kind})"
                )
            yield row_line, row[li], row[ti]
    except csv.Error as exc:
        raise DataError(f"{name}:{reader.line_num}: bad {kind}: {exc}") from None


def _parse_label_tab(name: str, lines: Sequence[str]) -> Iterator[tuple[int, str, str]]:
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise DataError(f"{name}:{i}: no tab (expected label<TAB>text, like the first line)")
        label, txt = line.split("\t", 1)
        yield i, label, txt


def _parse_label_space(name: str, lines: Sequence[str]) -> list[tuple[int, str, str]]:
    rows = []
    codes: set[str] = set()
    for i, line in enumerate(lines, 1):
        parts = line.split(None, 1)
        if not parts:
            continue
        if not _LABEL_CODE_RE.fullmatch(parts[0]):
            raise DataError(
                f"{name}:{i}: no label found ({ACCEPTED}; a file of bare texts, one per class: "
                "write them as JSONL with a label each)"
            )
        codes.add(parts[0])
        if len(codes) > MAX_LABEL_CODES:
            raise DataError(
                f"{name}:{i}: more than {MAX_LABEL_CODES} distinct first words, so not 'label text' lines ({ACCEPTED})"
            )
        rows.append((i, parts[0], parts[1] if len(parts) > 1 else ""))
    return rows


def _parse_conll(
    name: str, lines: Sequence[str], token_column: int, tag_column: int
) -> tuple[list[TaggedSentence], list[str], list[str]]:
    hint = "CoNLL: one token per line, whitespace-separated columns, blank lines between sentences"
    sentences: list[TaggedSentence] = []
    where: list[str] = []
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    ncols = first_line = 0
    changed = 0

    def flush() -> None:
        nonlocal tokens, tags, changed
        if tokens:
            iob2 = to_iob2(tags)
            changed += sum(a != b for a, b in zip(tags, iob2, strict=True))
            sentences.append(TaggedSentence(tuple(tokens), tuple(iob2)))
            where.append(f"{name}:{start}")
        tokens, tags = [], []

    for i, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            flush()
            continue
        if not ncols:
            ncols, first_line = len(fields), i
            if ncols < 2:
                raise DataError(f"{name}:{i}: 1 column, expected at least a token and a tag ({hint})")
            for col, what in ((token_column, "token"), (tag_column, "tag")):
                if not -ncols <= col < ncols:
                    raise DataError(
                        f"{name}:{i}: {ncols} columns, so no column {col} for the {what} ({hint})"
                    )
        elif len(fields) != ncols:
            raise DataError(
                f"{name}:{i}: {len(fields)} columns, expected {ncols} like line {first_line} ({hint})"
            )
        if not tokens:
            start = i
        tokens.append(fields[token_column])
        tags.append(fields[tag_column])
    flush()
    notes = [f"converted IOB1 tags to IOB2 ({changed} I- tags became B-)"] if changed else []
    return sentences, where, notes


def to_iob2(tags: Sequence[str]) -> list[str]:
    """IOB1 -> IOB2: ``I-X`` at the start, after ``O`` or after another type becomes ``B-X``; IOB2 is unchanged."""
    out: list[str] = []
    prev_type: str | None = None
    for tag in tags:
        if tag.startswith("I-") and prev_type != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        prev_type = tag[2:] if tag[:2] in ("B-", "I-") else None
    return out


def entity_type(tag: str) -> str | None:
    """The entity type of a tag: ``B-PER`` -> ``PER``; ``O`` -> None; a bare tag (``NN``) is its own type."""
    if tag == "O":
        return None
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[2:]
    return tag


def check_labels_seen(train: Dataset, other: Dataset) -> None:
    """Raise DataError at the first label (or tag) of ``other`` that never occurs in ``train``."""
    if train.task != other.task:
        raise DataError(f"{other.path}: a {other.task} file, but the training data is {train.task}")
    if train.task == "classification":
        known = set(train.labels())
        for i, label in enumerate(other.labels()):
            if label not in known:
                raise DataError(
                    f"{_where(other, i)}: label {label!r} not in the training data ({_listing(train.path, known)})"
                )
    else:
        known = {t for s in train.items for t in s.tags}  # type: ignore[union-attr]
        for i, sent in enumerate(other.items):
            for tag in sent.tags:  # type: ignore[union-attr]
                if tag not in known:
                    raise DataError(
                        f"{_where(other, i)}: tag {tag!r} not in the training data ({_listing(train.path, known)})"
                    )


def _where(ds: Dataset, i: int) -> str:
    return ds.where[i] if i < len(ds.where) else ds.path


def _listing(path: str, labels: set[str], limit: int = 10) -> str:
    names = sorted(labels)
    shown = ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")
    return f"{path} has {shown}"
