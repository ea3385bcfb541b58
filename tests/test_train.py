"""The training loop (plateau stopping, NaN, Ctrl-C, determinism), batching, and save/load round trips."""

import json
import math
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.baselines
torch = pytest.importorskip("torch")

from advisor.baselines import io  # noqa: E402
from advisor.baselines.manifest import read_manifest  # noqa: E402
from advisor.baselines.train import (  # noqa: E402
    TrainConfig,
    TrainingError,
    epoch_generator,
    fit,
    iter_batches,
    pad_chars,
    pad_ids,
    resolve_device,
    tagger_train_config,
    train_classifier,
    train_tagger,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Toy(torch.nn.Module):
    """Linear regression; ``forward`` follows the (output, loss) contract."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(3))
        self.max_norm_calls = 0

    def forward(self, x, y):
        pred = x @ self.w
        return pred, ((pred - y) ** 2).mean()

    def apply_max_norm(self):
        self.max_norm_calls += 1


def toy_batches(epoch):
    gen = torch.Generator().manual_seed(epoch)
    for _ in range(2):
        x = torch.randn(4, 3, generator=gen)
        yield {"x": x, "y": x @ torch.tensor([1.0, -2.0, 0.5])}


class Scripted:
    """An evaluate_fn that replays a dev curve and snapshots the weights it saw."""

    def __init__(self, curve):
        self.curve = list(curve)
        self.snapshots = []

    def __call__(self, model):
        assert not model.training and not torch.is_grad_enabled()
        self.snapshots.append(model.w.detach().clone())
        return self.curve[len(self.snapshots) - 1]


def config(**overrides):
    return TrainConfig(**{"lr": 0.05, "max_epochs": 20, "device": "cpu", **overrides})


@pytest.mark.parametrize(
    "curve, patience, min_delta, max_epochs, epochs_run, best_epoch, reason",
    [
        # best at 5; then 3 epochs fail to beat it
        ([0.5, 0.7, 0.69, 0.7, 0.71, 0.6, 0.6, 0.7, 0.9], 3, 0.0, 20, 8, 5, "plateau"),
        # ties do not count as better
        ([0.5, 0.5, 0.5], 2, 0.0, 20, 3, 1, "plateau"),
        # creeping up by less than min_delta over the best is a plateau
        ([0.5, 0.505, 0.509, 0.508], 3, 0.01, 20, 4, 1, "plateau"),
        # NaN never counts as better
        ([0.5, math.nan, math.nan], 2, 0.0, 20, 3, 1, "plateau"),
        ([math.nan, math.nan], 2, 0.0, 20, 2, 0, "plateau"),
        ([0.1, 0.2, 0.3, 0.4], 3, 0.0, 4, 4, 4, "max_epochs"),
        ([0.4, 0.3, 0.2], 3, 0.0, 3, 3, 1, "max_epochs"),
    ],
)
def test_early_stopping_follows_the_scripted_curve(
    curve, patience, min_delta, max_epochs, epochs_run, best_epoch, reason
):
    model = Toy()
    evaluate = Scripted(curve)
    cfg = config(patience=patience, min_delta=min_delta, max_epochs=max_epochs)
    result = fit(model, toy_batches, evaluate, cfg, progress=False)
    assert result.stopped_reason == reason
    assert result.best_epoch == best_epoch
    assert result.best_score == (curve[best_epoch - 1] if best_epoch else None)
    assert len(result.dev_curve) == len(result.train_loss) == epochs_run
    assert all(type(x) is float for x in result.dev_curve + result.train_loss)
    torch.testing.assert_close(result.dev_curve, curve[:epochs_run], equal_nan=True)
    if best_epoch:
        assert torch.equal(model.w, evaluate.snapshots[best_epoch - 1])  # the best weights are back
    assert model.max_norm_calls == 2 * epochs_run  # after every step
    assert result.seconds > 0


def test_a_select_fn_picks_the_epoch_and_counts_patience_the_dev_metric_still_recorded():
    """fit(select_fn=): knowledge distillation's held-out objective picks the epoch instead of the dev metric."""
    dev = Scripted([0.2, 0.2, 0.2, 0.6, 0.2, 0.2, 0.2])  # flat dev accuracy: alone it would stop at epoch 3
    select = Scripted([-3.0, -2.0, -1.5, -1.0, -1.1, -1.2, -1.05])  # a falling held-out loss, best at epoch 4
    model = Toy()
    result = fit(model, toy_batches, dev, config(patience=3), progress=False, select_fn=select)
    assert result.stopped_reason == "plateau" and result.best_epoch == 4
    assert result.best_score == 0.6  # the dev metric at the selected epoch
    assert result.dev_curve == dev.curve and result.selection_curve == select.curve
    assert torch.equal(model.w, select.snapshots[3])
    assert "selection_curve" in result.to_dict()
    assert "selection_curve" not in fit(Toy(), toy_batches, Scripted([0.1, 0.2]), config(max_epochs=2),
                                        progress=False).to_dict()  # fmt: skip


def test_non_finite_loss_raises_a_clear_error():
    def batches(epoch):
        yield from toy_batches(epoch)
        if epoch == 2:
            yield {"x": torch.full((1, 3), math.inf), "y": torch.zeros(1)}

    model = Toy()
    evaluate = Scripted([0.5, 0.6])
    message = "non-finite loss at epoch 2 step 3: lower the learning rate or enable gradient clipping"
    with pytest.raises(TrainingError, match=f"^{message}$"):
        fit(model, batches, evaluate, config(), progress=False)
    assert torch.equal(model.w, evaluate.snapshots[0])  # best so far restored


@pytest.mark.parametrize("where", ["train", "evaluate"])
def test_keyboard_interrupt_keeps_the_best_weights(where):
    evaluate = Scripted([0.9, 0.5, 0.4])

    def batches(epoch):
        if where == "train" and epoch == 3:
            raise KeyboardInterrupt
        yield from toy_batches(epoch)

    def interrupting(model):
        if where == "evaluate" and len(evaluate.snapshots) == 2:
            raise KeyboardInterrupt
        return evaluate(model)

    model = Toy()
    result = fit(model, batches, interrupting, config(), progress=False)
    assert result.stopped_reason == "interrupted"
    assert (result.best_epoch, result.best_score) == (1, 0.9)
    assert result.dev_curve == [0.9, 0.5] if where == "train" else [0.9]
    assert torch.equal(model.w, evaluate.snapshots[0])


def test_progress_goes_to_stderr_and_can_be_turned_off(capsys):
    fit(Toy(), toy_batches, Scripted([0.3, 0.2, 0.1]), config(max_epochs=5, patience=2), progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "dev 0.1000" in err
    assert "2 epochs without improvement: stopping; best dev 0.3000 at epoch 1" in err
    fit(Toy(), toy_batches, Scripted([0.1, 0.2]), config(max_epochs=2), progress=False)
    assert capsys.readouterr() == ("", "")


def test_grad_clip_and_every_optimizer_run():
    for name in ("adam", "adamw", "adadelta", "sgd"):
        result = fit(Toy(), toy_batches, Scripted([0.1, 0.2]), config(optimizer=name, max_epochs=2, grad_clip=1.0),
                     progress=False)  # fmt: skip
        assert len(result.train_loss) == 2 and all(math.isfinite(x) for x in result.train_loss)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"patience": 1}, "patience must be >= 2"),
        ({"optimizer": "lion"}, "optimizer must be one of adam, adamw, adadelta, sgd"),
        ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
        ({"lr": 0}, "lr must be > 0"),
    ],
)
def test_train_config_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**fields)


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA device"):
        resolve_device("cuda")


