"""Export a trained model folder to ONNX: ``advisor baseline export MODEL --format onnx [--quantize int8]``.

The export is a **folder** (written whole or not at all, :func:`advisor.data.files.replace_dir_atomic`) that the
torch-free runtime (:mod:`advisor.runtime`) runs with onnxruntime alone:

- ``model.onnx``: the graph with its weights inside (no external-data file; fp32, or int8 after
  ``onnxruntime.quantization.quantize_dynamic``); ``step.onnx`` beside it for the streaming kinds;
- what turns text into the graph's inputs, outside the graph: ``vocab.json`` (the word and character
  vocabularies, ``ngram-linear``'s terms and idf) or ``tokenizer.json`` (the transformers' word pieces, the
  ``tokenizers`` library's format); the code is :mod:`advisor.data.text`, the module training uses too;
- ``crf.json`` for the CRF taggers (BiLSTM-CRF, the frozen-transformer tagger): the transition scores,
  decoded by the runtime's numpy Viterbi;
- ``manifest.json``: the trained model's manifest (:mod:`advisor.baselines.manifest`) with ``files`` naming
  the export's files and ``export`` set (the format, the graph inputs, the tokenizer, the opset, the
  quantization, the exporter's library versions, and the parity measured on ``data``). A folder whose manifest
  has ``export`` is an export: ``predict`` and ``evaluate`` run it through onnxruntime.

One exporter function per model kind (:data:`EXPORTERS`, filled by :func:`exporter`): it writes the kind's fp32
graph(s) and input files into the folder and returns an :class:`Exported` (the runtime spec and the reloaded
model's reference outputs). Adding a kind is one such function.

Graph inputs (batch first; every id 0 is padding, so the graph derives its own mask):

- ``tokens`` int64 (batch, seq) -> ``logits`` (batch, classes): TextCNN, the RNN classifiers;
- ``words`` int64 (batch, seq) [, ``chars`` int64 (batch, seq, chars)] -> ``emissions`` (batch, seq, tags);
- ``terms`` int64 (batch, n), ``weights`` float32 (batch, n) -> ``logits``: ``ngram-linear``'s TF-IDF
  vector as (term index, tf-idf weight) pairs, padded with weight 0. The linear layer is a tiny ONNX graph
  (Gather + MatMul), not numpy, so that every export runs through one session code path, int8 quantization
  and the latency benchmark apply to it unchanged, and it runs where numpy does not (onnxruntime-web, mobile);
  a dense (batch, n_features) input would carry tens of thousands of zeros per text;
- ``ngram-static-linear``: the same, plus ``words`` int64 (batch, seq), the text's kept words (1 + their row
  of ``vocab.json``'s ``words``; 0 is padding): the kept word vectors are a table inside the graph, whose
  normalised mean meets the head's vector columns there (:func:`_linear_graph`);
- ``input_ids``, ``attention_mask`` int64 (batch, seq) -> ``logits``: the transformer classifiers (encoder,
  mean pooling and the head in one graph; frozen-transformer's and SetFit's L2 normalisation and
  logistic-regression head included, :func:`_pooled_head`);
- ``input_ids``, ``attention_mask`` -> ``emissions`` (batch, pieces, tags): the transformer taggers
  (``frozen-transformer``'s frozen encoder and linear emission layer, its CRF in ``crf.json``;
  ``transformer-finetune``'s token classifier, argmax per word). Emissions per word piece: the word <- piece
  alignment is training's (each word cut alone, the words that fit in the encoder's budget kept, a word's
  emissions those at its first piece: :func:`advisor.data.text.first_pieces`) and runs in the runtime, as do
  the words past the budget (``export.beyond_budget``: what the trained model's ``predict`` gives them).

A binary logistic-regression head (``ngram-linear``, ``frozen-transformer``) has one logit column, the decision
value: the second class wins when it is positive.

Recurrent classifiers are exported layer by layer and direction by direction as single-layer unidirectional
cells over unpacked input (the backward direction reads each sequence reversed within its own length), which
gives a padded batch exactly what the packed torch model gives. The streaming kinds (unidirectional ``lstm``,
``gru``, ``rnn``) also get ``step.onnx``: one token and the state in, the new state and the running logits
out. The pooled vector is part of the state: ``last`` pools the top state itself, ``max`` a running
element-wise maximum of the top states, ``mean`` their running sum and count, so every pooling streams exactly.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.data import DataError
from advisor.vocabulary import EXPORT_FORMATS as FORMATS
from advisor.vocabulary import QUANTIZATIONS, STREAMING

from .manifest import MANIFEST, Manifest, read_manifest, versions

GRAPH = "model.onnx"
STEP = "step.onnx"
VOCAB = "vocab.json"
TOKENIZER = "tokenizer.json"
CRF = "crf.json"
RECURRENT_OPSET = 17
EXPORT_LIBRARIES = ("torch", "onnx", "onnxscript", "onnxruntime", "numpy")
EXTRA_HINT = "pip install 'text-encoder-advisor[export]'"
# The parity an fp32 export must show on the data against the model reloaded from its folder.
MIN_AGREEMENT = 0.999
MAX_LOGIT_DIFF = 1e-4
MAX_INT8_DROP = 0.02  # int8 accuracy may fall this much (2 points) before the export output warns


class ExportError(RuntimeError):
    """The model cannot be exported (exit 1)."""


@dataclass
class Exported:
    """What an exporter returns: the runtime spec (``manifest.export``'s kind-specific part) and ``reference``,
    the reloaded model's outputs for items (classifier: texts -> a logit row each; tagger: token lists -> a
    (tokens, tags) emission array each, a fine-tuned transformer tagger's up to the words that fit its
    encoder), which the parity check compares with the graph's (:meth:`advisor.runtime.Runtime.logits`)."""

    spec: dict[str, Any]
    files: list[str]
    reference: Callable[[list], list]
    graphs: list[str] = field(default_factory=lambda: [GRAPH])


Exporter = Callable[[Path, Path, Manifest], Exported]
EXPORTERS: dict[str, Exporter] = {}


