"""Baseline models: padding never leaks, the registry, max-norm; plus vocabularies and embedding files."""

import dataclasses
import json

import pytest

pytestmark = pytest.mark.baselines
torch = pytest.importorskip("torch")

from advisor.baselines.models import (  # noqa: E402
    ARCHS,
    BiLSTMCRF,
    BiLSTMCRFConfig,
    RNNClassifier,
    RNNClassifierConfig,
    TextCNN,
    TextCNNConfig,
    build_model,
    make_config,
)
from advisor.baselines.vocab import CharVocab, Vocab, load_embeddings, vocab_from_dict  # noqa: E402

VOCAB = 20


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def padded_pair(short_len, long_len, seed=0):
    """A short and a long sequence of real ids (>= 2), batched with right padding."""
    gen = torch.Generator().manual_seed(seed)
    short = torch.randint(2, VOCAB, (short_len,), generator=gen)
    long = torch.randint(2, VOCAB, (long_len,), generator=gen)
    batch = torch.zeros(2, long_len, dtype=torch.long)
    batch[0, :short_len] = short
    batch[1] = long
    return short.unsqueeze(0), batch


def assert_alone_equals_batched(model, short_len, long_len, **kwargs):
    torch.manual_seed(0)
    model.eval()
    alone, batch = padded_pair(short_len, long_len)
    with torch.no_grad():
        # a pad row holding junk must not leak either
        model.embedding.weight[0].fill_(5.0)
        out_alone, _ = model(alone, alone != 0, **kwargs)
        out_batch, _ = model(batch, batch != 0, **kwargs)
    torch.testing.assert_close(out_alone[0], out_batch[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["max", "mean", "last"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_rnn_output_does_not_depend_on_padding(cell, bidirectional, pooling, num_layers):
    torch.manual_seed(0)
    config = RNNClassifierConfig(
        vocab_size=VOCAB, num_classes=3, embed_dim=8, hidden_size=6, num_layers=num_layers,
        cell=cell, bidirectional=bidirectional, pooling=pooling,
    )  # fmt: skip
    assert_alone_equals_batched(RNNClassifier(config), short_len=3, long_len=7)


def test_rnn_last_pooling_reads_true_last_and_first_states():
    torch.manual_seed(0)
    config = RNNClassifierConfig(vocab_size=VOCAB, embed_dim=8, hidden_size=6, pooling="last", dropout=0.0)
    model = RNNClassifier(config).eval()
    _, batch = padded_pair(3, 7)
    with torch.no_grad():
        pooled = model.features(batch, batch != 0)[0]
        out, _ = model.rnn(model.embedding(batch[:1, :3]))  # the short sequence alone, no padding at all
    forward_last, backward_first = out[0, -1, :6], out[0, 0, 6:]
    torch.testing.assert_close(pooled, torch.cat([forward_last, backward_first]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("short_len", [1, 2, 4, 5, 6])
def test_textcnn_output_does_not_depend_on_padding(short_len):
    torch.manual_seed(0)
    config = TextCNNConfig(vocab_size=VOCAB, num_classes=3, embed_dim=8, num_filters=4)
    assert_alone_equals_batched(TextCNN(config), short_len=short_len, long_len=9)


def test_textcnn_padded_positions_never_win_the_max():
    torch.manual_seed(0)
    model = TextCNN(TextCNNConfig(vocab_size=VOCAB, embed_dim=8, num_filters=4, filter_widths=(2,))).eval()
    tokens = torch.tensor([[3, 4, 0, 0, 0]])
    with torch.no_grad():
        model.convs[0].bias.fill_(100.0)  # windows of zero vectors would score exactly the bias
        model.convs[0].weight.fill_(-1.0)
        model.embedding.weight.fill_(1.0)
        features = model.features(tokens)
    # only the window (3, 4) counts: 100 - 2 * 8
    assert torch.equal(features, torch.full((1, 4), 84.0))


def test_textcnn_handles_sequences_shorter_than_every_filter_and_empty_ones():
    model = TextCNN(TextCNNConfig(vocab_size=VOCAB, num_classes=2)).eval()
    logits, loss = model(torch.tensor([[3], [0]]), targets=torch.tensor([0, 1]))
    assert logits.shape == (2, 2) and torch.isfinite(logits).all() and torch.isfinite(loss)


def test_textcnn_max_norm_caps_output_rows():
    model = TextCNN(TextCNNConfig(vocab_size=VOCAB, num_classes=3, max_norm=3.0))
    with torch.no_grad():
        model.out.weight.mul_(100.0)
        model.out.weight[0].fill_(0.001)
    small = model.out.weight[0].clone()
    model.apply_max_norm()
    norms = model.out.weight.norm(dim=1)
    assert torch.all(norms <= 3.0 + 1e-4) and norms[1:].min() > 2.99
    assert torch.equal(model.out.weight[0], small)


def test_pretrained_embeddings_frozen_or_fine_tuned():
    weights = torch.randn(VOCAB, 8)
    frozen = TextCNN(TextCNNConfig(vocab_size=VOCAB, embed_dim=8, freeze_embeddings=True), weights)
    assert not frozen.embedding.weight.requires_grad
    torch.testing.assert_close(frozen.embedding.weight[1:], weights[1:])
    assert torch.equal(frozen.embedding.weight[0], torch.zeros(8))
    tuned = RNNClassifier(RNNClassifierConfig(vocab_size=VOCAB, embed_dim=8), weights.numpy())
    assert tuned.embedding.weight.requires_grad
    with pytest.raises(ValueError, match=r"shape \(20, 8\), expected \(20, 16\)"):
        TextCNN(TextCNNConfig(vocab_size=VOCAB, embed_dim=16), weights)


def tagger_inputs():
    gen = torch.Generator().manual_seed(1)
    words = torch.randint(2, VOCAB, (2, 6), generator=gen)
    words[0, 3:] = 0
    mask = words != 0
    chars = torch.zeros(2, 6, 4, dtype=torch.long)
    lengths = [[2, 4, 1, 0, 0, 0], [3, 3, 4, 2, 1, 4]]
    for b, row in enumerate(lengths):
        for t, n in enumerate(row):
            chars[b, t, :n] = torch.randint(2, 10, (n,), generator=gen)
    return words, chars, mask


def test_bilstm_crf_does_not_depend_on_word_or_char_padding():
    torch.manual_seed(0)
    config = BiLSTMCRFConfig(vocab_size=VOCAB, num_tags=4, char_vocab_size=10, word_dim=6, char_dim=5,
                             char_filters=7, hidden_size=5)  # fmt: skip
    model = BiLSTMCRF(config).eval()
    words, chars, mask = tagger_inputs()
    wide_chars = torch.nn.functional.pad(chars, (0, 3))  # more character padding must change nothing
    tags = torch.randint(4, (2, 6))
    with torch.no_grad():
        em_batch, loss_batch = model(words, wide_chars, mask, tags)
        em_alone, _ = model(words[:1, :3], chars[:1, :3, :4], mask[:1, :3], tags[:1, :3])
        nll = model.crf.neg_log_likelihood(em_batch, tags, mask, reduction="none")
    torch.testing.assert_close(em_alone[0], em_batch[0, :3], rtol=1e-5, atol=1e-6)
    assert loss_batch.item() == pytest.approx(nll.mean().item())
    decoded = model.decode(words, chars, mask)
    assert [len(d) for d in decoded] == [3, 6]
    assert model.decode(words[:1, :3], chars[:1, :3], mask[:1, :3]) == decoded[:1]


def test_bilstm_crf_without_chars():
    model = BiLSTMCRF(BiLSTMCRFConfig(vocab_size=VOCAB, num_tags=3, word_dim=4, hidden_size=3))
    words, _, mask = tagger_inputs()
    emissions, loss = model(words, None, mask)
    assert emissions.shape == (2, 6, 3) and loss is None


def test_registry_builds_every_arch_with_its_fixed_fields():
    expected = {
        "bilstm": ("lstm", True),
        "lstm": ("lstm", False),
        "gru": ("gru", False),
        "rnn": ("rnn", False),
    }
    for arch in ARCHS:
        sizes = {"num_tags": 3} if arch == "bilstm-crf" else {"num_classes": 3}
        model = build_model(arch, {"vocab_size": VOCAB, **sizes})
        if arch in expected:
            assert (model.config.cell, model.config.bidirectional) == expected[arch]
        # a config round-trips through JSON
        again = make_config(arch, **json.loads(json.dumps(dataclasses.asdict(model.config))))
        assert again == model.config


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: build_model("cnn", {}), "unknown arch 'cnn'"),
        (lambda: build_model("gru", RNNClassifierConfig(vocab_size=VOCAB)), "arch 'gru' fixes"),
        (lambda: make_config("lstm", bidirectional=True), "arch 'lstm' fixes bidirectional=False"),
        (lambda: make_config("textcnn", hidden_size=3), "no field"),
        (lambda: build_model("textcnn", RNNClassifierConfig(vocab_size=VOCAB)), "needs a TextCNNConfig"),
        (lambda: RNNClassifierConfig(pooling="attention"), "pooling must be one of max, mean, last"),
        (lambda: RNNClassifierConfig(cell="transformer"), "cell must be one of"),
    ],
)
def test_registry_and_config_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------------------------------------------
# vocabularies and embeddings


def test_vocab_order_limits_and_round_trip():
    lists = [["b", "a", "c"], ["a", "b", "d"], ["a"]]
    vocab = Vocab.build(lists)
    assert vocab.itos == ["<pad>", "<unk>", "a", "b", "c", "d"]  # frequency desc, then token
    assert vocab.encode(["a", "zzz", "d"]) == [2, 1, 5]
    assert Vocab.build(lists, min_freq=2).itos == ["<pad>", "<unk>", "a", "b"]
    assert Vocab.build(lists, max_size=3).itos == ["<pad>", "<unk>", "a"]
    assert Vocab.from_dict(json.loads(json.dumps(vocab.to_dict()))) == vocab
    with pytest.raises(ValueError, match="max_size must be >= 2"):
        Vocab.build(lists, max_size=1)


def test_char_vocab():
    chars = CharVocab.build([["Ab", "b"]])
    assert chars.itos == ["<pad>", "<unk>", "b", "A"]
    assert chars.encode_words(["bA", "", "xyz"], max_chars=2) == [[2, 3], [1], [1, 1]]
    assert vocab_from_dict(chars.to_dict()) == chars
    with pytest.raises(ValueError, match="expected a 'word' vocabulary"):
        Vocab.from_dict(chars.to_dict())


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "json"])
def test_load_embeddings_formats(tmp_path, fmt):
    vectors = {
        "the": [0.5, 1.0, -1.0],
        "Paris": [2.0, 0.0, 1.0],
        "paris": [9.0, 9.0, 9.0],
        "cat": [1.0, 1.0, 1.0],
    }
    if fmt == "json":
        path = tmp_path / "vec.json"
        path.write_text(json.dumps(vectors))
    else:
        lines = [f"{w} {' '.join(map(str, v))}" for w, v in vectors.items()]
        if fmt == "word2vec":
            lines.insert(0, f"{len(vectors)} 3")
        path = tmp_path / "vec.txt"
        path.write_text("\n".join(lines) + "\n")
    vocab = Vocab(["<pad>", "<unk>", "the", "paris", "Paris", "dog", "CAT"])
    matrix, found = load_embeddings(path, vocab)
    assert matrix.shape == (7, 3) and matrix.dtype.name == "float32"
    assert found == 4  # the, paris, Paris exactly; CAT via cat; dog missing
    assert matrix[0].tolist() == [0.0, 0.0, 0.0]
    assert matrix[2].tolist() == [0.5, 1.0, -1.0]
    assert matrix[3].tolist() == [9.0, 9.0, 9.0] and matrix[4].tolist() == [2.0, 0.0, 1.0]
    assert matrix[6].tolist() == [1.0, 1.0, 1.0]
    again, _ = load_embeddings(path, vocab)
    assert (again == matrix).all()  # seeded random rows
    with pytest.raises(ValueError, match="expected dim=5"):
        load_embeddings(path, vocab, dim=5)