def test_batching_utilities():
    ids, mask = pad_ids([[5, 6, 7], [], [8]])
    assert ids.tolist() == [[5, 6, 7], [0, 0, 0], [8, 0, 0]]
    assert mask.tolist() == [[True] * 3, [False] * 3, [True, False, False]]
    assert pad_ids([[]])[0].shape == (1, 1)
    chars = pad_chars([[[3, 4], [5]], [[6, 7, 8]]], seq_len=2)
    assert chars.tolist() == [[[3, 4, 0], [5, 0, 0]], [[6, 7, 8], [0, 0, 0]]]
    assert list(iter_batches(5, 2)) == [[0, 1], [2, 3], [4]]
    first = list(iter_batches(10, 3, epoch_generator(7, 1)))
    assert first == list(iter_batches(10, 3, epoch_generator(7, 1)))
    assert first != list(iter_batches(10, 3, epoch_generator(7, 2)))
    assert sorted(i for b in first for i in b) == list(range(10))


# ----------------------------------------------------------------------------------------------------------------
# one-call trainers and save/load


@dataclass
class Item:
    text: str
    label: str


@dataclass
class Sentence:
    tokens: list
    tags: list


def toy_texts(n, seed):
    gen = torch.Generator().manual_seed(seed)
    words = ["the", "a", "movie", "plot", "was", "is", "very", "quite"]
    items = []
    for i in range(n):
        label = ["pos", "neg", "mixed"][i % 3]
        cue = {"pos": "great", "neg": "awful", "mixed": "okay"}[label]
        filler = [words[j] for j in torch.randint(len(words), (int(torch.randint(1, 6, (1,), generator=gen)),),
                                                  generator=gen)]  # fmt: skip
        items.append(Item(" ".join([*filler[:2], cue, *filler[2:]]), label))
    return items


def toy_sentences(n, seed):
    gen = torch.Generator().manual_seed(seed)
    names, words = ["Alice", "Bob", "Carol"], ["met", "saw", "in", "the", "park", "on", "1999"]
    sents = []
    for _ in range(n):
        tokens, tags = [], []
        for _ in range(int(torch.randint(1, 6, (1,), generator=gen))):
            if torch.rand(1, generator=gen) < 0.3:
                tokens += [names[int(torch.randint(3, (1,), generator=gen))], "Smith"]
                tags += ["B-PER", "I-PER"]
            else:
                tokens.append(words[int(torch.randint(len(words), (1,), generator=gen))])
                tags.append("O")
        sents.append(Sentence(tokens, tags))
    return sents