def exporter(*kinds: str) -> Callable[[Exporter], Exporter]:
    """Register ``fn(model_dir, folder, manifest) -> Exported`` as the exporter of ``kinds``."""

    def register(fn: Exporter) -> Exporter:
        for kind in kinds:
            EXPORTERS[kind] = fn
        return fn

    return register


# -- the torch exporter, quietly ---------------------------------------------------------------------------------


def _onnx_export(
    module: Any,
    args: tuple,
    path: Path,
    names: Sequence[str],
    outputs: Sequence[str],
    dynamic: dict[str, Sequence[int]] | None = None,
    *,
    recurrent: bool = False,
) -> None:
    """``torch.onnx.export`` (the torch.export-based exporter, onnxscript) of ``module`` in eval mode, one file
    with its weights inside. ``dynamic`` names each input's dynamic axes (default: every axis). ``recurrent``:
    the model runs ``nn.LSTM``/``nn.GRU``/``nn.RNN`` modules, which torch 2.13's torch.export specializes to the
    example's sequence length; those go through the TorchScript exporter (``dynamo=False``, opset
    :data:`RECURRENT_OPSET`), which maps them to ONNX's own LSTM/GRU/RNN operators. Its warnings
    and its stdout chatter (the test config turns warnings into errors) stay here; a failure is an
    :class:`ExportError`."""
    import torch

    module.eval()
    dims = {
        name: {axis: torch.export.Dim.DYNAMIC for axis in (dynamic or {}).get(name, range(arg.dim()))}
        for name, arg in zip(names, args, strict=True)
    }
    chatter = io.StringIO()
    quiet = logging.getLogger("torch.onnx")  # "torchvision is not installed. Skipping ..." and the like
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
            torch.no_grad(),
        ):
            warnings.simplefilter("ignore")
            if recurrent:
                axes = {n: {a: f"{n}_{a}" for a in d} for n, d in dims.items()}
                torch.onnx.export(
                    module,
                    args,
                    str(path),
                    input_names=list(names),
                    output_names=list(outputs),
                    dynamic_axes=axes,
                    opset_version=RECURRENT_OPSET,
                    dynamo=False,
                )
            else:
                program = torch.onnx.export(
                    module,
                    args,
                    input_names=list(names),
                    output_names=list(outputs),
                    dynamic_shapes={n: dims[n] for n in names},
                    dynamo=True,
                    external_data=False,
                    verbose=False,
                )
                program.save(str(path), external_data=False)
    except Exception as exc:
        from advisor.errors import message_line

        tail = message_line(
            chatter.getvalue().strip().splitlines()[-1] if chatter.getvalue().strip() else "", 200
        )
        raise ExportError(
            f"torch.onnx.export failed for {type(module).__name__}: {type(exc).__name__}: "
            f"{message_line(str(exc), 300)}" + (f" ({tail})" if tail else "")
        ) from None
    finally:
        quiet.setLevel(level)


# What int8 quantizes: the embedding tables (Gather), the dense layers and attention (MatMul) and the LSTM cells.
# Not Conv: onnxruntime's ConvInteger ran the TextCNN 2-10x slower than fp32 on this CPU
# (benchmarks/export_latency.py), while the embedding table is what makes the TextCNN big.
INT8_OPS = ("Gather", "MatMul", "Attention", "LSTM")


