"""advisor.data: sniffing, decoding, errors, tokenizer, fingerprint, summary, splits, embeddings vocab."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.data import (
    DataError,
    Dataset,
    Example,
    TaggedSentence,
    check_labels_seen,
    embeddings_vocab,
    fingerprint,
    load_class_files,
    load_dataset,
    stratified_split,
    summarize,
    to_iob2,
    tokenize,
)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_import_stays_light():
    code = "import sys, advisor.data; bad = {'numpy', 'torch'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "fmt"),
    [
        ("d.jsonl", '{"text": "good film", "label": "pos"}\n{"text": "bad", "label": "neg"}\n', {}, "jsonl"),
        ("d.json", '{"text": "good film", "label": "pos"}\n\n{"text": "bad", "label": "neg"}', {}, "jsonl"),
        ("d.csv", 'label,text\npos,good film\nneg,"bad"\n', {}, "csv"),
        (
            "d.csv",
            'id,review,y\n1,"good film",pos\n2,bad,neg\n',
            {"text_column": "review", "label_column": "y"},
            "csv",
        ),
        ("d.tsv", "text\tlabel\ngood film\tpos\nbad\tneg\n", {}, "tsv"),
        ("d.tsv", "pos\tgood film\nneg\tbad\n", {}, "label-tab"),
        ("d.txt", "pos\tgood film\r\nneg\tbad\r\n", {}, "label-tab"),
        ("d", "pos\tgood film\nneg\tbad", {}, "label-tab"),
        ("d.txt", "1 good film\n0 bad\n", {}, "label-space"),
        ("d.txt", "__label__pos good film\n__label__neg bad\n", {}, "label-space"),
    ],
)
def test_formats(tmp_path, name, content, kwargs, fmt):
    ds = load_dataset(write(tmp_path, name, content), **kwargs)
    assert (ds.task, ds.format, ds.encoding, ds.notes) == ("classification", fmt, "utf-8", [])
    assert [x.text for x in ds.items] == ["good film", "bad"]
    assert len(ds) == 2
    assert len(set(ds.labels())) == 2


def test_jsonl_integer_labels_and_where(tmp_path):
    path = write(
        tmp_path, "d.jsonl", '{"text": "a", "label": 1}\n\n{"text": "b", "label": 0, "extra": [1]}\n'
    )
    ds = load_dataset(path)
    assert ds.items == [Example("a", "1"), Example("b", "0")]
    assert ds.where == [f"{path}:1", f"{path}:3"]


def test_trec_style_labels_and_coarse(tmp_path):
    path = write(
        tmp_path, "TREC.train", "DESC:manner How did it go ?\nNUM:date When ?\nDESC:def What is X ?\n"
    )
    assert load_dataset(path).labels() == ["DESC:manner", "NUM:date", "DESC:def"]
    assert load_dataset(path, coarse_labels=True).labels() == ["DESC", "NUM", "DESC"]


def test_csv_quoted_newline_keeps_line_numbers(tmp_path):
    path = write(tmp_path, "d.csv", 'text,label\n"two\nlines",a\nok,b\n,a\n')
    with pytest.raises(DataError) as exc:
        load_dataset(path)
    assert str(exc.value) == f"{path}:5: empty text (every example needs non-empty text)"


def test_tsv_header_with_quotes_is_not_csv_quoting(tmp_path):
    ds = load_dataset(write(tmp_path, "d.tsv", 'label\ttext\r\n1\t"quoted" start\r\n0\tit\'s "odd\r\n'))
    assert [x.text for x in ds.items] == ['"quoted" start', "it's \"odd"]


def test_cp1252_fallback_and_nel_is_not_a_line_break(tmp_path):
    # 0x85 is "…" in cp1252 and U+0085 (NEL) in latin-1; str.splitlines() would break the line there.
    path = write(tmp_path, "d.txt", b"1 wait\x85 what\n0 caf\xe9 au lait\n")
    ds = load_dataset(path)
    assert ds.encoding == "cp1252"
    assert ds.notes == ["decoded as cp1252: not valid UTF-8 (line 1: byte 0x85)"]
    assert [x.text for x in ds.items] == ["wait\u2026 what", "caf\u00e9 au lait"]


def test_utf8_nel_stays_inside_the_line(tmp_path):
    ds = load_dataset(
        write(tmp_path, "d.jsonl", '{"text": "a\\u0085b", "label": "x"}\n{"text": "c", "label": "y"}\n')
    )
    ds2 = load_dataset(write(tmp_path, "d.txt", "x\ta\u0085b\ny\tc\n"))
    assert [x.text for x in ds.items] == [x.text for x in ds2.items] == ["a\u0085b", "c"]


def test_bom_is_removed(tmp_path):
    ds = load_dataset(write(tmp_path, "d.csv", b"\xef\xbb\xbftext,label\na,x\nb,y\n"))
    assert ds.notes == ["removed a UTF-8 byte-order mark"]
    assert ds.labels() == ["x", "y"]


def test_load_class_files(tmp_path):
    pos = write(tmp_path, "r.pos", b"fine film \ngreat\x92s \n")
    neg = write(tmp_path, "r.neg", "dull \n\nbad \n")
    ds = load_class_files({"positive": pos, "negative": neg})
    assert ds.items == [
        Example("fine film", "positive"),
        Example("great\u2019s", "positive"),
        Example("dull", "negative"),
        Example("bad", "negative"),
    ]
    assert ds.where[-1] == f"{neg}:3"
    assert ds.encoding == "cp1252"
    assert ds.notes == [f"{pos}: decoded as cp1252: not valid UTF-8 (line 2: byte 0x92)"]


# --------------------------------------------------------------------------- errors


BAD_INPUTS = [
    ("d.csv", "", {}, "{p}: empty file (expected one example per line, or CoNLL columns for tagging)"),
    ("d.csv", " \n\n", {}, "{p}: empty file (expected one example per line, or CoNLL columns for tagging)"),
    (
        "d.txt",
        b"1 a\x81\n0 b\n",
        {},
        "{p}:1: cannot decode byte 0x81: neither UTF-8 nor cp1252 (save the file as UTF-8)",
    ),
    ("d.csv", "text,label\na,x\n  ,y\n", {}, "{p}:3: empty text (every example needs non-empty text)"),
    ("d.csv", "text,label\na,x\nb,\n", {}, "{p}:3: empty label (every example needs a label)"),
    (
        "d.csv",
        "text,label\na,x\nb,x\n",
        {},
        "{p}: one class only ('x' in all 2 examples; classification needs at least 2 classes)",
    ),
    ("d.csv", "text,label\n", {}, "{p}: no examples (expected at least one example per class)"),
    (
        "d.csv",
        "sentence,label\na,x\n",
        {},
        "{p}:1: no column 'text' (columns present: sentence, label; pass the text column's name as text_column)",
    ),
    (
        "d.csv",
        "text,y\na,x\n",
        {},
        "{p}:1: no column 'label' (columns present: text, y; pass the label column's name as label_column)",
    ),
    ("d.csv", "text,label\na,x\nb,y,z\n", {}, "{p}:3: 3 fields, expected 2 like the header (CSV)"),
    (
        "d.tsv",
        "label\tsentence\n1\ta\n",
        {},
        "{p}:1: no column 'text' (columns present: label, sentence; pass the text column's name as text_column)",
    ),
    ("d.tsv", "x\ta\ny b\n", {}, "{p}:2: no tab (expected label<TAB>text, like the first line)"),
    ("d.txt", "x\t\ny\tb\n", {}, "{p}:1: empty text (every example needs non-empty text)"),
    (
        "d.jsonl",
        '{"text": "a", "label": "x"}\n{"text": "b"\n',
        {},
        '{p}:2: not valid JSON: Expecting \',\' delimiter (JSONL: one object per line like {{"text": "...", "label": "..."}})',
    ),
    (
        "d.jsonl",
        '{"text": "a", "label": "x"}\n{"label": "y"}\n',
        {},
        '{p}:2: no \'text\' key (keys present: label; JSONL: one object per line like {{"text": "...", "label": "..."}})',
    ),
    (
        "d.jsonl",
        '{"text": "a", "label": 1.5}\n',
        {},
        "{p}:1: label must be a string or an integer, got a number",
    ),
    (
        "d.jsonl",
        '{"text": "a", "label": true}\n',
        {},
        "{p}:1: label must be a string or an integer, got a boolean",
    ),
    ("d.jsonl", '{"text": null, "label": "x"}\n', {}, "{p}:1: text must be a string, got null"),
    (
        "d.jsonl",
        '{"text": " ", "label": "x"}\n',
        {},
        "{p}:1: empty text (every example needs non-empty text)",
    ),
    (
        "d.json",
        '[{"text": "a", "label": "x"}]\n',
        {},
        "{p}:1: a JSON array (write one JSON object per line: JSONL)",
    ),
    (
        "d.txt",
        "1 good\n0 bad\nthe end\n",
        {},
        "{p}:3: no label found (accepted: JSONL, CSV/TSV with a header, label<TAB>text lines, 'label text' lines "
        "with label codes like 1, __label__pos or DESC:manner, CoNLL columns for tagging; a file of bare texts, "
        "one per class: write them as JSONL with a label each)",
    ),
    ("d.txt", "1\n0 bad\n", {}, "{p}:1: empty text (every example needs non-empty text)"),
    (
        "d.conll",
        "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ O\n",
        {},
        "{p}:4: 3 columns, expected 4 like line 3 (CoNLL: one token per line, whitespace-separated columns, blank "
        "lines between sentences)",
    ),
    (
        "d.txt",
        "EU\nrejects\n",
        {"task": "tagging"},
        "{p}:1: 1 column, expected at least a token and a tag (CoNLL: one token per line, whitespace-separated "
        "columns, blank lines between sentences)",
    ),
    (
        "d.txt",
        "EU B-ORG\n",
        {"task": "tagging", "tag_column": 2},
        "{p}:1: 2 columns, so no column 2 for the tag (CoNLL: one token per line, whitespace-separated columns, "
        "blank lines between sentences)",
    ),
    (
        "d.conll",
        "-DOCSTART- O\n\n",
        {},
        "{p}: no sentences (CoNLL: one token per line, blank lines between sentences)",
    ),
    ("d.conll", "a O\nb O\n", {}, "{p}: one tag only ('O'; tagging needs at least 2 tags)"),
]


@pytest.mark.parametrize(("name", "content", "kwargs", "message"), BAD_INPUTS)
def test_bad_inputs(tmp_path, name, content, kwargs, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as exc:
        load_dataset(path, **kwargs)
    assert str(exc.value) == message.format(p=path)
    assert "\n" not in str(exc.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=r"^.*nope\.csv: file not found$"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError) as exc:
        load_dataset(tmp_path)
    assert str(exc.value) == f"{tmp_path}: is a directory (expected a data file)"


def test_bad_task():
    with pytest.raises(ValueError, match="task must be"):
        load_dataset("x.csv", "regression")  # type: ignore[arg-type]


def test_check_labels_seen(tmp_path):
    train = load_dataset(write(tmp_path, "train.tsv", "x\ta\ny\tb\n"))
    check_labels_seen(train, load_dataset(write(tmp_path, "ok.tsv", "y\tq\nx\tr\n")))
    test_path = write(tmp_path, "test.tsv", "x\tq\n\ny\tr\nz\ts\n")
    with pytest.raises(DataError) as exc:
        check_labels_seen(train, load_dataset(test_path))
    assert (
        str(exc.value)
        == f"{test_path}:4: label 'z' not in the training data ({tmp_path / 'train.tsv'} has x, y)"
    )


def test_check_tags_seen(tmp_path):
    train = load_dataset(write(tmp_path, "train.conll", "EU B-ORG\nsays O\n"))
    dev_path = write(tmp_path, "dev.conll", "EU B-ORG\n\nPeter B-PER\nsays O\n")
    with pytest.raises(DataError) as exc:
        check_labels_seen(train, load_dataset(dev_path))
    assert str(exc.value) == (
        f"{dev_path}:3: tag 'B-PER' not in the training data ({tmp_path / 'train.conll'} has B-ORG, O)"
    )


# --------------------------------------------------------------------------- CoNLL


@pytest.mark.parametrize(
    ("iob1", "iob2"),
    [
        ("I-PER I-PER O I-LOC", "B-PER I-PER O B-LOC"),
        ("I-PER B-PER I-PER", "B-PER B-PER I-PER"),  # B- only where a same-type entity directly follows
        ("I-PER I-LOC I-LOC", "B-PER B-LOC I-LOC"),  # a type change starts an entity
        ("O I-MISC O", "O B-MISC O"),
        ("B-PER I-PER O B-LOC", "B-PER I-PER O B-LOC"),  # IOB2 stays as it is
        ("S-PER E-LOC NN", "S-PER E-LOC NN"),  # IOBES and bare tags are kept
    ],
)
def test_to_iob2(iob1, iob2):
    assert to_iob2(iob1.split()) == iob2.split()


def test_conll_sentences_docstart_and_conversion(tmp_path):
    text = (
        "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
        "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n\n\n-DOCSTART- -X- O O\nBRUSSELS NNP I-NP I-LOC\n"
    )
    path = write(tmp_path, "eng.train", text)
    ds = load_dataset(path)
    assert (ds.task, ds.format) == ("tagging", "conll")
    assert ds.items == [
        TaggedSentence(("EU", "rejects", "German"), ("B-ORG", "O", "B-MISC")),
        TaggedSentence(("Peter", "Blackburn"), ("B-PER", "I-PER")),
        TaggedSentence(("BRUSSELS",), ("B-LOC",)),
    ]
    assert ds.notes == ["converted IOB1 tags to IOB2 (4 I- tags became B-)"]
    assert ds.where == [f"{path}:3", f"{path}:7", f"{path}:12"]
    with pytest.raises(ValueError, match="labels\\(\\) is for classification"):
        ds.labels()


def test_conll_columns_and_sniffing(tmp_path):
    path = write(tmp_path, "pos.txt", "The DT O\ncat NN B-ANIMAL\n\nA DT O\n")
    ds = load_dataset(path)
    assert ds.task == "tagging"
    assert ds.items[0].tags == ("O", "B-ANIMAL")
    pos = load_dataset(path, "tagging", tag_column=1)
    assert pos.items[0].tags == ("DT", "NN")
    assert pos.items[0].tokens == ("The", "cat")  # tokens keep their case
    # the same file forced to classification is read as label<space>text and refused
    with pytest.raises(DataError, match=r"pos\.txt:1: no label found"):
        load_dataset(path, "classification")


# --------------------------------------------------------------------------- tokenizer


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, World!", ["hello", ",", "world", "!"]),
        ("Don't stop: it's state-of-the-art.", ["don't", "stop", ":", "it's", "state-of-the-art", "."]),
        ("they wo n't sit , it 's 1930s", ["they", "wo", "n't", "sit", ",", "it", "'", "s", "1930s"]),
        ("Pay $1,000.50 or 3.14 now", ["pay", "$", "1,000.50", "or", "3.14", "now"]),
        ("end. Start-", ["end", ".", "start", "-"]),
        ("snake_case -- 'quoted'", ["snake", "_", "case", "-", "-", "'", "quoted", "'"]),
        ("Caf\u0065\u0301 NA\u00cfVE \u2019tis", ["caf\u00e9", "na\u00efve", "\u2019", "tis"]),
        ("   ", []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


# --------------------------------------------------------------------------- fingerprint


def _cls(items: list[tuple[str, str]]) -> Dataset:
    return Dataset("classification", "x", [Example(t, lab) for t, lab in items], "utf-8", [])


def test_fingerprint_definition():
    ds = _cls([("b  text\u00a0here", "y"), ("Cafe\u0301", "x")])
    payload = "task:classification\nx\tCaf\u00e9\ny\tb text here\n"
    assert fingerprint(ds) == "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
    tag = Dataset("tagging", "x", [TaggedSentence(("EU", "says"), ("B-ORG", "O"))], "utf-8", [])
    payload = "task:tagging\nEU B-ORG\tsays O\n"
    assert fingerprint(tag) == "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def test_fingerprint_ignores_order_format_and_encoding(tmp_path):
    a = load_dataset(
        write(tmp_path, "a.jsonl", '{"text": "caf\\u00e9  ok", "label": "1"}\n{"text": "b", "label": "0"}\n')
    )
    b = load_dataset(write(tmp_path, "b.txt", b"0 b\r\n1 caf\xe9 ok \r\n"))
    c = load_dataset(write(tmp_path, "c.csv", 'label,text\n0,b\n1,"caf\u00e9\tok"\n'))
    assert b.encoding == "cp1252"
    assert fingerprint(a) == fingerprint(b) == fingerprint(c)
    assert fingerprint(a) != fingerprint(_cls([("b", "0"), ("caf\u00e9 ok", "2")]))
    assert fingerprint(a) != fingerprint(
        _cls([("b", "0"), ("caf\u00e9 ok", "1"), ("b", "0")])
    )  # duplicates count


def test_fingerprint_iob1_equals_iob2(tmp_path):
    a = load_dataset(write(tmp_path, "a.conll", "Peter I-PER\nin O\nParis I-LOC\n"))
    b = load_dataset(write(tmp_path, "b.conll", "Peter B-PER\nin O\nParis B-LOC\n"))
    assert fingerprint(a) == fingerprint(b)


# --------------------------------------------------------------------------- summary


def test_summarize_classification():
    ds = _cls([("a b c", "x"), ("a b", "x"), ("a, b.", "y"), ("z", "x")])
    s = summarize(ds, {"a", "b"})
    assert s == {
        "task": "classification",
        "examples": 4,
        "classes": 2,
        "label_counts": {"x": 3, "y": 1},
        "imbalance_ratio": 3.0,
        "tokens": {"median": 2.5, "p95": 4, "max": 4},
        "sw_ratio": 1.6,
        "oov_rate": round(4 / 10, 4),  # c , . z
        "fingerprint": fingerprint(ds),
    }
    assert summarize(ds)["oov_rate"] is None


def test_summarize_tagging():
    items = [
        TaggedSentence(("Peter", "Smith", "in", "Paris"), ("B-PER", "I-PER", "O", "B-LOC")),
        TaggedSentence(("Rome",), ("B-LOC",)),
        TaggedSentence(("Ann", "and", "Bo"), ("S-PER", "O", "B-PER")),
    ]
    s = summarize(Dataset("tagging", "x", items, "utf-8", []), {"peter", "in", "paris"})
    assert s["examples"] == 3 and s["classes"] == 2
    assert s["label_counts"] == {"LOC": 2, "PER": 3}
    assert s["imbalance_ratio"] == 1.5
    assert s["tokens"] == {"median": 3, "p95": 4, "max": 4}
    assert s["oov_rate"] == round(5 / 8, 4)
    bare = [TaggedSentence(("a", "b", "c"), ("DT", "NN", "NN"))]
    assert summarize(Dataset("tagging", "x", bare, "utf-8", []))["label_counts"] == {"DT": 1, "NN": 2}


def test_load_and_summarize_10k_lines(tmp_path):
    """How long this takes is measured by benchmarks/data_loading.py, not asserted here."""
    words = "the quick brown fox jumps over a lazy dog , again and again !".split()
    lines = [
        json.dumps(
            {"text": " ".join(words[(i + k) % len(words)] for k in range(5 + i % 30)), "label": f"c{i % 4}"}
        )
        for i in range(10_000)
    ]
    path = write(tmp_path, "big.jsonl", "\n".join(lines) + "\n")
    summary = summarize(load_dataset(path))
    assert summary["examples"] == 10_000
    assert summary["label_counts"] == {f"c{k}": 2_500 for k in range(4)}
    assert summary["tokens"]["max"] == 34


# --------------------------------------------------------------------------- splits


def test_split_sizes_and_stratification():
    labels = ["a"] * 80 + ["b"] * 15 + ["c"] * 5
    split = stratified_split(labels, (0.8, 0.1, 0.1), seed=3)
    train, dev, test = split
    assert split.stratified
    assert [len(p) for p in split.indices] == [80, 10, 10]
    assert sorted(train + dev + test) == list(range(100))
    for part, n in ((train, 80), (dev, 10), (test, 10)):
        counts = Counter(labels[i] for i in part)
        for label, total in Counter(labels).items():
            assert abs(counts[label] - total * n / 100) <= 1.5, (label, counts)
    assert split.note == "stratified by label (3 classes), seed 3, sizes 80/10/10"
    assert stratified_split(labels, (0.8, 0.1, 0.1), seed=3) == split
    assert stratified_split(labels, (0.8, 0.1, 0.1), seed=4) != split


def test_split_falls_back_when_a_class_has_one_member():
    labels = ["a"] * 10 + ["b"]
    split = stratified_split(labels, [0.5, 0.5], seed=0)
    assert not split.stratified
    assert [len(p) for p in split.indices] == [6, 5]
    assert (
        split.note == "plain shuffled split, not stratified: class 'b' has only 1 example, seed 0, sizes 6/5"
    )


def test_split_tiny_fraction_still_non_empty():
    split = stratified_split(["a", "b"] * 5, (0.98, 0.01, 0.01), seed=1)
    assert [len(p) for p in split.indices] == [8, 1, 1]


@pytest.mark.parametrize(
    ("labels", "fractions", "message"),
    [
        (["a", "b"], (0.5, 0.6), "fractions must be positive and sum to 1"),
        (["a", "b"], (1.0, 0.0), "fractions must be positive and sum to 1"),
        (["a", "b"], (), "fractions must be positive and sum to 1"),
        (["a", "b"], (0.4, 0.3, 0.3), "cannot split 2 examples into 3 non-empty parts"),
    ],
)
def test_split_bad_arguments(labels, fractions, message):
    with pytest.raises(ValueError, match=message):
        stratified_split(labels, fractions, 0)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.sampled_from("abcdef"), min_size=3, max_size=120),
    weights=st.lists(st.integers(1, 20), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_split_is_a_partition(labels, weights, seed):
    fractions = [w / sum(weights) for w in weights]
    split = stratified_split(labels, fractions, seed)
    parts = split.indices
    assert sorted(i for p in parts for i in p) == list(range(len(labels)))
    assert all(p and p == sorted(p) for p in parts)
    assert split.stratified == (min(Counter(labels).values()) >= 2)


# --------------------------------------------------------------------------- embeddings vocab


def test_embeddings_vocab_formats(tmp_path):
    glove = write(tmp_path, "g.txt", "the 0.1 0.2\n, 0.3 0.4\nat&t 1 2\n")
    vec = write(tmp_path, "w.vec", "3 2\nThe 0.1 0.2\nnew york 0.5 0.6\n\u00e9t\u00e9 1 2 \n")
    js = write(tmp_path, "e.json", '{"the": [0.1, 0.2], "say \\"hi\\"": [1, 2], "x:y": [3e-5, -1]}')
    assert embeddings_vocab(glove) == {"the", ",", "at&t"}
    assert embeddings_vocab(vec) == {"The", "new york", "\u00e9t\u00e9"}
    assert embeddings_vocab(js) == {"the", 'say "hi"', "x:y"}
    with pytest.raises(DataError) as exc:
        embeddings_vocab(tmp_path / "missing.vec")
    assert str(exc.value) == f"{tmp_path / 'missing.vec'}: embeddings file not found"


# --------------------------------------------------------------------------- the shared datasets

datasets = pytest.mark.datasets


def _need(*parts: str) -> Path:
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@datasets
def test_trec_cp1252_and_coarse_labels():
    ds = load_dataset(_need("trec", "TREC.train"), coarse_labels=True)
    assert (len(ds), ds.format, ds.encoding) == (5452, "label-space", "cp1252")
    assert ds.notes == ["decoded as cp1252: not valid UTF-8 (line 66: byte 0xF0)"]
    counts = {"ABBR": 86, "DESC": 1162, "ENTY": 1250, "HUM": 1223, "LOC": 835, "NUM": 896}
    assert summarize(ds)["label_counts"] == counts
    assert len(set(load_dataset(_need("trec", "TREC.train")).labels())) == 50
    # the added UTF-8 copy holds the same examples
    assert fingerprint(ds) == fingerprint(load_dataset(_need("trec", "train.jsonl")))


@datasets
def test_trec_sample_of_300_splits_with_its_rare_class():
    labels = load_dataset(_need("trec", "train.jsonl")).labels()
    sample = stratified_split(labels, (300 / len(labels), 1 - 300 / len(labels)), seed=0).indices[0]
    sample_labels = [labels[i] for i in sample]
    assert len(sample_labels) == 300 and 3 <= Counter(sample_labels)["ABBR"] <= 6
    split = stratified_split(sample_labels, (0.8, 0.1, 0.1), seed=0)
    assert split.stratified and all(split.indices)
    assert {sample_labels[i] for i in split.indices[0]} == set(labels)


@datasets
def test_mr_cp1252_lines_per_class():
    pos, neg = _need("mr", "rt-polarity.pos"), _need("mr", "rt-polarity.neg")
    ds = load_class_files({"positive": pos, "negative": neg})
    assert Counter(ds.labels()) == {"positive": 5331, "negative": 5331}
    assert ds.encoding == "cp1252"
    assert ds.notes == [
        f"{pos}: decoded as cp1252: not valid UTF-8 (line 44: byte 0xF3)",
        f"{neg}: decoded as cp1252: not valid UTF-8 (line 32: byte 0xE9)",
    ]
    assert fingerprint(ds) == fingerprint(load_dataset(_need("mr", "mr.jsonl")))
    with pytest.raises(DataError, match=r"rt-polarity\.pos:1: no label found"):
        load_dataset(pos)


@datasets
def test_sst2_files():
    ds = load_dataset(_need("sst2", "train.jsonl"))
    assert Counter(ds.labels()) == {"positive": 3610, "negative": 3310}
    kim = load_dataset(_need("sst2", "stsa.binary.dev"))
    assert (len(kim), kim.format, Counter(kim.labels())) == (872, "label-space", {"1": 444, "0": 428})
    with pytest.raises(DataError, match=r":1: no column 'text' \(columns present: label, sentence;"):
        load_dataset(_need("sst2", "glue_sst2_train.tsv"))


@datasets
def test_conll2003_iob1_to_iob2():
    ds = load_dataset(_need("conll2003", "eng.train"))
    iob2 = load_dataset(_need("conll2003", "iob2", "train.txt"))
    assert len(ds) == len(iob2) == 14041
    assert sum(len(s.tokens) for s in ds.items) == 203621
    assert ds.items == iob2.items
    assert iob2.notes == []
    assert summarize(ds)["label_counts"] == {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}
    assert len(load_dataset(_need("conll2003", "eng.testa"))) == 3250
    assert len(load_dataset(_need("conll2003", "eng.testb"))) == 3453


@datasets
def test_glove_subset_vocab():
    vocab = embeddings_vocab(_need("glove", "glove-50d-5k.json"))
    assert len(vocab) == 5050 and "the" in vocab