SMALL_CNN = {"embed_dim": 8, "num_filters": 4, "filter_widths": (1, 2)}
SMALL_TAGGER = {"word_dim": 6, "char_dim": 4, "char_filters": 5, "hidden_size": 6}


@pytest.fixture(scope="module")
def classifier():
    return train_classifier(toy_texts(45, 0), toy_texts(15, 1), "textcnn", model_config=SMALL_CNN,
                            train_config=TrainConfig(max_epochs=3, batch_size=8, seed=3, device="cpu"),
                            progress=False)  # fmt: skip


def test_same_seed_same_curve(classifier):
    again = train_classifier(toy_texts(45, 0), toy_texts(15, 1), "textcnn", model_config=SMALL_CNN,
                             train_config=TrainConfig(max_epochs=3, batch_size=8, seed=3, device="cpu"),
                             progress=False)  # fmt: skip
    assert again.fit.dev_curve == classifier.fit.dev_curve
    assert again.fit.train_loss == classifier.fit.train_loss
    other = train_classifier(toy_texts(45, 0), toy_texts(15, 1), "textcnn", model_config=SMALL_CNN,
                             train_config=TrainConfig(max_epochs=3, batch_size=8, seed=4, device="cpu"),
                             progress=False)  # fmt: skip
    assert other.fit.train_loss != classifier.fit.train_loss


@pytest.mark.parametrize("arch", ["bilstm", "gru"])
def test_rnn_classifiers_train(arch):
    bundle = train_classifier(toy_texts(30, 0), toy_texts(9, 1), arch,
                              model_config={"embed_dim": 6, "hidden_size": 5},
                              train_config=TrainConfig(max_epochs=2, batch_size=8, device="cpu"), progress=False)  # fmt: skip
    assert len(bundle.fit.dev_curve) == 2 and bundle.labels == ["mixed", "neg", "pos"]


def test_classifier_round_trip(classifier, tmp_path):
    texts = [x.text for x in toy_texts(20, 5)] + ["", "unseen words only"]
    before = io.predict_texts(classifier, texts)
    out = io.save_model(classifier, tmp_path / "model", data_fingerprint="sha256:abc")
    loaded = io.load_model(out)
    assert io.predict_texts(loaded, texts) == before
    assert set(before) <= {"pos", "neg", "mixed"}
    assert loaded.model.config == classifier.model.config
    assert loaded.fit == classifier.fit and loaded.vocab == classifier.vocab
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["architecture"] == "textcnn" and meta["data_fingerprint"] == "sha256:abc"
    assert meta["task"] == "classification" and meta["labels"] == ["mixed", "neg", "pos"]
    assert meta["model"]["filter_widths"] == [1, 2] and meta["train"]["seed"] == 3
    assert {"python", "torch", "advisor"} <= set(meta["versions"]) and meta["created"]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.pt", "vocab.json"]
    with pytest.raises(ValueError, match="use predict_texts"):
        io.predict_tags(loaded, [["a"]])


def test_bundle_task_uses_the_vocabulary_names(classifier):
    from advisor.vocabulary import TASKS

    assert classifier.task == "classification" and classifier.task in TASKS


@pytest.mark.parametrize("old", ["config.json", "manifest.json"])
def test_a_format_1_model_folder_is_refused_naming_its_format(classifier, tmp_path, old):
    out = io.save_model(classifier, tmp_path / "model")
    meta = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").unlink()
    (out / old).write_text(json.dumps({**meta, "format_version": 1, "task": "classify"}))
    with pytest.raises(ValueError, match="checkpoint format 1; this advisor reads format 2 only: retrain"):
        io.load_model(out)


def test_save_replaces_atomically(classifier, tmp_path, monkeypatch):
    out = io.save_model(classifier, tmp_path / "model", run={"run": 1})
    io.save_model(classifier, out, run={"run": 2})
    assert read_manifest(out).run == {"run": 2}

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        io.save_model(classifier, out, run={"run": 3})
    assert read_manifest(out).run == {"run": 2}  # the old model is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp dirs left behind


def test_tagger_trains_and_round_trips(tmp_path):
    bundle = train_tagger(toy_sentences(40, 0), toy_sentences(10, 1), model_config=SMALL_TAGGER,
                          train_config=tagger_train_config(max_epochs=2, batch_size=8, device="cpu"),
                          progress=False)  # fmt: skip
    assert bundle.labels == ["B-PER", "I-PER", "O"] and len(bundle.fit.dev_curve) == 2
    sents = [s.tokens for s in toy_sentences(12, 9)] + [[], ["Zed", "1234"]]
    before = io.predict_tags(bundle, sents)
    assert [len(p) for p in before] == [len(s) for s in sents]
    loaded = io.load_model(io.save_model(bundle, tmp_path / "tagger"))
    assert loaded.task == "tagging"
    assert io.predict_tags(loaded, sents) == before
    assert loaded.char_vocab == bundle.char_vocab and loaded.preprocess == bundle.preprocess
    with pytest.raises(ValueError, match="use predict_tags"):
        io.predict_texts(loaded, ["a"])