# The profile's OOV rate (advisor.data.embeddings_vocab, looked up as the token or its lowercase form) and
# training's embeddings_found (load_embeddings) read the file through one reader, so they agree.
AGREE = {
    "header, case, duplicates, a word with spaces, BOM, CRLF": (
        "\ufeff5 2\r\nThe 1 2\r\nthe 3 4\r\nnew york 5 6\r\ncat 7 8\r\ncat 9 9  \r\n",
        {"The", "the", "new york", "cat"},
    ),
    # training used to stop here ("no vectors read and no dim given") while the profile said OOV 1.0
    "no word of the vocabulary": ("zebra 1 2\n", {"zebra"}),
    "json with a repeated word": ('{"the": [1, 2], "the": [3, 4], "Dog": [5, 6]}', {"the", "Dog"}),
}


@pytest.mark.parametrize("case", list(AGREE))
def test_the_profile_and_training_read_the_same_words(tmp_path, case):
    from advisor.data import embeddings_vocab

    text, words = AGREE[case]
    path = tmp_path / ("e.json" if text.startswith("{") else "e.vec")
    path.write_text(text, encoding="utf-8", newline="")
    tokens = ["the", "new york", "cat", "dog", "CAT", "york"]
    known = embeddings_vocab(path)
    assert known == words
    _, found = load_embeddings(path, Vocab(["<pad>", "<unk>", *tokens]))
    assert found == sum(t in known or t.lower() in known for t in tokens)


def test_a_truncated_embeddings_line_is_the_same_error_for_the_profile_and_training(tmp_path):
    """The profile used to count "cat" as known while training skipped it silently."""
    from advisor.data import DataError, embeddings_vocab

    path = tmp_path / "e.vec"
    path.write_text("the 1 2\ncat 3\n", encoding="utf-8")
    message = r"e.vec:2: 2 fields, expected a word and 2 numbers \(a truncated file\?\)"
    with pytest.raises(DataError, match=message):
        embeddings_vocab(path)
    with pytest.raises(DataError, match=message):
        load_embeddings(path, Vocab(["<pad>", "<unk>", "cat"]))
