"""The torch-free runtime: run an exported model folder (:mod:`advisor.baselines.export`) with onnxruntime alone.

Needs only the light install plus the ``runtime`` extra (onnxruntime, which brings numpy); it never imports
torch or scikit-learn. The transformer exports also need the ``tokenizers`` package (the word pieces come from
the folder's ``tokenizer.json``; ``tokenizers`` needs only ``huggingface_hub``, not torch or transformers).
Text becomes graph inputs outside the graph, with the functions training uses (:mod:`advisor.data.text`).

A transformer tagger's graph gives emissions per word piece: each word is cut into pieces alone and the words
that fit in the encoder's budget kept (:func:`advisor.data.text.first_pieces`, training's alignment), and a
word's emissions are those at its first piece, gathered here. The words past the budget get what the trained
model gives them (the manifest's ``export.beyond_budget``): the frozen tagger's emission row (its layer's bias:
the words read a zero feature in training), decoded by the CRF with the rest, or the fine-tuned tagger's tag
(``O``), appended after decoding.

``load(folder)`` gives a :class:`Runtime`: ``logits(items)`` (a logit row per text; for a tagger an emission
array per token list), ``predict_items(items)`` (labels; tag lists, decoded by :func:`viterbi`), and for the
streaming kinds ``stream()``, a :class:`Stream` that takes one token at a time and returns the running logits.
Sessions run on ``threads`` intra-op threads (default 1: the latency benchmark's setting and the fastest for
one small text on a shared machine).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.data import DataError, tokenize
from advisor.data.text import first_pieces, head_tail, normalize_word, word_ngrams

INSTALL_HINT = "pip install 'text-encoder-advisor[runtime]'"
BATCH = 64


def is_export(folder: str | Path) -> bool:
    """Whether ``folder`` holds an exported model (its ``manifest.json`` has ``export`` set)."""
    path = Path(folder) / "manifest.json"
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("export"))
    except (OSError, ValueError, AttributeError, RecursionError):
        return False  # not an export; reading it as a trained folder reports what is wrong


def _ort():
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as exc:
        raise ImportError(
            f"running an exported model needs onnxruntime ({exc.name or exc}): {INSTALL_HINT}"
        ) from None
    ort.set_default_logger_severity(3)
    return np, ort


def session(path: str | Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session of the graph at ``path`` on ``threads`` intra-op threads (and one inter-op)."""
    _np, ort = _ort()
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def viterbi(emissions: Any, start: Any, end: Any, transitions: Any) -> list[int]:
    """The best tag sequence of one sentence: ``emissions`` (tokens, tags); ``transitions[i, j]`` scores tag ``i``
    followed by ``j`` (as :class:`advisor.baselines.models.CRF`); ties go to the lowest tag id, as torch's."""
    np, _ = _ort()
    emissions = np.asarray(emissions, dtype=np.float32)
    if emissions.shape[0] == 0:
        return []
    score = start + emissions[0]
    history = []
    for t in range(1, emissions.shape[0]):
        scores = score[:, None] + transitions + emissions[t][None, :]  # shape: (from, to)
        prev = scores.argmax(axis=0)
        history.append(prev)
        score = scores[prev, np.arange(scores.shape[1])]
    tag = int((score + end).argmax())
    path = [tag]
    for prev in reversed(history):
        tag = int(prev[tag])
        path.append(tag)
    return path[::-1]