def quantize_int8(path: Path) -> None:
    """Replace the graph at ``path`` by its int8 form (``quantize_dynamic`` of :data:`INT8_OPS`: int8 weights,
    activations quantized on the fly), quietly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = path.with_name(path.stem + ".int8.onnx")
    chatter = io.StringIO()
    logging.disable(logging.WARNING)  # "Please consider to run pre-processing before quantization", on root
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(chatter):
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(path), str(tmp), op_types_to_quantize=list(INT8_OPS), weight_type=QuantType.QInt8
            )
    finally:
        logging.disable(logging.NOTSET)
    os.replace(tmp, path)


def _opset(path: Path) -> int | None:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next((int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")), None)


# -- torch models ------------------------------------------------------------------------------------------------


def _torch_modules():
    """The export-friendly forms of the torch models (built on first use: torch is imported only here)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    lowest = torch.finfo(torch.float32).min

    def prefix(lengths, seq_len):
        return torch.arange(seq_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)

    def single(rnn: nn.Module, layer: int, suffix: str) -> nn.Module:
        """One layer, one direction of ``rnn`` as its own unidirectional module (the weights copied)."""
        directions = 2 if rnn.bidirectional else 1
        in_size = rnn.input_size if layer == 0 else rnn.hidden_size * directions
        kwargs: dict[str, Any] = {"batch_first": True, "bias": rnn.bias}
        if isinstance(rnn, nn.RNN):
            kwargs["nonlinearity"] = rnn.nonlinearity
        cell = type(rnn)(in_size, rnn.hidden_size, **kwargs)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", *(("bias_ih", "bias_hh") if rnn.bias else ())):
                getattr(cell, f"{name}_l0").copy_(getattr(rnn, f"{name}_l{layer}{suffix}"))
        return cell

    class Recurrent(nn.Module):
        """A (bi)directional multi-layer RNN over a right-padded batch without packing: each direction of each
        layer is a unidirectional module; the backward one reads each sequence reversed within its length."""

        def __init__(self, rnn: nn.Module):
            super().__init__()
            self.layers = rnn.num_layers
            self.bidirectional = rnn.bidirectional
            suffixes = ["", "_reverse"] if rnn.bidirectional else [""]
            self.cells = nn.ModuleList(
                single(rnn, layer, s) for layer in range(rnn.num_layers) for s in suffixes
            )

        def forward(self, x, lengths):
            # x: (batch, seq, in) zero at padding; lengths: (batch,) -> (batch, seq, directions * hidden)
            seq_len = x.shape[1]
            t = torch.arange(seq_len, device=x.device).unsqueeze(0)  # shape: (1, seq)
            n = lengths.unsqueeze(1)
            reverse = torch.where(t < n, n - 1 - t, t)  # shape: (batch, seq): an involution
            cells = iter(self.cells)
            for _ in range(self.layers):
                out = next(cells)(x)[0]
                if self.bidirectional:
                    index = reverse.unsqueeze(2).expand(-1, -1, x.shape[2])
                    back = next(cells)(torch.gather(x, 1, index))[0]
                    back = torch.gather(back, 1, reverse.unsqueeze(2).expand(-1, -1, back.shape[2]))
                    out = torch.cat([out, back], dim=2)
                x = out
            return x

    class Classifier(nn.Module):
        """``tokens`` (batch, seq) -> ``logits``: a TextCNN or an RNN classifier in export form."""

        def __init__(self, model: nn.Module):
            super().__init__()
            self.model = model
            self.recurrent = Recurrent(model.rnn) if hasattr(model, "rnn") else None

        def forward(self, tokens):
            cfg = self.model.config
            if self.recurrent is None:
                return self.model.out(self._cnn(tokens, cfg))
            mask = tokens != cfg.pad_index
            lengths = mask.sum(1).clamp(min=1)  # an empty sequence reads one zero vector, as in torch
            mask = prefix(lengths, tokens.shape[1])
            x = self.model.embedding(tokens) * mask.unsqueeze(2)
            out = self.recurrent(x, lengths)  # shape: (batch, seq, directions * hidden)
            if cfg.pooling == "last":
                hidden = cfg.hidden_size
                index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden)
                forward_last = torch.gather(out[:, :, :hidden], 1, index).squeeze(1)
                pooled = (
                    torch.cat([forward_last, out[:, 0, hidden:]], 1) if cfg.bidirectional else forward_last
                )
            elif cfg.pooling == "mean":
                pooled = (out * mask.unsqueeze(2)).sum(1) / lengths.unsqueeze(1).to(out.dtype)
            else:
                pooled = out.masked_fill(~mask.unsqueeze(2), lowest).max(dim=1).values
            return self.model.out(pooled)

        def _cnn(self, tokens, cfg):
            return cnn_pool(
                self.model.embedding(tokens), tokens != cfg.pad_index, self.model.convs, cfg.filter_widths
            )

    def cnn_pool(x, mask, convs, widths):
        """:func:`advisor.baselines.models.conv_max_pool` in export form: ``x`` (batch, seq, dim), ``mask``
        (batch, seq) -> the pooled n-gram features. The sequence always gets ``widest - 1`` zero positions (room
        for the widest filter without a data-dependent branch); a window counts when it lies inside the text,
        and a text shorter than a filter keeps its first window, as in training."""
        widest = max(widths)
        x = F.pad(x, (0, 0, 0, widest - 1))
        mask = F.pad(mask, (0, widest - 1), value=False)
        lengths = mask.sum(1)
        x = (x * mask.unsqueeze(2).to(x.dtype)).transpose(1, 2)
        pooled = []
        for width, conv in zip(widths, convs, strict=True):
            h = F.relu(conv(x))  # shape: (batch, filters, positions)
            valid = prefix((lengths - width + 1).clamp(min=1), h.shape[2]).unsqueeze(1)
            pooled.append(h.masked_fill(~valid, lowest).max(dim=2).values)
        return torch.cat(pooled, dim=1)

    class BertCNN(nn.Module):
        """``input_ids``, ``attention_mask`` -> logits: the frozen encoder's last-layer token features and the
        BertCNN head (``frozen-transformer --head cnn``: n-gram convolutions, max over time, the output layer)."""

        def __init__(self, encoder: nn.Module, net: nn.Module):
            super().__init__()
            self.encoder, self.net = encoder, net

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = cnn_pool(hidden, attention_mask > 0, self.net.convs, self.net.config.filter_widths)
            return self.net.out(pooled)

    class Step(nn.Module):
        """One token of a unidirectional RNN classifier: (token, state, pooled state) -> (logits, new states)."""

        def __init__(self, model: nn.Module):
            super().__init__()
            self.model = model
            self.lstm = isinstance(model.rnn, nn.LSTM)
            self.cells = nn.ModuleList(single(model.rnn, layer, "") for layer in range(model.rnn.num_layers))

        def forward(self, token, h, pool, count):
            # token: (batch,); h: (layers, batch, hidden); pool: (batch, hidden); count: (batch, 1)
            return self.step(token, h, None, pool, count)

        def step(self, token, h, c, pool, count):
            x = self.model.embedding(token).unsqueeze(1)  # shape: (batch, 1, embed)
            hs, cs = [], []
            for layer, cell in enumerate(self.cells):
                if self.lstm:
                    x, (h_l, c_l) = cell(x, (h[layer : layer + 1], c[layer : layer + 1]))
                    cs.append(c_l)
                else:
                    x, h_l = cell(x, h[layer : layer + 1])
                hs.append(h_l)
            top = x[:, 0]  # shape: (batch, hidden)
            pooling = self.model.config.pooling
            count = count + 1
            if pooling == "max":
                pool = torch.maximum(pool, top)
                features = pool
            elif pooling == "mean":
                pool = pool + top
                features = pool / count
            else:
                pool, features = top, top
            states = [torch.cat(hs, 0), *([torch.cat(cs, 0)] if self.lstm else []), pool, count]
            return (self.model.out(features), *states)

    class LSTMStep(Step):
        def forward(self, token, h, c, pool, count):
            # token: (batch,); h, c: (layers, batch, hidden); pool: (batch, hidden); count: (batch, 1)
            return self.step(token, h, c, pool, count)

    class Emissions(nn.Module):
        """``words`` (batch, seq) [, ``chars`` (batch, seq, chars)] -> the BiLSTM-CRF's ``emissions``."""

        def __init__(self, model: nn.Module):
            super().__init__()
            self.model = model
            self.recurrent = Recurrent(model.lstm)

        def forward(self, words, chars=None):
            cfg = self.model.config
            lengths = (words != cfg.pad_index).sum(1).clamp(min=1)
            mask = prefix(lengths, words.shape[1])
            x = self.model.embedding(words)
            if self.model.chars is not None:
                x = torch.cat([x, self._chars(chars)], dim=2)
            out = self.recurrent(x * mask.unsqueeze(2), lengths)
            return self.model.emit(out)

        def _chars(self, chars):
            cnn = self.model.chars
            batch, seq_len, width = chars.shape
            flat = chars.reshape(batch * seq_len, width)
            mask = flat != cnn.pad_index  # shape: (batch * seq, chars)
            real = mask.any(1, keepdim=True)  # padding words have no characters: their vector is zero
            x = (cnn.embedding(flat) * mask.unsqueeze(2)).transpose(1, 2)
            h = cnn.conv(x).masked_fill(~mask.unsqueeze(1), lowest).max(dim=2).values
            return torch.where(real, h, torch.zeros_like(h)).reshape(batch, seq_len, -1)

    return Classifier, Step, LSTMStep, Emissions, BertCNN


