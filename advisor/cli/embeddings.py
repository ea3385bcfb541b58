"""``advisor embeddings``: static vectors the advisor can use offline (needs the ``transformer`` extra).

This module imports only click at load time; model2vec, transformers and torch are imported when the command runs
(:mod:`advisor.baselines.static` holds what it does).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor.cli.options import CONTEXT_SETTINGS, BadInput, NoAnswer


@click.group(context_settings=CONTEXT_SETTINGS)
def embeddings():
    """Static vectors: distill them from a sentence transformer, offline, into the cache.

    \b
    Example:
        advisor embeddings distill
    """


@embeddings.command()
@click.option(
    "source",
    "--from",
    type=click.Path(path_type=Path),
    default=None,
    help="A local sentence-transformer folder.  [default: the shipped all-MiniLM-L6-v2]",
)
@click.option(
    "--dim",
    type=click.IntRange(2, 4096),
    default=256,
    show_default=True,
    help="Dimensions after PCA (at most the model's hidden size and its vocabulary).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the model2vec folder here.  [default: only the cache]",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cache folder.  [default: $XDG_CACHE_HOME/text-encoder-advisor, else ~/.cache/text-encoder-advisor]",
)
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
def distill(source, dim, out, cache_dir, json_):
    """Distill static vectors (model2vec) from the shipped all-MiniLM-L6-v2, or the --from folder, offline.

    The folder is cached (the key is the source folder's fingerprint and --dim) and reused by later calls;
    `--embeddings FOLDER` reads it wherever it reads a GloVe/fastText file, and `advisor baseline train` uses
    these vectors by default where the recipe says static.

    \b
    Example:
        advisor embeddings distill
        advisor embeddings distill --from ./my-sentence-transformer --dim 128 --out vectors/
        advisor baseline train train.jsonl --embeddings vectors/ --arch textcnn
    """
    from advisor.data import DataError

    try:
        from advisor.baselines import static
    except ImportError as exc:  # pragma: no cover - the module itself needs only the standard library
        raise NoAnswer(str(exc)) from None
    try:
        result = static.distill(source, dim=dim, out=out, cache_dir=cache_dir)
    except DataError as exc:
        raise BadInput(str(exc)) from None
    except ImportError as exc:
        raise NoAnswer(str(exc)) from None
    if json_:
        from advisor.sanitize import json_text

        click.echo(json_text(json.dumps(result, indent=2)))
        return
    click.echo(format_distill(result))


def format_distill(r: dict) -> str:
    from advisor.sanitize import one_line

    how = "reused from the cache" if r["cached"] else f"distilled in {r['distill_seconds']:g} s"
    lines = [
        f"static vectors: {one_line(r['folder'])}",
        f"  {how}: {r['tokens']:,} tokens x {r['dim']}, {r['mb']:g} MB (fp32), from {one_line(r['source'])}",
    ]
    if r["out"]:
        lines.append(f"  copied to {one_line(r['out'])}")
    lines.append(
        f"  use: advisor baseline train DATA --embeddings {one_line(r['out'] or r['folder'])} "
        "(the default where the recipe says static)"
    )
    return "\n".join(lines)