class Runtime:
    """An exported model folder, loaded: its manifest, the graph session(s) and the input encoder."""

    def __init__(self, folder: str | Path, threads: int = 1):
        from advisor.baselines.manifest import read_manifest

        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        spec = self.manifest.export
        if not spec:
            raise DataError(
                f"{self.folder}: not an exported model folder (train it, then `advisor baseline export`)"
            )
        self.spec = spec
        self.task = self.manifest.task
        self.labels = [str(label) for label in self.manifest.labels]
        self.threads = threads
        self.np, _ = _ort()
        self.session = session(self.folder / spec["graph"], threads)
        self._tokenizer(spec["tokenizer"])

    # -- text -> inputs ------------------------------------------------------------------------------------
    def _tokenizer(self, tok: dict[str, Any]) -> None:
        kind = tok["kind"]
        if kind in ("words", "tagger"):
            from advisor.baselines.vocab import CharVocab, Vocab

            vocab = json.loads((self.folder / "vocab.json").read_text(encoding="utf-8"))
            self.vocab = Vocab.from_dict(vocab["words"])
            self.chars = CharVocab.from_dict(vocab["chars"]) if vocab.get("chars") else None
        elif kind == "ngrams":
            vocab = json.loads((self.folder / "vocab.json").read_text(encoding="utf-8"))
            self.terms = {t: i for i, t in enumerate(vocab["terms"])}
            self.idf = vocab["idf"]
            # ngram-static-linear: the kept words, 1 + their row in the graph's vector table (0: padding)
            self.static_words = {w: i + 1 for i, w in enumerate(vocab.get("words") or [])}
        elif kind == "wordpiece":
            try:
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ImportError(
                    f"a transformer export needs the tokenizers package ({exc}): pip install tokenizers"
                ) from None
            self.wordpiece = Tokenizer.from_file(str(self.folder / tok["file"]))
            self.wordpiece.no_truncation()
            self.wordpiece.no_padding()
        else:
            raise DataError(f"{self.folder}: unknown tokenizer kind {kind!r} in the export manifest")
        self.kind = kind

    def token_ids(self, text: str) -> list[int]:
        """A word classifier's ids for ``text``: :func:`advisor.data.tokenize`, then the vocabulary (1: unknown)."""
        return self.vocab.encode(tokenize(text))

    def _pad(self, seqs: Sequence[Sequence[int]], pad: int = 0, dtype: str = "int64") -> Any:
        np = self.np
        out = np.full((len(seqs), max([1, *map(len, seqs)])), pad, dtype=dtype)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return out

    def _feeds(self, items: Sequence[Any]) -> dict[str, Any]:
        np = self.np
        if self.kind == "words":
            return {"tokens": self._pad([self.token_ids(t) for t in items])}
        if self.kind == "tagger":
            pre = self.manifest.preprocess
            words = [self.vocab.encode(normalize_word(t, pre) for t in toks) for toks in items]
            feeds = {"words": self._pad(words)}
            if self.chars is not None:
                chars = [self.chars.encode_words(toks, pre.get("max_chars")) for toks in items]
                width = max([1, *(len(w) for s in chars for w in s)])
                arr = np.zeros((len(items), feeds["words"].shape[1], width), dtype="int64")
                for i, s in enumerate(chars):
                    for j, w in enumerate(s):
                        arr[i, j, : len(w)] = w
                feeds["chars"] = arr
            return feeds
        if self.kind == "ngrams":
            terms, weights = [], []
            for text in items:
                ids, values = self._tfidf(text)
                terms.append(ids)
                weights.append(values)
            feeds = {"terms": self._pad(terms), "weights": self._pad(weights, 0, "float32")}
            if "words" in self.spec["inputs"]:
                kept = self.static_words
                feeds["words"] = self._pad([[kept[t] for t in tokenize(text) if t in kept] for text in items])
            return feeds
        return self._wordpiece_feeds(items)[0]

    def _wordpiece_feeds(self, items: Sequence[Any]) -> tuple[dict[str, Any], list[list[int]]]:
        """A transformer's inputs and, for a tagger, each item's positions of its words' first pieces."""
        np = self.np
        tok = self.spec["tokenizer"]
        before, after = tok["before"], tok["after"]
        budget = tok["max_length"] - len(before) - len(after)
        ids, firsts = [], []
        for item in items:
            if self.task == "tagging":
                words = [str(w) for w in item]
                per_word = (
                    [e.ids for e in self.wordpiece.encode_batch(words, add_special_tokens=False)]
                    if words
                    else []
                )
                pieces, first, _cut = first_pieces(per_word, budget, tok["unk_id"])
                firsts.append([len(before) + f for f in first])
            else:
                pieces = self.wordpiece.encode(str(item), add_special_tokens=False).ids
                pieces = head_tail(pieces, budget, tok["head_share"])
            ids.append([*before, *pieces, *after])
        input_ids = self._pad(ids, tok["pad_id"])
        mask = np.zeros_like(input_ids)
        for i, s in enumerate(ids):
            mask[i, : len(s)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}, firsts

    def _tfidf(self, text: str) -> tuple[list[int], list[float]]:
        """``ngram-linear``'s TF-IDF row of ``text`` as (term index, weight) pairs: sublinear tf, idf, l2."""
        tok = self.spec["tokenizer"]
        counts: dict[int, int] = {}
        for term in word_ngrams(text, tok["ngram_range"], tok["lowercase"], tok["token_pattern"]):
            index = self.terms.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        ids = sorted(counts)
        values = [(1.0 + math.log(counts[i])) * self.idf[i] for i in ids]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return ids, [v / norm for v in values]

    # -- inference -----------------------------------------------------------------------------------------
    def logits(self, items: Sequence[Any]) -> list[Any]:
        """The graph's output per item: a logit row per text (classifiers), a (tokens, tags) emission array per
        token list (taggers; a fine-tuned transformer tagger's stops at the words that fit its encoder), in
        input order; batches of similar lengths."""
        items = list(items)
        out: list[Any] = [None] * len(items)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        pieces = self.kind == "wordpiece" and self.task == "tagging"
        beyond = self.spec.get("beyond_budget", {}).get("emission")
        for s in range(0, len(order), BATCH):
            idx = order[s : s + BATCH]
            if pieces:
                feeds, firsts = self._wordpiece_feeds([items[i] for i in idx])
            else:
                feeds = self._feeds([items[i] for i in idx])
            result = self.session.run(None, feeds)[0]
            for row, i in enumerate(idx):
                if pieces:  # each word's emissions at its first piece; the words past the budget: beyond
                    words = result[row, firsts[row]]
                    cut = len(items[i]) - len(words)
                    if beyond is not None and cut:
                        rows = self.np.tile(self.np.asarray(beyond, dtype=result.dtype), (cut, 1))
                        words = self.np.concatenate([words, rows])
                    out[i] = words
                else:
                    out[i] = result[row, : len(items[i])] if self.kind == "tagger" else result[row]
        return out

    def decode(self, output: Any) -> Any:
        """A label (classifiers) or a tag-id list (taggers: Viterbi with a CRF, else each token's argmax)
        from one item's graph output."""
        decoder = self.spec["decoder"]
        if decoder == "viterbi":
            if not hasattr(self, "_crf"):
                np = self.np
                crf = json.loads((self.folder / "crf.json").read_text(encoding="utf-8"))
                self._crf = tuple(
                    np.asarray(crf[k], dtype=np.float32) for k in ("start", "end", "transitions")
                )
            return viterbi(output, *self._crf)
        if decoder == "argmax-tags":  # a softmax tagger: the best tag of each token
            return [int(i) for i in self.np.argmax(output, axis=1)]
        if decoder == "binary":
            return self.labels[int(output[0] > 0)]
        return self.labels[int(self.np.argmax(output))]

    def predict_items(self, items: Sequence[Any]) -> list[Any]:
        """Labels for texts, or tag lists for token lists."""
        items = list(items)
        decoded = [self.decode(o) for o in self.logits(items)]
        if self.task == "tagging":
            # a fine-tuned transformer tagger's words past its encoder's budget: its tag for them
            rest = self.spec.get("beyond_budget", {}).get("tag")
            tagged = [[self.labels[i] for i in tags] for tags in decoded]
            return [
                t + [rest] * (len(item) - len(t)) if rest else t
                for t, item in zip(tagged, items, strict=True)
            ]
        return decoded

    def stream(self) -> Stream:
        """A token-by-token predictor (the unidirectional recurrent classifiers only)."""
        if not self.spec.get("step"):
            raise DataError(
                f"{self.folder}: a {self.manifest.architecture} export has no streaming step graph: "
                "--stream needs an lstm, gru or rnn model (a unidirectional recurrent classifier)"
            )
        return Stream(self)


