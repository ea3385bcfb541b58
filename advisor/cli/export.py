"""``advisor baseline export`` and the exported-folder side of ``baseline predict`` / ``evaluate`` / ``--stream``.

Registered in :mod:`advisor.cli.baseline`'s group. Exporting needs the ``export`` extra (and torch for the torch
models); running an exported folder needs only the ``runtime`` extra: those paths import
:mod:`advisor.runtime`, never torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advisor.cli.options import BadInput, NoAnswer
from advisor.vocabulary import EXPORT_FORMATS, QUANTIZATIONS


def _errors(fn, *args, **kwargs):
    """Run ``fn``, mapping data errors to exit 2 and a missing extra or an impossible export to exit 1."""
    from advisor.data import DataError

    try:
        return fn(*args, **kwargs)
    except DataError as exc:
        raise BadInput(str(exc)) from None
    except ImportError as exc:
        raise NoAnswer(str(exc)) from None
    except RuntimeError as exc:  # ExportError, an onnxruntime failure
        from advisor.errors import message_line

        raise NoAnswer(message_line(str(exc), 500)) from None


@click.command("export")
@click.argument("model", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "format_",
    "--format",
    type=click.Choice(EXPORT_FORMATS),
    default="onnx",
    show_default=True,
    help="Format.",
)
@click.option("--quantize", type=click.Choice(QUANTIZATIONS), default=None, help="Quantize the weights.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Export folder to write.  [default: MODEL-onnx, MODEL-onnx-int8]",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Labelled data to check the export's parity and int8 accuracy on.  [default: the data the model "
    "was trained on, when it is still there]",
)
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder that is not an export.")
@click.option("json_", "--json", is_flag=True, help="Print the result as JSON (stdout only).")
def export(model, format_, quantize, out, data, force, json_):
    """Export a trained MODEL folder to ONNX: graph, vocabulary or tokenizer, manifest, in one folder.

    The fp32 graph is checked against the model reloaded from MODEL (argmax agreement, max |Δlogit|; a
    tagger's per token); with --quantize int8 the accuracy change is reported (a tagger's entity F1 too).
    Run the folder without torch: baseline predict/evaluate
    (onnxruntime, the 'runtime' extra); an lstm/gru/rnn export also streams (predict --stream).

    \b
    Example:
        advisor baseline export runs/textcnn --quantize int8 --out runs/textcnn-int8
        advisor baseline predict runs/textcnn-int8 "where is my parcel"
    """
    from advisor.baselines.export import export as run_export
    from advisor.baselines.export import format_export
    from advisor.sanitize import clean

    try:
        import torch  # noqa: F401  (the exporter's torch models; numpy is torch's)
    except ImportError:
        pass  # ngram-linear exports without torch; the torch kinds say what is missing
    result = _errors(run_export, model, format=format_, quantize=quantize, out=out, data=data, force=force)
    click.echo(json.dumps(result, indent=2) if json_ else clean(format_export(result)))


def evaluate(model: Path, data: Path, json_: bool, **opts) -> None:
    """``baseline evaluate`` on an exported folder (onnxruntime)."""
    from advisor import runtime
    from advisor.baselines.report import format_evaluate
    from advisor.sanitize import clean

    result = _errors(runtime.evaluate, model, data, **opts)
    click.echo(json.dumps(result, indent=2) if json_ else clean(format_evaluate(result)))


def predict(model: Path, items: list[str], json_: bool) -> None:
    """``baseline predict`` on an exported folder (onnxruntime)."""
    from advisor import runtime
    from advisor.sanitize import one_line

    for text, pred in _errors(runtime.predict, model, items):
        click.echo(
            json.dumps({"text": text, "prediction": pred}) if json_ else f"{one_line(pred)}\t{one_line(text)}"
        )


def stream(model: Path, texts: tuple[str, ...], json_: bool) -> None:
    """``baseline predict --stream``: the running prediction after every token, from TEXT arguments or as
    stdin lines arrive (each line's words are tokens, tokenized as in training)."""
    from advisor import runtime
    from advisor.sanitize import one_line

    if not runtime.is_export(model):
        raise BadInput(
            f"--stream runs an exported lstm, gru or rnn folder: export {model} first "
            f"(advisor baseline export {model})"
        )
    s = _errors(lambda: runtime.load(model).stream())
    sources = texts or (line.rstrip("\r\n") for line in sys.stdin)
    n = 0
    for text in sources:
        for token, logits in _errors(s.push, text):
            n += 1
            label = s.runtime.decode(logits)
            if json_:
                click.echo(
                    json.dumps({"token": token, "n": n, "prediction": label, "logits": logits.tolist()})
                )
            else:
                click.echo(f"{n}\t{one_line(label)}\t{one_line(token)}")
            sys.stdout.flush()
    if n == 0:
        raise BadInput("nothing to stream: give TEXT arguments or words on stdin")