def _write_crf(crf: Any, folder: Path) -> None:
    """``crf.json``: a :class:`~advisor.baselines.models.CRF`'s start, end and transition scores, which the
    runtime's :func:`advisor.runtime.viterbi` decodes with."""
    scores = {
        "start": crf.start_transitions.tolist(),
        "end": crf.end_transitions.tolist(),
        "transitions": crf.transitions.tolist(),
    }
    (folder / CRF).write_text(json.dumps(scores) + "\n", encoding="utf-8")


@exporter("textcnn", "bilstm", "lstm", "gru", "rnn", "bilstm-crf")
def _export_torch(model_dir: Path, folder: Path, manifest: Manifest) -> Exported:
    import numpy as np
    import torch

    from .io import VOCAB as SAVED_VOCAB
    from .io import load_model
    from .train import pad_chars, pad_ids

    bundle = load_model(model_dir)
    model = bundle.model
    Classifier, Step, LSTMStep, Emissions, _ = _torch_modules()
    (folder / VOCAB).write_bytes((model_dir / SAVED_VOCAB).read_bytes())
    files = [GRAPH, VOCAB]
    graphs = [GRAPH]
    if manifest.task == "tagging":
        words = torch.tensor([[2, 3, 4], [5, 0, 0]])
        args: tuple = (words,)
        names = ["words"]
        if bundle.char_vocab is not None:
            args += (torch.tensor([[[2, 3], [4, 0], [5, 6]], [[2, 0], [0, 0], [0, 0]]]),)
            names.append("chars")
        _onnx_export(Emissions(model), args, folder / GRAPH, names, ["emissions"], recurrent=True)
        crf = model.crf  # None for the softmax taggers (bilstm, lstm, gru, rnn on tagging data)
        if crf is not None:
            _write_crf(crf, folder)
            files.append(CRF)
        spec = {
            "inputs": names,
            "output": "emissions",
            "tokenizer": {"kind": "tagger", "preprocess": dict(bundle.preprocess)},
            "decoder": "viterbi" if crf is not None else "argmax-tags",
        }

        @torch.no_grad()
        def reference(token_lists: list) -> list:
            out = []
            for toks in token_lists:
                w = bundle.encode_words([toks])
                ids, mask = pad_ids(w)
                mask[:, 0] = True
                chars = bundle.encode_chars([toks])
                ch = None if chars is None else pad_chars(chars, ids.shape[1])
                out.append(model.emissions(ids, ch, mask)[0, : len(toks)].numpy())
            return out

        return Exported(spec, files, reference, graphs)

    tokens = torch.tensor([[2, 3, 4, 5, 6, 7], [8, 9, 0, 0, 0, 0]])
    recurrent = hasattr(model, "rnn")
    _onnx_export(Classifier(model), (tokens,), folder / GRAPH, ["tokens"], ["logits"], recurrent=recurrent)
    spec = {"inputs": ["tokens"], "output": "logits", "tokenizer": {"kind": "words"}, "decoder": "argmax"}
    cfg = model.config
    rnn = getattr(model, "rnn", None)
    if bundle.arch in STREAMING:  # a classifier here: the taggers returned above
        lstm = isinstance(rnn, torch.nn.LSTM)
        layers, hidden = cfg.num_layers, cfg.hidden_size
        states = [("h", [layers, hidden], 0.0), *([("c", [layers, hidden], 0.0)] if lstm else [])]
        pool_init = float(torch.finfo(torch.float32).min) if cfg.pooling == "max" else 0.0
        states += [("pool", [hidden], pool_init), ("count", [1], 0.0)]
        batch = 2
        args = (torch.tensor([3, 4]),) + tuple(
            torch.full([shape[0], batch, *shape[1:]] if n in ("h", "c") else [batch, *shape], init)
            for n, shape, init in states
        )
        names = ["token", *(n for n, _, _ in states)]
        outputs = ["logits", *(f"{n}_out" for n in names[1:])]
        dynamic = {n: (1,) if n in ("h", "c") else (0,) for n in names}
        _onnx_export(
            (LSTMStep if lstm else Step)(model), args, folder / STEP, names, outputs, dynamic, recurrent=True
        )
        files.append(STEP)
        graphs.append(STEP)
        spec["step"] = {
            "graph": STEP,
            "states": [{"name": n, "shape": s, "init": i} for n, s, i in states],
            "pooling": cfg.pooling,
        }

    @torch.no_grad()
    def reference(texts: list) -> list:
        ids, mask = pad_ids(bundle.encode_texts(texts))
        return list(model(ids, mask)[0].numpy().astype(np.float32))

    return Exported(spec, files, reference, graphs)


# -- ngram-linear ------------------------------------------------------------------------------------------------


