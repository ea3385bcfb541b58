"""``advisor baseline``: train, evaluate and plateau-check baselines (needs the ``baselines`` extra)."""

from __future__ import annotations

import click


@click.group()
def baseline():
    """Train and evaluate TextCNN/RNN/BiLSTM-CRF baselines on your data; write plateau evidence.

    \b
    Example:
        advisor baseline plateau train.jsonl --out evidence.json
    """
