"""Shared fixtures. Tests never load installed entry-point plugins: the switch is set before anything imports
the engine (the advisor's own switch, not ``sys._called_from_test``, which would also hide llm's plugins)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

os.environ["ADVISOR_NO_ENTRY_POINTS"] = "1"
# Small models train several times faster single-threaded on a shared 2-core machine (torch reads this at import).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from hypothesis import settings  # noqa: E402

import advisor.engine  # noqa: E402
from advisor.engine import Engine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# Deterministic property tests: every run (and CI) tries the same examples, so a failure reproduces; an explicit
# @settings(...) on a test keeps this (profiles are the defaults settings start from).
settings.register_profile("advisor", derandomize=True, print_blob=True)
settings.load_profile("advisor")


@pytest.fixture(autouse=True)
def _fresh_default_engine():
    """Every test starts and ends with no cached process-wide engine (plugins from one test never leak)."""
    advisor.engine.reset_default_engine()
    yield
    advisor.engine.reset_default_engine()


@pytest.fixture
def load_benchmark():
    """``load_benchmark("setfit")``: the script ``benchmarks/setfit.py`` as a module (not run), with ``sys.path``
    restored after (the scripts that import setfit drop benchmarks/ from it: its datasets.py shadows `datasets`)."""
    import importlib.util
    import sys

    def load(name: str):
        path = list(sys.path)
        spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path[:] = path
        return module

    return load


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner (stdout and stderr apart: ``result.stdout``, ``result.stderr``)."""
    return CliRunner()


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The bundled example (advisor.data.toy) in a folder: ``(folder, train.jsonl, test.jsonl)``."""
    from advisor.data.toy import write_toy_dataset

    folder = tmp_path_factory.mktemp("toy")
    train, test = write_toy_dataset(folder)
    return folder, train, test


@pytest.fixture(scope="session")
def _ray_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ray-home")


@pytest.fixture
def local_ray(_ray_home, monkeypatch):
    """A local Ray instance's environment for a test: ``RAY_TMPDIR`` a short folder under /tmp (Ray's socket paths
    must stay short; removed after), ``HOME`` a temporary folder, no ``RAY_ADDRESS``. The code under test starts the
    instance (two CPUs, no dashboard: ``advisor.baselines.executors.ray_session``) and shuts it down.

    ``HOME`` is one folder for the whole test session, not each test's ``tmp_path``: the first ``ray.init`` writes
    a token to ``~/.ray/auth_token`` and the process keeps token authentication on, so a later instance in the same
    process under another ``HOME`` finds no token and its GCS server dies (Ray 2.60: "Token authentication is
    enabled but Ray couldn't find an authentication token")."""
    pytest.importorskip("ray")
    short = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    monkeypatch.setenv("RAY_TMPDIR", short)
    monkeypatch.setenv("HOME", str(_ray_home))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    yield
    shutil.rmtree(short, ignore_errors=True)


@pytest.fixture
def write_file(tmp_path):
    """``write_file(name, text) -> Path``: a file under the test's tmp folder."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_engine():
    """``make_engine(*plugins) -> Engine``: the built-in rules plus throwaway plugin objects (no entry points)."""

    def make(*plugins: object) -> Engine:
        return Engine(extra_plugins=plugins, entry_points=False)

    return make


@pytest.fixture
def cli_plugins(monkeypatch):
    """``cli_plugins(*plugins)``: make the CLI's default engine load these plugins as if they were installed
    entry points; the default engine is rebuilt on first use and dropped again after the test."""

    def install(*plugins: object) -> None:
        found = [(getattr(p, "__name__", None) or type(p).__name__, p) for p in plugins]
        monkeypatch.setattr(advisor.engine, "_entry_point_plugins", lambda: list(found))
        advisor.engine.reset_default_engine()

    yield install
    advisor.engine.reset_default_engine()


class TeamRecipe:
    """A third-party rule (TEP904 team-recipe) that prints batch size 64 whatever the winner."""

    __name__ = "team-recipe"

    @advisor.hookimpl
    def register_rules(self, register):
        register(id="TEP904", name="team-recipe", severity="info", summary="Team recipe.", docs="Docs.")

    @advisor.hookimpl
    def describe_winner(self, ctx):
        ctx.set_recipe("batch_size", "64", rule="TEP904", reason="our GPUs like 64")


@pytest.fixture
def team_recipe() -> TeamRecipe:
    """A plugin whose rule TEP904 overrides the recipe's batch-size line with "64"."""
    return TeamRecipe()


# -- static vectors (advisor embeddings distill) ---------------------------------------------------------------
# Tests never write the real home: the advisor's cache (advisor.baselines.static.cache_root) is a temp folder.
_CACHE = tempfile.mkdtemp(prefix="advisor-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

STATIC_DIM = 8  # the tiny vectors' dimension


def build_tiny_static(folder: Path, dim: int = STATIC_DIM, seed: int = 0) -> Path:
    """A tiny model2vec folder: a WordPiece tokenizer whose pieces are single characters (so every word of
    letters and digits has a vector) plus a few whole words, with seeded random vectors. numpy, tokenizers and
    model2vec only: no transformer, no distillation."""
    import string

    import numpy as np
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    chars = string.ascii_lowercase + string.digits
    pieces = ["[UNK]", *chars, *(f"##{c}" for c in chars), *string.punctuation]
    pieces += [
        w
        for w in ("refund", "charged", "order", "app", "crash", "login", "parcel", "arrived")
        if w not in pieces
    ]
    tokenizer = Tokenizer(WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    tokenizer.normalizer = BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = BertPreTokenizer()
    vectors = np.random.default_rng(seed).normal(size=(len(pieces), dim)).astype(np.float32)
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": dim,
        "normalize": True,
    }
    StaticModel(vectors=vectors, tokenizer=tokenizer, config=config, normalize=True).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_static(tmp_path_factory) -> Path:
    """A tiny model2vec folder (:func:`build_tiny_static`)."""
    pytest.importorskip("model2vec")
    return build_tiny_static(tmp_path_factory.mktemp("static") / "tiny-m2v")


@pytest.fixture(scope="session")
def tiny_sentence_transformer(tmp_path_factory) -> Path:
    """A tiny local BERT (1 layer, hidden 16) with a WordPiece tokenizer: what `advisor embeddings distill
    --from` can distill in well under a second."""
    import string

    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("st") / "tiny-bert"
    chars = string.ascii_lowercase + string.digits
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *chars,
        *(f"##{c}" for c in chars),
        "refund",
        "order",
    ]
    BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True).save_pretrained(folder)
    import torch

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _tiny_default_vectors(tmp_path_factory):
    """Where the transformer extra is installed, the cache entry of the vectors `baseline train` distills by
    default from the shipped all-MiniLM-L6-v2 holds the tiny vectors instead: no test distills the real MiniLM
    (minutes on this CPU) except the ones marked slow, which use a cache of their own."""
    try:
        import model2vec  # noqa: F401

        from advisor.baselines import static

        source = static.shipped_encoder()
    except ImportError:
        yield None
        return
    folder, info = static.cached_folder(source, static.DEFAULT_DIM)
    if not folder.exists():
        build_tiny_static(folder)
        tokens = len(json.loads((folder / "tokenizer.json").read_text("utf-8"))["model"]["vocab"])
        stored = {**info, "dim": STATIC_DIM, "tokens": tokens, "seconds": 0.0, "created": "test"}
        (folder / static.INFO).write_text(json.dumps(stored), encoding="utf-8")
    yield folder


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A tiny random BERT over the words of the test data (tests/test_evidence.py's DATA and the bundled toy data),
    positions up to 64 (tests/tiny_encoder.py): what ``--encoder`` takes instead of the shipped all-MiniLM-L6-v2."""
    import json

    pytest.importorskip("transformers")
    from advisor.data.toy import write_toy_dataset
    from tests.test_evidence import DATA
    from tests.tiny_encoder import build_tiny_encoder

    toy = tmp_path_factory.mktemp("toy-words")
    write_toy_dataset(toy)
    texts = [json.loads(line)["text"] for line in DATA.splitlines()]
    texts += [json.loads(line)["text"] for name in ("train.jsonl", "test.jsonl")
              for line in (toy / name).read_text(encoding="utf-8").splitlines()]  # fmt: skip
    words = {w for t in texts for w in t.lower().split()}
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"), words, max_positions=64)


@pytest.fixture(scope="session")
def tiny_tagging_encoder(tmp_path_factory):
    """A tiny random BERT over the bundled toy tagging data's words, positions up to 64 (tests/tiny_encoder.py):
    "Paris" is left out of its vocabulary, so the tokenizer cuts it into two pieces ("pari", "##s")."""
    pytest.importorskip("transformers")
    from advisor.data.toy import toy_tagging_sentences
    from tests.tiny_encoder import build_tiny_encoder

    words = {w for s in toy_tagging_sentences(200, 7) for w in s.tokens}
    words -= {"Paris"}
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"), words | {"pari"}, max_positions=64)