def _linear_graph(coef: Any, intercept: Any, path: Path, name: str, vectors: Any | None = None) -> None:
    """``terms`` (batch, n) int64, ``weights`` (batch, n) float32 -> ``logits`` = sum_i weights_i * W[terms_i] + b:
    a sparse vector times the head, as Gather + MatMul (built with ``onnx.helper``: no torch needed).

    With ``vectors`` (``ngram-static-linear``'s kept word vectors, (words, dim)) the graph also takes ``words``
    (batch, seq) int64, each text's kept words as 1 + their row (0: padding), and adds the L2-normalised mean of
    their vectors times the head's last ``dim`` columns: the vectors are a Gather table inside the graph (so
    they travel in the folder, and int8 quantizes them with the other tables). The mean's count cancels under
    the normalisation, so the graph normalises the sum."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    coef = np.asarray(coef, dtype=np.float32)
    dim = 0 if vectors is None else int(np.asarray(vectors).shape[1])
    table = np.ascontiguousarray(coef[:, : coef.shape[1] - dim].T)  # shape: (n_terms, rows)
    bias = np.asarray(intercept, dtype=np.float32).reshape(-1)
    nodes = [
        helper.make_node("Gather", ["table", "terms"], ["rows"], axis=0),  # (batch, n, rows)
        helper.make_node("Unsqueeze", ["weights", "axis1"], ["w3"]),  # (batch, 1, n)
        helper.make_node("MatMul", ["w3", "rows"], ["summed3"]),  # (batch, 1, rows)
        helper.make_node("Squeeze", ["summed3", "axis1"], ["summed"]),
    ]
    inputs = [
        helper.make_tensor_value_info("terms", TensorProto.INT64, ["batch", "n"]),
        helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "n"]),
    ]
    init = [
        numpy_helper.from_array(table, "table"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    if vectors is None:
        nodes.append(helper.make_node("Add", ["summed", "bias"], ["logits"]))
    else:
        padded = np.vstack([np.zeros((1, dim), np.float32), np.asarray(vectors, dtype=np.float32)])
        nodes += [
            helper.make_node("Gather", ["word_vectors", "words"], ["vecs"], axis=0),  # (batch, seq, dim)
            helper.make_node("ReduceSum", ["vecs", "axis1"], ["vsum"], keepdims=0),  # (batch, dim)
            helper.make_node("Mul", ["vsum", "vsum"], ["vsq"]),
            helper.make_node("ReduceSum", ["vsq", "axis1"], ["vss"], keepdims=1),  # (batch, 1)
            helper.make_node("Sqrt", ["vss"], ["vnorm"]),
            helper.make_node("Max", ["vnorm", "tiny"], ["vden"]),  # a text without kept words: 0 / tiny = 0
            helper.make_node("Div", ["vsum", "vden"], ["vmean"]),
            helper.make_node("MatMul", ["vmean", "vector_head"], ["vlogits"]),  # (batch, rows)
            helper.make_node("Add", ["summed", "vlogits"], ["both"]),
            helper.make_node("Add", ["both", "bias"], ["logits"]),
        ]
        inputs.append(helper.make_tensor_value_info("words", TensorProto.INT64, ["batch", "seq"]))
        init += [
            numpy_helper.from_array(padded, "word_vectors"),
            numpy_helper.from_array(np.ascontiguousarray(coef[:, coef.shape[1] - dim :].T), "vector_head"),
            numpy_helper.from_array(np.array(1e-30, dtype=np.float32), "tiny"),
        ]
    graph = helper.make_graph(
        nodes,
        name,
        inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", bias.shape[0]])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="advisor")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@exporter("ngram-linear", "ngram-static-linear")
def _export_ngram(model_dir: Path, folder: Path, manifest: Manifest) -> Exported:
    import numpy as np

    from .ngram import NgramLinearClassifier, NgramStaticLinearClassifier

    static = manifest.architecture == "ngram-static-linear"
    clf = (NgramStaticLinearClassifier if static else NgramLinearClassifier).load(model_dir)
    feats, head = clf._require_fit()
    vectors = clf.word_vectors if static else None
    _linear_graph(head.coef, head.intercept, folder / GRAPH, manifest.architecture.replace("-", "_"), vectors)
    vocab: dict[str, Any] = {"terms": feats.terms, "idf": [float(x) for x in feats.idf]}
    if static:
        vocab["words"] = clf.words  # row i of the graph's word_vectors is words[i - 1]
    (folder / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    m = manifest.model
    spec = {
        "inputs": ["terms", "weights", *(["words"] if static else [])],
        "output": "logits",
        "tokenizer": {
            "kind": "ngrams",
            "ngram_range": list(m["ngram_range"]),
            "lowercase": m["lowercase"],
            "token_pattern": m["token_pattern"],
            "sublinear_tf": True,
            "norm": "l2",
            **({"static_words": "advisor.data.tokenize, the kept words only"} if static else {}),
        },
        "decoder": "binary" if head.coef.shape[0] == 1 else "argmax",
    }

    def reference(texts: list) -> list:
        return list(head.decision(clf._transform(texts)).astype(np.float32))

    return Exported(spec, [GRAPH, VOCAB], reference)


# -- transformers ------------------------------------------------------------------------------------------------


def _wordpiece_spec(tokenizer: Any, folder: Path, max_length: int, head_share: float) -> dict[str, Any]:
    if not getattr(tokenizer, "is_fast", False):
        raise ExportError("the encoder's tokenizer has no fast (tokenizers) form to export as tokenizer.json")
    tokenizer.backend_tokenizer.save(str(folder / TOKENIZER))
    from .finetune import specials

    before, after = specials(tokenizer)
    return {
        "kind": "wordpiece",
        "file": TOKENIZER,
        "max_length": int(max_length),
        "head_share": head_share,
        "before": before,
        "after": after,
        "pad_id": int(tokenizer.pad_token_id or 0),
    }


def _tagger_spec(tokenizer: Any, folder: Path, max_length: int) -> dict[str, Any]:
    """A transformer tagger's tokenizer spec: each word cut into pieces alone, the words that fit in the
    encoder's budget kept (:func:`advisor.data.text.first_pieces`, what training does), a word without pieces
    read as ``unk_id``; the graph's emissions at each word's first piece are the word's."""
    from .finetune import unk_id

    spec = _wordpiece_spec(tokenizer, folder, max_length, 1.0)
    return {**spec, "words": "first piece", "unk_id": unk_id(tokenizer)}


def _transformer_export(
    net: Any,
    tokenizer: Any,
    folder: Path,
    tok_spec: dict,
    reference,
    *,
    output: str = "logits",
    decoder: str = "argmax",
) -> Exported:
    """``input_ids``, ``attention_mask`` -> ``output``: the classifiers' logits (batch, classes), the taggers'
    emissions per word piece (batch, pieces, tags)."""
    batch = tokenizer(["a short text", "a longer text than the first one"], padding=True, return_tensors="pt")
    args = (batch["input_ids"], batch["attention_mask"])
    _onnx_export(net, args, folder / GRAPH, ["input_ids", "attention_mask"], [output])
    spec = {
        "inputs": ["input_ids", "attention_mask"],
        "output": output,
        "tokenizer": tok_spec,
        "decoder": decoder,
    }
    return Exported(spec, [GRAPH, TOKENIZER], reference)