class Stream:
    """The running prediction of a recurrent classifier, one token at a time (``step.onnx``): :meth:`push` a
    word (tokenized as training does, so one word may be several tokens) and get the logits after it."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        np = runtime.np
        self.step = session(runtime.folder / runtime.spec["step"]["graph"], runtime.threads)
        self.names = [s["name"] for s in runtime.spec["step"]["states"]]
        # the exporter drops a state input the step never reads (last pooling's running pool)
        self.inputs = {i.name for i in self.step.get_inputs()}
        self.outputs = [o.name for o in self.step.get_outputs()]
        self.state = {}
        for s in runtime.spec["step"]["states"]:
            shape = s["shape"]
            full = [shape[0], 1, *shape[1:]] if s["name"] in ("h", "c") else [1, *shape]
            self.state[s["name"]] = np.full(full, s["init"], dtype=np.float32)
        self.tokens: list[str] = []
        self.last: Any = None

    def push_token(self, token: str) -> Any:
        """Step one token (already tokenized) through; the logits after it."""
        np = self.runtime.np
        ids = np.asarray(self.runtime.vocab.encode([token]), dtype="int64")
        feeds = {"token": ids, **{k: v for k, v in self.state.items() if k in self.inputs}}
        out = dict(zip(self.outputs, self.step.run(self.outputs, feeds), strict=True))
        self.last = out["logits"][0]
        self.state = {name: out[f"{name}_out"] for name in self.names}
        self.tokens.append(token)
        return self.last

    def push(self, text: str) -> list[tuple[str, Any]]:
        """Step every token of ``text`` (:func:`advisor.data.tokenize`); each token with the logits after it."""
        return [(tok, self.push_token(tok)) for tok in tokenize(text)]

    def label(self) -> str | None:
        return None if self.last is None else self.runtime.decode(self.last)


def load(folder: str | Path, threads: int = 1) -> Runtime:
    """The exported model in ``folder`` (``DataError`` when it is not one)."""
    return Runtime(folder, threads)


def evaluate(model: str | Path, data: str | Path, **options: Any) -> dict:
    """``advisor baseline evaluate`` on an exported folder: the runner's report (which loads an export through
    this module; ``options``: the data columns), with ``runtime`` naming onnxruntime and the quantization."""
    from advisor.baselines.runner import evaluate as run

    return run(model, data, **options)


def predict(model: str | Path, texts: list[str]) -> list[tuple[str, object]]:
    """``advisor baseline predict`` on an exported folder: (text, label) or (text, space-joined tags) pairs."""
    from advisor.baselines.runner import predict as run

    return run(model, texts)
