"""The user's data, on the light path (standard library only: never numpy or torch).

- :mod:`advisor.data.formats`: read and check data files (CSV, TSV, JSONL, label-TAB-text, CoNLL); the format rules.
- :mod:`advisor.data.text`: tokens, the data fingerprint, the summary a profile is read from.
- :mod:`advisor.data.split`: stratified splits with a fixed seed.
- :mod:`advisor.data.embeddings`: static embedding files.
- :mod:`advisor.data.from_file`: profile values from a data file (``advisor recommend --data``).
- :mod:`advisor.data.files`: reading user files with one-line errors, and atomic writes.
- :mod:`advisor.data.toy`: the bundled invented dataset.

The names most callers need are importable from here.
"""

from advisor.data.embeddings import embeddings_vocab
from advisor.data.formats import (
    DataError,
    Dataset,
    Example,
    TaggedSentence,
    check_labels_seen,
    entity_type,
    load_class_files,
    load_dataset,
    to_iob2,
)
from advisor.data.split import Split, dataset_split, stratified_split
from advisor.data.text import fingerprint, summarize, tokenize

__all__ = [
    "DataError",
    "Dataset",
    "Example",
    "Split",
    "TaggedSentence",
    "check_labels_seen",
    "dataset_split",
    "embeddings_vocab",
    "entity_type",
    "fingerprint",
    "load_class_files",
    "load_dataset",
    "stratified_split",
    "summarize",
    "to_iob2",
    "tokenize",
]