def _linear_head_only(manifest: Manifest) -> None:
    """The transformer classifier exporters take a linear (or logistic-regression) head, and BertCNN's (its own
    exporter); another head is refused, in one line."""
    head = manifest.model.get("head", "linear")
    if head not in ("linear", "lr"):
        raise ExportError(
            f"a {manifest.architecture} model with the {head} head is not exported yet (the linear and "
            "CNN heads are): serve it with `advisor baseline predict` on the trained folder"
        )


def _pooled_head(encoder: Any, head: Any, normalize: bool) -> Any:
    """``input_ids``, ``attention_mask`` -> logits: ``encoder`` (a Hugging Face model), mean pooling over the
    mask (L2-normalised when ``normalize``) and the linear ``head`` (:class:`~advisor.baselines.ngram.LinearHead`)
    in one module: frozen-transformer's and SetFit's graph."""
    import torch

    from .transformer import MiniLM

    class PooledHead(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.register_buffer("coef", torch.tensor(head.coef.T, dtype=torch.float32))
            self.register_buffer("intercept", torch.tensor(head.intercept, dtype=torch.float32))

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = MiniLM.mean_pool(hidden, attention_mask, normalize)
            return pooled @ self.coef + self.intercept

    return PooledHead()


@exporter("frozen-transformer")
def _export_frozen(model_dir: Path, folder: Path, manifest: Manifest) -> Exported:
    if manifest.task == "tagging":
        return _export_frozen_tagger(model_dir, folder)
    if manifest.model.get("head") == "cnn":
        return _export_bertcnn(model_dir, folder)
    _linear_head_only(manifest)
    import numpy as np

    from .transformer import FrozenTransformerClassifier, load_minilm

    clf = FrozenTransformerClassifier.load(model_dir)
    head = clf._require_fit()
    enc = load_minilm("cpu", clf.encoder_dir)  # the shipped MiniLM, or the --encoder folder it was fit on
    tok_spec = _wordpiece_spec(enc.tokenizer, folder, enc.max_seq_length, 1.0)

    def reference(texts: list) -> list:
        return list(head.decision(clf._features(texts)).astype(np.float32))

    exported = _transformer_export(
        _pooled_head(enc.model, head, True), enc.tokenizer, folder, tok_spec, reference
    )
    exported.spec["decoder"] = "binary" if head.coef.shape[0] == 1 else "argmax"
    return exported


def _export_frozen_tagger(model_dir: Path, folder: Path) -> Exported:
    """The frozen-transformer tagger: the frozen encoder and the linear emission layer in one graph (per word
    piece), the CRF's transitions in ``crf.json`` (the runtime's Viterbi). A word's emissions are those at its
    first piece, gathered outside the graph; the words past the encoder's budget read a zero feature vector in
    training, so their emissions are the layer's bias: ``beyond_budget.emission``, appended by the runtime."""
    import numpy as np
    import torch

    from .frozen_tagger import FrozenTransformerTagger

    tagger = FrozenTransformerTagger.load(model_dir)
    tokenizer, encoder, max_length = tagger._load()
    head = tagger.head.eval()
    tok_spec = _tagger_spec(tokenizer, folder, max_length)

    class Emissions(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.emit = encoder, head.emit

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return self.emit(hidden)  # shape: (batch, pieces, tags)

    @torch.no_grad()
    def reference(token_lists: list) -> list:
        return [head.emit(f).numpy().astype(np.float32) for f in tagger.features(token_lists)]

    _write_crf(head.crf, folder)
    exported = _transformer_export(
        Emissions(), tokenizer, folder, tok_spec, reference, output="emissions", decoder="viterbi"
    )
    exported.spec["beyond_budget"] = {"emission": head.emit.bias.detach().tolist()}
    exported.files.append(CRF)
    return exported


def _export_bertcnn(model_dir: Path, folder: Path) -> Exported:
    """BertCNN (``frozen-transformer --head cnn``): the frozen encoder and the CNN head in one graph, the
    encoder's word pieces outside it, truncated at its max_seq_length from the head as training encoded them."""
    import numpy as np
    import torch

    from .bertcnn import BertCNNClassifier

    clf = BertCNNClassifier.load(model_dir)
    enc = clf._encoder()
    tok_spec = _wordpiece_spec(enc.tokenizer, folder, enc.max_seq_length, 1.0)

    @torch.no_grad()
    def reference(texts: list) -> list:
        feats = clf.features(texts)
        out = []
        for s in range(0, len(feats), 64):
            out.extend(clf.net(**clf._pad(feats[s : s + 64]))[0].numpy().astype(np.float32))
        return out

    net = _torch_modules()[4](enc.model, clf.net.eval())
    return _transformer_export(net, enc.tokenizer, folder, tok_spec, reference)


@exporter("transformer-setfit")
def _export_setfit(model_dir: Path, folder: Path, manifest: Manifest) -> Exported:
    """The fine-tuned sentence-transformers body (its Transformer module, mean pooling, and L2 normalisation when
    the body has a Normalize module) and the logistic-regression head in one graph; the body's tokenizer
    outside it, truncated at the body's max_seq_length from the head, as sentence-transformers truncates."""
    _linear_head_only(manifest)
    import numpy as np

    from .setfit_train import SetFitClassifier

    clf = SetFitClassifier.load(model_dir)
    body, head = clf.body, clf.head
    modules = [type(m).__name__ for m in body]
    config = body[1].get_config_dict() if len(body) > 1 and hasattr(body[1], "get_config_dict") else {}
    # sentence-transformers 5 says pooling_mode "mean"; earlier versions set pooling_mode_mean_tokens alone
    others = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")
    mean = config.get("pooling_mode") == "mean" or (
        bool(config.get("pooling_mode_mean_tokens"))
        and not any(config.get(f"pooling_mode_{k}") for k in others)
    )
    if modules[:2] != ["Transformer", "Pooling"] or not mean or set(modules[2:]) - {"Normalize"}:
        raise ExportError(
            f"a SetFit body of modules {', '.join(modules)} is not exported (Transformer, mean Pooling and an "
            "optional Normalize are)"
        )
    tok_spec = _wordpiece_spec(body.tokenizer, folder, clf.max_length, 1.0)

    def reference(texts: list) -> list:
        return list(head.decision(clf._features(texts)).astype(np.float32))

    net = _pooled_head(body[0].auto_model, head, "Normalize" in modules)
    exported = _transformer_export(net, body.tokenizer, folder, tok_spec, reference)
    exported.spec["decoder"] = "binary" if head.coef.shape[0] == 1 else "argmax"
    return exported


@exporter("transformer-finetune")
def _export_finetune(model_dir: Path, folder: Path, manifest: Manifest) -> Exported:
    """The fine-tuned encoder and its linear head in one graph. The classifier: mean pooling inside, the word
    pieces cut head + tail outside. The tagger: emissions per word piece; each word's are those at its first
    piece (gathered outside the graph), and the words past the encoder's budget are tagged ``O``, as its
    ``predict`` tags them (``beyond_budget.tag``: no emissions for them)."""
    import numpy as np
    import torch

    from .finetune import HEAD_SHARE, FineTuneClassifier

    clf = FineTuneClassifier.load(model_dir)
    if manifest.task == "tagging":
        tok_spec = _tagger_spec(clf.tokenizer, folder, clf.max_length)

        @torch.no_grad()
        def emissions(token_lists: list) -> list:
            clf.net.eval()
            sentences = clf._inputs(token_lists)
            out = []
            for s in range(0, len(sentences), 64):
                batch, firsts = clf._encode(sentences[s : s + 64])
                scores = clf.net(batch["input_ids"], batch["attention_mask"]).numpy().astype(np.float32)
                out.extend(scores[row, positions] for row, positions in enumerate(firsts))
            return out

        exported = _transformer_export(
            clf.net, clf.tokenizer, folder, tok_spec, emissions, output="emissions", decoder="argmax-tags"
        )
        exported.spec["beyond_budget"] = {"tag": "O"}
        return exported
    _linear_head_only(manifest)
    tok_spec = _wordpiece_spec(clf.tokenizer, folder, clf.max_length, HEAD_SHARE)

    @torch.no_grad()
    def reference(texts: list) -> list:
        clf.net.eval()
        out = []
        for s in range(0, len(texts), 64):
            batch = clf._batch(texts[s : s + 64])
            out.extend(clf.net(batch["input_ids"], batch["attention_mask"]).numpy().astype(np.float32))
        return out

    return _transformer_export(clf.net, clf.tokenizer, folder, tok_spec, reference)


# -- the folder --------------------------------------------------------------------------------------------------


def default_out(model_dir: Path, quantize: str | None) -> Path:
    """``<MODEL>-onnx`` (``-onnx-int8`` when quantized), beside the model folder."""
    return model_dir.with_name(f"{model_dir.name}-onnx" + (f"-{quantize}" if quantize else ""))


def check_export_out(out: Path, model_dir: Path, *, force: bool) -> None:
    """``out`` may be replaced by the export: not the model folder nor inside it (or holding it), not the working
    folder; an existing non-empty folder must be an earlier export (a manifest with ``export``); a trained
    model folder is never replaced, another folder only with ``force``."""
    from .runner import check_out_path, check_writable

    check_out_path(out, [model_dir], what="--out")
    if Path.cwd().resolve() == Path(os.path.abspath(out)).resolve():
        raise DataError(f"--out {out} is the working folder: name a folder for the export")
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        if (out / MANIFEST).is_file():
            try:
                exported = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("export")
            except (OSError, ValueError, AttributeError, RecursionError):
                exported = None
            if not exported:
                raise DataError(
                    f"--out {out} holds a trained model, not an export: nothing there is replaced; "
                    "choose another folder"
                )
        elif not force:
            raise DataError(
                f"--out {out}: not an advisor export folder (no {MANIFEST}) and not empty: nothing there is "
                "replaced; choose another folder, or pass --force to replace it"
            )
    check_writable(out)


def _items(manifest: Manifest, data: Path) -> tuple[list, list]:
    from .runner import _load

    ds = _load(data, manifest.task, training=False)
    if manifest.task == "tagging":
        return [list(s.tokens) for s in ds.items], [list(s.tags) for s in ds.items]
    return [x.text for x in ds.items], [x.label for x in ds.items]


def _accuracy(predicted: list, gold: list) -> float:
    if gold and isinstance(gold[0], list):
        pairs = [(p, g) for ps, gs in zip(predicted, gold, strict=True) for p, g in zip(ps, gs, strict=True)]
    else:
        pairs = list(zip(predicted, gold, strict=True))
    return sum(str(p) == str(g) for p, g in pairs) / max(1, len(pairs))


def _scores(predicted: list, gold: list) -> dict[str, float]:
    """``accuracy`` (per token for a tagger) and, for a tagger, ``entity_f1`` (conlleval), rounded to 4 places."""
    scores = {"accuracy": round(_accuracy(predicted, gold), 4)}
    if gold and isinstance(gold[0], list):
        from .metrics import entity_f1

        scores["entity_f1"] = round(entity_f1(gold, predicted), 4)
    return scores


def _parity(reference: list, exported: list, decode: Callable[[Any], Any]) -> dict[str, Any]:
    import numpy as np

    diff = max(
        (
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(reference, exported, strict=True)
            if np.size(a)
        ),
        default=0.0,
    )
    same = total = 0
    for a, b in zip(reference, exported, strict=True):
        da, db = decode(a), decode(b)
        if isinstance(da, list):
            same += sum(x == y for x, y in zip(da, db, strict=True))
            total += len(da)
        else:
            same += da == db
            total += 1
    agreement = same / max(1, total)
    return {
        "examples": len(reference),
        "agreement": round(agreement, 6),
        "max_abs_logit_diff": float(f"{diff:.3g}"),
        "passed": agreement >= MIN_AGREEMENT and diff <= MAX_LOGIT_DIFF,
        "thresholds": {"agreement": MIN_AGREEMENT, "max_abs_logit_diff": MAX_LOGIT_DIFF},
    }


def export(
    model: str | Path,
    *,
    format: str = "onnx",
    quantize: str | None = None,
    out: str | Path | None = None,
    data: str | Path | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Export the trained model folder ``model`` to an ONNX folder (see the module docstring); returns the
    result document (``advisor baseline export --json``).

    ``quantize`` ``"int8"`` writes the int8 graph(s). ``data`` (default: the data the model was trained on, as
    its manifest records, when that file still exists) is what the parity is measured on: the fp32 graph
    against the model reloaded from ``model`` (argmax agreement >= 99.9%, max |Δlogit| <= 1e-4; a tagger's
    emissions and decoded tags per token), and for int8 the accuracy of both graphs (a tagger's token accuracy
    and entity F1; ``within_2_points`` judges entity F1). ``out`` defaults to :func:`default_out`; ``force`` lets a non-empty foreign
    folder be replaced. ``DataError`` for a bad input, :class:`ExportError` when the model cannot be exported,
    ``ImportError`` naming the ``export`` extra when onnx is not installed.
    """
    from advisor.data.files import replace_dir_atomic

    if format not in FORMATS:
        raise DataError(f"--format {format}: choose {' or '.join(FORMATS)}")
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise DataError(f"--quantize {quantize}: choose {' or '.join(QUANTIZATIONS)}")
    model_dir = Path(model)
    manifest = read_manifest(model_dir)
    if manifest.export:
        raise DataError(
            f"{model_dir} is already an export ({manifest.export.get('format')}): export the trained model folder"
        )
    fn = EXPORTERS.get(manifest.architecture)
    if fn is None:
        raise ExportError(
            f"no exporter for {manifest.architecture!r} models yet ({', '.join(EXPORTERS)} have one)"
        )
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"export needs the 'export' extra ({exc.name or exc}): {EXTRA_HINT}") from None
    out_dir = Path(out) if out else default_out(model_dir, quantize)
    check_export_out(out_dir, model_dir, force=force)
    data_path = Path(data) if data else None
    if data_path is None and manifest.run.get("data") and Path(str(manifest.run["data"])).is_file():
        data_path = Path(str(manifest.run["data"]))
    items, gold = _items(manifest, data_path) if data_path is not None else ([], [])
    result: dict[str, Any] = {"model": str(model_dir), "out": str(out_dir), "arch": manifest.architecture}

    def fill(folder: Path) -> None:
        from advisor import runtime

        exported = fn(model_dir, folder, manifest)
        spec = {
            "format": format,
            "graph": GRAPH,
            **exported.spec,
            "quantize": None,
            "opset": _opset(folder / GRAPH),
            "versions": versions(*EXPORT_LIBRARIES),
            "source": str(model_dir),
        }

        def write_manifest() -> None:
            done = manifest.model_copy(update={"files": exported.files, "export": spec})
            (folder / MANIFEST).write_text(done.model_dump_json(indent=1) + "\n", encoding="utf-8")

        write_manifest()
        check: dict[str, Any] = {"data": str(data_path) if data_path else None}
        if items:
            fp32 = runtime.load(folder)
            got = fp32.logits(items)
            check["fp32"] = _parity(exported.reference(items), got, fp32.decode)
            check["fp32"].update(_scores(fp32.predict_items(items), gold))
        if quantize:
            for graph in exported.graphs:
                quantize_int8(folder / graph)
            spec["quantize"] = quantize
            write_manifest()
            if items:
                int8 = runtime.load(folder)
                scores = _scores(int8.predict_items(items), gold)
                change = scores["accuracy"] - check["fp32"]["accuracy"]
                check["int8"] = {**scores, "change": round(change, 4) + 0.0}
                if "entity_f1" in scores:  # a tagger is judged by its entity F1
                    change = scores["entity_f1"] - check["fp32"]["entity_f1"]
                    check["int8"]["f1_change"] = round(change, 4) + 0.0
                check["int8"]["within_2_points"] = change >= -MAX_INT8_DROP
        spec["check"] = check
        write_manifest()
        result.update(export=spec)

    replace_dir_atomic(out_dir, fill)
    result["size_bytes"] = folder_size(out_dir)
    return result


def folder_size(folder: Path) -> int:
    """Bytes of the files under ``folder``."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def format_export(result: dict[str, Any]) -> str:
    """The human-readable form of :func:`export`'s result."""
    spec = result["export"]
    lines = [
        f"exported {result['arch']} {result['model']} -> {result['out']} "
        f"({spec['format']}, opset {spec['opset']}, {spec['quantize'] or 'fp32'}, "
        f"{result['size_bytes'] / 1024:.1f} KiB)",
        f"graphs: {', '.join(g for g in (spec['graph'], spec.get('step', {}).get('graph')) if g)}; "
        f"inputs {', '.join(spec['inputs'])}; tokenizer {spec['tokenizer']['kind']} (outside the graph)",
    ]
    check = spec.get("check", {})
    if check.get("fp32"):
        p = check["fp32"]
        verdict = "ok" if p["passed"] else "FAILED"
        lines.append(
            f"fp32 parity on {check['data']} ({p['examples']} examples): agreement {p['agreement']:.2%}, "
            f"max |Δlogit| {p['max_abs_logit_diff']:.2g} ({verdict}: >= {MIN_AGREEMENT:.1%}, <= {MAX_LOGIT_DIFF:g}); "
            f"accuracy {p['accuracy']:.4f}"
            + (f", entity F1 {p['entity_f1']:.4f}" if "entity_f1" in p else "")
        )
    else:
        lines.append(
            "parity: not measured (no --data, and the training data the manifest names is not there)"
        )
    if check.get("int8"):
        q = check["int8"]
        warn = "" if q["within_2_points"] else "  WARNING: more than 2 points lost"
        f1 = f", entity F1 {q['entity_f1']:.4f} ({q['f1_change']:+.4f} vs fp32)" if "entity_f1" in q else ""
        lines.append(f"int8 accuracy {q['accuracy']:.4f} ({q['change']:+.4f} vs fp32){f1}{warn}")
    if spec.get("step"):
        lines.append(
            f"streaming: {spec['step']['graph']} (one token per call, {spec['step']['pooling']} pooling "
            "kept as running state): advisor baseline predict --stream " + result["out"]
        )
    return "\n".join(lines)
