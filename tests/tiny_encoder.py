"""A tiny randomly initialised BERT (2 layers, hidden 32) and a WordPiece tokenizer over given words, saved as a
local Hugging Face model folder: what the tests pass as ``--encoder`` (nothing is downloaded)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_encoder(folder: Path, words: Iterable[str], max_positions: int = 16) -> Path:
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    vocab = sorted({w.lower() for w in words})
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *vocab, "##s"]
    # transformers 5 deprecates (and, for the fast tokenizer, ignores) a vocab file path: pass the vocabulary
    transformers.BertTokenizerFast(vocab={w: i for i, w in enumerate(pieces)}).save_pretrained(str(folder))
    config = transformers.BertConfig(
        vocab_size=len(vocab) + 6,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
    )
    transformers.set_seed(0)
    transformers.BertModel(config).save_pretrained(str(folder))
    return folder
